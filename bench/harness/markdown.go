package harness

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/bench/workload"
)

// Markdown renders the report as BENCHMARKS.md.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Benchmarks")
	p("")
	p("Written by `%s` on %s (%s of measuring); do not edit: run the command again.", r.Command,
		r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Elapsed.Round(time.Second))
	p("Times are medians of %d runs per command; the runs of the commands compared on a workload are interleaved, so that they share the machine's noise.", r.Runs)
	p("A ratio is kiln's median over the baseline's, measured in the same session: the baseline executes the same compiled statements (models as `create or replace table ... as (...)`, then each model's test queries) in kiln's `--threads 1` order, on one DuckDB connection, with `database/sql` and duckdb-go and nothing else (`bench/cmd/kiln-baseline`).")
	p("Every command is a fresh process; every build starts from a fresh copy of the workload's starting database, with no `target/` folder. CPU is user + system time, peak RSS the process's maximum resident set (getrusage), 1 MB = 10^6 bytes.")
	if r.Quick {
		p("")
		p("**Quick mode**: small workloads and one run; a smoke test of the harness, not a measurement.")
	}
	if r.Compare != "" {
		p("")
		p("`kiln*` is the kiln of `%s`, timed in the same interleaved runs (goals and `--threads` use `kiln` only).", r.Compare)
	}
	if len(r.Errors) > 0 {
		p("")
		p("**Parts of the suite failed** and are missing below:")
		p("")
		for _, e := range r.Errors {
			p("- %s", strings.ReplaceAll(e, "\n", " "))
		}
	}
	p("")
	p("## Machine")
	p("")
	p("| | |\n|---|---|")
	m := r.Machine
	for _, kv := range [][2]string{{"CPU", m.CPU}, {"logical cores", fmt.Sprint(m.Cores)}, {"memory", m.Memory}, {"OS", m.OS},
		{"Go", m.Go}, {"DuckDB", m.DuckDB}, {"kiln commit", m.Commit},
		{"load average (1, 5, 15 min) before / after", m.LoadStart + " / " + m.LoadEnd}} {
		p("| %s | %s |", kv[0], kv[1])
	}
	p("")
	p("## Goals (issue 6)")
	p("")
	p("| goal | target | measured | met |\n|---|---|---|---|")
	for _, g := range r.Goals() {
		p("| %s | %s | %s | %s |", g.What, g.Target, g.Measured, yesNo(g.Met))
	}
	if l := r.Load; l != nil && !r.Quick {
		// Issue 17: at least 4x the rows/s of BENCHMARKS.md at ee540a3,
		// where the loader read each workbook twice (excelize).
		rps := l.RowsPerSecond()
		p("| W3 Excel loading, on its own (issue 17) | >= 4x 15,345 rows/s (ee540a3): %s rows/s | %s rows/s (%s rows in %s), %.1fx | %s |",
			count(4*w3RowsPerSecondBefore), count(int64(rps)), count(l.Rows), secs(l.Variant.Wall()), rps/w3RowsPerSecondBefore, yesNo(rps >= 4*w3RowsPerSecondBefore))
	} else if l != nil {
		p("| W3 Excel loading, on its own | rows per second | %s rows/s (%s rows in %s) | measured |",
			count(int64(l.RowsPerSecond())), count(l.Rows), secs(l.Variant.Wall()))
	}
	means, best := r.ThreadsChoice()
	if best > 0 {
		p("")
		p("## `--threads` default")
		p("")
		p("kiln's time over the baseline's, by `--threads`, on %d logical cores:", m.Cores)
		p("")
		head := "| --threads |"
		sep := "|---:|"
		for _, bd := range r.Builds {
			head += " " + bd.Label + " |"
			sep += "---:|"
		}
		p("%s geometric mean |\n%s---:|", head, sep)
		for _, t := range r.Threads {
			row := fmt.Sprintf("| %d |", t)
			for _, bd := range r.Builds {
				row += " " + ratio(ratioOrInf(bd.Kiln[t], bd.Baseline)) + " |"
			}
			p("%s %s |", row, ratio(means[t]))
		}
		p("")
		p("Best default on this machine: **`--threads %d`** (least geometric mean).", best)
	}
	p("")
	p("## Builds")
	for _, bd := range r.Builds {
		p("")
		p("### %s", bd.Title)
		p("")
		p("%s models and %s data tests: %s statements in the baseline's plan. The overhead per node is kiln's median minus the baseline's, over the models and tests. The paired ratio is the median, over the rounds, of kiln's time over the baseline's in the same round; in brackets, its 95 %% confidence interval (order statistics: from 6 rounds up).", count(bd.Plan.Models), count(bd.Plan.Tests), count(len(bd.Plan.Stmts)))
		p("")
		p("| command | median | fastest - slowest | ratio to baseline | paired ratio | overhead per node | CPU | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|---:|")
		vs := []*Variant{bd.Baseline}
		for _, t := range sortedKeys(bd.Kiln) {
			vs = append(vs, bd.Kiln[t])
		}
		for _, t := range sortedKeys(bd.Compare) {
			vs = append(vs, bd.Compare[t])
		}
		for _, v := range vs {
			if v.Err != nil {
				p("| %s | %s | | | | | | |", v.Name, orFailed(v, ""))
				continue
			}
			lo, hi := v.Spread()
			perNode := float64(v.Wall()-bd.Baseline.Wall()) / float64(time.Millisecond) / float64(bd.Plan.Models+bd.Plan.Tests)
			p("| %s | %s | %s - %s | %s | %s | %+.2f ms | %s | %s |", v.Name, secs(v.Wall()), secs(lo), secs(hi), ratio(v.Ratio(bd.Baseline)),
				pairedCell(v, bd.Baseline), perNode, secs(v.CPU()), mb(v.RSS()))
		}
	}
	if c := r.Compile; c != nil {
		p("")
		p("## Compiling W2, %s models", count(c.Models))
		p("")
		p("`kiln compile` writes one compiled SQL file per node under `target/compiled/` and `target/manifest.json`; the first row starts without `target/`, the second over the previous compile's. `kiln ls` compiles and prints the nodes.")
		p("")
		p("| command | median | fastest - slowest | CPU | peak RSS |\n|---|---:|---:|---:|---:|")
		for _, v := range append([]*Variant{c.Cold, c.Warm, c.Ls}, c.Others...) {
			if v.Err != nil {
				p("| %s | %s | | | |", v.Name, orFailed(v, ""))
				continue
			}
			lo, hi := v.Spread()
			p("| %s | %s | %s - %s | %s | %s |", v.Name, secs(v.Wall()), secs(lo), secs(hi), secs(v.CPU()), mb(v.RSS()))
		}
	}
	if sc := r.ScaleMarkdown(); sc != "" {
		p("")
		b.WriteString(sc)
	}
	if d := r.Docs; d != nil {
		p("")
		p("## Docs of W1, %s models", count(d.Models))
		p("")
		p("`kiln docs generate` after one build of W1 over sources of %s rows: `target/docs/index.html` (the page, with the column lineage of every model) and `target/catalog.json`.", count(docsRows))
		p("")
		p("| command | median | fastest - slowest | CPU | peak RSS |\n|---|---:|---:|---:|---:|")
		for _, v := range append([]*Variant{d.Docs}, d.Others...) {
			if v.Err != nil {
				p("| %s | %s | | | |", v.Name, orFailed(v, ""))
				continue
			}
			lo, hi := v.Spread()
			p("| %s | %s | %s - %s | %s | %s |", v.Name, secs(v.Wall()), secs(lo), secs(hi), secs(v.CPU()), mb(v.RSS()))
		}
	}
	if r.Load != nil {
		r.loadSection(p)
	}
	r.workloadSection(p)
	if r.Anomaly != nil {
		p("")
		b.WriteString(r.Anomaly.Markdown(r.Command))
	}
	if r.Incr != nil {
		p("")
		b.WriteString(r.Incr.markdown(r.Command, r.Started, r.Runs))
	}
	return b.String()
}

