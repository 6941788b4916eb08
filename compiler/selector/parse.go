package selector

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Expr is a parsed selection: an *Atom, a Union, an Intersection or a
// *Difference. Exprs are immutable once parsed and may be shared.
type Expr interface {
	// String returns the expression in the command line's syntax where it
	// has one (YAML differences print as "(a) minus (b)").
	String() string
	isExpr()
}

// Union selects the nodes any of its members selects: the words of an
// argument ("a b") and the arguments of --select.
type Union []Expr

// Intersection selects the nodes all of its members select: "a,b".
type Intersection []Expr

// Difference selects Include's nodes that Exclude does not select: --exclude,
// and the "exclude" key of YAML selectors.
type Difference struct {
	Include, Exclude Expr
}

// Atom is one selection method with its graph operators:
// [@][N+][method[.arg...]:]value[+N].
type Atom struct {
	// Method is the selection method, resolved when none is written: "path"
	// when the value holds a slash, "file" when it ends in .sql, .py, .csv,
	// .yml or .yaml, "fqn" otherwise (dbt's default method rules).
	Method string
	// Args are the dotted arguments of the method: config.meta.owner gives
	// ["meta", "owner"].
	Args  []string
	Value string

	Parents      bool // leading "+": ancestors
	ParentsDepth int  // "2+": at most 2 edges up; 0 = no limit
	Children     bool // trailing "+": descendants
	// ChildrenDepth is the N of "+N": at most N edges down; 0 = no limit.
	ChildrenDepth int
	// ChildrensParents is the "@" operator: the node, its descendants, and
	// every ancestor of those descendants.
	ChildrensParents bool
	// Indirect overrides Options.Indirect for this atom (YAML
	// indirect_selection); "" inherits it.
	Indirect string

	// Text is the atom as written; Arg the argument it comes from and Col
	// its 1-based column there (for errors).
	Text string
	Arg  string
	Col  int
}

func (Union) isExpr()        {}
func (Intersection) isExpr() {}
func (*Difference) isExpr()  {}
func (*Atom) isExpr()        {}

func (u Union) String() string        { return joinExprs(u, " ") }
func (x Intersection) String() string { return joinExprs(x, ",") }
func (d *Difference) String() string {
	return "(" + d.Include.String() + ") minus (" + d.Exclude.String() + ")"
}

func joinExprs(es []Expr, sep string) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, sep)
}

// String returns the atom as written, or in its canonical form.
func (a *Atom) String() string {
	if a.Text != "" {
		return a.Text
	}
	var b strings.Builder
	if a.ChildrensParents {
		b.WriteByte('@')
	}
	if a.Parents {
		if a.ParentsDepth > 0 {
			b.WriteString(strconv.Itoa(a.ParentsDepth))
		}
		b.WriteByte('+')
	}
	b.WriteString(a.Method)
	for _, x := range a.Args {
		b.WriteByte('.')
		b.WriteString(x)
	}
	b.WriteByte(':')
	b.WriteString(a.Value)
	if a.Children {
		b.WriteByte('+')
		if a.ChildrenDepth > 0 {
			b.WriteString(strconv.Itoa(a.ChildrenDepth))
		}
	}
	return b.String()
}

// SyntaxError is a selector that cannot be parsed, names an unknown method
// or value, or needs an input the caller did not give (a previous state or
// run results: then Err is ErrNoState or ErrNoResults).
type SyntaxError struct {
	Expr string // the argument as given
	Col  int    // 1-based column in Expr; 0 when unknown
	Msg  string
	Hint string
	Err  error
}

