package lineage

import (
	"fmt"
	"regexp"
	"strings"
)

// expr returns the columns e's value is computed from, and whether e is
// one column as it is (renamed or cast at most).
func (a *analyzer) expr(e obj, sc *scope) (refSet, bool) {
	if e == nil {
		return nil, false
	}
	switch getStr(e, "class") {
	case "COLUMN_REF":
		c := a.resolve(getStrs(e, "column_names"), sc)
		if c == nil {
			return nil, false
		}
		return c.allRefs(), c.direct
	case "CAST":
		return a.expr(getObj(e, "child"), sc)
	case "SUBQUERY":
		refs := refSet{}
		for _, c := range a.query(getObj(getObj(e, "subquery"), "node"), sc) {
			refs = refs.add(c.allRefs())
		}
		if child := getObj(e, "child"); child != nil {
			r, _ := a.expr(child, sc)
			refs = refs.add(r)
		}
		return refs, false
	case "LAMBDA":
		params := map[string]bool{}
		collectNames(getObj(e, "lhs"), params)
		inner := *sc
		inner.masked = map[string]bool{}
		for k := range sc.masked {
			inner.masked[k] = true
		}
		for k := range params {
			inner.masked[k] = true
		}
		return a.walk(getObj(e, "expr"), &inner), false
	case "STAR":
		// COLUMNS(...) or * inside an expression: computed from all of them.
		refs := refSet{}
		for _, c := range a.star(e, sc) {
			refs = refs.add(c.allRefs())
		}
		return refs, false
	case "POSITIONAL_REFERENCE":
		idx, _ := e["index"].(float64)
		cols := a.starColumns(sc, "")
		if i := int(idx); i >= 1 && i <= len(cols) && cols[i-1].wild == nil {
			return cols[i-1].refs, cols[i-1].direct
		}
		a.note("positional reference #%v is not resolved", idx)
		return nil, false
	}
	return a.walkFields(e, sc), false
}

// walk returns the union of the columns of the expressions within v.
func (a *analyzer) walk(v any, sc *scope) refSet {
	switch x := v.(type) {
	case obj:
		if getStr(x, "class") != "" {
			r, _ := a.expr(x, sc)
			return r
		}
		return a.walkFields(x, sc)
	case []any:
		out := refSet{}
		for _, y := range x {
			out = out.add(a.walk(y, sc))
		}
		return out
	}
	return nil
}

func (a *analyzer) walkFields(x obj, sc *scope) refSet {
	out := refSet{}
	for _, v := range x {
		switch v.(type) {
		case obj, []any:
			out = out.add(a.walk(v, sc))
		}
	}
	return out
}

// allRefs are the column's upstream, with a wildcard's standing for it.
func (c *col) allRefs() refSet {
	if c.wild == nil {
		return c.refs
	}
	out := refSet{}.add(c.refs).add(c.wild.refs)
	if c.wild.node != "" {
		out[ColumnRef{Node: c.wild.node, Column: "*"}] = struct{}{}
	}
	return out
}

// resolve finds the column names stand for: column, table.column,
// schema.table.column, catalog.schema.table.column, or a field of a struct
// column (column.field...). It returns nil, with a note, when nothing in
// scope has it.
func (a *analyzer) resolve(names []string, sc *scope) *col {
	if len(names) == 0 {
		return nil
	}
	low := make([]string, len(names))
	for i, n := range names {
		low[i] = lower(n)
	}
	if len(low) == 1 {
		if c := a.unqualified(low[0], sc); c != nil {
			return c
		}
		a.note("column %s is not found", names[0])
		return nil
	}
	for k := 1; k < len(low) && k <= 3; k++ {
		r := findRel(sc, low[:k])
		if r == nil {
			continue
		}
		c := r.find(low[k], true)
		if c == nil {
			a.note("column %s is not found in %s", names[k], strings.Join(names[:k], "."))
			return nil
		}
		if k+1 < len(low) {
			return &col{name: c.name, refs: c.allRefs()}
		}
		return c
	}
	if c := a.unqualified(low[0], sc); c != nil {
		return &col{name: c.name, refs: c.allRefs()} // a struct field
	}
	a.note("column %s is not found", strings.Join(names, "."))
	return nil
}

