package web

import "net/http"

// Routes are the API's handlers.
func Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /payments", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("[]")) })
	return mux
}
