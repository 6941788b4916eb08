package artifact

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// The JUnit XML report, in the shape that Jenkins' junit plugin, GitLab's
// unit test reports (https://docs.gitlab.com/ci/testing/unit_test_reports/)
// and GitHub reporters such as dorny/test-reporter (java-junit) read
// (the de facto format of Ant's JUnit task, https://github.com/testmoapp/junitxml):
//
//	<testsuites name tests failures errors skipped time>
//	  <testsuite name tests failures errors skipped time timestamp>
//	    <testcase classname name file time>
//	      <failure message type>body</failure>   a test that failed
//	      <error message type>body</error>       a node that errored
//	      <skipped message/>                     a node that did not run
//	      <system-out>text</system-out>          rows written, warnings
//	    </testcase>
//	  </testsuite>
//	</testsuites>
//
// There is one testsuite per resource type (source, seed, model, test,
// unit_test, export), so that reporters show "models" and "tests" apart,
// and one testcase per node: classname is the resource type and the node's
// folders ("model.staging", GitLab's "Suite" column, Jenkins' package and
// class), name its name. Times are seconds with three decimals; timestamps
// are ISO 8601 in UTC without a zone, as Jenkins' schema wants.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// kindOrder is the order of the test suites.
var kindOrder = []graph.Kind{graph.Source, graph.Seed, graph.Model, graph.Snapshot, graph.Test, graph.UnitTest, graph.Export}

// WriteJUnit writes the results of a run as a JUnit XML report to path,
// atomically, creating its directory: one testsuite per resource type named
// "<suiteName> <type>s", one testcase per result (nodes of g; a result for
// a node g lacks, or any result when g is nil, is reported under its
// unique_id). Failed tests carry
// their expected and actual values in <failure>, errored nodes their
// message in <error>, skipped nodes <skipped message>, warnings and rows
// <system-out>. elapsed is the whole run's time.
func WriteJUnit(path string, g *graph.Graph, results []run.Result, suiteName string, elapsed time.Duration) error {
	data, err := JUnit(g, results, suiteName, elapsed)
	if err != nil {
		return fmt.Errorf("cannot encode %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(path, data, 0o644)
}

// JUnit returns the JUnit XML report WriteJUnit writes.
func JUnit(g *graph.Graph, results []run.Result, suiteName string, elapsed time.Duration) ([]byte, error) {
	byKind := map[graph.Kind][]run.Result{}
	var extra []graph.Kind
	for _, r := range results {
		k := resultKind(g, r.ID)
		if _, ok := byKind[k]; !ok && !isKnownKind(k) {
			extra = append(extra, k)
		}
		byKind[k] = append(byKind[k], r)
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
	doc := junitSuites{Name: suiteName, Time: seconds(elapsed)}
	for _, k := range append(append([]graph.Kind(nil), kindOrder...), extra...) {
		rs := byKind[k]
		if len(rs) == 0 {
			continue
		}
		sort.SliceStable(rs, func(i, j int) bool { return resultLess(g, rs[i].ID, rs[j].ID) })
		s := junitSuite{Name: fmt.Sprintf("%s %ss", suiteName, k)}
		var total time.Duration
		var first time.Time
		for _, r := range rs {
			c := junitCaseOf(g, r)
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
			total += r.Duration()
			if !r.Started.IsZero() && (first.IsZero() || r.Started.Before(first)) {
				first = r.Started
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		s.Time = seconds(total)
		if !first.IsZero() {
			s.Timestamp = first.UTC().Format("2006-01-02T15:04:05")
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

func junitCaseOf(g *graph.Graph, r run.Result) junitCase {
	n := nodeOf(g, r.ID)
	c := junitCase{ClassName: string(resultKind(g, r.ID)), Name: string(r.ID), Time: seconds(r.Duration())}
	var detail []string // node and position, for failure bodies
	if n != nil {
		c.Name = n.DisplayName()
		if len(n.FQN) > 2 {
			c.ClassName += "." + strings.Join(n.FQN[1:len(n.FQN)-1], ".")
		}
		c.File = n.Path
		where := n.Path
		if n.Pos.Line > 0 {
			where = n.Pos.String()
		}
		detail = append(detail, fmt.Sprintf("node: %s (%s)", n.ID, where))
	}
	if r.CompiledCode != "" {
		detail = append(detail, "compiled SQL:\n"+strings.TrimSpace(r.CompiledCode))
	}
	switch r.Status {
	case run.Fail:
		c.Failure = &junitProblem{Message: checkText(r), Type: "fail", Body: problemBody(r, detail)}
	case run.Error:
		c.Error = &junitProblem{Message: checkText(r), Type: "error", Body: problemBody(r, detail)}
	case run.Skipped:
		msg := r.Message
		if msg == "" && r.SkippedBy != "" {
			msg = fmt.Sprintf("skipped: %s did not succeed", r.SkippedBy)
		}
		c.Skipped = &junitSkipped{Message: msg}
	case run.Warn:
		c.SystemOut = "WARN: " + checkText(r)
	default:
		var out []string
		if r.Rows >= 0 && (n == nil || n.Kind != graph.Test) {
			out = append(out, plural(r.Rows, "row"))
		}
		if r.Message != "" && (len(out) == 0 || !strings.Contains(r.Message, out[0])) {
			out = append(out, r.Message)
		}
		c.SystemOut = strings.Join(out, "\n")
	}
	return c
}

// checkText is a test's check in words, "expected 0 rows, found 3 rows",
// else the result's message.
func checkText(r run.Result) string {
	if r.Condition != "" {
		return fmt.Sprintf("%s: found %s", r.Condition, r.Actual)
	}
	if r.Expected != "" || r.Actual != "" {
		return fmt.Sprintf("expected %s, found %s", r.Expected, r.Actual)
	}
	return r.Message
}

func problemBody(r run.Result, detail []string) string {
	var lines []string
	if r.Expected != "" || r.Actual != "" {
		lines = append(lines, "expected: "+r.Expected, "actual: "+r.Actual)
	}
	if r.Failures > 0 {
		lines = append(lines, fmt.Sprintf("failures: %d", r.Failures))
	}
	if r.Message != "" {
		lines = append(lines, "message: "+r.Message)
	}
	return strings.Join(append(lines, detail...), "\n")
}

// resultKind is the node's resource type, or the unique_id's first part
// when g lacks the node.
func resultKind(g *graph.Graph, id graph.ID) graph.Kind {
	if n := nodeOf(g, id); n != nil {
		return n.Kind
	}
	k, _, _ := strings.Cut(string(id), ".")
	return graph.Kind(k)
}

// nodeOf is g.Node that accepts a nil graph.
func nodeOf(g *graph.Graph, id graph.ID) *graph.Node {
	if g == nil {
		return nil
	}
	return g.Node(id)
}

func isKnownKind(k graph.Kind) bool {
	for _, x := range kindOrder {
		if x == k {
			return true
		}
	}
	return false
}

// resultLess orders results by the graph's topological order, unknown
// nodes last by unique_id.
func resultLess(g *graph.Graph, a, b graph.ID) bool {
	ia, ib := -1, -1
	if g != nil {
		ia, ib = g.Index(a), g.Index(b)
	}
	switch {
	case ia >= 0 && ib >= 0:
		return ia < ib
	case ia >= 0 || ib >= 0:
		return ia >= 0
	}
	return a < b
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
