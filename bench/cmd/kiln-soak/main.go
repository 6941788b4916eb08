// Command kiln-soak kills kiln at random instants and checks that every
// kill leaves exactly the state before the killed command or exactly the
// state after it (issue 11): the tables' row counts and checksums, the
// export files' bytes and the up-to-date state, with nothing left over.
// It complements the crash test (internal/crashcheck, one SIGKILL at each
// failpoint, in go test): here the instants are random, so they fall
// where no failpoint is.
//
// Run it from the repository root:
//
//	go run ./bench/cmd/kiln-soak                       # 200 builds and 50 transaction commands killed, on 15,000 products
//	go run ./bench/cmd/kiln-soak -builds 20 -txns 5 -products 2000   # a shorter soak
//
// Each round of the build soak builds the month the project does not
// hold (two months alternate), sends SIGKILL after a random delay
// between 0 and the time a build takes, recovers (the next build, stopped
// by a failpoint as soon as it has recovered), and compares the project
// with the states of both months. The transaction soak builds the other
// month in a flow transaction, runs kiln transaction commit or rollback,
// kills it at a random instant, runs it again, and checks that the
// project is exactly the committed month or exactly the month before.
// The interrupt soak (-interrupts N) sends SIGINT or SIGTERM to builds at
// random instants and checks, with no recovery, that kiln exits with 130
// and leaves exactly one of the two months, with nothing left over.
// It prints its counts and exits 1 when a state was mixed.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kiln-build/kiln/internal/crashcheck"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/sample"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const dbFile = "bottleneck.duckdb"

// soak is the state of a soak: the project, both months' snapshots and
// which month the project holds.
type soak struct {
	k      crashcheck.Kiln
	states [2]*crashcheck.Snapshot // after a build of month 0, of month 1 (over the other)
	vars   [2][]string
	holds  int // the month the project holds
	rng    *rand.Rand
	log    io.Writer
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kiln-soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	repo := fs.String("repo", ".", "kiln's repository root")
	work := fs.String("work", filepath.Join(os.TempDir(), "kiln-soak"), "scratch folder (emptied first)")
	builds := fs.Int("builds", 200, "builds to kill")
	txns := fs.Int("txns", 50, "transaction commits and rollbacks to kill")
	interrupts := fs.Int("interrupts", 0, "builds to interrupt (SIGINT or SIGTERM in turn) at random instants")
	products := fs.Int("products", 15000, "ERP products of each month")
	seed := fs.Uint64("seed", 1, "seed of the random instants")
	threads := fs.Int("threads", 4, "--threads of the builds")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s, err := setup(*repo, *work, *products, *threads, *seed, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "kiln-soak:", err)
		return 1
	}
	mixed := 0
	if *builds > 0 {
		n, err := s.killBuilds(*builds, stdout)
		mixed += n
		if err != nil {
			fmt.Fprintln(stderr, "kiln-soak:", err)
			return 1
		}
	}
	if *interrupts > 0 {
		n, err := s.interruptBuilds(*interrupts, stdout)
		mixed += n
		if err != nil {
			fmt.Fprintln(stderr, "kiln-soak:", err)
			return 1
		}
	}
	if *txns > 0 {
		n, err := s.killTransactions(*txns, stdout)
		mixed += n
		if err != nil {
			fmt.Fprintln(stderr, "kiln-soak:", err)
			return 1
		}
	}
	if mixed > 0 {
		return 1
	}
	return 0
}

func setup(repo, work string, products, threads int, seed uint64, log io.Writer) (*soak, error) {
	if err := os.RemoveAll(work); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "building kiln and generating two months of %d products in %s\n", products, work)
	bin, err := crashcheck.BuildKiln(repo, work)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "project")
	// Two months 2% apart: within BottleNeck's deviation gates both ways.
	err = crashcheck.NewProject(repo, dir, map[string]sample.Config{
		"m0": {Products: products, Seed: sample.DefaultSeed},
		"m1": {Products: products + products/50, Seed: sample.DefaultSeed + 1},
	})
	if err != nil {
		return nil, err
	}
	s := &soak{k: crashcheck.Kiln{Bin: bin, Dir: dir}, rng: rand.New(rand.NewPCG(seed, 11)), log: log}
	th := fmt.Sprint(threads)
	for m := range 2 {
		s.vars[m] = []string{"--vars", fmt.Sprintf("{raw_dir: data/m%d}", m), "--threads", th}
	}
	// The reference states: month 0, month 1 over it, month 0 again over
	// month 1 (the state each month's build reaches over the other).
	for _, m := range []int{0, 1, 0} {
		if err := s.build(m); err != nil {
			return nil, err
		}
		if s.states[m], err = s.k.Snapshot(dbFile); err != nil {
			return nil, err
		}
	}
	s.holds = 0
	return s, nil
}

