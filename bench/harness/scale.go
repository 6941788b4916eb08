package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-build/kiln/bench/anomalies"
	"github.com/kiln-build/kiln/bench/workload"
)

// ScaleResult is the curve of kiln's compiler over W2's size (issue 17):
// kiln ls, kiln compile over the previous compile's target/ and kiln
// compile from nothing, at each size.
type ScaleResult struct {
	Points []*ScalePoint
}

// ScalePoint is one size of the curve. Others are Config.Compare's kiln's
// Ls, Warm and Cold, in that order.
type ScalePoint struct {
	Models         int
	Ls, Warm, Cold *Variant
	Others         []*Variant
	CompiledFiles  int   // files of target/compiled after a compile
	CompiledBytes  int64 // their bytes
	ManifestBytes  int64 // target/manifest.json's size
}

// scaleSizes are the model counts of the curve.
func (c *Config) scaleSizes() []int {
	if c.Quick {
		return []int{100, 300}
	}
	return []int{1_000, 3_000, 10_000, 30_000, 100_000}
}

// scaleBench times kiln ls (after a first ls), kiln compile (again) and
// kiln compile (no target/) on W2 at each size of the curve, one size at a time, the
// commands interleaved. The projects are removed after their size (100,000
// models are 101,000 files).
func (s *suite) scaleBench() error {
	r := &ScaleResult{}
	for _, n := range s.cfg.scaleSizes() {
		p, err := workload.W2(filepath.Join(s.cfg.Work, fmt.Sprintf("scale-w2-%d", n)), n)
		if err != nil {
			return err
		}
		target := filepath.Join(p.Dir, "target")
		pt := &ScalePoint{Models: n}
		var all []*Variant
		for i, k := range s.kilns {
			ls := kilnVariant(k, "ls", p, "ls")
			// A second ls, as a user lists again: the first (untimed)
			// fills partial parsing's cache (target/partial_parse.kiln)
			// where the kiln has one.
			ls.Prepare = func() error {
				_, err := ls.measure()
				return err
			}
			warm := kilnVariant(k, "compile (again)", p, "compile")
			// Each kiln compiles over its own previous compile: the
			// other's tree may differ (an index, say).
			warm.Prepare = func() error {
				if err := os.RemoveAll(target); err != nil {
					return err
				}
				_, err := warm.measure()
				return err
			}
			cold := kilnVariant(k, "compile (no target/)", p, "compile")
			cold.Prepare = func() error { return os.RemoveAll(target) }
			if i == 0 {
				pt.Ls, pt.Warm, pt.Cold = ls, warm, cold
			} else {
				pt.Others = append(pt.Others, ls, warm, cold)
			}
			all = append(all, ls, warm, cold)
		}
		s.logf("scale: ls and compile on %d models, %d runs", n, s.cfg.Runs)
		Alternate(s.logf, s.cfg.Runs, all...)
		pt.CompiledFiles, pt.CompiledBytes = treeSize(filepath.Join(target, "compiled"))
		if st, err := os.Stat(filepath.Join(target, "manifest.json")); err == nil {
			pt.ManifestBytes = st.Size()
		}
		r.Points = append(r.Points, pt)
		if err := os.RemoveAll(p.Dir); err != nil {
			return err
		}
	}
	s.report.Scale = r
	return nil
}

// treeSize returns the number of files under dir and their bytes.
func treeSize(dir string) (files int, bytes int64) {
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			files++
			bytes += fi.Size()
		}
		return nil
	})
	return files, bytes
}

// Scale section markers: `-only scale` replaces the section between them
// in an existing report and keeps the rest.
const (
	ScaleBegin = "<!-- kiln-bench:scale -->"
	ScaleEnd   = "<!-- /kiln-bench:scale -->"
)

// ScaleMarkdown renders the curve as its section of BENCHMARKS.md,
// between ScaleBegin and ScaleEnd; "" when the curve was not measured.
func (r *Report) ScaleMarkdown() string {
	sc := r.Scale
	if sc == nil || len(sc.Points) == 0 {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("%s", ScaleBegin)
	p("## Compiling W2 from %s to %s models (issue 17)", count(sc.Points[0].Models), count(sc.Points[len(sc.Points)-1].Models))
	p("")
	p("Written by `%s` on %s; medians of %d runs, the three commands interleaved at each size; load average before / after %s / %s.",
		r.Command, r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Runs, r.Machine.LoadStart, r.Machine.LoadEnd)
	p("`kiln ls` is timed after a first, untimed `kiln ls` (partial parsing serves the second from `target/partial_parse.kiln` where the kiln has it; otherwise it compiles and prints the nodes again); `kiln compile (again)` runs over the previous compile's `target/` (nothing changed: no compiled file is written);")
	p("`kiln compile (no target/)` writes every compiled file and `target/manifest.json` anew. The difference between the last two is mostly the cost of creating the compiled files on this disk.")
	p("")
	p("| models | kiln ls | peak RSS | compile (again) | peak RSS | compile (no target/) | peak RSS | compiled files | manifest.json |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	cell := func(v *Variant) string {
		if v.Err != nil || len(v.Samples) == 0 {
			return orFailed(v, "") + " | "
		}
		return secs(v.Wall()) + " | " + mb(v.RSS())
	}
	for _, pt := range sc.Points {
		p("| %s | %s | %s | %s | %s files, %s | %s |", count(pt.Models), cell(pt.Ls), cell(pt.Warm), cell(pt.Cold),
			count(pt.CompiledFiles), mb(pt.CompiledBytes), mb(pt.ManifestBytes))
		if len(pt.Others) == 3 {
			p("| %s (kiln*) | %s | %s | %s | | |", count(pt.Models), cell(pt.Others[0]), cell(pt.Others[1]), cell(pt.Others[2]))
		}
	}
	p("")
	p("CPU (user + system), the same medians:")
	p("")
	p("| models | kiln ls | compile (again) | compile (no target/) | per 1,000 models (ls, again, no target/) |")
	p("|---:|---:|---:|---:|---:|")
	per := func(v *Variant, n int) string {
		return fmt.Sprintf("%.0f ms", float64(v.CPU())/float64(time.Millisecond)*1000/float64(n))
	}
	for _, pt := range sc.Points {
		p("| %s | %s | %s | %s | %s, %s, %s |", count(pt.Models), secs(pt.Ls.CPU()), secs(pt.Warm.CPU()), secs(pt.Cold.CPU()),
			per(pt.Ls, pt.Models), per(pt.Warm, pt.Models), per(pt.Cold, pt.Models))
	}
	p("%s", ScaleEnd)
	return b.String()
}

// SpliceScale replaces the scale section of doc by section, or appends it.
func SpliceScale(doc, section string) string {
	i, j := strings.Index(doc, ScaleBegin), strings.Index(doc, ScaleEnd)
	if i < 0 || j < i {
		at := strings.Index(doc, anomalies.Begin)
		if at < 0 {
			if doc != "" && !strings.HasSuffix(doc, "\n") {
				doc += "\n"
			}
			if doc != "" {
				doc += "\n"
			}
			return doc + section
		}
		return doc[:at] + section + "\n" + doc[at:]
	}
	rest := strings.TrimPrefix(doc[j+len(ScaleEnd):], "\n")
	return doc[:i] + section + rest
}