// unqualified resolves a column name: the FROM clause (merged USING
// columns first, then the known columns of each relation), the select
// list's aliases, the relations whose columns are not all known, then the
// enclosing queries.
func (a *analyzer) unqualified(name string, sc *scope) *col {
	for s := sc; s != nil; s = s.outer {
		if s.masked[name] {
			return &col{name: name}
		}
		if s.item != nil {
			if m := s.item.merged[name]; m != nil {
				return m.col
			}
			var found []*col
			for _, r := range s.item.rels {
				if c := r.byName[name]; c != nil && !r.hidden {
					found = append(found, c)
				}
			}
			if c := a.pick(name, found); c != nil {
				return c
			}
		}
		if c := s.lateral[name]; c != nil {
			return c
		}
		if s.item != nil {
			var found []*col
			for _, r := range s.item.rels {
				if r.wild != nil && !r.hidden {
					found = append(found, r.find(name, true))
				}
			}
			if c := a.pick(name, found); c != nil {
				return c
			}
		}
	}
	return nil
}

// pick returns the one candidate column, or, when the name is ambiguous,
// a column computed from all of them.
func (a *analyzer) pick(name string, found []*col) *col {
	switch len(found) {
	case 0:
		return nil
	case 1:
		return found[0]
	}
	a.note("column %s is ambiguous: taken from all %d relations that may have it", name, len(found))
	refs := refSet{}
	for _, c := range found {
		refs = refs.add(c.allRefs())
	}
	return &col{name: found[0].name, refs: refs}
}

// findRel finds the relation qualified by quals (table, schema.table or
// catalog.schema.table), in scope or in an enclosing query.
func findRel(sc *scope, quals []string) *rel {
	for s := sc; s != nil; s = s.outer {
		if s.item == nil {
			continue
		}
		for _, r := range s.item.rels {
			n := len(quals)
			if r.binding != quals[n-1] {
				continue
			}
			if n == 1 || r.schema == quals[n-2] {
				return r
			}
		}
	}
	return nil
}

// starColumns expands * (or rel.*) over the FROM clause of sc: each
// relation's columns in order, a merged USING column once, and a wildcard
// column for each relation whose columns are not all known.
func (a *analyzer) starColumns(sc *scope, relName string) []*col {
	var out []*col
	for _, x := range a.expandStar(sc, relName) {
		out = append(out, x.c)
	}
	return out
}

type starCol struct {
	c *col
	r *rel
}

func (a *analyzer) expandStar(sc *scope, relName string) []starCol {
	if sc == nil || sc.item == nil {
		return nil
	}
	it := sc.item
	var out []starCol
	emitted := map[string]bool{}
	matched := false
	for _, r := range it.rels {
		if r.hidden || relName != "" && r.binding != relName {
			continue
		}
		matched = true
		for _, c := range r.cols {
			n := lower(c.name)
			if m := it.merged[n]; relName == "" && m != nil && m.members[r] {
				if !emitted[n] {
					emitted[n] = true
					out = append(out, starCol{m.col, r})
				}
				continue
			}
			out = append(out, starCol{c, r})
		}
		if r.wild != nil {
			out = append(out, starCol{&col{name: "*", wild: r.wild}, r})
		}
	}
	if relName != "" && !matched {
		if c := a.unqualified(relName, sc); c != nil {
			a.note("the fields of struct %s.* are taken as one column", relName)
			out = append(out, starCol{c: &col{name: c.name, refs: c.allRefs()}})
		} else {
			a.note("%s.* is not found", relName)
		}
	}
	return out
}

