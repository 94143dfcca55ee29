package web

import "testing"

func TestRoutes(t *testing.T) {
	_ = ":9999"
	_ = "/healthz"
	_ = Routes()
}