// build builds month m to the end.
func (s *soak) build(m int) error {
	r, err := s.k.Run("", append([]string{"build"}, s.vars[m]...)...)
	if err != nil {
		return err
	}
	if r.Code != 0 || r.Killed {
		return fmt.Errorf("kiln build of month %d: exit %d\n%s", m, r.Code, r.Output)
	}
	return nil
}

// timed runs kiln args to the end and returns how long it took.
func (s *soak) timed(args ...string) (time.Duration, error) {
	start := time.Now()
	r, err := s.k.Run("", args...)
	if err != nil {
		return 0, err
	}
	if r.Code != 0 || r.Killed {
		return 0, fmt.Errorf("kiln %s: exit %d\n%s", strings.Join(args, " "), r.Code, r.Output)
	}
	return time.Since(start), nil
}

// killAfter starts kiln args, sends SIGKILL after delay, and reports
// whether the kill ended it (false: it finished first).
func (s *soak) killAfter(delay time.Duration, args ...string) (bool, crashcheck.Result, error) {
	p, err := s.k.Start(args...)
	if err != nil {
		return false, crashcheck.Result{}, err
	}
	timer := time.AfterFunc(delay, func() { p.Signal(syscall.SIGKILL) })
	r, err := p.Wait()
	timer.Stop()
	return r.Killed, r, err
}

// which compares the project with the states of the month it held
// (before) and of month target (after); mixed is false when it is
// exactly one of them.
func (s *soak) which(target int) (after bool, mixed error) {
	got, err := s.k.Snapshot(dbFile)
	if err != nil {
		return false, err
	}
	w, err := crashcheck.Which(got, s.states[s.holds], s.states[target])
	if err != nil {
		return false, err
	}
	return w == "after", nil
}

func (s *soak) killBuilds(n int, out io.Writer) (mixed int, err error) {
	// A build of the other month, to the end, gives the range of delays.
	d, err := s.timed(append([]string{"build"}, s.vars[1-s.holds]...)...)
	if err != nil {
		return 0, err
	}
	s.holds = 1 - s.holds
	max := d + d/5
	fmt.Fprintf(s.log, "build soak: a build takes %.1f s; killing %d builds at random instants in [0, %.1f s]\n", d.Seconds(), n, max.Seconds())
	started, finished, before, after := 0, 0, 0, 0
	for kills := 0; kills < n; {
		target := 1 - s.holds
		delay := time.Duration(s.rng.Int64N(int64(max)))
		started++
		killed, r, err := s.killAfter(delay, append([]string{"build"}, s.vars[target]...)...)
		if err != nil {
			return mixed, err
		}
		if !killed {
			if r.Code != 0 {
				return mixed, fmt.Errorf("a build that was not killed exited %d:\n%s", r.Code, r.Output)
			}
			finished++
			s.holds = target
			continue
		}
		kills++
		// The recovery: the next build, stopped once it has recovered.
		rr, err := s.k.Run(string(failpoint.RunRecovered), append([]string{"build"}, s.vars[target]...)...)
		if err != nil {
			return mixed, err
		}
		if !rr.Killed {
			return mixed, fmt.Errorf("the recovery build did not stop at %s (exit %d):\n%s", failpoint.RunRecovered, rr.Code, rr.Output)
		}
		isAfter, werr := s.which(target)
		switch {
		case werr != nil:
			mixed++
			fmt.Fprintf(s.log, "MIXED after a kill at %.3f s: %v\n", delay.Seconds(), werr)
			// Go on from a consistent state: the next build finishes it.
			if err := s.build(target); err != nil {
				return mixed, err
			}
			s.holds = target
		case isAfter:
			after++
			s.holds = target
		default:
			before++
		}
		if kills%20 == 0 {
			fmt.Fprintf(s.log, "  %d kills: %d as before the run, %d as after it, %d mixed\n", kills, before, after, mixed)
		}
	}
	fmt.Fprintf(out, "builds: %d SIGKILLs at random instants (%d builds started, %d finished before their kill); after the recovery: %d exactly as before the run, %d exactly as after it, %d mixed\n",
		n, started, finished, before, after, mixed)
	return mixed, nil
}

