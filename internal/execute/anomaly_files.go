package execute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/anomaly"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// columns evaluates schema_changes: the relation's columns, as the
// database describes its query, against those of the last accepted run.
func (g *gateRun) columns(ctx context.Context, conn adapter.Conn) ([]run.Gate, error) {
	q := materialize.Body(g.n.CompiledCode)
	cols, err := conn.DescribeQuery(ctx, q)
	if err != nil {
		return nil, g.e.testError(ctx, conn, g.n, err, adapter.Stmt{SQL: q})
	}
	cur := make([]anomaly.Column, len(cols))
	for i, c := range cols {
		cur[i] = anomaly.Column{Name: c.Name, Type: c.Type}
	}
	detail, _ := json.Marshal(cur)
	gate := run.Gate{Series: g.series, Label: "columns of " + g.attachedName(), Month: int(g.month), Value: float64(len(cur)), Observed: true,
		Detail: string(detail), Expected: math.NaN(), Lower: math.NaN(), Upper: math.NaN(), Verdict: string(anomaly.Pass)}
	// The last accepted run's columns, whatever its month: a change within
	// a month is a change too.
	var last *adapter.Observation
	for i := range g.hist {
		if g.hist[i].Detail != "" {
			last = &g.hist[i]
		}
	}
	if last == nil {
		gate.Accepted = true
		gate.Explain = []string{fmt.Sprintf("%d columns recorded: the first accepted run, nothing to compare with", len(cur))}
		return []run.Gate{gate}, nil
	}
	var prev []anomaly.Column
	if err := json.Unmarshal([]byte(last.Detail), &prev); err != nil {
		return nil, fmt.Errorf("history: the columns recorded by run %s are unreadable: %v", short(last.RunID), err)
	}
	d := anomaly.CompareSchema(prev, cur)
	if d.Empty() {
		gate.Accepted = true
		gate.Explain = []string{fmt.Sprintf("the %d columns of the last accepted run (run %s, month %s), unchanged", len(cur), short(last.RunID), anomaly.Month(last.Month))}
		return []run.Gate{gate}, nil
	}
	gate.Verdict = string(anomaly.Anomaly)
	gate.Accepted = g.e.opts.AcceptDeviations
	gate.Explain = []string{fmt.Sprintf("%s since the last accepted run (run %s, month %s)", d, short(last.RunID), anomaly.Month(last.Month))}
	if where, hint := g.e.retypedCells(g.e.g.Node(g.n.Test.Attached), d); where != "" {
		// The cells the run's load found in the retyped columns.
		gate.Explain = []string{gate.Explain[0] + ": " + where, hint}
	}
	if what := g.headerOnly(ctx, conn, q, d); what != "" {
		gate.Explain = []string{fmt.Sprintf("%s has a header and no data rows: its columns read as text (%s since the last accepted run, run %s, month %s)",
			what, d, short(last.RunID), anomaly.Month(last.Month))}
	}
	return []run.Gate{gate}, nil
}

// headerOnly names the input file (and, for a workbook, its sheet) of the
// source the schema_changes test q reads when d only retypes columns to
// VARCHAR and q has no row: a file with a header and no data rows, whose
// columns a reader can only type as text. It returns "" otherwise.
func (g *gateRun) headerOnly(ctx context.Context, conn adapter.Conn, q string, d anomaly.SchemaDiff) string {
	if len(d.Retyped) == 0 || len(d.Added)+len(d.Removed) > 0 {
		return ""
	}
	for _, r := range d.Retyped {
		if !strings.EqualFold(r.To, "VARCHAR") {
			return ""
		}
	}
	src := g.e.g.Node(g.n.Test.Attached)
	if src == nil || src.Source == nil || src.Source.External == nil || src.Source.External.Path == "" {
		return ""
	}
	if n, err := conn.QueryInt(ctx, g.e.d.CountRows("("+q+") as header_only")); err != nil || n != 0 {
		return ""
	}
	ext := src.Source.External
	what := g.e.rel(ext.Path)
	if ext.Format == "xlsx" || strings.HasSuffix(strings.ToLower(ext.Path), ".xlsx") {
		if ext.Sheet == "" {
			return what + " (its first sheet)"
		}
		what += " sheet " + ext.Sheet
	}
	return what
}

// fileDetail is what input_freshness keeps of a file. Cells is a
// workbook's cells digest (load.Result.Cells, versioned by its prefix);
// a file recorded by a kiln that did not compute it has none, and is
// compared by its bytes (anomaly.File.SameContentAs), unless its digest
// was read since (Migrated). Migrated holds the digests this gate read
// for such earlier files, by their sha256 (gateRun.migrate), so that the
// next runs need not read them again.
type fileDetail struct {
	Path     string            `json:"path"`
	SHA256   string            `json:"sha256"`
	Cells    string            `json:"cells,omitempty"`
	ModTime  time.Time         `json:"mod_time"`
	Size     int64             `json:"size"`
	Migrated map[string]string `json:"migrated,omitempty"`
}

