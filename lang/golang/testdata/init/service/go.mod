module github.com/acme/payments/v2

go 1.24.0

toolchain go1.25.3
