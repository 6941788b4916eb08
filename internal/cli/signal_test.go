//go:build unix

package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter/duckdb"
)

// These tests run the real kiln binary on a copy of BottleNeck with one
// more model, int_slow, that runs for hours when the var slow_n is large:
// a build is interrupted while int_slow runs (SIGINT, SIGTERM) or killed
// (SIGKILL), and two builds start at once. They check what issue 7 asks:
// exit code 130, run_results.json with int_slow interrupted and the rest
// skipped, every table and export as before, and a next build that works;
// the second of two builds fails fast with exit code 2 and changes nothing.

// slowVars makes int_slow run for hours (10^16 pairs).
const slowVars = "{slow_n: 100000000}"

// deadline bounds how long a build may take to react (to a signal, to a
// lock); past it the test fails instead of hanging. It is generous: the
// point is "it stops", not a benchmark.
const deadline = 20 * time.Second

// buildKiln builds the kiln program into the test's temporary folder
// and returns its path.
func buildKiln(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kiln")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kiln")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestInterruptAndLock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary and runs builds of several seconds")
	}
	bin := buildKiln(t)
	t.Run("SIGINT", func(t *testing.T) { testInterrupt(t, bin, syscall.SIGINT) })
	t.Run("SIGTERM", func(t *testing.T) { testInterrupt(t, bin, syscall.SIGTERM) })
	t.Run("SIGKILL", func(t *testing.T) { testKill(t, bin) })
	t.Run("two builds at once", func(t *testing.T) { testLock(t, bin) })
	t.Run("a lock held for a moment, with --retries", func(t *testing.T) { testLockRetry(t, bin) })
	t.Run("kiln runs during a build", func(t *testing.T) { testRunsDuringBuild(t, bin) })
}

