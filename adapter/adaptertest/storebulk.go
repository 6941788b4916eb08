package adaptertest

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// testStoreBulk covers the store's writes of many rows at once (the
// journal's intents, a run's fingerprints), which bind their values as
// lists: they must read back exactly as the same rows written one by one.
func testStoreBulk(t *testing.T, e *env) {
	s := e.c.Store()
	const n = 40
	entries := make([]adapter.JournalEntry, n)
	for i := range entries {
		en := adapter.JournalEntry{RunID: "run-b", Seq: int64(i + 1), Op: adapter.Created,
			Relation: adapter.Relation{Schema: "s", Name: fmt.Sprintf("m%02d", i)}}
		switch i % 4 {
		case 1:
			en.Op, en.Backup, en.BackupKind = adapter.Moved, fmt.Sprintf("m%02d__kiln_prev", i), adapter.View
		case 2:
			en.Op, en.Backup, en.BackupKind, en.Where = adapter.RowsCopied, "b'q", adapter.Table, `("ts" >= timestamp '2024-02-01')`
			en.Definition = []string{fmt.Sprintf(`CREATE TABLE "s"."m%02d"(v VARCHAR DEFAULT('x''y'));`, i)}
		case 3:
			en.Txn, en.Done = "flow-b", true
		}
		entries[i] = en
	}
	// One entry of another run, written alone (literal values).
	other := adapter.JournalEntry{RunID: "run-c", Seq: 1, Op: adapter.Created, Relation: adapter.Relation{Schema: "s", Name: "z"}}
	if err := s.AddJournal(ctx, []adapter.JournalEntry{other}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddJournal(ctx, entries); err != nil {
		t.Fatal(err)
	}
	got, err := s.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey(got)
	want := append([]adapter.JournalEntry{other}, entries...)
	byKey(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Journal after writing %d entries at once =\n%+v\nwant\n%+v", n, got, want)
	}
	// Remove 30 of run-b's entries and run-c's one: one call, two runs.
	gone := append([]adapter.JournalEntry{other}, entries[5:35]...)
	if err := s.RemoveJournal(ctx, gone); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Journal(ctx)
	byKey(got)
	want = nil
	for _, i := range []int{0, 1, 2, 3, 4, 35, 36, 37, 38, 39} {
		want = append(want, entries[i])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Journal after removing 31 entries =\n%+v\nwant\n%+v", got, want)
	}

	// Fingerprints of many nodes, then again with some changed and some
	// forgotten; and in a flow transaction.
	built := map[string]string{}
	for i := range n {
		built[fmt.Sprintf("model.p.m%02d", i)] = fmt.Sprintf("fp%d", i)
	}
	if err := s.SaveState(ctx, "run-b", "", built, nil); err != nil {
		t.Fatal(err)
	}
	again := map[string]string{}
	for i := 10; i < n; i++ {
		again[fmt.Sprintf("model.p.m%02d", i)] = fmt.Sprintf("fp%d-2", i)
	}
	if err := s.SaveState(ctx, "run-b2", "", again, []string{"model.p.m00", "model.p.m01"}); err != nil {
		t.Fatal(err)
	}
	wantState := map[string]string{}
	for i := 2; i < n; i++ {
		id := fmt.Sprintf("model.p.m%02d", i)
		wantState[id] = built[id]
		if v, ok := again[id]; ok {
			wantState[id] = v
		}
	}
	if st, err := s.LoadState(ctx, ""); err != nil || !reflect.DeepEqual(st, wantState) {
		t.Errorf("LoadState after two runs of %d nodes = %v, %v\nwant %v", n, st, err, wantState)
	}
	if err := s.OpenTxn(ctx, "flow-b", time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	inFlow := map[string]string{}
	for i := range 20 {
		inFlow[fmt.Sprintf("model.p.m%02d", i)] = fmt.Sprintf("flow%d", i)
	}
	for range 2 { // the second run of the flow replaces the first one's rows
		if err := s.SaveState(ctx, "run-f", "flow-b", inFlow, []string{"model.p.m39"}); err != nil {
			t.Fatal(err)
		}
	}
	wantFlow := map[string]string{}
	for id, fp := range wantState {
		wantFlow[id] = fp
	}
	for id, fp := range inFlow {
		wantFlow[id] = fp
	}
	delete(wantFlow, "model.p.m39")
	if st, err := s.LoadState(ctx, "flow-b"); err != nil || !reflect.DeepEqual(st, wantFlow) {
		t.Errorf("LoadState inside the flow = %v, %v\nwant %v", st, err, wantFlow)
	}
	if st, _ := s.LoadState(ctx, ""); !reflect.DeepEqual(st, wantState) {
		t.Errorf("outside the flow, LoadState = %v\nwant %v", st, wantState)
	}
}

// byKey sorts entries by run, then number.
func byKey(es []adapter.JournalEntry) {
	slices.SortFunc(es, func(a, b adapter.JournalEntry) int {
		return cmp.Or(strings.Compare(a.RunID, b.RunID), cmp.Compare(a.Seq, b.Seq))
	})
}