// w3RowsPerSecondBefore is W3's Excel loading in BENCHMARKS.md at commit
// ee540a3 (3,833,940 rows in 249.85 s), before kiln's own xlsx reader.
const w3RowsPerSecondBefore = 15345

func (r *Report) loadSection(p func(string, ...any)) {
	l := r.Load
	p("")
	p("## W3: Excel loading on its own")
	p("")
	sheets := "web.xlsx's Sheet1 only (the loader has no `sheet: \"*\"` yet): rows beyond Excel's 1,048,575 are not loaded"
	if l.AllSheets {
		sheets = "every sheet (`sheet: \"*\"`)"
	}
	lo, hi := l.Variant.Spread()
	p("`%s` loads erp.xlsx, liaison.xlsx and web.xlsx of a month of %s products, %s; %d runs.", l.Variant.Display, count(l.Products), sheets, len(l.Variant.Samples))
	p("")
	p("| rows loaded | median | fastest - slowest | rows/s | source nodes' time (last run) | CPU | peak RSS |\n|---:|---:|---:|---:|---:|---:|---:|")
	p("| %s | %s | %s - %s | %s | %s | %s | %s |", count(l.Rows), secs(l.Variant.Wall()), secs(lo), secs(hi), count(int64(l.RowsPerSecond())),
		secs(l.NodeTime), secs(l.Variant.CPU()), mb(l.Variant.RSS()))
	for _, v := range l.Others {
		lo, hi := v.Spread()
		p("| %s (%s) | %s | %s - %s | %s | | %s | %s |", count(l.Rows), v.Name, secs(v.Wall()), secs(lo), secs(hi),
			count(int64(float64(l.Rows)/v.Wall().Seconds())), secs(v.CPU()), mb(v.RSS()))
	}
	if l.Web != nil {
		p("")
		p("web.xlsx alone (`%s`), and the floor: the same sheets decoded into cell values and dropped, as the loader reads them (`kiln-xlsx-floor`, %s), without DuckDB.", l.Web.Display, "bench/cmd/kiln-xlsx-floor")
		p("")
		p("| command | rows | median | fastest - slowest | rows/s | CPU | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|")
		web := l.WebRows()
		line := func(v *Variant, rows int64) {
			if v == nil {
				return
			}
			if v.Err != nil || len(v.Samples) == 0 {
				p("| %s | | %s | | | | |", v.Name, orFailed(v, ""))
				return
			}
			lo, hi := v.Spread()
			p("| %s | %s | %s | %s - %s | %s | %s | %s |", v.Name, count(rows), secs(v.Wall()), secs(lo), secs(hi),
				count(int64(rowsPerSecond(rows, v))), secs(v.CPU()), mb(v.RSS()))
		}
		line(l.Web, web)
		for _, v := range l.WebOthers {
			line(v, web)
		}
		line(l.FloorWeb, web)
		line(l.Floor, l.Rows)
	}
	p("")
	p("| source (last run) | rows | time | rows/s |\n|---|---:|---:|---:|")
	for _, src := range l.Sources {
		p("| %s | %s | %s | %s |", src.ID, count(src.Rows), secs(src.Time), count(int64(float64(src.Rows)/src.Time.Seconds())))
	}
	p("")
	p("<details><summary>The month's reference figures</summary>\n\n%s\n</details>", strings.TrimSpace(l.Figures))
}