// While a build holds the database, kiln runs lists the history from the
// copy the build keeps beside it: the earlier build, and this one running
// with the nodes it finished so far; once the build ends, the database's
// history again.
func testRunsDuringBuild(t *testing.T, bin string) {
	dir, index, total := slowProject(t, bin)
	first := lastInvocation(t, dir)
	p := startSlow(t, bin, dir)
	p.waitRunning(t, index, total)
	code, out, errOut := kiln(t, dir, "runs")
	if code != ExitOK {
		t.Fatalf("kiln runs during a build exited %d, want 0\n%s%s", code, out, errOut)
	}
	t.Logf("kiln runs during the build:\n%s%s", errOut, out)
	pid := fmt.Sprintf("(PID %d)", p.cmd.Process.Pid)
	if !strings.Contains(errOut, "the database is held by") || !strings.Contains(errOut, pid) || !strings.Contains(errOut, "bottleneck.duckdb.runs.json") {
		t.Errorf("kiln runs does not say the build %s holds the database and where the copy is:\n%s", pid, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("kiln runs listed %d lines, want a header and 2 runs:\n%s", len(lines), out)
	}
	running := strings.Fields(lines[1])
	if running[4] != "build" || running[5] != "running" || running[6] != fmt.Sprintf("%d/%d", index, total) {
		t.Errorf("the build in progress is listed as %q, want build running %d/%d", lines[1], index, total)
	}
	done := strings.Fields(lines[2])
	if !strings.HasPrefix(first, done[0]) || done[5] != "success" || done[6] != fmt.Sprint(total) {
		t.Errorf("the first build (%s, %d nodes) is listed as %q", first, total, lines[2])
	}
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, deadline); code != ExitInterrupted {
		t.Fatalf("the build exited %d, want %d", code, ExitInterrupted)
	}
	code, out, errOut = kiln(t, dir, "runs")
	if code != ExitOK || strings.Contains(errOut, "held by") {
		t.Fatalf("kiln runs after the build exited %d:\n%s%s", code, out, errOut)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || strings.Fields(lines[1])[5] != "interrupted" {
		t.Errorf("after the build, kiln runs lists:\n%s", out)
	}
}

// With --retries, a build waits for a database that another build holds
// for a moment, then runs.
func testLockRetry(t *testing.T, bin string) {
	dir, index, total := slowProject(t, bin)
	first := startSlow(t, bin, dir)
	first.waitRunning(t, index, total)
	second := startKiln(t, bin, dir, "build", "--threads", "1", "--retries", "5")
	// Once the second build has met the lock, the first one lets go.
	second.waitFor(t, second.stderr, "the second build to meet the lock", func(out string) bool {
		return strings.Contains(out, "RETRY the database is locked (attempt 1 of 6)")
	})
	first.signal(t, syscall.SIGINT)
	first.wait(t, deadline)
	code := second.wait(t, deadline)
	msg := second.stderr.String()
	if code != ExitOK {
		t.Fatalf("the waiting build exited %d, want 0\n%s", code, msg)
	}
	if !strings.Contains(msg, "RETRY the database is locked (attempt 1 of 6)") {
		t.Errorf("the waiting build does not show its retries:\n%s", msg)
	}
}

// slowProject is a BottleNeck project with int_slow, built once (fast):
// it returns the folder, the position of int_slow in a --threads 1 build
// and the build's number of nodes.
func slowProject(t *testing.T, bin string) (dir string, index, total int) {
	t.Helper()
	dir, _ = newProject(t)
	copyFile(t, filepath.Join("testdata", "signal", "int_slow.sql"), filepath.Join(dir, "models", "intermediate", "int_slow.sql"))
	fastBuild(t, bin, dir, "the first build")
	rr := readResults(t, dir)
	for i, r := range rr.Results {
		if strings.HasSuffix(r.UniqueID, ".int_slow") {
			return dir, i, len(rr.Results)
		}
	}
	t.Fatal("int_slow is not in run_results.json")
	return
}

func testInterrupt(t *testing.T, bin string, sig syscall.Signal) {
	dir, index, total := slowProject(t, bin)
	before := snapshot(t, dir)
	p := startSlow(t, bin, dir)
	p.waitRunning(t, index, total)
	sent := time.Now()
	p.signal(t, sig)
	code := p.wait(t, deadline)
	t.Logf("%s: kiln exited %d %.2fs after the signal", sig, code, time.Since(sent).Seconds())
	if code != ExitInterrupted {
		t.Errorf("exit code %d after %s, want %d\n%s", code, sig, ExitInterrupted, p.stderr.String())
	}
	checkInterruptedResults(t, dir, index, total)
	checkSame(t, before, snapshot(t, dir), sameExports)
	// The next build works and leaves the same tables (a workbook's bytes
	// hold the time it was written: exports are not compared).
	fastBuild(t, bin, dir, "the build after "+sig.String())
	checkSame(t, before, snapshot(t, dir), 0)
}

func testKill(t *testing.T, bin string) {
	dir, index, total := slowProject(t, bin)
	before := snapshot(t, dir)
	p := startSlow(t, bin, dir)
	p.waitRunning(t, index, total)
	p.signal(t, syscall.SIGKILL)
	p.wait(t, deadline)
	// DuckDB replays its WAL on open: the committed state is there, the
	// transaction int_slow was in is not.
	checkSame(t, before, snapshot(t, dir), sameExports|allowPrev)
	killed := lastInvocation(t, dir)
	// Before anything restores it, kiln runs shows the run as killed.
	out, err := exec.Command(bin, "--project-dir", dir, "runs").CombinedOutput()
	if err != nil || !strings.Contains(string(out), killed[:8]) || !strings.Contains(string(out), "killed*") {
		t.Errorf("kiln runs after SIGKILL (%v) does not show %s as killed*:\n%s", err, killed[:8], out)
	}
	fastBuild(t, bin, dir, "the build after SIGKILL")
	checkSame(t, before, snapshot(t, dir), 0)
	// The killed run is in the history under its own id, with its command
	// and start, as killed.
	got := query(t, dir, "select command || ' ' || status || ' ' || (started_at < finished_at) from kiln_history.runs where run_id = '"+killed+"'")
	if got != "build killed true" {
		t.Errorf("the killed run %s is recorded as %q, want \"build killed true\"", killed, got)
	}
}

// lastInvocation returns the invocation id of the last run_started event
// of target/kiln.log.
func lastInvocation(t *testing.T, dir string) string {
	t.Helper()
	id := ""
	for _, line := range strings.Split(string(readFile(t, filepath.Join(dir, "target", "kiln.log"))), "\n") {
		var ev struct {
			Event string `json:"event"`
			ID    string `json:"invocation_id"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Event == "run_started" {
			id = ev.ID
		}
	}
	if id == "" {
		t.Fatal("no run_started event in target/kiln.log")
	}
	return id
}

func testLock(t *testing.T, bin string) {
	dir, index, total := slowProject(t, bin)
	before := snapshot(t, dir)
	first := startSlow(t, bin, dir)
	first.waitRunning(t, index, total)
	files := targetFiles(t, dir)
	second := startKiln(t, bin, dir, "build", "--threads", "1")
	started := time.Now()
	code := second.wait(t, deadline)
	msg := second.stderr.String()
	t.Logf("the second build exited %d after %.2fs:\n%s", code, time.Since(started).Seconds(), msg)
	if code != ExitCannotStart {
		t.Errorf("the second build exited %d, want %d\n%s", code, ExitCannotStart, msg)
	}
	pid := fmt.Sprintf("PID %d", first.cmd.Process.Pid)
	if !strings.Contains(msg, "is locked by") || !strings.Contains(msg, pid) {
		t.Errorf("the second build's message does not say the database is locked by %s:\n%s", pid, msg)
	}
	if strings.Count(msg, "wait for it to finish") > 1 {
		t.Errorf("the lock message repeats its advice:\n%s", msg)
	}
	// While it waited, it said once, at once, which run it waited for.
	waiting := "waiting for the build of " + pid + " (started "
	if strings.Count(msg, waiting) != 1 || !strings.Contains(msg, "`kiln runs` shows it) to release ") ||
		strings.Index(msg, waiting) > strings.Index(msg, "is locked by") {
		t.Errorf("the second build does not say once, before giving up, that it waits for the build of %s:\n%s", pid, msg)
	}
	// The second build changed nothing under target/: not the manifest, not
	// the compiled SQL, not run_results.json.
	checkSameFiles(t, "the locked-out build", files, targetFiles(t, dir))
	first.signal(t, syscall.SIGINT)
	if code := first.wait(t, deadline); code != ExitInterrupted {
		t.Errorf("the first build exited %d after SIGINT, want %d", code, ExitInterrupted)
	}
	checkSame(t, before, snapshot(t, dir), sameExports)
	fastBuild(t, bin, dir, "the build after the lock")
}

// checkInterruptedResults reads run_results.json of an interrupted
// --threads 1 build: the nodes before int_slow ran, int_slow is an error
// that says it was interrupted, every node after it is skipped, and a
// skipped node does not blame a node that was itself only skipped.
func checkInterruptedResults(t *testing.T, dir string, index, total int) {
	t.Helper()
	rr := readResults(t, dir)
	if rr.Args["vars"] != slowVars {
		t.Fatalf("run_results.json is not the interrupted build's (args %v)", rr.Args)
	}
	if len(rr.Results) != total {
		t.Errorf("%d results, want %d", len(rr.Results), total)
	}
	status := map[string]string{}
	for _, r := range rr.Results {
		status[r.UniqueID] = r.Status
	}
	for i, r := range rr.Results {
		msg := ""
		if r.Message != nil {
			msg = *r.Message
		}
		switch {
		case i < index && r.Status == "skipped":
			t.Errorf("%s, before int_slow, was skipped: %s", r.UniqueID, msg)
		case i == index && (!strings.HasSuffix(r.UniqueID, ".int_slow") || r.Status != "error" || !strings.Contains(msg, "interrupt")):
			t.Errorf("result %d: %s %s %q, want int_slow error interrupted", i, r.UniqueID, r.Status, msg)
		case i > index && r.Status != "skipped":
			t.Errorf("%s, after int_slow, is %s, want skipped", r.UniqueID, r.Status)
		case i > index && !strings.Contains(msg, "interrupt") && !strings.Contains(msg, "int_slow"):
			t.Errorf("%s is skipped with %q: it names neither the interruption nor int_slow", r.UniqueID, msg)
		}
	}
}

// fastBuild runs a build with int_slow fast and fails unless it exits 0.
func fastBuild(t *testing.T, bin, dir, what string) {
	t.Helper()
	p := startKiln(t, bin, dir, "build", "--threads", "1")
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("%s exited %d:\n%s", what, code, p.stderr.String())
	}
}

// tableState is what a build must leave as it was: the row count of every
// table (the run history and the journal's __kiln_prev copies aside) and
// the sha256 of every export.
type tableState struct {
	rows    map[string]int64
	exports map[string]string
	prev    []string // journal copies left behind (after SIGKILL)
}

func snapshot(t *testing.T, dir string) tableState {
	t.Helper()
	ctx := context.Background()
	db, err := duckdb.Open(ctx, filepath.Join(dir, "target", "bottleneck.duckdb"))
	if err != nil {
		t.Fatalf("open the database after the run: %v", err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, tables, err := c.QueryRows(ctx, `select schema_name, table_name from duckdb_tables() where schema_name <> 'kiln_history' order by all`)
	if err != nil {
		t.Fatal(err)
	}
	s := tableState{rows: map[string]int64{}, exports: map[string]string{}}
	for _, tb := range tables {
		name := fmt.Sprintf("%s.%s", tb[0], tb[1])
		if strings.HasSuffix(name, "__kiln_prev") {
			s.prev = append(s.prev, name)
			continue
		}
		n, err := c.QueryInt(ctx, fmt.Sprintf(`select count(*) from "%s"."%s"`, tb[0], tb[1]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s.rows[name] = n
	}
	s.exports = snapshotExports(t, dir)
	return s
}

// snapshotExports returns the sha256 of every export of dir, by name.
func snapshotExports(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	exports := filepath.Join(dir, "target", "exports")
	entries, _ := os.ReadDir(exports)
	for _, e := range entries {
		out[e.Name()] = fileSum(t, filepath.Join(exports, e.Name()))
	}
	return out
}

// What checkSame compares besides the tables.
const (
	sameExports = 1 << iota // the exports' bytes
	allowPrev               // journal copies may remain (a killed run leaves them for the next run to restore)
)

// checkSame compares two states.
func checkSame(t *testing.T, before, after tableState, how int) {
	t.Helper()
	for name, n := range before.rows {
		if m, ok := after.rows[name]; !ok {
			t.Errorf("table %s is gone", name)
		} else if m != n {
			t.Errorf("table %s has %d rows, had %d", name, m, n)
		}
	}
	for name := range after.rows {
		if _, ok := before.rows[name]; !ok {
			t.Errorf("table %s appeared", name)
		}
	}
	if len(after.prev) > 0 && how&allowPrev == 0 {
		t.Errorf("journal copies left behind: %v", after.prev)
	}
	if how&sameExports != 0 && fmt.Sprint(before.exports) != fmt.Sprint(after.exports) {
		t.Errorf("exports changed:\nbefore %v\nafter  %v", before.exports, after.exports)
	}
}

// targetFiles returns the sha256 of every file under target/ but the
// database and its WAL, which the running build owns.
func targetFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	root := filepath.Join(dir, "target")
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "bottleneck.duckdb") {
			return err
		}
		r, _ := filepath.Rel(root, p)
		out[r] = fileSum(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func checkSameFiles(t *testing.T, who string, before, after map[string]string) {
	t.Helper()
	var changed []string
	for p, sum := range after {
		if before[p] != sum {
			changed = append(changed, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			changed = append(changed, p+" (removed)")
		}
	}
	if sort.Strings(changed); len(changed) > 0 {
		t.Errorf("%s changed files under target/: %s", who, strings.Join(changed, ", "))
	}
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

type runResultsFile struct {
	Args    map[string]any `json:"args"`
	Results []struct {
		UniqueID string  `json:"unique_id"`
		Status   string  `json:"status"`
		Message  *string `json:"message"`
	} `json:"results"`
}

func readResults(t *testing.T, dir string) runResultsFile {
	t.Helper()
	var rr runResultsFile
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "run_results.json")), &rr); err != nil {
		t.Fatal(err)
	}
	return rr
}

// kilnProc is a kiln process with its stdout and stderr captured as they
// come.
type kilnProc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

func startKiln(t *testing.T, bin, dir string, args ...string) *kilnProc {
	t.Helper()
	return startKilnEnv(t, bin, dir, nil, args...)
}

// startKilnEnv is startKiln with more environment variables (NAME=value).
func startKilnEnv(t *testing.T, bin, dir string, env []string, args ...string) *kilnProc {
	t.Helper()
	p := &kilnProc{stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"--project-dir", dir}, args...)...)
	p.cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// startSlow starts a --threads 1 build in which int_slow runs for hours,
// its events as JSON lines on stdout (--log-format json), so that the
// test can wait for them.
func startSlow(t *testing.T, bin, dir string) *kilnProc {
	return startKiln(t, bin, dir, "build", "--threads", "1", "--vars", slowVars, "--log-format", "json")
}

// waitFor waits until done(the text of b) holds, each time b is written
// to; it fails the test when the process ends first, or after two
// minutes.
func (p *kilnProc) waitFor(t *testing.T, b *syncBuffer, what string, done func(string) bool) {
	t.Helper()
	limit := time.After(2 * time.Minute)
	for {
		out, changed := b.snapshot()
		if done(out) {
			return
		}
		select {
		case <-changed:
		case <-p.done:
			if out, _ := b.snapshot(); done(out) {
				return
			}
			t.Fatalf("kiln ended (%v) before %s:\n%s\n%s", p.err, what, p.stdout.String(), p.stderr.String())
		case <-limit:
			t.Fatalf("no %s after 2 minutes:\n%s\n%s", what, p.stdout.String(), p.stderr.String())
		}
	}
}

// waitRunning waits for the node_started event of int_slow, the node
// after the index-th of a build started with startSlow, and checks that
// the index nodes before it had finished.
func (p *kilnProc) waitRunning(t *testing.T, index, total int) {
	t.Helper()
	started := func(out string) bool {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, `"event":"node_started"`) && strings.Contains(line, `.int_slow"`) {
				return true
			}
		}
		return false
	}
	p.waitFor(t, p.stdout, "node_started event of int_slow", started)
	if n := strings.Count(p.stdout.String(), `"event":"node_finished"`); n != index {
		t.Fatalf("%d nodes finished when int_slow started, want %d of %d:\n%s", n, index, total, p.stdout.String())
	}
}

func (p *kilnProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait returns the exit code (-1 when a signal killed the process); past
// limit it kills the process and fails.
func (p *kilnProc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("kiln did not exit within %v:\n%s", limit, p.stderr.String())
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatal(p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec and
// the test's reads.
// syncBuffer is a buffer written by a process and read by the test; each
// write closes the channel that snapshot returned, so the test waits for
// output instead of sleeping.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// snapshot returns the text so far and a channel closed at the next
// write.
func (s *syncBuffer) snapshot() (string, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.changed
}
