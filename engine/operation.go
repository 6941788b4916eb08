package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Operation runs macro (dbt's run-operation: "name", or "package.name")
// with args as its keyword arguments against the project's database, as
// dbt does: the macro renders with execute true, the statements it runs
// (run_query, statement, adapter methods) run on one connection in one
// transaction, committed when the macro ends without error and rolled
// back otherwise; var() reads the vars of the macro's package. Its log()
// and print() messages reach the listener as Log events. It returns
// what the macro returns (or renders). Like a run, it first finishes what
// killed kiln processes left; it returns *adapter.LockError while a build
// holds the database, and the macro's error, placed in its file, when it
// fails.
//
// On DuckDB, an operation that found the database sealed (seal.go) and
// whose statements wrote no relation kiln builds but those they name
// (stmtWrites) seals it again once it closed it, with those relations
// written (sealwritten.go): the next build runs their nodes only.
func (p *Project) Operation(ctx context.Context, macro string, args map[string]any) (string, error) {
	var pending *pendingCheck
	db, err := p.openWaiting(ctx, 0, 0, nil, func() (adapter.Adapter, error) {
		pending = p.checkPending() // before the open, which replays the WAL
		return adapter.Open(ctx, p.DatabaseTarget())
	})
	if err != nil {
		return "", err
	}
	closeDB := sync.OnceValue(db.Close)
	defer closeDB()
	// Before anything writes: is the database as the last run sealed it?
	var found []byte
	if path := SealFilePath(p.DBPath); path != "" && !p.OnServer() && p.fileOutside(pending) == "" {
		found, _ = os.ReadFile(path)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", interrupted(ctx, err)
	}
	closeConn := sync.OnceValue(conn.Close)
	defer closeConn()
	unlock, err := p.lockTarget(ctx, "run-operation")
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := p.recover(ctx, conn, db.Dialect()); err != nil {
		return "", err
	}
	w := newWriteWatch(p.Graph())
	s := adapter.Session{Conn: watchedConn{Conn: conn, w: w, what: "run-operation " + macro}, Dialect: db.Dialect(), Type: db.Type()}
	var out string
	err = conn.Tx(ctx, func() error {
		var err error
		out, err = p.Manifest.Operation(ctx, macro, args, s, func(l graph.LogLine) { p.log(nil, l) })
		return err
	})
	if err != nil {
		return "", fmt.Errorf("run-operation %s: %w", macro, err)
	}
	if found != nil && w.reason() == "" {
		closeConn()
		if err := closeDB(); err == nil {
			p.resealOperation(found, w.wrote())
		}
	}
	return out, nil
}

// resealOperation seals the DuckDB database, closed by a run-operation
// that found it sealed by found (the seal file's bytes), with the
// relations of found's Written and those the operation wrote (wrote:
// "schema.name" -> what) as written. It does nothing when the seal file
// is no longer found (another run wrote it since the operation closed
// the database); a failure is only logged: the next build then runs
// every node, as without it.
func (p *Project) resealOperation(found []byte, wrote map[string]string) {
	path := SealFilePath(p.DBPath)
	var old fileSeal
	if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, found) || json.Unmarshal(found, &old) != nil {
		return
	}
	written := map[string]string{}
	for k, v := range old.Written {
		written[k] = v
	}
	at := time.Now()
	for k, what := range wrote {
		written[k] = writtenBy(what, "", p.InvocationID(), at)
	}
	if len(written) == 0 {
		written = nil
	}
	if err := p.writeFileSeal(p.InvocationID(), "run-operation", "", "", written); err != nil {
		p.emit(Log{Text: "the database is not sealed again after the run-operation: " + oneLine(err), Debug: true})
	}
}
