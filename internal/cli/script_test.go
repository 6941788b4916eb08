package cli

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// TestMain lets testscript run the real CLI in-process as the "kiln"
// command of the scripts in testdata/script.
func TestMain(m *testing.M) {
	testscript.Main(pgtest.Wrap(m), map[string]func(){
		"kiln":        func() { os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		"kiln-holddb": holdDB,
	})
}

// TestScripts runs the CLI scripts: small projects, commands, and their
// exact output and exit codes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
