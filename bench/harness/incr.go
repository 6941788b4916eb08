package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/bench/workload"
	"github.com/kiln-build/kiln/internal/artifact"
)

// IncrBegin and IncrEnd delimit the incremental part's section in
// BENCHMARKS.md, so that -only incr replaces it and keeps the others.
const (
	IncrBegin = "<!-- kiln-bench:incr -->"
	IncrEnd   = "<!-- /kiln-bench:incr -->"
)

// IncrChangedMonth is the month (0-based from workload.IncrBegin) whose
// input the incremental benchmark changes.
const IncrChangedMonth = 20

// IncrResult is the incremental benchmark (issue 15): a microbatch fact
// of workload.IncrMonths months built once, one month's input changed,
// then built again incrementally and with --full-refresh.
type IncrResult struct {
	Rows, Months int
	First        *Variant // the first build, on the sources alone (one run)
	Incremental  *Variant // kiln build after the change
	FullRefresh  *Variant // kiln build --full-refresh after the change
	// Messages are the incremental build's node messages, by model.
	Messages map[string]string
	// Digests are the tables' digests (rows and hash) after the
	// incremental build and after the full refresh, by table.
	Digests, FullDigests map[string]string
}

// Ratio is the full refresh's median over the incremental build's.
func (r *IncrResult) Ratio() float64 { return ratioOrInf(r.FullRefresh, r.Incremental) }

// Identical reports whether both builds gave the same tables.
func (r *IncrResult) Identical() bool {
	if len(r.Digests) == 0 || len(r.Digests) != len(r.FullDigests) {
		return false
	}
	for k, v := range r.Digests {
		if r.FullDigests[k] != v {
			return false
		}
	}
	return true
}

// incrTables are the tables compared between the two builds.
var incrTables = []string{"main.fct_sales", "main.sales_monthly"}

// incr generates the incremental workload, builds it once (the template
// every timed build starts from), then times, interleaved, the build
// after one month's input changed and the --full-refresh build after the
// same change; it checks that both give the same tables, row for row.
func (s *suite) incr() error {
	rows := workload.IncrRows
	if s.cfg.Quick {
		rows = 36_000
	}
	p, err := workload.Incr(filepath.Join(s.cfg.Work, "incr"), rows, workload.IncrMonths)
	if err != nil {
		return err
	}
	r := &IncrResult{Rows: rows, Months: workload.IncrMonths}
	end := []string{"--event-time-end", workload.IncrEnd.Format("2006-01-02")}
	sources := filepath.Join(s.cfg.Work, "incr-sources.duckdb")
	built := filepath.Join(s.cfg.Work, "incr-built.duckdb")
	s.logf("incr: %d events over %d months", rows, workload.IncrMonths)
	if err := setupDB(sources, p.Setup); err != nil {
		return err
	}
	k := s.kilns[0]
	r.First = kilnVariant(k, "build (first)", p, append([]string{"build"}, end...)...)
	r.First.Prepare = func() error {
		if err := os.RemoveAll(filepath.Join(p.Dir, "target")); err != nil {
			return err
		}
		return freshDB(sources, p.DBPath)
	}
	if err := r.First.run(); err != nil {
		return err
	}
	if err := copyFile(p.DBPath, built); err != nil {
		return err
	}
	changed := func() error {
		if err := os.RemoveAll(filepath.Join(p.Dir, "target")); err != nil {
			return err
		}
		if err := freshDB(built, p.DBPath); err != nil {
			return err
		}
		return duckdb.ExecFile(context.Background(), p.DBPath, workload.IncrChange(IncrChangedMonth, 1))
	}
	r.Incremental = kilnVariant(k, "build (one month changed)", p, append([]string{"build"}, end...)...)
	r.Incremental.Prepare = changed
	r.FullRefresh = kilnVariant(k, "build --full-refresh (one month changed)", p, append([]string{"build", "--full-refresh"}, end...)...)
	r.FullRefresh.Prepare = changed
	s.logf("incr: 2 variants x %d runs", s.cfg.Runs)
	Alternate(s.logf, s.cfg.Runs, r.Incremental, r.FullRefresh)
	if r.Incremental.Err != nil {
		return r.Incremental.Err
	}
	if r.FullRefresh.Err != nil {
		return r.FullRefresh.Err
	}
	// The check, untimed: each build once more, its tables digested.
	for _, v := range []*Variant{r.Incremental, r.FullRefresh} {
		if err := changed(); err != nil {
			return err
		}
		if _, err := v.measure(); err != nil {
			return err
		}
		d, err := digestTables(p.DBPath, incrTables)
		if err != nil {
			return err
		}
		if v == r.Incremental {
			r.Digests = d
			rr, err := artifact.ReadRunResults(filepath.Join(p.Dir, "target", "run_results.json"))
			if err != nil {
				return err
			}
			r.Messages = map[string]string{}
			for _, res := range rr.Results {
				if res.Message != nil {
					r.Messages[strings.TrimPrefix(string(res.UniqueID), "model.incr.")] = *res.Message
				}
			}
		} else {
			r.FullDigests = d
		}
	}
	s.report.Incr = r
	if !r.Identical() {
		return fmt.Errorf("incr: the incremental build and the full refresh differ: %v and %v", r.Digests, r.FullDigests)
	}
	return nil
}

