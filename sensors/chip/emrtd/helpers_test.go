package emrtd_test

import (
	"crypto/x509"
	"io"
	"log/slog"
)

type x509Cert = x509.Certificate

func parseCRL(der []byte) (*x509.RevocationList, error) { return x509.ParseRevocationList(der) }

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
