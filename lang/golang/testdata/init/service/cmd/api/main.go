// Command api serves the payments API.
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/acme/payments/v2/internal/web"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8090"
	}
	log.Fatal(http.ListenAndServe(":"+port, web.Routes()))
}
