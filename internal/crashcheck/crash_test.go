//go:build unix

package crashcheck

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/sample"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// The crash test kills kiln with SIGKILL at every failpoint (package
// failpoint), in turn, as SQLite tests its journal: a build of a second
// month over the first, a build that fails and rolls back, a flow
// transaction's task, commit and rollback, and the recovery itself. After
// each kill it runs the recovery (the next build, stopped by a failpoint
// as soon as it has recovered, or the transaction command again) and
// checks that the tables (row counts and checksums), the export files
// (bytes) and the up-to-date state are exactly those before the killed
// command or exactly those after it, with nothing left over (no previous
// version kept aside, no journal entry, no staged export). It then builds
// the other month and checks that the build reaches that month's state
// exactly: a state that claimed UP-TO-DATE over other input files would
// keep the wrong month's tables.

const dbFile = "bottleneck.duckdb"

var (
	m1 = []string{"--vars", "{raw_dir: data/m1, month: '2020-08', correction: true}", "--threads", "2"}
	m2 = []string{"--vars", "{raw_dir: data/m2, month: '2020-08', correction: true}", "--threads", "2"}
	// m2Fails builds the second month with a row_count bound it fails:
	// the run rolls back.
	m2Fails = []string{"--vars", "{raw_dir: data/m2, month: '2020-08', correction: true, min_products: 100000}", "--threads", "2"}
	// The months: the second differs from the first in every table and
	// export, within BottleNeck's deviation gates both ways (joined
	// products within 10%, revenue within 15%), so that the deviation
	// tests pass whichever month was built last.
	month1 = sample.DefaultConfig()
	month2 = sample.Config{Products: sample.DefaultProducts + 2, Seed: sample.DefaultSeed + 9}
)

// world is what every case starts from: the binary, a project built on
// the first month (before), and the snapshots of both months.
type world struct {
	bin           string
	base          string // the project, built on m1
	before, after *Snapshot
	counts        map[failpoint.Point]int // hits of each point in a build of m2 over m1
	// baseDB is, on PostgreSQL, the database of base (built on m1): each
	// case builds in a copy of it; "" on DuckDB, whose file is in base.
	baseDB string
}

