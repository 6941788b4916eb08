package lineage

import (
	"sort"
	"strings"
)

// obj is a JSON object of the parse tree.
type obj = map[string]any

func getObj(o obj, k string) obj {
	m, _ := o[k].(map[string]any)
	return m
}

func getArr(o obj, k string) []any {
	a, _ := o[k].([]any)
	return a
}

func getStr(o obj, k string) string {
	s, _ := o[k].(string)
	return s
}

func getBool(o obj, k string) bool {
	b, _ := o[k].(bool)
	return b
}

// getStrs returns the strings of the array o[k].
func getStrs(o obj, k string) []string {
	arr := getArr(o, k)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// lower folds an identifier: DuckDB resolves names case-insensitively.
func lower(s string) string { return strings.ToLower(s) }

// refSet is a set of upstream columns.
type refSet map[ColumnRef]struct{}

func (s refSet) add(t refSet) refSet {
	if len(t) == 0 {
		return s
	}
	if s == nil {
		s = make(refSet, len(t))
	}
	for r := range t {
		s[r] = struct{}{}
	}
	return s
}

func (s refSet) sorted() []ColumnRef {
	out := make([]ColumnRef, 0, len(s))
	for r := range s {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].Column < out[j].Column
	})
	return out
}

func single(node, column string) refSet {
	return refSet{ColumnRef{Node: node, Column: column}: {}}
}

// col is a column of a relation in scope, or an output column.
type col struct {
	name   string
	refs   refSet
	direct bool
	// wild, when set, makes the column stand for the unknown columns of a
	// relation (a `*` over it).
	wild *wildcard
}

func (c *col) export() Column {
	up := c.refs.sorted()
	direct := c.direct
	if c.wild != nil {
		up = c.allRefs().sorted()
		direct = c.wild.node != "" && len(c.wild.refs) == 0
	}
	return Column{Name: c.name, Upstream: up, Direct: direct && len(up) == 1}
}

func (c *col) renamed(name string) *col {
	d := *c
	d.name = name
	return &d
}

// wildcard stands for the columns of a relation that are not known: those
// of a table whose columns the caller did not give, of a table function,
// of a PIVOT without a list of values.
type wildcard struct {
	// node, when set: an unknown column is the same-named column of node.
	node string
	// refs otherwise: an unknown column is computed from these.
	refs refSet
}

func (w *wildcard) column(name string) *col {
	if w.node != "" {
		return &col{name: name, refs: single(w.node, name), direct: true}
	}
	return &col{name: name, refs: w.refs}
}

// rel is a relation of a FROM clause: a table, a CTE, a subquery, a table
// function.
type rel struct {
	binding string // lower-case name that qualifies its columns
	schema  string // lower-case schema of a base table
	cols    []*col
	byName  map[string]*col
	wild    *wildcard
	hidden  bool            // right side of a SEMI or ANTI join: not in *
	extra   map[string]*col // columns resolved through wild
}

func newRel(binding string, cols []*col, wild *wildcard) *rel {
	r := &rel{binding: lower(binding), cols: cols, wild: wild, byName: make(map[string]*col, len(cols))}
	for _, c := range cols {
		if _, dup := r.byName[lower(c.name)]; !dup {
			r.byName[lower(c.name)] = c
		}
	}
	return r
}

// find returns the column name of r: a known one, or one through its
// wildcard when wild is set.
func (r *rel) find(name string, wild bool) *col {
	if c := r.byName[name]; c != nil {
		return c
	}
	if !wild || r.wild == nil {
		return nil
	}
	if c := r.extra[name]; c != nil {
		return c
	}
	c := r.wild.column(name)
	if r.extra == nil {
		r.extra = map[string]*col{}
	}
	r.extra[name] = c
	return c
}

// aliasColumns renames the first columns of r: FROM t AS x(a, b).
func (r *rel) aliasColumns(names []string) *rel {
	if len(names) == 0 {
		return r
	}
	cols := make([]*col, len(r.cols))
	copy(cols, r.cols)
	for i, n := range names {
		if i < len(cols) {
			cols[i] = cols[i].renamed(n)
		} else if r.wild != nil {
			cols = append(cols, r.wild.column(n).renamed(n))
		}
	}
	out := newRel(r.binding, cols, r.wild)
	out.schema = r.schema
	return out
}

// fromItem is what a FROM clause puts in scope: its relations, and the
// columns that USING or NATURAL joins merged.
type fromItem struct {
	rels   []*rel
	merged map[string]*mergedCol
}

