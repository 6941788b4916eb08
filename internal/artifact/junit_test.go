package artifact

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// Parsed JUnit XML, read back with encoding/xml, keeping every attribute
// to check that the required ones are there.
type xSuites struct {
	XMLName xml.Name   `xml:"testsuites"`
	Attrs   []xml.Attr `xml:",any,attr"`
	Suites  []xSuite   `xml:"testsuite"`
}

type xSuite struct {
	Attrs []xml.Attr `xml:",any,attr"`
	Cases []xCase    `xml:"testcase"`
}

type xCase struct {
	Attrs   []xml.Attr `xml:",any,attr"`
	Failure *xProblem  `xml:"failure"`
	Error   *xProblem  `xml:"error"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
	SystemOut string `xml:"system-out"`
}

type xProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func attr(attrs []xml.Attr, name string) (string, bool) {
	for _, a := range attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func junitGraph(t *testing.T) *graph.Graph {
	t.Helper()
	mk := func(kind graph.Kind, name string, fqn []string, deps ...graph.ID) *graph.Node {
		return &graph.Node{ID: graph.ID(string(kind) + ".shop." + name), Kind: kind, Name: name, Package: "shop", FQN: fqn,
			Path: "models/" + name + ".sql", Pos: diag.Pos{File: "models/x.yml", Line: 3, Col: 7}, DependsOn: deps, Config: graph.Config{Enabled: true}}
	}
	src := mk(graph.Source, "orders", []string{"shop", "staging", "raw", "orders"})
	src.Source = &graph.SourceInfo{SourceName: "raw"}
	g, err := graph.New([]*graph.Node{
		src,
		mk(graph.Seed, "codes", []string{"shop", "codes"}),
		mk(graph.Model, "stg_orders", []string{"shop", "staging", "stg_orders"}, src.ID),
		mk(graph.Model, "revenue", []string{"shop", "marts", "finance", "revenue"}, "model.shop.stg_orders"),
		mk(graph.Test, "not_null_revenue", []string{"shop", "marts", "not_null_revenue"}, "model.shop.revenue"),
		mk(graph.Test, "positive_revenue", []string{"shop", "marts", "positive_revenue"}, "model.shop.revenue"),
		mk(graph.Test, "recent", []string{"shop", "recent"}, "model.shop.stg_orders"),
		mk(graph.Export, "revenue_csv", []string{"shop", "marts", "revenue_csv"}, "model.shop.revenue"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// hostile holds what XML cannot carry as is: markup, quotes, a CDATA end,
// control characters, a NUL and invalid UTF-8.
const hostile = "a < b && c > \"d\" 'e' ]]> \x00\x1b[31m bad\xff\ttab\nline 2"

func junitResults() []run.Result {
	t0 := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
	at := func(s, ms int) (time.Time, time.Time) {
		a := t0.Add(time.Duration(s) * time.Second)
		return a, a.Add(time.Duration(ms) * time.Millisecond)
	}
	r := func(id string, st run.Status, start, ms int) run.Result {
		a, b := at(start, ms)
		return run.Result{ID: graph.ID(id), Status: st, Started: a, Completed: b, Rows: -1, Thread: "Thread-1"}
	}
	ok := r("source.shop.orders", run.Success, 0, 1500)
	ok.Rows = 825
	stg := r("model.shop.stg_orders", run.Success, 2, 30)
	stg.Rows, stg.Message = 1, "SELECT 1"
	fail := r("test.shop.positive_revenue", run.Fail, 3, 4)
	fail.Expected, fail.Actual, fail.Failures = "0 rows", "3 rows where revenue < 0", 3
	fail.CompiledCode = "select * from marts.revenue where revenue < 0"
	warn := r("test.shop.recent", run.Warn, 3, 2)
	warn.Expected, warn.Actual = "rows newer than 1 day", "newest row is 3 days old"
	errored := r("model.shop.revenue", run.Error, 2, 12)
	errored.Message = "binder error: " + hostile
	return []run.Result{
		ok, stg, errored, fail, warn,
		r("test.shop.not_null_revenue", run.Pass, 3, 1),
		{ID: "export.shop.revenue_csv", Status: run.Skipped, Rows: -1, SkippedBy: "model.shop.revenue", Message: "skipped: model revenue did not succeed"},
		{ID: "seed.shop.codes", Status: run.Skipped, Rows: -1, SkippedBy: "model.shop.revenue"},
		r("model.shop.gone", run.Success, 5, 1), // a node the graph lacks
	}
}

func TestJUnit(t *testing.T) {
	g := junitGraph(t)
	path := filepath.Join(t.TempDir(), "reports", "junit.xml")
	if err := WriteJUnit(path, g, junitResults(), "shop build", 7*time.Second); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc xSuites
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not valid XML: %v\n%s", err, data)
	}
	// Counts: each suite's attributes match its cases, the root's the sum.
	count := func(attrs []xml.Attr, name string) int {
		v, ok := attr(attrs, name)
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			t.Errorf("missing or bad %s=%q", name, v)
		}
		return n
	}
	var total [4]int
	var names []string
	cases := map[string]xCase{}
	for _, s := range doc.Suites {
		name, _ := attr(s.Attrs, "name")
		names = append(names, name)
		var got [4]int
		for _, c := range s.Cases {
			cn, ok1 := attr(c.Attrs, "classname")
			n, ok2 := attr(c.Attrs, "name")
			tm, ok3 := attr(c.Attrs, "time")
			if _, err := strconv.ParseFloat(tm, 64); !ok1 || !ok2 || !ok3 || err != nil {
				t.Errorf("test case without classname, name or time: %v", c.Attrs)
			}
			cases[cn+" "+n] = c
			got[0]++
			switch {
			case c.Failure != nil:
				got[1]++
			case c.Error != nil:
				got[2]++
			case c.Skipped != nil:
				got[3]++
			}
		}
		for i, a := range []string{"tests", "failures", "errors", "skipped"} {
			if n := count(s.Attrs, a); n != got[i] {
				t.Errorf("suite %s: %s=%d, counted %d", name, a, n, got[i])
			}
			total[i] += got[i]
		}
		if _, ok := attr(s.Attrs, "time"); !ok {
			t.Errorf("suite %s has no time", name)
		}
	}
	for i, a := range []string{"tests", "failures", "errors", "skipped"} {
		if n := count(doc.Attrs, a); n != total[i] {
			t.Errorf("testsuites %s=%d, suites add up to %d", a, n, total[i])
		}
	}
	if want := [4]int{9, 1, 1, 2}; total != want {
		t.Errorf("tests, failures, errors, skipped = %v, want %v", total, want)
	}
	if v, _ := attr(doc.Attrs, "time"); v != "7.000" {
		t.Errorf("testsuites time %q, want 7.000", v)
	}
	if got := strings.Join(names, "|"); got != "shop build sources|shop build seeds|shop build models|shop build tests|shop build exports" {
		t.Errorf("suites %s", got)
	}
	for _, k := range []string{"source.staging.raw raw.orders", "model.staging stg_orders", "model.marts.finance revenue", "test.marts positive_revenue", "test recent", "export.marts revenue_csv", "seed codes", "model model.shop.gone"} {
		if _, ok := cases[k]; !ok {
			t.Errorf("no test case %q; have %v", k, keys(cases))
		}
	}
	// A failed test: expected versus actual, in the message and the body.
	f := cases["test.marts positive_revenue"].Failure
	if f == nil || f.Message != "expected 0 rows, found 3 rows where revenue < 0" || f.Type != "fail" ||
		!strings.Contains(f.Body, "expected: 0 rows\nactual: 3 rows where revenue < 0\nfailures: 3") ||
		!strings.Contains(f.Body, "select * from marts.revenue where revenue < 0") || !strings.Contains(f.Body, "models/x.yml:3:7") {
		t.Errorf("failure %+v", f)
	}
	// An error with hostile text survives the round trip, invalid
	// characters replaced.
	e := cases["model.marts.finance revenue"].Error
	want := strings.NewReplacer("\x00", "\uFFFD", "\x1b", "\uFFFD", "\xff", "\uFFFD").Replace("binder error: " + hostile)
	if e == nil || e.Message != want || !strings.Contains(e.Body, "message: "+want) {
		t.Errorf("error %+v\nwant message %q", e, want)
	}
	if s := cases["export.marts revenue_csv"].Skipped; s == nil || s.Message != "skipped: model revenue did not succeed" {
		t.Errorf("skipped %+v", s)
	}
	if s := cases["seed codes"].Skipped; s == nil || s.Message != "skipped: model.shop.revenue did not succeed" {
		t.Errorf("skipped without message %+v", s)
	}
	if c := cases["test recent"]; c.Failure != nil || c.Error != nil || c.SystemOut != "WARN: expected rows newer than 1 day, found newest row is 3 days old" {
		t.Errorf("warning %+v", c)
	}
	if c := cases["source.staging.raw raw.orders"]; c.SystemOut != "825 rows" || attrValue(c.Attrs, "time") != "1.500" {
		t.Errorf("source %+v", c)
	}
	if c := cases["model.staging stg_orders"]; c.SystemOut != "1 row\nSELECT 1" {
		t.Errorf("model %+v", c)
	}
	// Deterministic.
	again, err := JUnit(g, junitResults(), "shop build", 7*time.Second)
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("a second report differs")
	}
}

func TestJUnitEmpty(t *testing.T) {
	data, err := JUnit(nil, nil, "empty", 0)
	if err != nil {
		t.Fatal(err)
	}
	var doc xSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if v, _ := attr(doc.Attrs, "tests"); v != "0" || len(doc.Suites) != 0 {
		t.Errorf("%s", data)
	}
	data, err = JUnit(nil, junitResults(), "no graph", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &doc); err != nil || len(doc.Suites) != 5 {
		t.Errorf("without a graph: %v\n%s", err, data)
	}
}

func attrValue(attrs []xml.Attr, name string) string {
	v, _ := attr(attrs, name)
	return v
}

func keys(m map[string]xCase) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