// Error returns `selector "tagg:nightly" at column 1: unknown method "tagg";
// did you mean "tag"?`.
func (e *SyntaxError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "selector %q", e.Expr)
	if e.Col > 0 {
		fmt.Fprintf(&b, " at column %d", e.Col)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns ErrNoState, ErrNoResults or nil.
func (e *SyntaxError) Unwrap() error { return e.Err }

// ErrNoState is wrapped by the error of a state: selector evaluated without
// Options.Previous; ErrNoResults by that of a result: selector without
// Options.Results.
var (
	ErrNoState   = errors.New("no previous state")
	ErrNoResults = errors.New("no previous run results")
	// ErrNoSources is wrapped by the error of a source_status: selector
	// evaluated without Options.Sources or Options.PreviousSources.
	ErrNoSources = errors.New("no source freshness results")
)

// Methods are the selection methods kiln knows, as dbt names them.
var Methods = []string{"access", "config", "exposure", "file", "fqn", "group", "metric", "package", "path", "resource_type", "result",
	"saved_query", "semantic_model", "source", "source_status", "state", "tag", "test_name", "test_type", "unit_test", "version"}

// unsupported are dbt's methods kiln parses and refuses when it evaluates
// them, with the reason.
var unsupported = map[string]string{
	"metric":         "kiln keeps metrics out of the DAG (they are checked and written to manifest.json, never selected or run)",
	"semantic_model": "kiln keeps semantic models out of the DAG (they are checked and written to manifest.json, never selected or run)",
	"saved_query":    "kiln keeps saved queries out of the DAG (they are checked and written to manifest.json, never selected or run)",
}

var (
	// dbt's states (dbt-core's StateSelectorMethod.search), all of them.
	stateValues = []string{"new", "modified", "modified.body", "modified.configs", "modified.contract", "modified.macros",
		"modified.persisted_descriptions", "modified.relation", "unmodified", "old"}
	resultValues   = []string{"error", "fail", "warn", "skipped", "success", "pass"}
	testTypeValues = []string{"data", "unit", "generic", "singular"}
	versionValues  = []string{"latest", "prerelease", "old", "none"}
	accessValues   = []string{"private", "protected", "public"}
	kindValues     = []string{"model", "seed", "snapshot", "source", "test", "unit_test", "export", "exposure", "analysis"}
	// dbt's other resource types: accepted, they select nothing in kiln.
	dbtOnlyKinds = map[string]bool{"metric": true, "semantic_model": true, "saved_query": true}
	// Methods whose value is a glob pattern.
	globMethods = map[string]bool{"fqn": true, "path": true, "file": true, "tag": true, "source": true, "package": true, "test_name": true, "exposure": true, "unit_test": true}
)

// Parse parses one argument of --select or --exclude, in dbt's node
// selection syntax (https://docs.getdbt.com/reference/node-selection/syntax):
// words separated by spaces are a Union, a comma inside a word an
// Intersection, and each part an Atom with graph operators
// (https://docs.getdbt.com/reference/node-selection/graph-operators) and a
// method (https://docs.getdbt.com/reference/node-selection/methods). A
// single word gives an Intersection or an *Atom, several a Union.
//
// Errors are *SyntaxError with the 1-based column in arg: an unknown method
// (with the nearest one suggested), an empty value or part, a depth that is
// not a positive number, "@" with a leading "+", a "+" inside a value, an
// unknown state, result, test_type or resource_type value, a bad pattern.
func Parse(arg string) (Expr, error) {
	var words Union
	for i := 0; i < len(arg); {
		if isSpace(arg[i]) {
			i++
			continue
		}
		start := i
		for i < len(arg) && !isSpace(arg[i]) {
			i++
		}
		e, err := parseWord(arg, start, i)
		if err != nil {
			return nil, err
		}
		words = append(words, e)
	}
	switch len(words) {
	case 0:
		return nil, &SyntaxError{Expr: arg, Col: 1, Msg: "empty selector", Hint: "give a node name or a method such as tag:nightly"}
	case 1:
		return words[0], nil
	}
	return words, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseWord parses arg[start:end], a word without spaces.
func parseWord(arg string, start, end int) (Expr, error) {
	var parts Intersection
	for i := start; ; {
		j := strings.IndexByte(arg[i:end], ',')
		if j < 0 {
			j = end
		} else {
			j += i
		}
		if j == i {
			return nil, &SyntaxError{Expr: arg, Col: i + 1, Msg: "empty selector in an intersection", Hint: "write a,b with something on each side of the comma"}
		}
		a, err := parseAtom(arg, i, j)
		if err != nil {
			return nil, err
		}
		parts = append(parts, a)
		if j == end {
			break
		}
		i = j + 1
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

// parseAtom parses arg[start:end]: [@][N+][method[.arg]:]value[+N].
func parseAtom(arg string, start, end int) (*Atom, error) {
	s := arg[start:end]
	a := &Atom{Text: s, Arg: arg, Col: start + 1}
	fail := func(off int, msg, hint string) (*Atom, error) {
		return nil, &SyntaxError{Expr: arg, Col: start + off + 1, Msg: msg, Hint: hint}
	}
	p := 0
	if s[0] == '@' {
		a.ChildrensParents = true
		p = 1
	}
	j := p
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '+' {
		if a.ChildrensParents {
			return fail(p, `"@" cannot be combined with a leading "+"`, `"@x" already selects the ancestors of x's descendants; write "@x" or "+x+"`)
		}
		a.Parents = true
		if j > p {
			d, err := parseDepth(s[p:j])
			if err != nil {
				return fail(p, err.Error(), "write 2+x for the parents and grandparents of x")
			}
			a.ParentsDepth = d
		}
		p = j + 1
	}
	rest, restOff := s[p:], p
	if k := strings.LastIndexByte(rest, '+'); k >= 0 && allDigits(rest[k+1:]) {
		a.Children = true
		if k+1 < len(rest) {
			d, err := parseDepth(rest[k+1:])
			if err != nil {
				return fail(restOff+k+1, err.Error(), "write x+2 for the children and grandchildren of x")
			}
			a.ChildrenDepth = d
		}
		rest = rest[:k]
	}
	valueOff := restOff
	if c := strings.IndexByte(rest, ':'); c >= 0 && isMethodName(rest[:c]) {
		parts := strings.Split(rest[:c], ".")
		a.Method, a.Args = parts[0], parts[1:]
		if !knownMethod(a.Method) {
			return fail(restOff, fmt.Sprintf("unknown method %q", a.Method), methodHint(a.Method))
		}
		a.Value = rest[c+1:]
		valueOff = restOff + c + 1
		if a.Value == "" {
			return fail(valueOff, fmt.Sprintf("missing value after %q", rest[:c+1]), "write "+rest[:c+1]+"VALUE")
		}
	} else {
		a.Value = rest
		if a.Value == "" {
			return fail(valueOff, "missing node name", "give a node name or a method such as tag:nightly after the graph operator")
		}
	}
	if k := strings.IndexAny(a.Value, "+@"); k >= 0 {
		op := a.Value[k : k+1]
		if k == 0 && a.Method != "" {
			return fail(valueOff, fmt.Sprintf("%q must come before the method", op), fmt.Sprintf("write %s%s:%s", op, rest[:valueOff-restOff-1], a.Value[1:]))
		}
		return fail(valueOff+k, fmt.Sprintf("unexpected %q in %q", op, a.Value), "graph operators go at the ends: +x, 2+x, x+, x+1, @x")
	}
	if a.Method == "" {
		a.Method = defaultMethod(a.Value)
	}
	if msg, hint, off := checkAtom(a); msg != "" {
		if off < 0 {
			off = restOff
		} else {
			off += valueOff
		}
		return fail(off, msg, hint)
	}
	return a, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseDepth parses the N of N+ or +N: a positive number.
func parseDepth(s string) (int, error) {
	d, err := strconv.Atoi(s)
	if err != nil || d > 1<<20 {
		return 0, fmt.Errorf("depth %s is too large", s)
	}
	if d == 0 {
		return 0, fmt.Errorf("depth must be at least 1, not %s", s)
	}
	return d, nil
}

// isMethodName reports whether s looks like a method: [\w.]+, as dbt's
// selector pattern has it.
func isMethodName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'z') {
			return false
		}
	}
	return true
}

func knownMethod(m string) bool {
	for _, x := range Methods {
		if x == m {
			return true
		}
	}
	return false
}

func methodHint(m string) string {
	if m == "selector" {
		return "YAML selectors are chosen with --selector NAME"
	}
	if m == "unique_id" {
		// dbt has no unique_id method: its methods page lists none.
		return "dbt selects by name or fqn, not unique_id: write customers for model.shop.customers, customers.v2 for model.shop.customers.v2, source:raw.orders for source.shop.raw.orders"
	}
	if h := diag.DidYouMean(m, Methods); h != "" {
		return h
	}
	return "methods are " + strings.Join(Methods, ", ")
}

// defaultMethod follows dbt's default method rules: a value with a slash is
// a path, one ending in a file extension a file name, anything else an fqn
// (or node name).
func defaultMethod(v string) string {
	if strings.ContainsAny(v, `/\`) {
		return "path"
	}
	switch strings.ToLower(path.Ext(v)) {
	case ".sql", ".py", ".csv", ".yml", ".yaml":
		return "file"
	}
	return "fqn"
}

// checkAtom validates a's method arguments and value. It returns the
// message, hint and offset of the problem: an offset into the value, or -1
// for the method.
func checkAtom(a *Atom) (msg, hint string, off int) {
	if a.Method == "config" {
		if len(a.Args) == 0 {
			return `method "config" needs a key`, "write config.materialized:table", -1
		}
		for _, x := range a.Args {
			if x == "" {
				return "empty config key", "write config.materialized:table", -1
			}
		}
	} else if len(a.Args) > 0 {
		return fmt.Sprintf("method %q takes no argument after a dot", a.Method), fmt.Sprintf("write %s:VALUE", a.Method), -1
	}
	oneOf := func(what string, values []string) (string, string, int) {
		for _, v := range values {
			if v == a.Value {
				return "", "", 0
			}
		}
		h := diag.DidYouMean(a.Value, values)
		if h == "" {
			h = "use one of " + strings.Join(values, ", ")
		}
		return fmt.Sprintf("unknown %s %q", what, a.Value), h, 0
	}
	switch a.Method {
	case "state":
		return oneOf("state", stateValues)
	case "result":
		return oneOf("result status", resultValues)
	case "version":
		return oneOf("version selector", versionValues)
	case "access":
		return oneOf("access", accessValues)
	case "source_status":
		return oneOf("source status", []string{"fresher"})
	case "exposure", "unit_test":
		if strings.Count(a.Value, ".") > 1 {
			return fmt.Sprintf("invalid %s selector %q", a.Method, a.Value), fmt.Sprintf("write %s:NAME or %s:PACKAGE.NAME", a.Method, a.Method), 0
		}
	case "test_type":
		if a.Value == "schema" { // dbt's old name, kept as dbt keeps it
			return "", "", 0
		}
		return oneOf("test type", testTypeValues)
	case "resource_type":
		if dbtOnlyKinds[a.Value] {
			return "", "", 0
		}
		return oneOf("resource type", kindValues)
	case "source":
		if strings.Count(a.Value, ".") > 2 {
			return fmt.Sprintf("invalid source selector %q", a.Value), "write source:SOURCE, source:SOURCE.TABLE or source:PACKAGE.SOURCE.TABLE", 0
		}
	}
	if globMethods[a.Method] {
		if _, err := path.Match(a.Value, ""); err != nil {
			return fmt.Sprintf("invalid pattern %q", a.Value), `close each "[" with "]"`, 0
		}
	}
	return "", "", 0
}