type mergedCol struct {
	col     *col
	members map[*rel]bool
}

// scope is where a query's expressions resolve names: its FROM clause, the
// aliases of its select list, its CTEs, and the enclosing query for
// correlated subqueries.
type scope struct {
	ctes    *cteEnv
	item    *fromItem
	outer   *scope
	lateral map[string]*col // select-list aliases defined so far
	masked  map[string]bool // lambda parameters
}

// cteEnv is the chain of CTEs visible at a point of the query, the
// innermost first.
type cteEnv struct {
	parent *cteEnv
	name   string
	cols   []*col
	wild   *wildcard
	table  *Table // an ephemeral model inlined as this CTE
}

func (e *cteEnv) lookup(name string) *cteEnv {
	for ; e != nil; e = e.parent {
		if e.name == name {
			return e
		}
	}
	return nil
}

func (s *scope) ctesOrNil() *cteEnv {
	if s == nil {
		return nil
	}
	return s.ctes
}

// The parse tree's format changed with DuckDB 2.0; the helpers below read
// both, so that lineage does not depend on the DuckDB kiln is built with.

// funcArgs returns the arguments of a FUNCTION expression: "children"
// before DuckDB 2.0, "arguments" (objects holding the "expression", and
// the name of a named argument) since.
func funcArgs(e obj) []obj {
	if args := getArr(e, "arguments"); args != nil {
		out := make([]obj, 0, len(args))
		for _, a := range args {
			ao, _ := a.(obj)
			out = append(out, getObj(ao, "expression"))
		}
		return out
	}
	ch := getArr(e, "children")
	out := make([]obj, 0, len(ch))
	for _, c := range ch {
		co, _ := c.(obj)
		out = append(out, co)
	}
	return out
}

// constant returns the text of a CONSTANT expression as DuckDB prints it
// in a column name ("NULL" for NULL), and whether it is a string literal:
// DuckDB 2.0 serializes the literal as written ({"kind", "text"}), earlier
// versions the Value ({"type", "is_null", "value"}).
func constant(e obj) (text string, isString bool) {
	if l := getObj(e, "literal"); l != nil {
		if getStr(l, "kind") == "NULL_LITERAL" {
			return "NULL", false
		}
		return getStr(l, "text"), getStr(l, "kind") == "STRING"
	}
	v := getObj(e, "value")
	_, isString = v["value"].(string)
	return constantText(v), isString
}

// cteQuery returns the query node of a CTE definition: "query_node" since
// DuckDB 2.0, "query"."node" before.
func cteQuery(def obj) obj {
	if q := getObj(def, "query_node"); q != nil {
		return q
	}
	return getObj(getObj(def, "query"), "node")
}

// castType returns the name of a CAST's target type: "type_expr"'s
// type_name since DuckDB 2.0 (as written, upper-cased here; "" for a type
// with parameters, DECIMAL(10, 2) or a LIST), "cast_type"'s id before.
func castType(e obj) string {
	if t := getObj(e, "type_expr"); t != nil {
		if getArr(t, "children") != nil {
			return ""
		}
		return strings.ToUpper(getStr(t, "type_name"))
	}
	return getStr(getObj(e, "cast_type"), "id")
}

// entryNames returns the values of a PIVOT or UNPIVOT IN entry as
// text: the serialized Values of "values" before DuckDB 2.0; since, the
// "star_expr" when it is a constant, a column reference or a row(...) of
// them. ok is false for an entry that is an expression such as
// COLUMNS(...) or a subquery.
func entryNames(en obj) (names []string, ok bool) {
	star := getObj(en, "star_expr")
	if star == nil {
		for _, v := range getArr(en, "values") {
			names = append(names, constantText(v))
		}
		return names, true
	}
	one := func(x obj) (string, bool) {
		switch getStr(x, "class") {
		case "CONSTANT":
			t, _ := constant(x)
			return t, true
		case "COLUMN_REF":
			if cn := getStrs(x, "column_names"); len(cn) > 0 {
				return cn[len(cn)-1], true
			}
		}
		return "", false
	}
	if getStr(star, "class") == "FUNCTION" && getStr(star, "function_name") == "row" {
		for _, a := range funcArgs(star) {
			n, ok := one(a)
			if !ok {
				return nil, false
			}
			names = append(names, n)
		}
		return names, true
	}
	n, ok := one(star)
	if !ok {
		return nil, false
	}
	return []string{n}, true
}