func (r *Report) workloadSection(p func(string, ...any)) {
	p("")
	p("## Workloads and commands")
	p("")
	p("Generated by `bench/workload`, deterministically:")
	p("")
	p("- **W1**: a DAG of N table models in %d layers over %d source tables (id, k, a, b, c) made by SQL set-up statements into a template database that every run starts from a copy of. A model reads 1 to 3 upstream nodes, one in the layer above: with one it selects computed columns or aggregates by k and joins the aggregate back, with two or three it joins them on id; every table keeps the sources' row count. Each model has a `not_null` test on id, every other one also `unique`.", workload.W1Depth, workload.W1Sources)
	p("- **W2**: N table models in layers of %d; each selects three values from one or two parents (literals in the first layer), one row each; YAML documentation, no tests. Building it is kiln's per-node overhead; compiling it is the compiler's speed.", workload.W2Width)
	p("- **W3**: the repository's BottleNeck project (`sheet: \"*\"` when supported) on a month generated by `internal/sample`, cached; the sources are loaded once by the Excel loading benchmark, and the builds compared run the models and data tests only (`--exclude` %s: the seeds are loaded into the template too; the exports, an Excel workbook among them, and the unit tests, on fixtures, have no baseline).", displayArgs(W3Excludes))
	p("")
	p("Commands, run in each project's directory (the baseline in its own folder, with its plan):")
	p("")
	p("```")
	seen := map[string]bool{}
	line := func(v *Variant) {
		if v != nil && !seen[v.Display] {
			seen[v.Display] = true
			p("%s", v.Display)
		}
	}
	if c := r.Compile; c != nil {
		line(c.Cold)
		line(c.Ls)
	}
	if r.Load != nil {
		line(r.Load.Variant)
		line(r.Load.Web)
		line(r.Load.FloorWeb)
		line(r.Load.Floor)
	}
	if r.Docs != nil {
		line(r.Docs.Docs)
	}
	for _, bd := range r.Builds {
		line(bd.Baseline)
		for _, t := range sortedKeys(bd.Kiln) {
			line(bd.Kiln[t])
		}
	}
	p("```")
}

func sortedKeys[V any](m map[int]V) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// pairedCell is v's paired ratio to base, with its 95 % interval when
// there are rounds enough: "1.031x (0.990-1.062)".
func pairedCell(v, base *Variant) string {
	cell := ratio(v.PairedRatio(base))
	if lo, hi, _ := v.PairedInterval(base, 0.95); !math.IsNaN(lo) {
		cell += fmt.Sprintf(" (%.3f-%.3f)", lo, hi)
	}
	return cell
}