// project returns a copy of the world's project built on m1, for one case
// (its database with it: the DuckDB file, or a copy of the PostgreSQL
// database).
func (w *world) project(t *testing.T) Kiln {
	t.Helper()
	k := Kiln{Bin: w.bin, Dir: filepath.Join(t.TempDir(), "p")}
	if err := CopyTree(w.base, k.Dir); err != nil {
		t.Fatal(err)
	}
	if w.baseDB != "" {
		var err error
		if k.Database, err = PostgresTarget(k.Dir, pgtest.Clone(t, w.baseDB), 2); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// The worlds, on DuckDB and on PostgreSQL, each made once by the first
// test that needs it.
type worldOnce struct {
	once sync.Once
	w    *world
	err  error
}

var (
	duckWorld, pgWorld worldOnce
	binOnce            sync.Once
	theBin             string
	binErr             error
	worldDir           string
)

// TestMain removes the folder of the worlds the tests share, and stops
// the PostgreSQL server if one started.
func TestMain(m *testing.M) {
	code := pgtest.Wrap(m).Run()
	if worldDir != "" {
		os.RemoveAll(worldDir)
	}
	worldDirs.removeAll()
	os.Exit(code)
}

// setup returns the DuckDB world.
func setup(t *testing.T) *world {
	t.Helper()
	duckWorld.once.Do(func() { duckWorld.w, duckWorld.err = makeWorld(nil) })
	if duckWorld.err != nil {
		t.Fatal(duckWorld.err)
	}
	return duckWorld.w
}

// setupPostgres returns the world on the package's throwaway PostgreSQL
// server (skipped, or failed in CI, when PostgreSQL is not installed).
func setupPostgres(t *testing.T) *world {
	t.Helper()
	s := pgtest.Start(t)
	pgWorld.once.Do(func() { pgWorld.w, pgWorld.err = makeWorld(s) })
	if pgWorld.err != nil {
		t.Fatal(pgWorld.err)
	}
	return pgWorld.w
}

// makeWorld builds the kiln binary (once for both worlds) and the
// project on each month, in DuckDB files, or, with server, in databases
// of that PostgreSQL server.
func makeWorld(server *pgtest.Server) (*world, error) {
	binOnce.Do(func() {
		if worldDir, binErr = os.MkdirTemp("", "kiln-crash-"); binErr == nil {
			theBin, binErr = BuildKiln("../..", worldDir)
		}
	})
	if binErr != nil {
		return nil, binErr
	}
	tmp, err := os.MkdirTemp(worldDir, "world-")
	if err != nil {
		return nil, err
	}
	bin := theBin
	w := &world{bin: bin, base: filepath.Join(tmp, "base")}
	if err := checkMonths(tmp); err != nil {
		return nil, err
	}
	if err := NewProject("../..", w.base, map[string]sample.Config{"m1": month1, "m2": month2}); err != nil {
		return nil, err
	}
	k := Kiln{Bin: bin, Dir: w.base}
	if server != nil {
		if w.baseDB, err = server.CreateDatabase(""); err != nil {
			return nil, err
		}
		if k.Database, err = PostgresTarget(w.base, server.DSN(w.baseDB), 2); err != nil {
			return nil, err
		}
	}
	if err := runOK(k, append([]string{"build"}, m1...)...); err != nil {
		return nil, err
	}
	if w.before, err = k.Snapshot(dbFile); err != nil {
		return nil, err
	}
	// The second month, with a log of the failpoints it reaches.
	k2 := Kiln{Bin: bin, Dir: filepath.Join(tmp, "after")}
	if err := CopyTree(w.base, k2.Dir); err != nil {
		return nil, err
	}
	if server != nil {
		db, err := server.CreateDatabase(w.baseDB)
		if err != nil {
			return nil, err
		}
		if k2.Database, err = PostgresTarget(k2.Dir, server.DSN(db), 2); err != nil {
			return nil, err
		}
	}
	log := filepath.Join(tmp, "points.log")
	k2.Env = []string{failpoint.LogVar + "=" + log}
	if err := runOK(k2, append([]string{"build"}, m2...)...); err != nil {
		return nil, err
	}
	if w.after, err = k2.Snapshot(dbFile); err != nil {
		return nil, err
	}
	if w.counts, err = readLog(log); err != nil {
		return nil, err
	}
	if w.before.Diff(w.after) == "" || len(w.before.Leftovers)+len(w.after.Leftovers) > 0 {
		return nil, fmt.Errorf("the two months give the same state, or leave leftovers:\n%v\n%v", w.before.Leftovers, w.after.Leftovers)
	}
	return w, nil
}

func runOK(k Kiln, args ...string) error {
	r, err := k.Run("", args...)
	if err == nil && (r.Killed || r.Code != 0) {
		err = fmt.Errorf("kiln %s: exit %d\n%s", strings.Join(args, " "), r.Code, r.Output)
	}
	return err
}

// checkMonths fails when the two months deviate beyond BottleNeck's gates
// (models/marts/_marts.yml): a change of the sample generator must pick
// another second month.
func checkMonths(dir string) error {
	e1, err := sample.Generate(filepath.Join(dir, "check1"), month1)
	if err != nil {
		return err
	}
	e2, err := sample.Generate(filepath.Join(dir, "check2"), month2)
	if err != nil {
		return err
	}
	change := func(a, b float64) float64 { return math.Abs(b-a) / math.Min(a, b) * 100 }
	if e1.Joined == e2.Joined || change(float64(e1.Joined), float64(e2.Joined)) >= 10 ||
		change(float64(e1.TotalRevenueCents), float64(e2.TotalRevenueCents)) >= 15 {
		return fmt.Errorf("the months deviate too much, or not at all: %d and %d joined products, revenue %s and %s",
			e1.Joined, e2.Joined, e1.TotalRevenue(), e2.TotalRevenue())
	}
	return nil
}

func readLog(path string) (map[failpoint.Point]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	counts := map[failpoint.Point]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		counts[failpoint.Point(sc.Text())]++
	}
	return counts, sc.Err()
}

func mustRun(t *testing.T, k Kiln, want int, point, cmd string, args ...string) Result {
	t.Helper()
	r, err := k.Run(point, append([]string{cmd}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Killed || r.Code != want {
		t.Fatalf("kiln %s %s (failpoint %q): exit %d (killed %v), want %d\n%s", cmd, strings.Join(args, " "), point, r.Code, r.Killed, want, r.Output)
	}
	return r
}

var (
	killedMu sync.Mutex
	// killedAt are the failpoints at which a case killed kiln, by database
	// type ("" for DuckDB).
	killedAt = map[string]map[failpoint.Point]bool{}
)

// mustKill runs kiln with failpoint point and fails unless the failpoint
// killed it.
func mustKill(t *testing.T, k Kiln, point, cmd string, args ...string) {
	t.Helper()
	r, err := k.Run(point, append([]string{cmd}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Killed {
		t.Fatalf("kiln %s never reached failpoint %s (exit %d)\n%s", cmd, point, r.Code, r.Output)
	}
	killedMu.Lock()
	if killedAt[k.Database.Type] == nil {
		killedAt[k.Database.Type] = map[failpoint.Point]bool{}
	}
	killedAt[k.Database.Type][failpoint.Point(strings.Split(point, ":")[0])] = true
	killedMu.Unlock()
}

// mustRecover runs cmd (with the second month's vars), which recovers
// first, and stops it once it has (failpoint run.recovered). kiln run,
// test and seed refuse (exit 2) after the recovery when the tables they
// read were built with other vars (the first month's, when the recovery
// restored them): that refusal is accepted, once the output shows the
// recovery was made before it.
//
// It reports whether the command recorded itself in the run history (a
// refused command does not).
func mustRecover(t *testing.T, k Kiln, cmd string) (recorded bool) {
	t.Helper()
	r, err := k.Run(string(failpoint.RunRecovered), append([]string{cmd}, m2...)...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Killed {
		return true
	}
	if cmd == "build" || r.Code != 2 || !strings.Contains(r.Output, "were built with other vars") {
		t.Fatalf("kiln %s never reached failpoint run.recovered (exit %d)\n%s", cmd, r.Code, r.Output)
	}
	return false
}

// recoverers are the commands that recover before they run nodes.
var recoverers = []string{"build", "run", "test", "seed"}

// a case kills a command at a failpoint; prepare runs first (from the
// project built on m1), kill is the killed command, then recover and
// expect say what must follow.
type crashCase struct {
	name    string
	prepare func(t *testing.T, k Kiln)
	point   string // name[:count]
	cmd     []string
	// recover runs after the kill; nil: a build of m2 stopped once it has
	// recovered (failpoint run.recovered).
	recover func(t *testing.T, k Kiln)
	// want is the state after the recovery: "before", "after" or "" for
	// either.
	want string
	// says is what the recovery's output must hold ("" nothing).
	says string
}

func TestCrashAtEveryFailpoint(t *testing.T) {
	w := setup(t)
	cases := crashCases(w)
	runCrashCases(t, w, cases)
	var missed []string
	for _, p := range failpoint.All {
		if !killedAt[""][p] {
			missed = append(missed, string(p))
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("no case was killed at %s", strings.Join(missed, ", "))
	}
	t.Logf("%d cases over %d failpoints", len(cases), len(failpoint.All))
}

// onPostgres are the cases of the crash test that run against PostgreSQL
// too (by name, without the hit count): a kill in each phase of a build
// (inside a node's transaction, after its commit, at each step of the
// publication), of a failing build's rollback, of the recovery itself,
// and of a flow transaction's task, commit and rollback.
var onPostgres = map[string]bool{
	"build/node.prepared": true, "build/node.committed": true, "build/publish.start": true,
	"build/publish.backups-dropped": true, "build/publish.committed": true, "build/export.renamed": true,
	"failing build/rollback.undone": true, "failing build/rollback.committed": true,
	"recovery/recover.undone":  true,
	"flow task/node.committed": true, "flow task/publish.recorded": true,
	"flow commit/txn.commit.committed": true, "flow rollback/txn.rollback.undone": true,
}

// TestCrashOnPostgres is the crash test against a real PostgreSQL server
// (a throwaway cluster, internal/testenv/pgtest): BottleNeck built in a
// database of its own, each case in a copy of it, killed at the failpoints
// of onPostgres, and the same checks: after the recovery the tables (row
// counts and checksums, read from the server), the exports and the
// up-to-date state are exactly those before the killed command or exactly
// those after it, with nothing left over, and the next build of the other
// month reaches that month's state.
func TestCrashOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds BottleNeck on PostgreSQL about 50 times")
	}
	w := setupPostgres(t)
	var cases []crashCase
	for _, c := range crashCases(w) {
		if name, _, _ := strings.Cut(c.name, ":"); onPostgres[name] {
			cases = append(cases, c)
		}
	}
	runCrashCases(t, w, cases)
	for name := range onPostgres {
		point := failpoint.Point(name[strings.Index(name, "/")+1:])
		if !killedAt["postgres"][point] {
			t.Errorf("no case was killed at %s on PostgreSQL", name)
		}
	}
	t.Logf("%d cases on PostgreSQL", len(cases))
}

// crashCases are the cases of the crash test on the world w.
func crashCases(w *world) []crashCase {
	build := append([]string{"build"}, m2...)
	var cases []crashCase
	// A build of the second month, killed at each point it reaches, at the
	// first, a middle and the last hit of points reached more than once.
	for _, p := range failpoint.All {
		n := w.counts[p]
		for _, c := range hitsToTry(n) {
			cases = append(cases, crashCase{name: "build/" + pointAt(p, c), point: pointAt(p, c), cmd: build})
		}
	}
	failing := append([]string{"build"}, m2Fails...)
	for _, p := range []failpoint.Point{failpoint.NodeCommitted, failpoint.PublishStart, failpoint.RollbackFilesDiscarded, failpoint.RollbackUndone, failpoint.RollbackCommitted, failpoint.RunRecorded} {
		cases = append(cases, crashCase{name: "failing build/" + string(p), point: string(p), cmd: failing, want: "before"})
	}
	// The recovery killed in turn: undoing a killed run, and finishing the
	// renames of a run killed after its commit.
	cases = append(cases,
		crashCase{name: "recovery/" + string(failpoint.RecoverUndone), point: pointAt(failpoint.NodeCommitted, 3), cmd: build, want: "before",
			recover: func(t *testing.T, k Kiln) {
				mustKill(t, k, string(failpoint.RecoverUndone), "build", m2...)
				mustKill(t, k, string(failpoint.RunRecovered), "build", m2...)
			}},
		crashCase{name: "recovery/" + string(failpoint.ExportRenamed), point: string(failpoint.PublishCommitted), cmd: build, want: "after",
			recover: func(t *testing.T, k Kiln) {
				mustKill(t, k, pointAt(failpoint.ExportRenamed, 2), "build", m2...)
				mustKill(t, k, string(failpoint.RunRecovered), "build", m2...)
			}})
	// A flow transaction: its task killed, then rolled back; its commit
	// and its rollback killed at each point, then run again.
	txn := append([]string{"build", "--transaction", "flow-1"}, m2...)
	openTxn := func(t *testing.T, k Kiln) { mustRun(t, k, 0, "", txn[0], txn[1:]...) }
	// again runs the transaction command again; it must say that it was
	// done already when the killed one had passed its point of no return.
	again := func(action string, already bool) func(t *testing.T, k Kiln) {
		return func(t *testing.T, k Kiln) {
			r := mustRun(t, k, 0, "", "transaction", action, "flow-1")
			if strings.Contains(r.Output, "already") != already {
				t.Errorf("kiln transaction %s again (already done: %v) says:\n%s", action, already, r.Output)
			}
		}
	}
	for _, c := range []int{1, w.counts[failpoint.NodeCommitted]} {
		cases = append(cases, crashCase{name: "flow task/" + pointAt(failpoint.NodeCommitted, c), point: pointAt(failpoint.NodeCommitted, c), cmd: txn,
			recover: again("rollback", false), want: "before"})
	}
	// kiln show reads the tables: after a kill it must first restore them,
	// never show a killed run's half-replaced ones (found by a new user).
	cases = append(cases, crashCase{name: "show/" + pointAt(failpoint.NodeCommitted, 3), point: pointAt(failpoint.NodeCommitted, 3), cmd: build, want: "before",
		recover: func(t *testing.T, k Kiln) {
			r := mustRun(t, k, 0, "", "show", "-s", "kpi_summary")
			if !strings.Contains(r.Output, "restored") {
				t.Errorf("kiln show after a killed build does not say it restored the tables:\n%s", r.Output)
			}
		}})
	cases = append(cases, crashCase{name: "flow task/" + string(failpoint.PublishRecorded), point: string(failpoint.PublishRecorded), cmd: txn,
		recover: func(t *testing.T, k Kiln) {
			openTxn(t, k) // the task again, then the flow's commit
			again("commit", false)(t, k)
		}, want: "after"})
	exports := w.counts[failpoint.ExportRenamed]
	for i, p := range []string{string(failpoint.TxnCommitRecorded), string(failpoint.TxnCommitCommitted), pointAt(failpoint.ExportRenamed, 1),
		pointAt(failpoint.ExportRenamed, exports), string(failpoint.TxnCommitDone)} {
		cases = append(cases, crashCase{name: "flow commit/" + p, prepare: openTxn, point: p, cmd: []string{"transaction", "commit", "flow-1"},
			recover: again("commit", i > 0), want: "after"})
	}
	for i, p := range []string{string(failpoint.TxnRollbackUndone), string(failpoint.TxnRollbackCommitted), pointAt(failpoint.FileRemoved, 1),
		pointAt(failpoint.FileRemoved, exports)} {
		cases = append(cases, crashCase{name: "flow rollback/" + p, prepare: openTxn, point: p, cmd: []string{"transaction", "rollback", "flow-1"},
			recover: again("rollback", i > 0), want: "before"})
	}

	return cases
}

// runCrashCases runs the cases on the world w, in parallel.
func runCrashCases(t *testing.T, w *world, cases []crashCase) {
	// The build of the other month after the recovery checks that the
	// state left by the recovery decides what is up to date as a normal
	// build's does; it is run once per kind of case and state reached
	// (the snapshot, state included, is compared in every case).
	var mu sync.Mutex
	checked := map[string]bool{}
	t.Run("cases", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				k := w.project(t)
				if c.prepare != nil {
					c.prepare(t, k)
				}
				mustKill(t, k, c.point, c.cmd[0], c.cmd[1:]...)
				killedRun := 1 // in the history, newest first: the recovery, then the killed run
				if c.recover != nil {
					c.recover(t, k)
				} else {
					// The next command of any kind that runs nodes recovers
					// first; it is stopped once it has, or, for a command
					// other than build, refused after the recovery when the
					// tables it reads were built with the other month's vars.
					if !mustRecover(t, k, recoverers[i%len(recoverers)]) {
						killedRun = 0
					}
				}
				got, err := k.Snapshot(dbFile)
				if err != nil {
					t.Fatal(err)
				}
				which, err := Which(got, w.before, w.after)
				if err != nil {
					t.Fatalf("after the recovery: %v", err)
				}
				if c.recover == nil && c.point == string(failpoint.RunStarting) {
					// Killed before it opened the database: nothing to
					// recover, and no run in the history (no phantom).
					if which != "before" || len(got.Runs) != len(w.before.Runs)+killedRun {
						t.Errorf("a run killed before it opened the database leaves the project as %s it and %d runs in the history, want before and %d",
							which, len(got.Runs), len(w.before.Runs)+killedRun)
					}
				} else if c.recover == nil {
					// The killed run's history agrees: it committed, or it is
					// recorded as killed (or failed, when its rollback had
					// committed).
					killed := got.Runs[killedRun].Status
					if which == "after" && killed != "success" || which == "before" && killed != "killed" && killed != "error" {
						t.Errorf("the killed run is recorded as %s, and the project is as %s it", killed, which)
					}
				}
				if c.want != "" && which != c.want {
					t.Fatalf("after the recovery the project is as %s the run, want %s", which, c.want)
				}
				kind := strings.Split(c.name, "/")[0] + " " + which
				mu.Lock()
				done := checked[kind]
				checked[kind] = true
				mu.Unlock()
				if done {
					return
				}
				// The other month's build reaches that month's state exactly:
				// nothing is UP-TO-DATE over other input files.
				other, want := m1, w.before
				if which == "before" {
					other, want = m2, w.after
				}
				mustRun(t, k, 0, "", "build", other...)
				final, err := k.Snapshot(dbFile)
				if err != nil {
					t.Fatal(err)
				}
				if d := final.Diff(want); d != "" || len(final.Leftovers) > 0 {
					t.Fatalf("the build after the recovery (state %s) does not reach the other month's state:\n%s\n%v", which, d, final.Leftovers)
				}
			})
		}
	})
}

// hitsToTry returns the hits at which to kill a point reached n times:
// the first and the last.
func hitsToTry(n int) []int {
	switch n {
	case 0:
		return nil
	case 1:
		return []int{1}
	}
	return []int{1, n}
}

func pointAt(p failpoint.Point, count int) string {
	if count <= 1 {
		return string(p)
	}
	return fmt.Sprintf("%s:%d", p, count)
}
