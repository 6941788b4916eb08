package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// A run waits a moment for a database another process holds (kiln runs
// polled by a script): the lock let go within the grace, the run opens
// it; a lock held longer, or another error, is returned as it is.
func TestWaitUnlocked(t *testing.T) {
	locked := &adapter.LockError{Path: "db.duckdb", PID: 42, Program: "kiln"}
	opener := func(failures int, err error) (func() (adapter.Adapter, error), *int) {
		calls := 0
		return func() (adapter.Adapter, error) {
			calls++
			if calls <= failures {
				return nil, err
			}
			return nil, nil // opened (no adapter needed here)
		}, &calls
	}
	ctx := context.Background()

	open, calls := opener(3, locked)
	if _, err := waitUnlocked(ctx, 3*time.Second, open); err != nil || *calls != 4 {
		t.Errorf("a lock let go after 3 tries: err %v after %d calls, want the database opened at the 4th", err, *calls)
	}
	open, calls = opener(1000, locked)
	_, err := waitUnlocked(ctx, 300*time.Millisecond, open)
	var le *adapter.LockError
	if !errors.As(err, &le) || le.PID != 42 || *calls < 2 || *calls > 4 {
		t.Errorf("a lock held past the grace: err %v after %d calls, want the lock error after 2-4 calls (50, 100 ms waits)", err, *calls)
	}
	other := errors.New("not a database file")
	open, calls = opener(1000, other)
	if _, err := waitUnlocked(ctx, 3*time.Second, open); !errors.Is(err, other) || *calls != 1 {
		t.Errorf("another error: %v after %d calls, want it at once", err, *calls)
	}
	open, calls = opener(1000, locked)
	if _, err := waitUnlocked(ctx, 0, open); !errors.As(err, &le) || *calls != 1 {
		t.Errorf("no grace: %v after %d calls, want the lock error at once", err, *calls)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	open, calls = opener(1000, locked)
	if _, err := waitUnlocked(cancelled, 3*time.Second, open); !errors.As(err, &le) || *calls != 1 {
		t.Errorf("an interrupted run: %v after %d calls, want the lock error at once", err, *calls)
	}
}
