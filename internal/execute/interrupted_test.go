package execute

import (
	"errors"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/internal/run"
)

// An interrupted node's error, which the summary prints under the node,
// says it in kiln's words at the node's position, not the database's
// "INTERRUPT Error: Interrupted!"; the database's error stays its cause.
func TestInterruptedInKilnsWords(t *testing.T) {
	cause := &adapter.Error{Class: adapter.Interrupted, Msg: "INTERRUPT Error: Interrupted!"}
	pos := diag.Pos{File: "models/slow.sql", Line: 2, Col: 1}
	r := interrupted(run.Result{Status: run.Error, Message: "interrupt error: Interrupted!",
		Err: &run.NodeError{Pos: pos, Msg: "interrupt error: Interrupted!", Compiled: diag.Pos{File: "target/compiled/slow.sql", Line: 2, Col: 1}, Err: cause, Hint: "look at the query"}})
	const want = "interrupted: the node's transaction was rolled back"
	if r.Message != want {
		t.Errorf("message %q, want %q", r.Message, want)
	}
	var ne *run.NodeError
	if !errors.As(r.Err, &ne) || ne.Error() != "models/slow.sql:2:1: "+want || ne.Hint != "" {
		t.Errorf("error %q (hint %q), want %q at models/slow.sql:2:1 without a hint", r.Err, ne.Hint, want)
	}
	var de *adapter.Error
	if !errors.As(r.Err, &de) || de != cause {
		t.Errorf("the database's error is not the cause of %v", r.Err)
	}
}
