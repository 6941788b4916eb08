package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/bench/baseline"
	"github.com/kiln-build/kiln/bench/workload"
	"github.com/kiln-build/kiln/internal/artifact"
)

// compileBench times kiln compile, without a target folder and over the
// one of a previous compile, and kiln ls, on W2 with n models.
func (s *suite) compileBench(n int) error {
	p, err := workload.W2(filepath.Join(s.cfg.Work, fmt.Sprintf("w2-%d", n)), n)
	if err != nil {
		return err
	}
	s.logf("compile and ls on %d models, %d runs", n, s.cfg.Runs)
	target := filepath.Join(p.Dir, "target")
	r := &CompileResult{Models: n}
	var all []*Variant
	for i, k := range s.kilns {
		cold := kilnVariant(k, "compile (no target/)", p, "compile")
		cold.Prepare = func() error { return s.setAside(target) }
		warm := kilnVariant(k, "compile (again)", p, "compile")
		warm.Prepare = func() error {
			if _, err := os.Stat(filepath.Join(target, "manifest.json")); err == nil {
				return nil
			}
			_, err := warm.measure()
			return err
		}
		ls := kilnVariant(k, "ls", p, "ls")
		if i == 0 {
			r.Cold, r.Warm, r.Ls = cold, warm, ls
		} else {
			r.Others = append(r.Others, cold, warm, ls)
		}
		all = append(all, cold, warm, ls)
	}
	Alternate(s.logf, s.cfg.Runs, all...)
	s.report.Compile = r
	return nil
}

// buildBench times the baseline and kiln build with each --threads value
// on p, each starting from a copy of template ("" for an empty database).
// selects and excludes restrict both sides to the same nodes.
func (s *suite) buildBench(label, title string, p *workload.Project, template string, selects, excludes []string) error {
	plan, err := baseline.Compile(p.Dir, p.Vars, selects, excludes)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.cfg.Work, "baseline-"+label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	planPath, dbPath := filepath.Join(dir, "plan.json"), filepath.Join(dir, "baseline.duckdb")
	if err := plan.Write(planPath); err != nil {
		return err
	}
	base := &Variant{Name: "baseline", Dir: dir, Argv: []string{s.baseline, "-db", dbPath, "-plan", planPath},
		Display: "kiln-baseline -db baseline.duckdb -plan plan.json",
		Prepare: func() error { return freshDB(template, dbPath) }}
	r := &BuildResult{Label: label, Title: title, Project: p, Plan: plan, Baseline: base, Kiln: map[int]*Variant{}, Compare: map[int]*Variant{}}
	vs := []*Variant{base}
	for i, k := range s.kilns {
		for _, t := range s.cfg.Threads {
			args := []string{"build", "--threads", strconv.Itoa(t)}
			for _, sel := range selects {
				args = append(args, "--select", sel)
			}
			for _, ex := range excludes {
				args = append(args, "--exclude", ex)
			}
			v := kilnVariant(k, fmt.Sprintf("build --threads %d", t), p, args...)
			v.Prepare = func() error {
				if err := s.setAside(filepath.Join(p.Dir, "target")); err != nil {
					return err
				}
				return freshDB(template, p.DBPath)
			}
			if i == 0 {
				r.Kiln[t] = v
			} else {
				r.Compare[t] = v
			}
			vs = append(vs, v)
		}
	}
	s.logf("%s: %d statements, %d variants x %d runs", label, len(plan.Stmts), len(vs), s.cfg.Runs)
	Alternate(s.logf, s.cfg.Runs, vs...)
	if base.Err != nil {
		return base.Err
	}
	s.report.Builds = append(s.report.Builds, r)
	return nil
}