// star expands a select-list `*`, `rel.*` or COLUMNS(...), with EXCLUDE,
// REPLACE and RENAME.
func (a *analyzer) star(e obj, sc *scope) []*col {
	cols := a.expandStar(sc, lower(getStr(e, "relation_name")))
	if getBool(e, "columns") {
		cols = a.columnsFilter(getObj(e, "expr"), cols)
	}
	excl := map[string]bool{}
	for _, n := range getStrs(e, "exclude_list") {
		excl[lower(n)] = true
	}
	for _, q := range getArr(e, "qualified_exclude_list") {
		qo, _ := q.(obj)
		excl[qualKey(getStr(qo, "table"), getStr(qo, "column"))] = true
	}
	replace := map[string]obj{}
	for _, r := range getArr(e, "replace_list") {
		ro, _ := r.(obj)
		replace[lower(getStr(ro, "key"))] = getObj(ro, "value")
	}
	rename := map[string]string{}
	for _, r := range getArr(e, "rename_list") {
		ro, _ := r.(obj)
		k := getObj(ro, "key")
		rename[qualKey(getStr(k, "table"), getStr(k, "column"))] = getStr(ro, "value")
	}
	out := make([]*col, 0, len(cols))
	for _, x := range cols {
		c, n := x.c, lower(x.c.name)
		binding := ""
		if x.r != nil {
			binding = x.r.binding
		}
		if c.wild == nil {
			if excl[n] || excl[binding+"."+n] {
				continue
			}
			if rx := replace[n]; rx != nil {
				refs, d := a.expr(rx, sc)
				c = &col{name: c.name, refs: refs, direct: d}
			}
			if nn, ok := rename[n]; ok {
				c = c.renamed(nn)
			} else if nn, ok := rename[binding+"."+n]; ok {
				c = c.renamed(nn)
			}
		}
		out = append(out, c)
	}
	return out
}

func qualKey(table, column string) string {
	if table == "" {
		return lower(column)
	}
	return lower(table) + "." + lower(column)
}

// columnsFilter keeps the columns COLUMNS(arg) selects: a regular
// expression over the column names (evaluated as DuckDB does, with RE2 and
// a partial match), a list of names, or * (arg nil). A lambda cannot be
// evaluated here: every column is kept.
func (a *analyzer) columnsFilter(arg obj, cols []starCol) []starCol {
	if arg == nil {
		return cols
	}
	var keep func(name string) bool
	switch getStr(arg, "class") {
	case "CONSTANT":
		pattern, _ := constant(arg)
		re, err := regexp.Compile(pattern)
		if err != nil {
			a.note("COLUMNS(%q): %v", pattern, err)
			return cols
		}
		keep = re.MatchString
	case "FUNCTION": // COLUMNS(['a', 'b']): a list of names
		names := map[string]bool{}
		for _, co := range funcArgs(arg) {
			if getStr(co, "class") != "CONSTANT" {
				// COLUMNS(lambda) is list_filter(*, lambda).
				a.note("COLUMNS(%s) is taken as every column", getStr(arg, "function_name"))
				return cols
			}
			name, _ := constant(co)
			names[lower(name)] = true
		}
		keep = func(n string) bool { return names[lower(n)] }
	default:
		a.note("COLUMNS(%s) is taken as every column", strings.ToLower(getStr(arg, "class")))
		return cols
	}
	var out []starCol
	for _, x := range cols {
		if x.c.wild != nil || keep(x.c.name) {
			out = append(out, x)
		}
	}
	return out
}

// outputName is the name DuckDB gives a select-list expression: its alias,
// a column's name, else (best effort) the expression's text.
func outputName(e obj, i int) string {
	if alias := getStr(e, "alias"); alias != "" {
		return alias
	}
	if s := exprText(e); s != "" {
		return s
	}
	return fmt.Sprintf("col%d", i)
}

// exprText prints simple expressions as DuckDB names them: a.b, 1, 'x',
// f(a, b), (a + b), CAST(a AS INTEGER); "" for anything else.
func exprText(e obj) string {
	switch getStr(e, "class") {
	case "COLUMN_REF":
		names := getStrs(e, "column_names")
		if len(names) == 0 {
			return ""
		}
		return names[len(names)-1]
	case "CONSTANT":
		s, isString := constant(e)
		if isString {
			return "'" + s + "'"
		}
		return s
	case "CAST":
		typ := castType(e)
		if typ == "" {
			return ""
		}
		return "CAST(" + exprText(getObj(e, "child")) + " AS " + typ + ")"
	case "FUNCTION":
		var args []string
		for _, co := range funcArgs(e) {
			t := exprText(co)
			if t == "" {
				return ""
			}
			args = append(args, t)
		}
		fn := getStr(e, "function_name")
		if getBool(e, "is_operator") && len(args) == 2 {
			return "(" + args[0] + " " + fn + " " + args[1] + ")"
		}
		return fn + "(" + strings.Join(args, ", ") + ")"
	}
	return ""
}
