package engine

import "sync"

// eventQueue delivers a run's events to the listener on a goroutine of its
// own, in the order they were emitted, while the run's nodes execute: the
// listener's work for a node (its kiln.log lines, its line on the
// terminal, the JSON event log) then overlaps the next node's statement
// instead of preceding it (W1 1,000 at --threads 1: 5,000 events, about
// 0.1 ms each).
//
// What a kill must find stays synchronous (the journal's intents, the
// runs file's progress record: see Run's OnResult). The events lag by at
// most one node: a node starts only once the events of the nodes that
// finished before the last one are delivered (wait), so that kiln.log and
// the terminal are never more than one node behind the database.
type eventQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond // broadcast when events are queued or delivered, or on close
	pending []func()
	queued  uint64 // events queued so far
	done    uint64 // events delivered so far
	closed  bool
	exited  chan struct{}
}

// startEventQueue starts the goroutine that delivers the queued events.
func startEventQueue() *eventQueue {
	q := &eventQueue{exited: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.loop()
	return q
}

// post queues deliver and returns its mark: the count of events queued,
// deliver included (see wait).
func (q *eventQueue) post(deliver func()) uint64 {
	q.mu.Lock()
	q.pending = append(q.pending, deliver)
	q.queued++
	mark := q.queued
	q.mu.Unlock()
	q.cond.Broadcast()
	return mark
}

// mark returns the count of events queued so far.
func (q *eventQueue) mark() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

// wait returns once the events up to mark (a value of post or mark) are
// delivered.
func (q *eventQueue) wait(mark uint64) {
	q.mu.Lock()
	for q.done < mark {
		q.cond.Wait()
	}
	q.mu.Unlock()
}

// close delivers the events still queued and stops the goroutine; the
// events emitted after it are delivered at once (Project.emit).
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
	<-q.exited
}

func (q *eventQueue) loop() {
	defer close(q.exited)
	q.mu.Lock()
	for {
		for len(q.pending) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.pending) == 0 {
			q.mu.Unlock()
			return
		}
		batch := q.pending
		q.pending = nil
		q.mu.Unlock()
		for _, deliver := range batch {
			deliver()
		}
		q.mu.Lock()
		q.done += uint64(len(batch))
		q.cond.Broadcast()
	}
}