func (s *soak) killTransactions(n int, out io.Writer) (mixed int, err error) {
	// One flow transaction committed to the end gives the range of delays.
	target := 1 - s.holds
	if _, err := s.timed(append([]string{"build", "--transaction", "soak-0"}, s.vars[target]...)...); err != nil {
		return 0, err
	}
	d, err := s.timed("transaction", "commit", "soak-0")
	if err != nil {
		return 0, err
	}
	s.holds = target
	max := d + d/5
	fmt.Fprintf(s.log, "transaction soak: a commit takes %.2f s; killing %d commits and rollbacks at random instants in [0, %.2f s]\n", d.Seconds(), n, max.Seconds())
	counts := map[string]int{}
	started := 0
	for kills := 0; kills < n; {
		target := 1 - s.holds
		id := fmt.Sprintf("soak-%d", started+1)
		if _, err := s.timed(append([]string{"build", "--transaction", id}, s.vars[target]...)...); err != nil {
			return mixed, err
		}
		action := "commit"
		if s.rng.IntN(2) == 1 {
			action = "rollback"
		}
		delay := time.Duration(s.rng.Int64N(int64(max)))
		started++
		killed, r, err := s.killAfter(delay, "transaction", action, id)
		if err != nil {
			return mixed, err
		}
		if killed {
			kills++
			counts[action+" killed"]++
			// The command again, to the end.
			if r, err = s.k.Run("", "transaction", action, id); err != nil {
				return mixed, err
			}
		} else {
			counts[action+" finished first"]++
		}
		if r.Code != 0 || r.Killed {
			return mixed, fmt.Errorf("kiln transaction %s %s: exit %d\n%s", action, id, r.Code, r.Output)
		}
		isAfter, werr := s.which(target)
		switch {
		case werr != nil:
			mixed++
			fmt.Fprintf(s.log, "MIXED after a kill of %s at %.3f s: %v\n", action, delay.Seconds(), werr)
			return mixed, fmt.Errorf("stopping: the state is mixed")
		case isAfter != (action == "commit"):
			mixed++
			fmt.Fprintf(s.log, "WRONG after a kill of %s at %.3f s: the project is as %s the flow\n", action, delay.Seconds(), map[bool]string{true: "after", false: "before"}[isAfter])
		case isAfter:
			s.holds = target
			if killed {
				counts["commit killed, published"]++
			}
		case killed:
			counts["rollback killed, restored"]++
		}
	}
	fmt.Fprintf(out, "transactions: %d SIGKILLs at random instants (%d commits killed, %d rollbacks killed; %d commits and %d rollbacks finished before their kill); run again, %d killed commits published exactly the flow's month and %d killed rollbacks restored exactly the month before; %d mixed or wrong\n",
		n, counts["commit killed"], counts["rollback killed"], counts["commit finished first"], counts["rollback finished first"],
		counts["commit killed, published"], counts["rollback killed, restored"], mixed)
	return mixed, nil
}

// interruptBuilds sends SIGINT and SIGTERM, in turn, to n builds at
// random instants; each must exit with 130 and leave the project exactly
// as before the build or exactly as after it, with no recovery: an
// interrupted kiln finishes or undoes its run itself.
func (s *soak) interruptBuilds(n int, out io.Writer) (mixed int, err error) {
	d, err := s.timed(append([]string{"build"}, s.vars[1-s.holds]...)...)
	if err != nil {
		return 0, err
	}
	s.holds = 1 - s.holds
	max := d + d/5
	fmt.Fprintf(s.log, "interrupt soak: a build takes %.1f s; interrupting %d builds at random instants in [0, %.1f s]\n", d.Seconds(), n, max.Seconds())
	started, finished, before, after := 0, 0, 0, 0
	for sent := 0; sent < n; {
		target := 1 - s.holds
		sig := syscall.SIGINT
		if started%2 == 1 {
			sig = syscall.SIGTERM
		}
		delay := time.Duration(s.rng.Int64N(int64(max)))
		started++
		p, err := s.k.Start(append([]string{"build"}, s.vars[target]...)...)
		if err != nil {
			return mixed, err
		}
		signalled := make(chan bool, 1)
		timer := time.AfterFunc(delay, func() { signalled <- p.Signal(sig) == nil })
		r, err := p.Wait()
		if !timer.Stop() && <-signalled && r.Code == 130 {
			sent++
		} else {
			if err == nil && r.Code != 0 {
				err = fmt.Errorf("a build %s after %.3f s exited %d (killed %v):\n%s", sig, delay.Seconds(), r.Code, r.Killed, r.Output)
			}
			if err != nil {
				return mixed, err
			}
			finished++ // it ended before the signal
			s.holds = target
			continue
		}
		isAfter, werr := s.which(target)
		switch {
		case werr != nil:
			mixed++
			fmt.Fprintf(s.log, "MIXED after %s at %.3f s: %v\n%s\n", sig, delay.Seconds(), werr, r.Output)
			if err := s.build(target); err != nil {
				return mixed, err
			}
			s.holds = target
		case isAfter:
			after++
			s.holds = target
		default:
			before++
		}
		if sent%20 == 0 {
			fmt.Fprintf(s.log, "  %d interrupts: %d as before the run, %d as after it, %d mixed\n", sent, before, after, mixed)
		}
	}
	fmt.Fprintf(out, "interrupts: %d SIGINT/SIGTERM at random instants, each exit 130 (%d builds started, %d finished before the signal); with no recovery: %d exactly as before the run, %d exactly as after it, %d mixed\n",
		n, started, finished, before, after, mixed)
	return mixed, nil
}
