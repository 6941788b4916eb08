package ui

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// batchSink records each Write it receives.
type batchSink struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (c *batchSink) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

func (c *batchSink) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.writes...)
}

// Lines written close together go out as one write, in order, at Flush;
// nothing is written before.
func TestBatchWriterBatchesLines(t *testing.T) {
	var c batchSink
	b := NewBatchWriter(&c, time.Hour)
	for _, l := range []string{"a\n", "bb\n", "ccc\n"} {
		if n, err := b.Write([]byte(l)); err != nil || n != len(l) {
			t.Fatalf("Write(%q) = %d, %v", l, n, err)
		}
	}
	if w := c.got(); len(w) != 0 {
		t.Fatalf("written before the interval or a flush: %q", w)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if w := c.got(); len(w) != 1 || w[0] != "a\nbb\nccc\n" {
		t.Fatalf("writes = %q, want one write of the three lines", w)
	}
	if err := b.Flush(); err != nil || len(c.got()) != 1 {
		t.Fatalf("an empty flush wrote: %q, %v", c.got(), err)
	}
}

// The interval's timer writes the batch without a Flush.
func TestBatchWriterWritesAfterInterval(t *testing.T) {
	r, w := newPipe()
	b := NewBatchWriter(w, 10*time.Millisecond)
	if _, err := b.Write([]byte("line\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-r:
		if got != "line\n" {
			t.Fatalf("got %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the batch was not written within 10 s of an interval of 10 ms")
	}
}

// A batch reaching batchMax is written at once; after Close, writes go
// straight through.
func TestBatchWriterSizeAndClose(t *testing.T) {
	var c batchSink
	b := NewBatchWriter(&c, time.Hour)
	big := strings.Repeat("x", batchMax-1) + "\n"
	b.Write([]byte(big))
	if w := c.got(); len(w) != 1 || w[0] != big {
		t.Fatalf("a full batch was not written at once: %d writes", len(w))
	}
	b.Write([]byte("tail\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("after\n"))
	if w := c.got(); len(w) != 3 || w[1] != "tail\n" || w[2] != "after\n" {
		t.Fatalf("writes after the full batch = %q", w[1:])
	}
}

// A failed write is reported by the next Write and by Flush.
func TestBatchWriterError(t *testing.T) {
	c := batchSink{err: errors.New("disk full")}
	b := NewBatchWriter(&c, time.Hour)
	b.Write([]byte("x\n"))
	if err := b.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush = %v, want disk full", err)
	}
	if _, err := b.Write([]byte("y\n")); err == nil {
		t.Fatal("Write after a failed batch returned no error")
	}
}

// Lines of a JSONLog through a BatchWriter stay one object a line.
func TestJSONLogThroughBatchWriter(t *testing.T) {
	var out bytes.Buffer
	b := NewBatchWriter(&out, time.Hour)
	l := NewJSONLog(b)
	l.Message("info", "one")
	l.Message("info", "two")
	if out.Len() != 0 {
		t.Fatal("written before the flush")
	}
	b.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"one"`) || !strings.Contains(lines[1], `"two"`) {
		t.Fatalf("lines = %q", lines)
	}
}

// newPipe returns a writer whose writes arrive on the channel.
func newPipe() (<-chan string, *chanWriter) {
	c := make(chan string, 8)
	return c, &chanWriter{c: c}
}

type chanWriter struct{ c chan string }

func (w *chanWriter) Write(p []byte) (int, error) {
	w.c <- string(p)
	return len(p), nil
}
