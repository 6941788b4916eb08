package lowprio

import (
	"runtime"
	"testing"
)

// TestGoRunsAtNice19 checks that f runs on a thread at nice 19 and that
// the priority does not leak to the goroutines that run after it (the
// thread ends with f's goroutine).
func TestGoRunsAtNice19(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the priority is lowered on Linux only")
	}
	before, err := nice()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int)
	Go(func() {
		n, err := nice()
		if err != nil {
			t.Error(err)
		}
		got <- n
	})
	if n := <-got; n != lowest {
		t.Fatalf("f ran at nice %d, want %d", n, lowest)
	}
	// Many goroutines after it, each on whatever thread the scheduler
	// gives: none may be at nice 19.
	for i := 0; i < 200; i++ {
		c := make(chan int)
		go func() {
			n, _ := nice()
			c <- n
		}()
		if n := <-c; n != before {
			t.Fatalf("goroutine %d ran at nice %d after Go returned, want %d (the lowered thread was reused)", i, n, before)
		}
	}
}
