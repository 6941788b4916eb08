package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestLockTimeoutOnPostgres: finding B2 of the PostgreSQL trial. With the
// target's lock_timeout, a build whose table a reader's open transaction
// holds fails that node at the timeout (PostgreSQL's "canceling statement
// due to lock timeout") instead of waiting without limit, and the run
// rolls back: once the reader ends, the table is the previous build's.
func TestLockTimeoutOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := smallProject(t, "target:\n  type: postgres\n  host: "+d.host+"\n  port: "+d.port+"\n  user: "+d.user+"\n  dbname: "+d.db+"\n  lock_timeout: 1s\n")
	mustKiln(t, ExitOK, dir, "build")
	if err := os.WriteFile(filepath.Join(dir, "seeds", "prices.csv"), []byte("id,price\n1,10.5\n2,20.25\n3,7\n4,9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reader, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close(ctx)
	tx, err := reader.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(ctx, "select n from marts.summary").Scan(&n); err != nil || n != 2 {
		t.Fatalf("reader: %d %v", n, err)
	}
	code, out, errOut := kiln(t, dir, "build")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if code != ExitFailure || !strings.Contains(out+errOut, "lock timeout") || !strings.Contains(out+errOut, "summary") || !strings.Contains(out+errOut, "the target's lock_timeout ended the wait") {
		t.Fatalf("build behind a reader's lock: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := d.query(t, "select n, total from marts.summary"); len(got) != 1 || got[0] != "2|30.75" {
		t.Errorf("marts.summary = %v after the failed build, want [2|30.75]", got)
	}
	// Without the reader, the same build goes through.
	mustKiln(t, ExitOK, dir, "build")
	if got := d.query(t, "select n, total from marts.summary"); len(got) != 1 || got[0] != "3|39.75" {
		t.Errorf("marts.summary = %v, want [3|39.75]", got)
	}
}
