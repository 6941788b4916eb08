package lineage

import (
	"fmt"
	"strings"
)

// from evaluates a FROM clause (a table reference of the tree). sc gives
// the CTEs and the scope lateral references resolve in.
func (a *analyzer) from(t obj, sc *scope) *fromItem {
	if t == nil {
		return &fromItem{}
	}
	switch typ := getStr(t, "type"); typ {
	case "EMPTY", "":
		return &fromItem{}
	case "BASE_TABLE":
		return one(a.baseTable(t, sc))
	case "SUBQUERY":
		cols := a.query(getObj(getObj(t, "subquery"), "node"), sc)
		known, w := splitWild(cols)
		r := newRel(orDefault(getStr(t, "alias"), "unnamed_subquery"), known, w)
		return one(r.aliasColumns(getStrs(t, "column_name_alias")))
	case "JOIN":
		return a.join(t, sc)
	case "TABLE_FUNCTION":
		return one(a.tableFunction(t, sc))
	case "EXPRESSION_LIST":
		return one(a.values(t, sc))
	case "PIVOT":
		return one(a.pivot(t, sc))
	default:
		a.note("table reference %s is not analysed: its columns are taken as named", typ)
		return one(newRel(getStr(t, "alias"), nil, &wildcard{}))
	}
}

func one(r *rel) *fromItem { return &fromItem{rels: []*rel{r}} }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// baseTable resolves a table name: a CTE in scope, else the caller's Table.
func (a *analyzer) baseTable(t obj, sc *scope) *rel {
	catalog, schema, name := getStr(t, "catalog_name"), getStr(t, "schema_name"), getStr(t, "table_name")
	binding := orDefault(getStr(t, "alias"), name)
	var r *rel
	if e := sc.ctes.lookup(lower(name)); e != nil && schema == "" && catalog == "" {
		if e.table != nil {
			r = tableRel(binding, e.table)
		} else {
			r = newRel(binding, e.cols, e.wild)
		}
	} else {
		var tab *Table
		if a.env.Table != nil {
			tab = a.env.Table(catalog, schema, name)
		}
		if tab == nil {
			written := strings.Join(nonEmpty(catalog, schema, name), ".")
			a.note("relation %s is not a node of the project: its columns are taken as named", written)
			tab = &Table{Node: written}
		}
		r = tableRel(binding, tab)
		r.schema = lower(schema)
	}
	return r.aliasColumns(getStrs(t, "column_name_alias"))
}

func tableRel(binding string, t *Table) *rel {
	cols := make([]*col, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = &col{name: c, refs: single(t.Node, c), direct: true}
	}
	var w *wildcard
	if !t.Complete {
		w = &wildcard{node: t.Node}
	}
	return newRel(binding, cols, w)
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// join evaluates left JOIN right. The right side sees the left's relations
// (LATERAL). USING and NATURAL merge the shared columns: unqualified, and in
// `*`, they appear once, computed from both sides. SEMI and ANTI joins keep
// the right side out of `*`.
func (a *analyzer) join(t obj, sc *scope) *fromItem {
	left := a.from(getObj(t, "left"), sc)
	right := a.from(getObj(t, "right"), &scope{ctes: sc.ctes, item: left, outer: sc.outer})
	out := &fromItem{rels: append(append([]*rel(nil), left.rels...), right.rels...), merged: map[string]*mergedCol{}}
	for k, m := range left.merged {
		out.merged[k] = m
	}
	for k, m := range right.merged {
		out.merged[k] = m
	}
	switch getStr(t, "join_type") {
	case "SEMI", "ANTI":
		for _, r := range right.rels {
			hidden := *r
			hidden.hidden = true
			for i, x := range out.rels {
				if x == r {
					out.rels[i] = &hidden
				}
			}
		}
		return out
	}
	using := getStrs(t, "using_columns")
	if getStr(t, "ref_type") == "NATURAL" {
		using = sharedColumns(left, right)
	}
	for _, name := range using {
		l, lm := itemColumn(left, lower(name))
		r, rm := itemColumn(right, lower(name))
		if l == nil || r == nil {
			a.note("USING column %s is not known on both sides of the join", name)
			continue
		}
		m := &mergedCol{col: &col{name: l.name, refs: refSet{}.add(l.refs).add(r.refs), direct: l.direct && r.direct}, members: map[*rel]bool{}}
		for _, set := range []map[*rel]bool{lm, rm} {
			for x := range set {
				m.members[x] = true
			}
		}
		out.merged[lower(name)] = m
	}
	return out
}

// itemColumn finds an unqualified column of a FROM item and the relations
// it comes from.
func itemColumn(it *fromItem, name string) (*col, map[*rel]bool) {
	if m := it.merged[name]; m != nil {
		return m.col, m.members
	}
	for _, wild := range []bool{false, true} {
		for _, r := range it.rels {
			if c := r.find(name, wild); c != nil {
				return c, map[*rel]bool{r: true}
			}
		}
	}
	return nil, nil
}

// sharedColumns are the column names of a NATURAL join, in the left's
// order.
func sharedColumns(left, right *fromItem) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range left.rels {
		for _, c := range l.cols {
			n := lower(c.name)
			if seen[n] {
				continue
			}
			for _, r := range right.rels {
				if r.byName[n] != nil {
					out = append(out, c.name)
					seen[n] = true
					break
				}
			}
		}
	}
	return out
}

// tableFunction evaluates read_csv(...), unnest(...), range(...): its
// columns are unknown unless aliased, each computed from the function's
// arguments (a lateral unnest(t.list) gives values of t.list).
func (a *analyzer) tableFunction(t obj, sc *scope) *rel {
	fn := getObj(t, "function")
	refs := a.walk(fn, sc)
	name := getStr(fn, "function_name")
	w := &wildcard{refs: refs}
	var cols []*col
	for _, n := range getStrs(t, "column_name_alias") {
		cols = append(cols, &col{name: n, refs: refs})
	}
	if len(cols) == 0 && len(refs) == 0 {
		a.note("the columns of table function %s are taken as named", name)
	}
	return newRel(orDefault(getStr(t, "alias"), name), cols, w)
}

// values evaluates VALUES (...), (...): columns col0, col1, ... computed
// from the expressions of each row.
func (a *analyzer) values(t obj, sc *scope) *rel {
	var cols []*col
	for _, row := range getArr(t, "values") {
		exprs, _ := row.([]any)
		for i, e := range exprs {
			x, _ := e.(obj)
			refs, _ := a.expr(x, sc)
			if i >= len(cols) {
				cols = append(cols, &col{name: fmt.Sprintf("col%d", i)})
			}
			cols[i].refs = cols[i].refs.add(refs)
		}
	}
	for i, n := range getStrs(t, "expected_names") {
		if i < len(cols) {
			cols[i].name = n
		}
	}
	return newRel(orDefault(getStr(t, "alias"), "valueslist"), cols, nil)
}
