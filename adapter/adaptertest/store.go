package adaptertest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

func testStore(t *testing.T, e *env) {
	c := e.c
	s := c.Store()
	base := time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)

	// An empty database: reading commands find nothing and create nothing.
	if runs, err := s.RecentRuns(ctx, 10); err != nil || len(runs) != 0 {
		t.Fatalf("RecentRuns on an empty database = %v, %v", runs, err)
	}
	if b, err := s.LastMetric(ctx, "", "m"); err != nil || b.Exists {
		t.Fatalf("LastMetric on an empty database = %+v, %v", b, err)
	}
	if k, _ := c.RelationKind(ctx, adapter.Relation{Schema: adapter.HistorySchema, Name: "runs"}); k != "" {
		t.Error("reading the history created its tables")
	}

	// Runs: started, finished with nodes, killed, rolled back.
	rows, fails := int64(825), int64(0)
	for i, id := range []string{"run-1", "run-2"} {
		r := adapter.RunRecord{ID: id, Command: "build", Selection: "--select a+", Started: base.Add(time.Duration(i) * time.Hour),
			Vars: `{"raw_dir":"data/` + id + `"}`}
		if err := s.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Finished, r.Status, r.Nodes, r.Errors = r.Started.Add(time.Minute), "success", 2, 0
		nodes := []adapter.NodeRecord{
			{UniqueID: "model.p.a", Status: "success", Started: r.Started, Seconds: 1.5, Rows: &rows},
			{UniqueID: "test.p.t", Status: "pass", Started: r.Started, Seconds: 0.5, Failures: &fails, Message: "it's fine",
				Metrics: map[string]float64{"baseline_x": float64(100 * (i + 1))}},
		}
		if err := s.FinishRun(ctx, r, nodes); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.StartRun(ctx, adapter.RunRecord{ID: "run-3", Command: "test", Started: base.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	killed, err := s.MarkKilled(ctx, "run-4", base.Add(4*time.Hour))
	if err != nil || !reflect.DeepEqual(killed, []string{"run-3"}) {
		t.Errorf("MarkKilled = %v, %v; want [run-3]", killed, err)
	}
	runs, err := s.RecentRuns(ctx, 2)
	if err != nil || len(runs) != 2 {
		t.Fatalf("RecentRuns(2) = %v, %v", runs, err)
	}
	// run-3 started after run-2: newest first.
	if runs[0].ID != "run-3" || runs[0].Status != "killed" || runs[1].ID != "run-2" || runs[1].Nodes != 2 || runs[1].Selection != "--select a+" ||
		runs[1].Vars != `{"raw_dir":"data/run-2"}` ||
		!runs[1].Finished.Equal(base.Add(time.Hour+time.Minute)) {
		t.Errorf("RecentRuns = %+v", runs)
	}
	b, err := s.LastMetric(ctx, "test.p.t", "baseline_x")
	if err != nil || !b.Exists || b.Value != 200 || b.RunID != "run-2" || !b.At.Equal(base.Add(time.Hour)) {
		t.Errorf("LastMetric = %+v, %v; want 200 of run-2", b, err)
	}
	if b, err := s.LastMetric(ctx, "", "baseline_x"); err != nil || b.Value != 200 {
		t.Errorf("LastMetric(any node) = %+v, %v", b, err)
	}
	if b, err := s.LastMetric(ctx, "test.p.t", "nope"); err != nil || b.Exists {
		t.Errorf("LastMetric(unknown metric) = %+v, %v", b, err)
	}
	if _, err := s.LastMetric(ctx, "", "x'; drop"); err == nil {
		t.Error("LastMetric accepted a metric name with quotes")
	}
	// A failed run is no baseline, even for a node that passed in it.
	r4 := adapter.RunRecord{ID: "run-4e", Command: "build", Started: base.Add(2 * time.Hour), Finished: base.Add(2 * time.Hour), Status: "error"}
	if err := s.FinishRun(ctx, r4, []adapter.NodeRecord{{UniqueID: "test.p.t", Status: "pass", Metrics: map[string]float64{"baseline_x": 500}}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.LastMetric(ctx, "test.p.t", "baseline_x"); b.Value != 200 {
		t.Errorf("after a failed run, the baseline is %v, want 200", b.Value)
	}
	// A run of a flow transaction rolled back is no baseline.
	r5 := adapter.RunRecord{ID: "run-5", Command: "build", Started: base.Add(5 * time.Hour), Finished: base.Add(5 * time.Hour), Status: "success", Txn: "flow-1"}
	if err := s.FinishRun(ctx, r5, []adapter.NodeRecord{{UniqueID: "test.p.t", Status: "pass", Metrics: map[string]float64{"baseline_x": 999}}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.LastMetric(ctx, "test.p.t", "baseline_x"); b.Value != 999 {
		t.Errorf("before the rollback, the baseline is %v, want 999", b.Value)
	}
	if err := s.MarkRolledBack(ctx, "flow-1"); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.LastMetric(ctx, "test.p.t", "baseline_x"); b.Value != 200 {
		t.Errorf("after the rollback, the baseline is %v, want 200", b.Value)
	}

	// State: saved, forgotten, pending in a flow transaction.
	if err := s.SaveState(ctx, "run-1", "", map[string]string{"model.p.a": "fp1", "model.p.b": "fp2"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(ctx, "run-2", "", map[string]string{"model.p.a": "fp1b"}, []string{"model.p.b"}); err != nil {
		t.Fatal(err)
	}
	if st, err := s.LoadState(ctx, ""); err != nil || !reflect.DeepEqual(st, map[string]string{"model.p.a": "fp1b"}) {
		t.Errorf("LoadState = %v, %v", st, err)
	}
	built, err := s.BuiltBy(ctx, []string{"model.p.a", "model.p.b", "model.p.none"})
	if err != nil || len(built) != 1 || built["model.p.a"].ID != "run-2" || built["model.p.a"].Vars != `{"raw_dir":"data/run-2"}` ||
		built["model.p.a"].Command != "build" {
		t.Errorf("BuiltBy = %+v, %v; want model.p.a built by run-2 with its vars", built, err)
	}
	if err := s.OpenTxn(ctx, "flow-2", base); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(ctx, "run-6", "flow-2", map[string]string{"model.p.a": "fp-flow", "model.p.c": "fp3"}, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.LoadState(ctx, ""); !reflect.DeepEqual(st, map[string]string{"model.p.a": "fp1b"}) {
		t.Errorf("outside the flow, LoadState = %v", st)
	}
	if st, _ := s.LoadState(ctx, "flow-2"); !reflect.DeepEqual(st, map[string]string{"model.p.a": "fp-flow", "model.p.c": "fp3"}) {
		t.Errorf("inside the flow, LoadState = %v", st)
	}
	// A later run of the flow builds c again and fails d, which the state
	// knew: both wait for the commit.
	if err := s.SaveState(ctx, "run-6b", "", map[string]string{"model.p.d": "fp4"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(ctx, "run-6c", "flow-2", map[string]string{"model.p.c": "fp3b"}, []string{"model.p.d"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.LoadState(ctx, "flow-2"); !reflect.DeepEqual(st, map[string]string{"model.p.a": "fp-flow", "model.p.c": "fp3b"}) {
		t.Errorf("inside the flow, after its second run, LoadState = %v", st)
	}
	if st, _ := s.LoadState(ctx, ""); !reflect.DeepEqual(st, map[string]string{"model.p.a": "fp1b", "model.p.d": "fp4"}) {
		t.Errorf("outside the flow, after its second run, LoadState = %v", st)
	}

	// Flow transactions, their journal and staged files.
	if st, err := s.TxnStatus(ctx, "flow-2"); err != nil || st != "open" {
		t.Errorf("TxnStatus = %q, %v", st, err)
	}
	if st, _ := s.TxnStatus(ctx, "nope"); st != "" {
		t.Errorf("TxnStatus(unknown) = %q", st)
	}
	if id, err := s.OpenTxnID(ctx); err != nil || id != "flow-2" {
		t.Errorf("OpenTxnID = %q, %v", id, err)
	}
	entries := []adapter.JournalEntry{
		{RunID: "run-6", Seq: 1, Txn: "flow-2", Op: adapter.Moved, Relation: adapter.Relation{Schema: "s", Name: "a"}, Backup: "a__kiln_prev_run6", BackupKind: adapter.Table},
		{RunID: "run-6", Seq: 2, Txn: "flow-2", Op: adapter.Created, Relation: adapter.Relation{Schema: "s", Name: "new"}},
	}
	if err := s.AddJournal(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepJournal(ctx, "run-6"); err != nil {
		t.Fatal(err)
	}
	killedEntry := adapter.JournalEntry{RunID: "run-7", Seq: 1, Op: adapter.RowsCopied, Relation: adapter.Relation{Schema: "s", Name: "inc"}, Backup: "inc__kiln_prev_run7", BackupKind: adapter.Table,
		Where:      "(\"ts\" >= timestamp '2024-02-01 00:00:00' and \"ts\" < timestamp '2024-03-01 00:00:00')",
		Definition: []string{`CREATE TABLE "s"."inc"(id INTEGER PRIMARY KEY, v VARCHAR DEFAULT('it''s; "q"'));`, `CREATE INDEX "i x" ON "s"."inc"(v);`}}
	if err := s.AddJournal(ctx, []adapter.JournalEntry{killedEntry}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Journal(ctx)
	want := []adapter.JournalEntry{killedEntry, entries[1], entries[0]}
	want[1].Done, want[2].Done = true, true
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Journal = %+v, %v; want newest first %+v", got, err, want)
	}
	if err := s.RemoveJournal(ctx, []adapter.JournalEntry{killedEntry}); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Journal(ctx); len(all) != 2 {
		t.Errorf("after RemoveJournal, Journal = %d entries, want 2", len(all))
	}
	// A run's end removes its pending entries, not those it kept for its
	// flow transaction (Done), nor another run's.
	ending := []adapter.JournalEntry{
		{RunID: "run-6", Seq: 3, Txn: "flow-2", Op: adapter.Created, Relation: adapter.Relation{Schema: "s", Name: "later"}},
		{RunID: "run-8", Seq: 1, Op: adapter.Created, Relation: adapter.Relation{Schema: "s", Name: "x"}},
		{RunID: "run-8", Seq: 2, Op: adapter.Moved, Relation: adapter.Relation{Schema: "s", Name: "y"}, Backup: "y__kiln_prev_run8", BackupKind: adapter.View},
	}
	if err := s.AddJournal(ctx, ending); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveRunJournal(ctx, "run-6"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveRunJournal(ctx, "run-8"); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Journal(ctx); !reflect.DeepEqual(all, want[1:]) {
		t.Errorf("after RemoveRunJournal of run-6 and run-8, Journal = %+v, want run-6's kept entries %+v", all, want[1:])
	}
	staged := []adapter.StagedFile{
		{Staged: "/t/.a.csv.kiln-x", Final: "/t/a.csv", Txn: "flow-2", RunID: "run-6", Action: adapter.Hold},
		{Staged: "/t/.b.csv.kiln-y", Final: "/t/b.csv", RunID: "run-9", Action: adapter.Publish},
	}
	if err := s.AddStagedFiles(ctx, staged); err != nil {
		t.Fatal(err)
	}
	if f, err := s.StagedFiles(ctx, "flow-2"); err != nil || !reflect.DeepEqual(f, staged[:1]) {
		t.Errorf("StagedFiles = %v, %v", f, err)
	}
	if f, _ := s.StagedFiles(ctx, ""); !reflect.DeepEqual(f, staged) {
		t.Errorf("StagedFiles(all) = %v", f)
	}
	if err := s.RemoveStagedFiles(ctx, []string{staged[1].Staged}); err != nil {
		t.Fatal(err)
	}
	err = c.Tx(ctx, func() error {
		if err := s.SetStagedFiles(ctx, "flow-2", adapter.Publish); err != nil {
			return err
		}
		return s.CloseTxn(ctx, "flow-2", true)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.TxnStatus(ctx, "flow-2"); st != "committed" {
		t.Errorf("after CloseTxn(commit): %q", st)
	}
	if st, _ := s.LoadState(ctx, ""); !reflect.DeepEqual(st, map[string]string{"model.p.a": "fp-flow", "model.p.c": "fp3b"}) {
		t.Errorf("the committed flow's state = %v", st)
	}
	if j, _ := s.Journal(ctx); len(j) != 0 {
		t.Errorf("the committed flow kept %d journal entries", len(j))
	}
	if f, _ := s.StagedFiles(ctx, ""); len(f) != 1 || f[0].Action != adapter.Publish {
		t.Errorf("the committed flow's staged files are %v, want one to publish", f)
	}
	if id, _ := s.OpenTxnID(ctx); id != "" {
		t.Errorf("OpenTxnID after the commit = %q", id)
	}
	if err := s.OpenTxn(ctx, "flow-3", base); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(ctx, "run-8", "flow-3", map[string]string{"model.p.a": "fp-undone"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseTxn(ctx, "flow-3", false); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.TxnStatus(ctx, "flow-3"); st != "rolled_back" {
		t.Errorf("after CloseTxn(rollback): %q", st)
	}
	if st, _ := s.LoadState(ctx, "flow-3"); st["model.p.a"] != "fp-flow" {
		t.Errorf("the rolled-back flow's state leaked: %v", st)
	}

	// Hashes.
	h := map[string]adapter.FileHash{"/d/erp.xlsx": {Stamp: adapter.FileStamp{Size: 10, ModNs: 2, ChangeNs: 3, Inode: 4}, SHA256: "ab"}}
	if err := s.SaveHashes(ctx, h); err != nil {
		t.Fatal(err)
	}
	h["/d/erp.xlsx"] = adapter.FileHash{Stamp: adapter.FileStamp{Size: 11, ModNs: 5, ChangeNs: 6, Inode: 7}, SHA256: "cd"}
	if err := s.SaveHashes(ctx, h); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LoadHashes(ctx); err != nil || !reflect.DeepEqual(got, h) {
		t.Errorf("LoadHashes = %v, %v; want %v", got, err, h)
	}

	// The store's writes join the connection's transaction.
	boom := errors.New("boom")
	err = c.Tx(ctx, func() error {
		if err := s.SaveState(ctx, "run-9", "", map[string]string{"model.p.z": "fpz"}, nil); err != nil {
			return err
		}
		if err := s.FinishRun(ctx, adapter.RunRecord{ID: "run-9", Command: "build", Started: base, Finished: base, Status: "success"}, nil); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if st, _ := s.LoadState(ctx, ""); st["model.p.z"] != "" {
		t.Error("a rolled-back transaction kept the store's state")
	}
	if runs, _ := s.RecentRuns(ctx, 100); len(runs) != 5 {
		t.Errorf("a rolled-back transaction kept the store's run (%d runs, want 5)", len(runs))
	}
	// A run started again under an id already recorded replaces its row
	// (StartRun's upsert, behind its insert of a new id), and finishing
	// it updates that row, counts included.
	again := adapter.RunRecord{ID: "run-3", Command: "build", Selection: "-s b", Started: base.Add(6 * time.Hour)}
	if err := s.StartRun(ctx, again); err != nil {
		t.Fatal(err)
	}
	runs, err = s.RecentRuns(ctx, 100)
	if err != nil || len(runs) != 5 || runs[0].ID != "run-3" || runs[0].Status != "running" || runs[0].Command != "build" || runs[0].Selection != "-s b" {
		t.Fatalf("RecentRuns after starting run-3 again = %+v, %v", runs, err)
	}
	again.Finished, again.Status, again.Nodes, again.Warnings = again.Started.Add(time.Minute), "success", 7, 2
	if err := s.FinishRun(ctx, again, nil); err != nil {
		t.Fatal(err)
	}
	if runs, err := s.RecentRuns(ctx, 1); err != nil || len(runs) != 1 || runs[0].Status != "success" || runs[0].Nodes != 7 || runs[0].Warnings != 2 ||
		!runs[0].Finished.Equal(base.Add(6*time.Hour+time.Minute)) {
		t.Errorf("RecentRuns after finishing run-3 = %+v, %v", runs, err)
	}
}

// testIntervals covers the interval state of microbatch models: saved,
// replaced by start, read back in order, forgotten per model.
func testIntervals(t *testing.T, e *env) {
	s := e.c.Store()
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	feb, mar := jan.AddDate(0, 1, 0), jan.AddDate(0, 2, 0)
	if ivs, err := s.Intervals(ctx, "model.p.m"); err != nil || len(ivs) != 0 {
		t.Fatalf("Intervals of an unknown model = %v, %v", ivs, err)
	}
	if err := s.SaveIntervals(ctx, "model.p.m", "r1", []adapter.Interval{{Start: feb, End: mar, Digest: "b"}, {Start: jan, End: feb, Digest: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveIntervals(ctx, "model.p.other", "r1", []adapter.Interval{{Start: jan, End: feb, Digest: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveIntervals(ctx, "model.p.m", "r2", []adapter.Interval{{Start: feb, End: mar, Digest: "b2"}}); err != nil {
		t.Fatal(err)
	}
	ivs, err := s.Intervals(ctx, "model.p.m")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, iv := range ivs {
		got = append(got, iv.Start.Format("2006-01")+"/"+iv.End.Format("2006-01")+" "+iv.Digest+" "+iv.RunID)
	}
	if want := []string{"2024-01/2024-02 a r1", "2024-02/2024-03 b2 r2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Intervals = %v, want %v", got, want)
	}
	if err := s.ForgetIntervals(ctx, "model.p.m"); err != nil {
		t.Fatal(err)
	}
	if ivs, _ := s.Intervals(ctx, "model.p.m"); len(ivs) != 0 {
		t.Errorf("ForgetIntervals left %v", ivs)
	}
	if ivs, _ := s.Intervals(ctx, "model.p.other"); len(ivs) != 1 {
		t.Errorf("ForgetIntervals of another model removed %v", ivs)
	}
	// ForgetRunIntervals: by run, and by the runs of a flow transaction.
	if err := s.SaveIntervals(ctx, "model.p.m", "r1", []adapter.Interval{{Start: jan, End: feb, Digest: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveIntervals(ctx, "model.p.m", "r3", []adapter.Interval{{Start: feb, End: mar, Digest: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetRunIntervals(ctx, []string{"r1", "r-none"}, ""); err != nil {
		t.Fatal(err)
	}
	if ivs, _ := s.Intervals(ctx, "model.p.m"); len(ivs) != 1 || ivs[0].RunID != "r3" {
		t.Errorf("ForgetRunIntervals(r1) left %v, want r3's batch only", ivs)
	}
	if ivs, _ := s.Intervals(ctx, "model.p.other"); len(ivs) != 0 {
		t.Errorf("ForgetRunIntervals(r1) left another model's batch of r1: %v", ivs)
	}
	if err := s.StartRun(ctx, adapter.RunRecord{ID: "r3", Command: "build", Started: jan, Status: "running", Txn: "flow-iv"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetRunIntervals(ctx, nil, "flow-iv"); err != nil {
		t.Fatal(err)
	}
	if ivs, _ := s.Intervals(ctx, "model.p.m"); len(ivs) != 0 {
		t.Errorf("ForgetRunIntervals of flow transaction flow-iv left %v", ivs)
	}
}
