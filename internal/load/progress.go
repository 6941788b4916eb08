package load

import (
	"sync/atomic"
	"time"
)

// Progress is the state of a load, as Spec.Progress receives it.
type Progress struct {
	Path    string        // the input file, as in Spec.Path
	Rows    int64         // data rows read so far
	Elapsed time.Duration // since the rows started streaming
	// Share is the part of the file read so far, from 0 to 1: of the
	// compressed sheet data for xlsx, of the bytes for CSV.
	Share float64
	Done  bool // the last call: every row was read
}

// RowsPerSecond returns the rows read per second so far, 0 at the start.
func (p Progress) RowsPerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Rows) / p.Elapsed.Seconds()
}

// progressEvery is the least interval between two calls of
// Spec.Progress.
const progressEvery = 200 * time.Millisecond

// meter counts the rows of a load and reports them to a Progress
// callback, at most every progressEvery; it is used from one goroutine.
type meter struct {
	fn    func(Progress)
	path  string
	total int64         // the bytes to read
	read  *atomic.Int64 // the bytes read so far
	rows  int64
	start time.Time
	last  time.Time
}

// newMeter returns a meter for fn (nil: none) over total bytes, of which
// read counts those read so far.
func newMeter(fn func(Progress), path string, total int64, read *atomic.Int64) *meter {
	now := time.Now()
	return &meter{fn: fn, path: path, total: total, read: read, start: now, last: now}
}

// add counts n rows more.
func (m *meter) add(n int) {
	if m == nil {
		return
	}
	m.rows += int64(n)
	if m.fn == nil {
		return
	}
	if now := time.Now(); now.Sub(m.last) >= progressEvery {
		m.last = now
		m.fn(m.state(now, false))
	}
}

// done reports the end of the rows.
func (m *meter) done() {
	if m != nil && m.fn != nil {
		m.fn(m.state(time.Now(), true))
	}
}

func (m *meter) state(now time.Time, done bool) Progress {
	p := Progress{Path: m.path, Rows: m.rows, Elapsed: now.Sub(m.start), Done: done}
	if done {
		p.Share = 1
	} else if m.total > 0 {
		p.Share = min(1, float64(m.read.Load())/float64(m.total))
	}
	return p
}
