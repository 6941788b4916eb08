// Package ui prints kiln's progress, summaries and diagnostics. It is the
// only package that imports lipgloss. Colour is used only when the output is
// a terminal and NO_COLOR (https://no-color.org) is unset; otherwise the
// output is plain text with the same layout.
package ui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// Printer writes human-readable progress to one writer (stderr). With a
// JSON log set (--log-format json), lines of text become message events and
// node results and summaries are left to the log's own events.
type Printer struct {
	mu     sync.Mutex
	json   *JSONLog
	w      io.Writer
	color  bool
	styles map[string]lipgloss.Style
	dim    lipgloss.Style
	bold   lipgloss.Style

	progress bool                       // print the progress of long loads
	shown    map[graph.ID]time.Duration // when each load's progress was last printed
}

// UseColor reports whether w is a terminal and NO_COLOR is not set.
func UseColor(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// New returns a Printer on w, coloured when color is true.
func New(w io.Writer, color bool) *Printer {
	p := &Printer{w: w, color: color}
	if color {
		r := lipgloss.NewRenderer(w)
		p.styles = map[string]lipgloss.Style{
			"OK": r.NewStyle().Foreground(lipgloss.Color("2")), "PASS": r.NewStyle().Foreground(lipgloss.Color("2")),
			"WARN": r.NewStyle().Foreground(lipgloss.Color("3")), "ERROR": r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
			"FAIL": r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true), "SKIP": r.NewStyle().Foreground(lipgloss.Color("8")),
			"UP-TO-DATE": r.NewStyle().Foreground(lipgloss.Color("6")),
		}
		p.dim = r.NewStyle().Faint(true)
		p.bold = r.NewStyle().Bold(true)
	}
	return p
}

func (p *Printer) style(key, s string) string {
	if !p.color {
		return s
	}
	if st, ok := p.styles[key]; ok {
		return st.Render(s)
	}
	return s
}

// SetProgress turns on the progress lines of long loads (for a terminal).
func (p *Printer) SetProgress(on bool) { p.progress = on }

