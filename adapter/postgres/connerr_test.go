package postgres_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// TestConnectErrors: a database that does not exist says so with a hint
// that kiln does not create it (createdb, or check dbname); a refused
// connection names host:port once, with a hint (is the server running,
// host and port).
func TestConnectErrors(t *testing.T) {
	s := pgtest.Start(t)
	_, err := adapter.Open(context.Background(), adapter.Target{Type: "postgres", DSN: s.DSN("jaffle_nope")})
	if err == nil {
		t.Fatal("Open of a database that does not exist succeeded")
	}
	msg := err.Error()
	for _, want := range []string{`database "jaffle_nope" does not exist (SQLSTATE 3D000)`, "kiln does not create the database", "createdb jaffle_nope", "CREATE DATABASE jaffle_nope", "dbname"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}

	// A port nothing listens on: the listener is closed at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		_, err = adapter.Open(context.Background(), adapter.Target{Type: "postgres", DSN: fmt.Sprintf("host=%s port=%d user=u dbname=jaffle sslmode=disable connect_timeout=5", host, port)})
		if err == nil {
			t.Fatalf("Open on a closed port %d succeeded", port)
		}
		msg = err.Error()
		addr := fmt.Sprintf("%s:%d", host, port)
		if !strings.Contains(msg, addr) || strings.Count(msg, "connection refused") != 1 || strings.Count(msg, "dial") > 1 {
			t.Errorf("the error should name %s and its refusal once:\n%s", addr, msg)
		}
		for _, want := range []string{"is the PostgreSQL server running", "host and port"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the error does not say %q:\n%s", want, msg)
			}
		}
	}
}