// inputFile evaluates input_freshness: the source's file against the files
// of the accepted months, each month's of its last accepted run (the same
// content again, an older file, a file older than max_age_days). A workbook's content is its cells (their
// digest, from the run's load of the source, else see cellsOf).
func (g *gateRun) inputFile(ctx context.Context) ([]run.Gate, error) {
	src := g.e.g.Node(g.n.Test.Attached)
	if src == nil || src.Source == nil || src.Source.External == nil {
		return nil, fmt.Errorf("%s: input_freshness: %s has no file", g.n.Pos, g.n.Test.Attached)
	}
	path := src.Source.External.Path
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: input_freshness: %w", g.n.Pos, err)
	}
	sum := g.e.opts.Inputs[src.ID].SHA256
	if sum == "" {
		if sum, err = fileSHA256(path); err != nil {
			return nil, fmt.Errorf("%s: input_freshness: %w", g.n.Pos, err)
		}
	}
	// A month run twice counts once: only the files of its last accepted
	// run (g.hist is oldest first) are that month's; those of a run it
	// superseded (a wrong file corrected since) are no month's.
	lastRun := map[int]string{}
	for _, o := range g.hist {
		lastRun[o.Month] = o.RunID
	}
	var accepted []anomaly.File
	known := map[string]string{} // digests read for files recorded without one
	for _, o := range g.hist {
		var f fileDetail
		if json.Unmarshal([]byte(o.Detail), &f) == nil && f.SHA256 != "" && o.RunID == lastRun[o.Month] {
			accepted = append(accepted, anomaly.File{Path: f.Path, SHA256: f.SHA256, Cells: f.Cells, ModTime: f.ModTime, Month: anomaly.Month(o.Month), Run: o.RunID})
			for sum, c := range f.Migrated {
				known[sum] = c
			}
		}
	}
	sort.SliceStable(accepted, func(i, j int) bool { return accepted[i].Month < accepted[j].Month })
	cells, err := g.cellsOf(ctx, src, sum, accepted)
	if err != nil {
		return nil, fmt.Errorf("%s: input_freshness: %w", g.n.Pos, err)
	}
	var migrated map[string]string
	if cells != "" {
		migrated = g.migrate(ctx, src, accepted, known)
	}
	rel := g.e.rel(path)
	cur := anomaly.File{Path: rel, SHA256: sum, Cells: cells, ModTime: fi.ModTime(), Month: g.month}
	detail, _ := json.Marshal(fileDetail{Path: rel, SHA256: sum, Cells: cells, ModTime: fi.ModTime().UTC(), Size: fi.Size(), Migrated: migrated})
	now := g.e.opts.Clock
	f := anomaly.CheckFreshness(accepted, cur, g.month, now, g.args.Freshness)
	gate := run.Gate{Series: g.series, Label: "the file of " + g.attachedName(), Month: int(g.month), Value: f.Age.Hours() / 24, Observed: true,
		Detail: string(detail), Verdict: string(f.Verdict), Expected: math.NaN(), Lower: math.NaN(), Upper: math.NaN()}
	// --accept-deviations vouches for a file's time (a month's export
	// copied with an old modification time), never for a file with the
	// content of another accepted month: that month's export was not
	// delivered, and accepting it would record one month with another's
	// data. A source whose gate says may_repeat (reference data) passes
	// with it.
	if f.Same != nil && !f.Repeat {
		gate.SameAs = f.Same.Month.String()
	}
	gate.Accepted = f.Verdict == anomaly.Pass || (g.e.opts.AcceptDeviations && f.Same == nil)
	switch {
	case f.Repeat:
		why := "may_repeat: true, the same file may serve several months"
		if g.args.Freshness.RepeatNote != "" {
			why = g.args.Freshness.RepeatNote
		}
		gate.Explain = []string{fmt.Sprintf("%s has the content of the file accepted for %s: %s", rel, f.Same.Month, why)}
	case f.Verdict == anomaly.Pass:
		s := fmt.Sprintf("%s, modified %s (%.1f days before the run)", rel, fi.ModTime().UTC().Format("2006-01-02 15:04 UTC"), f.Age.Hours()/24)
		if f.Last != nil {
			s += fmt.Sprintf(", is a new file since the one accepted for %s", f.Last.Month)
			if cells == "" {
				s += " by its bytes (a CSV or Parquet file is compared by its bytes, not its rows: the same rows saved again count as new)"
			}
		} else {
			s += ": the first accepted month, nothing to compare with"
		}
		gate.Explain = []string{s}
	default:
		gate.Explain = f.Reasons
	}
	return []run.Gate{gate}, nil
}

// attachedName names the model or source the test is attached to.
func (g *gateRun) attachedName() string {
	if a := g.e.g.Node(g.n.Test.Attached); a != nil {
		if a.Source != nil {
			return a.Source.SourceName + "." + a.Name
		}
		return a.Name
	}
	return string(g.n.Test.Attached)
}

// rel returns path relative to the project directory when it is inside.
func (e *Executor) rel(path string) string {
	if r, err := filepath.Rel(e.opts.ProjectDir, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