// Progress prints the progress of a node loading a file, when turned on
// and not writing JSON: nothing for the first 2 s, then a line every 5 s,
// as
//
//	... source raw.web: 1,234,567 rows, 45,678 rows/s, 62% of the file, 27s
func (p *Printer) Progress(n *graph.Node, rows int64, rowsPerSecond, share float64, elapsed time.Duration, done bool) {
	if !p.progress || p.json != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	last, seen := p.shown[n.ID]
	if done || elapsed < 2*time.Second || seen && elapsed-last < 5*time.Second {
		return
	}
	if p.shown == nil {
		p.shown = map[graph.ID]time.Duration{}
	}
	p.shown[n.ID] = elapsed
	fmt.Fprintf(p.w, "%s\n", p.faint(fmt.Sprintf("  ... %s %s: %s rows, %s rows/s, %.0f%% of the file, %s",
		n.Kind, n.DisplayName(), thousands(rows), thousands(int64(rowsPerSecond)), 100*share, elapsed.Round(time.Second))))
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// SetJSON switches the printer to JSON lines on l.
func (p *Printer) SetJSON(l *JSONLog) { p.json = l }

// JSON reports whether the printer writes JSON lines.
func (p *Printer) JSON() bool { return p.json != nil }

// Printf writes a line of information.
func (p *Printer) Printf(format string, args ...any) {
	if p.json != nil {
		text := fmt.Sprintf(format, args...)
		level := "info"
		switch {
		case strings.HasPrefix(text, "error"):
			level = "error"
		case strings.HasPrefix(text, "warning"):
			level = "warn"
		}
		if strings.TrimSpace(text) != "" {
			p.json.Message(level, text)
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Label is a status as printed: OK, PASS, WARN, FAIL, ERROR, SKIP.
func Label(s run.Status) string {
	switch s {
	case run.Success:
		return "OK"
	case run.Pass:
		return "PASS"
	case run.Warn:
		return "WARN"
	case run.Fail:
		return "FAIL"
	case run.Error:
		return "ERROR"
	case run.Skipped:
		return "SKIP"
	case run.UpToDate:
		return "UP-TO-DATE"
	}
	return strings.ToUpper(string(s))
}

// Result prints one finished node: index/total, status, duration, kind,
// name, then rows or what failed, as
//
//	3/24 OK     0.03s  model  staging.stg_erp  825 rows
//
// A microbatch model and a snapshot say what they built instead of their
// rows (microbatch: 1 of 36 batches built (1 changed inputs), 310 rows).
func (p *Printer) Result(r run.Result, n *graph.Node, done, total int) {
	if p.json != nil {
		return // the JSON log has its own node events
	}
	width := len(fmt.Sprint(total))
	label := Label(r.Status)
	detail := ""
	switch {
	case r.Status == run.Skipped:
		detail = r.Message
	case n.Kind == graph.Test:
		if r.Status != run.Pass && r.Actual != "" {
			detail = r.Actual
		} else if r.Status == run.Error {
			detail = r.Message
		}
	case r.Status == run.Error:
		detail = r.Message
	case r.Message != "" && summarises(n):
		detail = r.Message
	case r.Rows >= 0:
		detail = plural(r.Rows, "row")
	}
	dur := ""
	if r.Status != run.Skipped {
		dur = fmt.Sprintf("%.2fs", r.Duration().Seconds())
	}
	if len(detail) > 120 {
		detail = detail[:117] + "..."
	}
	line := fmt.Sprintf("%*d/%d %s %6s  %-9s %s", width, done, total, p.style(label, fmt.Sprintf("%-10s", label)), dur, n.Kind, displayName(n))
	if detail != "" {
		line += "  " + p.faint(detail)
	}
	p.Printf("%s", line)
}

// summarises reports whether a successful result of n says more than its
// rows: a microbatch model's batches built and skipped, a snapshot's new
// and closed versions.
func summarises(n *graph.Node) bool {
	if n.Kind == graph.Snapshot {
		return true
	}
	return n.Kind == graph.Model && n.Incremental != nil && n.Incremental.Batch != nil
}

func pad(s string, w int) string {
	if len(s) >= w {
		return s
	}
	return strings.Repeat(" ", w-len(s)) + s
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func displayName(n *graph.Node) string {
	switch n.Kind {
	case graph.Source:
		return n.DisplayName()
	case graph.Model, graph.Seed, graph.Snapshot:
		if !n.Relation.IsZero() && n.Relation.Schema != "main" {
			return n.Relation.Schema + "." + n.DisplayName()
		}
	}
	return n.DisplayName()
}

// posPrefixRE splits an error that begins with its position
// ("project.yml:91:6: on-run-start 1 of ...") into the two.
var posPrefixRE = regexp.MustCompile(`^([^\s:]+:\d+:\d+): (.+)$`)

// Summary prints dbt's count line and then every failure and warning with
// its position and message. notRun, when not "", says why no node ran
// ("on-run-start failed"), and why is its error on one line: the run was
// refused, which the count line says first, with the failed hook counted
// as an error (as dbt counts it), and then why, under its position, the
// one place it is printed; the skipped nodes had no SKIP line of their
// own, and the summary says that instead of pointing at them.
func (p *Printer) Summary(g *graph.Graph, results []run.Result, elapsed time.Duration, notRun, why string) {
	if p.json != nil {
		return // the JSON log has its own run_finished event
	}
	counts := map[string]int{}
	for _, r := range results {
		switch r.Status {
		case run.Success, run.Pass:
			counts["PASS"]++
		case run.Warn:
			counts["WARN"]++
		case run.Error, run.Fail:
			counts["ERROR"]++
		case run.Skipped:
			counts["SKIP"]++
		case run.UpToDate:
			counts["UP-TO-DATE"]++
		}
	}
	p.Printf("")
	head, total := fmt.Sprintf("Done in %.2fs.", elapsed.Seconds()), len(results)
	if notRun != "" {
		// The hook that refused the run is its one error.
		counts["ERROR"]++
		total++
		head = fmt.Sprintf("Refused in %.2fs: %s, so no node ran.", elapsed.Seconds(), notRun)
	}
	line := fmt.Sprintf("%s PASS=%d WARN=%d ERROR=%d SKIP=%d", head, counts["PASS"], counts["WARN"], counts["ERROR"], counts["SKIP"])
	if counts["UP-TO-DATE"] > 0 {
		line += fmt.Sprintf(" UP-TO-DATE=%d", counts["UP-TO-DATE"])
	}
	line += fmt.Sprintf(" TOTAL=%d", total)
	p.Printf("%s", line)
	if notRun != "" && why != "" {
		// The refusal's error, printed here only (not on the hook's
		// progress line nor in the outcome), as a problem: its position
		// heads it.
		what, pos := strings.TrimSuffix(notRun, " failed"), ""
		if m := posPrefixRE.FindStringSubmatch(why); m != nil {
			pos, why = " ("+m[1]+")", m[2]
		}
		p.Printf("")
		p.Printf("%s %s%s", p.style("ERROR", "ERROR"), what, pos)
		p.Printf("  %s", why)
	}

	p.Problems(g, results)
	var skipped int
	for _, r := range results {
		if r.Status == run.Skipped {
			skipped++
		}
	}
	switch {
	case skipped > 0 && notRun != "":
		p.Printf("")
		p.Printf("no node ran: %s, so %s skipped.", notRun, map[bool]string{true: "the 1 node of the run was", false: fmt.Sprintf("the %d nodes of the run were", skipped)}[skipped == 1])
	case skipped > 0:
		p.Printf("")
		p.Printf("%s", p.faint(fmt.Sprintf("%s skipped (the reason is on each SKIP line above).", plural(int64(skipped), "node"))))
	}
}

// Problems prints every failure and warning of results with its position
// and message, errors first; one error that several nodes met (see
// sameErrors) is printed once, naming them.
func (p *Printer) Problems(g *graph.Graph, results []run.Result) {
	if p.json != nil {
		return
	}
	var problems []run.Result
	for _, r := range results {
		if r.Status == run.Error || r.Status == run.Fail || r.Status == run.Warn {
			problems = append(problems, r)
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return rank(problems[i].Status) < rank(problems[j].Status) })
	for _, grp := range sameErrors(problems) {
		r := grp[0]
		n := g.Node(r.ID)
		label := Label(r.Status)
		names := make([]string, len(grp))
		for i, x := range grp {
			xn := g.Node(x.ID)
			names[i] = string(xn.Kind) + " " + displayName(xn)
		}
		pos, text := nodePos(n), problemText(r)
		var ne *run.NodeError
		if errors.As(r.Err, &ne) && ne.Pos.File != "" {
			// The error's position heads it; the message follows, with
			// where it is in the compiled SQL.
			pos, text = ne.Pos.String(), strings.TrimPrefix(ne.Error(), ne.Pos.String()+": ")
		}
		p.Printf("")
		p.Printf("%s %s (%s)", p.style(label, label), joinNames(names), pos)
		for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
			p.Printf("  %s", l)
		}
		if ne != nil && ne.Hint != "" {
			p.Printf("  hint: %s", ne.Hint)
		}
	}
}

// sameErrors groups problems that are one error: nodes whose errors are
// the same *run.NodeError text at the same source position (the unit
// tests of a model whose SQL fails, each on the model's line), in the
// order of their first appearance; any other problem is a group alone.
func sameErrors(problems []run.Result) [][]run.Result {
	var groups [][]run.Result
	at := map[string]int{}
	for _, r := range problems {
		var ne *run.NodeError
		if r.Status == run.Error && errors.As(r.Err, &ne) && ne.Pos.File != "" {
			key := ne.Error()
			if i, ok := at[key]; ok {
				groups[i] = append(groups[i], r)
				continue
			}
			at[key] = len(groups)
		}
		groups = append(groups, []run.Result{r})
	}
	return groups
}

// joinNames is "a", "a and b", "a, b and c".
func joinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func (p *Printer) faint(s string) string {
	if p.color {
		return p.dim.Render(s)
	}
	return s
}

func problemText(r run.Result) string {
	s := r.Message
	if r.Expected != "" || r.Actual != "" {
		s = fmt.Sprintf("expected %s, found %s", r.Expected, r.Actual)
		if r.Condition != "" {
			s = fmt.Sprintf("%s: found %s", r.Condition, r.Actual)
		}
		// What the line already says (an input_freshness gate's reason is
		// its finding and its message) is not said twice.
		msg := r.Message
		if r.Actual != "" && strings.HasPrefix(msg, r.Actual) {
			msg = strings.TrimLeft(strings.TrimPrefix(msg, r.Actual), "; ")
		}
		if msg != "" && !strings.HasPrefix(msg, "expected ") && !strings.Contains(s, msg) {
			s += "\n" + msg
		}
	}
	if r.WarnError && !strings.Contains(s, "--warn-error") {
		// The message that says so may be left out above.
		s += "\n" + run.WarnErrorNote
	}
	return s + gatesText(r)
}

// gatesText explains the series of a deviation gate that did not pass: the
// band, the rules, the accepted months (anomaly.Result.Explain).
func gatesText(r run.Result) string {
	var b strings.Builder
	for _, g := range r.Gates {
		if g.Verdict == "pass" {
			continue
		}
		for i, l := range g.Explain {
			if i == 0 && strings.HasPrefix(r.Message, l) {
				continue
			}
			b.WriteString("\n" + l)
		}
	}
	return b.String()
}

func nodePos(n *graph.Node) string {
	if n.Pos.Line > 0 {
		return n.Pos.String()
	}
	return n.Path
}

func rank(s run.Status) int {
	switch s {
	case run.Error:
		return 0
	case run.Fail:
		return 1
	}
	return 2
}

// Diagnostics prints diagnostics, one per line, then a count.
func (p *Printer) Diagnostics(l diag.List) {
	for _, d := range l {
		s := d.Error()
		if p.json != nil {
			level := "error"
			if d.Severity == diag.Warning {
				level = "warn"
			}
			p.json.Message(level, s)
			continue
		}
		if d.Severity == diag.Error {
			s = p.style("ERROR", "error: ") + s
		} else {
			s = p.style("WARN", "") + s
		}
		p.Printf("%s", s)
	}
	if n := len(l.Errors()); n > 0 {
		p.Printf("%s", plural(int64(n), "error"))
	}
}