// freshDB replaces the database at path (and its WAL) with a copy of
// template, or removes it when template is "".
func freshDB(template, path string) error {
	for _, p := range []string{path, path + ".wal"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if template == "" {
		return nil
	}
	b, err := os.ReadFile(template)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// setupDB creates a database at path holding what stmts make.
func setupDB(path string, stmts []string) error {
	if err := freshDB("", path); err != nil {
		return err
	}
	return duckdb.ExecFile(context.Background(), path, stmts)
}

// w1 generates W1 with n models over sources of rows rows and times its
// builds.
func (s *suite) w1(n, rows int) error {
	label := fmt.Sprintf("w1-%d", n)
	p, err := workload.W1(filepath.Join(s.cfg.Work, label), n, rows)
	if err != nil {
		return err
	}
	template := filepath.Join(s.cfg.Work, label+"-sources.duckdb")
	if err := setupDB(template, p.Setup); err != nil {
		return err
	}
	title := fmt.Sprintf("W1: %s models over %d sources of %s rows", count(n), workload.W1Sources, count(rows))
	return s.buildBench(label, title, p, template, nil, nil)
}

// w2 generates W2 with n models and times its builds.
func (s *suite) w2(n int) error {
	label := fmt.Sprintf("w2-%d", n)
	p, err := workload.W2(filepath.Join(s.cfg.Work, label), n)
	if err != nil {
		return err
	}
	return s.buildBench(label, fmt.Sprintf("W2: %s trivial models", count(n)), p, "", nil, nil)
}

// w3Setup is W3's project, copied when the suite starts: the project in
// the repository is the one of the kiln binary built then.
type w3Setup struct {
	project   *workload.Project
	figures   string // the month's reference figures
	allSheets bool   // the sources read every sheet
}

// w3Prepare generates (or finds in the cache) W3's month and copies the
// BottleNeck project.
func (s *suite) w3Prepare() (*w3Setup, error) {
	s.logf("w3: month of %d products (generated once into %s)", s.cfg.W3Products, s.cfg.Cache)
	data, figures, err := workload.W3Data(s.cfg.Cache, s.cfg.W3Products)
	if err != nil {
		return nil, err
	}
	all := workload.AllSheetsSupported(data)
	p, err := workload.W3(filepath.Join(s.cfg.Work, "w3"), s.cfg.Repo, data, all)
	if err != nil {
		return nil, err
	}
	return &w3Setup{project: p, figures: figures, allSheets: all}, nil
}

// W3Excludes leave out of W3's compared builds what has no baseline or is
// loaded beforehand: sources (timed on their own) and seeds, exports (an
// Excel workbook among them) and unit tests (on fixtures).
var W3Excludes = []string{"source:*", "resource_type:seed", "resource_type:export", "resource_type:unit_test"}

// w3 times the Excel loading of the scaled BottleNeck month on its own,
// then the models and data tests against the baseline on the loaded
// database.
func (s *suite) w3(w *w3Setup) error {
	p := w.project
	lr := &LoadResult{AllSheets: w.allSheets, Figures: w.figures, Products: s.cfg.W3Products}
	var loads []*Variant
	for _, k := range s.kilns {
		v := kilnVariant(k, "run (sources)", p, "run", "--threads", "1", "--select", "source:*")
		v.Prepare = func() error { return s.setAside(filepath.Join(p.Dir, "target")) }
		loads = append(loads, v)
	}
	lr.Variant, lr.Others = loads[0], loads[1:]
	runs := min(s.cfg.Runs, 3)
	// Before the loads of every source, whose last run makes the template
	// database: web.xlsx alone, and the decoding floor.
	var web []*Variant
	for _, k := range s.kilns {
		v := kilnVariant(k, "run (web.xlsx)", p, "run", "--threads", "1", "--select", "source:raw.web")
		v.Prepare = func() error { return s.setAside(filepath.Join(p.Dir, "target")) }
		web = append(web, v)
	}
	lr.Web, lr.WebOthers = web[0], web[1:]
	data, _ := p.Vars["raw_dir"].(string)
	files := []string{filepath.Join(data, "erp.xlsx"), filepath.Join(data, "liaison.xlsx"), filepath.Join(data, "web.xlsx")}
	lr.FloorWeb = &Variant{Name: "decode web.xlsx", Dir: p.Dir, Argv: []string{s.floor, files[2]},
		Display: "kiln-xlsx-floor " + displayArgs([]string{files[2]})}
	lr.Floor = &Variant{Name: "decode the three workbooks", Dir: p.Dir, Argv: append([]string{s.floor}, files...),
		Display: "kiln-xlsx-floor " + displayArgs(files)}
	s.logf("w3: web.xlsx alone and the decoding floor, %d variants x %d runs", len(web)+2, runs)
	Alternate(s.logf, runs, append(web, lr.FloorWeb, lr.Floor)...)
	s.logf("w3: Excel loading, %d variants x %d runs", len(loads), runs)
	// Interleaved without rotation: the main kiln's load runs last, and
	// its database becomes the template of the builds.
	for range runs {
		for _, v := range append(lr.Others, lr.Variant) {
			if v.Err == nil {
				if err := v.run(); err != nil {
					s.logf("FAILED %v", err)
				}
			}
		}
	}
	if lr.Variant.Err != nil {
		return lr.Variant.Err
	}
	rr, err := artifact.ReadRunResults(filepath.Join(p.Dir, "target", "run_results.json"))
	if err != nil {
		return err
	}
	for _, res := range rr.Results {
		n, _ := res.AdapterResponse["rows_affected"].(float64)
		d := time.Duration(res.ExecutionTime * float64(time.Second))
		lr.Rows += int64(n)
		lr.NodeTime += d
		lr.Sources = append(lr.Sources, LoadedSource{ID: string(res.UniqueID), Rows: int64(n), Time: d})
	}
	s.report.Load = lr
	// The seeds (small CSV files) join the sources in the template, untimed.
	seed := kilnVariant(s.kilns[0], "seed", p, "seed")
	if _, err := seed.measure(); err != nil {
		return err
	}
	template := filepath.Join(s.cfg.Work, "w3-sources.duckdb")
	if err := os.Rename(p.DBPath, template); err != nil {
		return err
	}
	title := fmt.Sprintf("W3: BottleNeck on %s products, models and data tests (sources and seeds loaded)", count(s.cfg.W3Products))
	return s.buildBench("w3", title, p, template, nil, W3Excludes)
}
