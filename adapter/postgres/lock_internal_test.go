package postgres

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// holdLock takes kiln's advisory lock in a session that says it is kiln
// process pid of this machine, as a kiln run's session does.
func holdLock(t *testing.T, dsn string, pid int) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = ApplicationNameOf(pid)
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got bool
	if err := c.QueryRow(context.Background(), "select pg_try_advisory_lock($1, $2)", int32(lockClass), int32(lockObj)).Scan(&got); err != nil || !got {
		t.Fatalf("take the lock: %v %v", got, err)
	}
	return c
}

// A kiln killed while it held the lock leaves a session the server ends
// only later: the next run takes the lock once that session is gone (here
// it never goes by itself, so Open ends it), while a live holder is
// refused at once.
func TestOpenOutwaitsADeadKiln(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	old := deadHolderWait
	deadHolderWait = 300 * time.Millisecond
	defer func() { deadHolderWait = old }()

	live := holdLock(t, dsn, os.Getpid())
	_, err := Open(ctx, adapter.Target{Type: "postgres", DSN: dsn})
	var le *adapter.LockError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("Open with a live kiln holding the lock: %v, want a LockError naming PID %d", err, os.Getpid())
	}
	live.Close(ctx)

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := holdLock(t, dsn, dead.Process.Pid)
	defer stale.Close(ctx)
	a, err := Open(ctx, adapter.Target{Type: "postgres", DSN: dsn})
	if err != nil {
		t.Fatalf("Open with a dead kiln's session holding the lock: %v", err)
	}
	defer a.Close()
	if err := stale.Ping(ctx); err == nil {
		t.Errorf("the dead kiln's session is still there")
	}
}