// copyFile copies the file at from to to.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// digestTables returns, for each table ("schema.name"), its rows' digest
// (the number of rows and the sum of DuckDB's hash of each row: equal
// digests mean the same rows, in any order, with their copies).
func digestTables(path string, tables []string) (map[string]string, error) {
	ctx := context.Background()
	db, err := duckdb.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	out := map[string]string{}
	for _, t := range tables {
		schema, name, _ := strings.Cut(t, ".")
		_, rows, err := c.QueryRows(ctx, db.Dialect().RowsDigest(db.Dialect().SelectAll(adapter.Relation{Schema: schema, Name: name}, "")))
		if err != nil {
			return nil, err
		}
		out[t] = fmt.Sprint(rows[0][0])
	}
	return out, nil
}

// markdownIncr renders the incremental part's section.
func (r *IncrResult) markdown(command string, when time.Time, runs int) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("%s", IncrBegin)
	p("## Incremental builds (issue 15)")
	p("")
	p("Written by `%s` on %s.", command, when.UTC().Format("2006-01-02 15:04 UTC"))
	p("A fact of %s events over %d months (`bench/workload/incr.go`): `fct_sales`, a microbatch model by month joining each event to its product, and `sales_monthly`, a microbatch model by month over it. "+
		"The first build makes the starting database; then one month's input changes (one event in ten of %s gets a larger quantity, one in a hundred is deleted) and the project is built again, "+
		"incrementally and with `--full-refresh`, each from a fresh copy of that database; medians of %d interleaved runs.",
		count(r.Rows), r.Months, workload.IncrBegin.AddDate(0, IncrChangedMonth, 0).Format("January 2006"), runs)
	p("")
	p("| build | command | median | fastest - slowest | CPU | peak RSS |")
	p("|---|---|---:|---:|---:|---:|")
	for _, v := range []*Variant{r.First, r.Incremental, r.FullRefresh} {
		if len(v.Samples) == 0 {
			continue
		}
		lo, hi := v.Spread()
		p("| %s | `%s` | %s | %s - %s | %s | %s |", strings.TrimPrefix(v.Name, "kiln "), v.Display, secs(v.Wall()), secs(lo), secs(hi), secs(v.CPU()), mb(v.RSS()))
	}
	p("")
	met := "no"
	if r.Ratio() >= 10 && r.Identical() {
		met = "**yes**"
	}
	p("| goal | target | measured | met |")
	p("|---|---|---|---|")
	p("| one month changed, against `--full-refresh` | >= 10x faster, identical tables | %.1fx (%s vs %s), tables identical: %v | %s |",
		r.Ratio(), secs(r.Incremental.Wall()), secs(r.FullRefresh.Wall()), r.Identical(), met)
	p("")
	p("The incremental build's messages:")
	p("")
	for _, m := range []string{"fct_sales", "sales_monthly"} {
		p("- `%s`: %s", m, r.Messages[m])
	}
	p("")
	p("Tables after each build (rows and the sum of DuckDB's hash of every row):")
	p("")
	p("| table | one month changed | --full-refresh |")
	p("|---|---|---|")
	for _, t := range incrTables {
		p("| `%s` | `%s` | `%s` |", t, r.Digests[t], r.FullDigests[t])
	}
	p("%s", IncrEnd)
	return b.String()
}

// SpliceIncr returns doc with its incremental section replaced by the one
// of r (appended when doc has none).
func SpliceIncr(doc string, r *Report) string {
	section := r.Incr.markdown(r.Command, r.Started, r.Runs)
	i, j := strings.Index(doc, IncrBegin), strings.Index(doc, IncrEnd)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		return doc + section
	}
	return doc[:i] + section + strings.TrimPrefix(doc[j+len(IncrEnd):], "\n")
}
