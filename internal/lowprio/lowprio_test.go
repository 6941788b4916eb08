package lowprio

import (
	"errors"
	"runtime"
	"sync"
	"testing"
)

// The items run on a thread at nice 19, and the priority does not leak to
// the goroutines that run after Each (the thread ends with its goroutine).
func TestEachRunsAtNice19(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the priority is lowered on Linux only")
	}
	before, err := nice()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int, 50)
	err = Each(len(got), func(i int) error {
		n, err := nice()
		got[i] = n
		return err
	}, make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range got {
		if n != lowest {
			t.Fatalf("item %d ran at nice %d, want %d", i, n, lowest)
		}
	}
	for i := 0; i < 200; i++ {
		c := make(chan int)
		go func() {
			n, _ := nice()
			c <- n
		}()
		if n := <-c; n != before {
			t.Fatalf("goroutine %d ran at nice %d after Each returned, want %d (the lowered thread was reused)", i, n, before)
		}
	}
}

// Once boost is closed, the items not yet started run on the caller, at
// its priority; every item runs exactly once.
func TestEachBoostRunsTheRestOnTheCaller(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the priority is lowered on Linux only")
	}
	before, err := nice()
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	boost := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	ran := make(map[int]int)
	prio := make(map[int]int)
	err = Each(n, func(i int) error {
		if i == 0 {
			// The low-priority thread holds item 0 until the caller has
			// been boosted and has run items of its own.
			close(boost)
			<-release
		}
		p, _ := nice()
		mu.Lock()
		ran[i]++
		prio[i] = p
		if len(ran) == n-1 {
			close(release)
		}
		mu.Unlock()
		return nil
	}, boost)
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != n {
		t.Fatalf("%d items ran, want %d", len(ran), n)
	}
	for i, c := range ran {
		if c != 1 {
			t.Fatalf("item %d ran %d times", i, c)
		}
	}
	if prio[0] != lowest {
		t.Errorf("item 0 ran at nice %d, want %d", prio[0], lowest)
	}
	for i := 1; i < n; i++ {
		if prio[i] != before {
			t.Fatalf("item %d, after the boost, ran at nice %d, want the caller's %d", i, prio[i], before)
		}
	}
}

// The first error stops the items after it and is returned.
func TestEachError(t *testing.T) {
	boom := errors.New("boom")
	var mu sync.Mutex
	count := 0
	err := Each(1000, func(i int) error {
		mu.Lock()
		count++
		mu.Unlock()
		if i == 3 {
			return boom
		}
		return nil
	}, make(chan struct{}))
	if !errors.Is(err, boom) {
		t.Fatalf("Each = %v, want boom", err)
	}
	if count != 4 {
		t.Fatalf("%d items ran, want 4 (none after the error)", count)
	}
}
