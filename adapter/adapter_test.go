package adapter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	_ "github.com/kiln-build/kiln/adapter/duckdb"
)

func TestIsTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&adapter.Error{Class: adapter.Transient, Msg: "conflict"}, true},
		{fmt.Errorf("model %q: %w", "m", &adapter.Error{Class: adapter.Transient}), true},
		{&adapter.Error{Class: adapter.Semantic, Msg: "no column"}, false},
		{&adapter.Error{Class: adapter.Interrupted}, false},
		{&adapter.LockError{Path: "db"}, true},
		{fmt.Errorf("write: %w", syscall.EBUSY), true},
		{errors.New("plain"), false},
	} {
		if got := adapter.IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &adapter.Error{Type: "Binder", Msg: `Referenced column "x" not found`, Detail: "Candidate bindings: \"a\"\n\n  hint two "}
	if got, want := e.Error(), `binder error: Referenced column "x" not found; Candidate bindings: "a"; hint two`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	cause := errors.New("driver")
	e = &adapter.Error{Err: cause, Ctx: context.Canceled}
	if !errors.Is(e, context.Canceled) || !errors.Is(e, cause) {
		t.Error("Unwrap loses the context's or the driver's error")
	}
	le := &adapter.LockError{Path: "/p/kiln.duckdb", PID: 42, Program: "/usr/bin/duckdb"}
	if got := le.Error(); !strings.Contains(got, `"duckdb" (PID 42)`) || !strings.Contains(got, "/p/kiln.duckdb") {
		t.Errorf("LockError.Error() = %q", got)
	}
}

func TestOpen(t *testing.T) {
	if types := adapter.Types(); !strings.Contains(strings.Join(types, ","), "duckdb") {
		t.Fatalf("Types() = %v, want duckdb registered", types)
	}
	if _, err := adapter.Open(context.Background(), adapter.Target{Type: "oracle"}); err == nil || !strings.Contains(err.Error(), `unknown database type "oracle"`) {
		t.Errorf("Open(oracle) = %v", err)
	}
	a, err := adapter.Open(context.Background(), adapter.Target{Type: "duckdb"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Type() != "duckdb" {
		t.Errorf("Type() = %q", a.Type())
	}
	defer func() {
		if recover() == nil {
			t.Error("registering duckdb twice did not panic")
		}
	}()
	adapter.Register("duckdb", nil)
}

// TestErrorTextPostgres: a DuckDB error reads as DuckDB prints it ("parser
// error: ..."), a PostgreSQL one (with a SQLSTATE) as PostgreSQL's
// clients print it, not with its condition name ("syntax_error error").
func TestErrorTextPostgres(t *testing.T) {
	for _, c := range []struct {
		e    adapter.Error
		want string
	}{
		{adapter.Error{Type: "Parser", Msg: `syntax error at or near ")"`}, `parser error: syntax error at or near ")"`},
		{adapter.Error{Type: "syntax_error", Code: "42601", Msg: `syntax error at or near "x"`}, `ERROR: syntax error at or near "x" (SQLSTATE 42601)`},
		{adapter.Error{Type: "undefined_column", Code: "42703", Msg: `column "y" does not exist`, Detail: "Perhaps you meant to reference the column \"t.x\"."},
			`ERROR: column "y" does not exist (SQLSTATE 42703); Perhaps you meant to reference the column "t.x".`},
		{adapter.Error{Msg: "connection lost"}, "connection lost"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}
