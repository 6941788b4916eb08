package ui

import (
	"io"
	"sync"
	"time"
)

// BatchWriter writes what is written to it to an underlying writer in
// batches: a Write is kept in memory and the batch goes out in one Write
// at most interval after the first Write it holds, when it reaches
// batchMax bytes, or at Flush or Close. Writes of whole lines stay whole
// (a batch is their concatenation), so a JSON-lines log keeps one object
// per line, written by one write(2) with the lines before and after it.
//
// A run logs two lines a node to kiln.log; written one by one, that is
// two write(2) calls a node, 5,000 for 2,500 nodes, each 5-20 µs on the
// CI's virtual machine, on the run's critical path. What a kill (SIGKILL)
// loses is at most interval of lines; kiln's own exit, an interrupt
// included, flushes. Safe for concurrent use.
type BatchWriter struct {
	mu       sync.Mutex
	w        io.Writer
	buf      []byte
	interval time.Duration
	timer    *time.Timer // armed while buf holds a batch
	err      error
	closed   bool
}

// batchMax is the size at which a batch is written at once.
const batchMax = 64 << 10

// NewBatchWriter returns a BatchWriter writing to w in batches at most
// interval apart.
func NewBatchWriter(w io.Writer, interval time.Duration) *BatchWriter {
	return &BatchWriter{w: w, interval: interval}
}

// Write keeps p for the next batch. It returns the error of an earlier
// batch's write, if any (then p is dropped).
func (b *BatchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.closed {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	switch {
	case len(b.buf) >= batchMax:
		b.flushLocked()
	case b.timer == nil:
		b.timer = time.AfterFunc(b.interval, b.timed)
	}
	return len(p), nil
}

// timed writes the batch when its interval is over.
func (b *BatchWriter) timed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	b.flushLocked()
}

// Flush writes the batch now and returns the first write error so far.
func (b *BatchWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

// Close flushes the batch and stops batching: later writes go straight
// to the underlying writer. It does not close that writer.
func (b *BatchWriter) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	return b.err
}

// flushLocked writes the batch; call it with b.mu held.
func (b *BatchWriter) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) == 0 || b.err != nil {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil {
		b.err = err
	}
	b.buf = b.buf[:0]
}
