package lineage

// query returns the output columns of a query node (SELECT_NODE,
// SET_OPERATION_NODE, RECURSIVE_CTE_NODE, CTE_NODE). outer is the
// enclosing scope: its CTEs are visible, and its columns for correlated
// references; nil at the top.
func (a *analyzer) query(n obj, outer *scope) []*col {
	if n == nil {
		return nil
	}
	sc := &scope{ctes: outer.ctesOrNil(), outer: outer}
	sc.ctes = a.withCTEs(n, sc)
	switch t := getStr(n, "type"); t {
	case "SELECT_NODE":
		return a.selectNode(n, sc)
	case "SET_OPERATION_NODE":
		return a.setOperation(n, sc)
	case "RECURSIVE_CTE_NODE":
		return a.recursiveCTE(n, sc)
	case "CTE_NODE":
		return a.query(getObj(n, "child"), sc)
	default:
		a.note("query node %s is not analysed", t)
		return nil
	}
}

// withCTEs evaluates the WITH clause of n in order, each CTE seeing the
// ones before it, and returns the CTEs visible in n's body.
func (a *analyzer) withCTEs(n obj, sc *scope) *cteEnv {
	env := sc.ctes
	for _, item := range getArr(getObj(n, "cte_map"), "map") {
		kv, _ := item.(obj)
		name := lower(getStr(kv, "key"))
		def := getObj(kv, "value")
		if t := a.env.CTETables[name]; t != nil {
			env = &cteEnv{parent: env, name: name, table: t}
			continue
		}
		cteScope := &scope{ctes: env, outer: sc.outer}
		q := cteQuery(def)
		if getStr(q, "type") == "RECURSIVE_CTE_NODE" && getStr(q, "cte_name") == "" {
			q["cte_name"] = getStr(kv, "key")
		}
		cols := a.query(q, cteScope)
		cols = renameCols(cols, getStrs(def, "aliases"))
		e := &cteEnv{parent: env, name: name}
		e.cols, e.wild = splitWild(cols)
		env = e
	}
	return env
}

// renameCols gives the first columns the names of aliases: WITH x(a, b).
func renameCols(cols []*col, aliases []string) []*col {
	if len(aliases) == 0 {
		return cols
	}
	out := make([]*col, len(cols))
	copy(out, cols)
	for i, n := range aliases {
		if i < len(out) && out[i].wild == nil {
			out[i] = out[i].renamed(n)
		}
	}
	return out
}

// splitWild separates the known columns from a wildcard column.
func splitWild(cols []*col) ([]*col, *wildcard) {
	var known []*col
	var w *wildcard
	for _, c := range cols {
		if c.wild != nil {
			w = mergeWild(w, c.wild)
			continue
		}
		known = append(known, c)
	}
	return known, w
}

func mergeWild(a, b *wildcard) *wildcard {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.node == b.node && a.node != "":
		return a
	}
	refs := refSet{}.add(a.refs).add(b.refs)
	for _, w := range []*wildcard{a, b} {
		if w.node != "" {
			refs = refs.add(single(w.node, "*"))
		}
	}
	return &wildcard{refs: refs}
}

// selectNode evaluates SELECT ... FROM ...: the FROM clause first, then the
// select list, each alias visible to the expressions after it.
func (a *analyzer) selectNode(n obj, sc *scope) []*col {
	sc.item = a.from(getObj(n, "from_table"), &scope{ctes: sc.ctes, outer: sc.outer})
	sc.lateral = map[string]*col{}
	var out []*col
	for i, e := range getArr(n, "select_list") {
		x, _ := e.(obj)
		if getStr(x, "class") == "STAR" {
			out = append(out, a.star(x, sc)...)
			continue
		}
		var c *col
		if names := getStrs(x, "column_names"); getStr(x, "class") == "COLUMN_REF" && getStr(x, "alias") == "" && len(names) > 0 {
			// A bare column keeps its name, spelled as upstream.
			c = &col{name: names[len(names)-1]}
			if src := a.resolve(names, sc); src != nil {
				c.refs, c.direct = src.refs, src.direct
				if src.wild == nil && lower(src.name) == lower(c.name) {
					c.name = src.name
				}
			}
		} else {
			refs, direct := a.expr(x, sc)
			c = &col{name: outputName(x, i), refs: refs, direct: direct}
		}
		out = append(out, c)
		if alias := getStr(x, "alias"); alias != "" {
			sc.lateral[lower(alias)] = c
		}
	}
	return out
}

// setOperation evaluates UNION [ALL] [BY NAME], INTERSECT and EXCEPT: the
// names come from the left side, the values from both (from the left only
// for EXCEPT, whose right side only removes rows).
func (a *analyzer) setOperation(n obj, sc *scope) []*col {
	children := []obj{getObj(n, "left"), getObj(n, "right")}
	if cs := getArr(n, "children"); len(cs) > 0 {
		children = children[:0]
		for _, c := range cs {
			o, _ := c.(obj)
			children = append(children, o)
		}
	}
	op := getStr(n, "setop_type")
	var out []*col
	for i, child := range children {
		cols := a.query(child, sc)
		if i == 0 {
			out = cols
			continue
		}
		if op == "EXCEPT" {
			continue
		}
		if op == "UNION_BY_NAME" {
			out = unionByName(out, cols)
			continue
		}
		out = unionByPosition(out, cols)
	}
	return out
}

func unionByPosition(left, right []*col) []*col {
	out := make([]*col, len(left))
	for i, l := range left {
		if i >= len(right) {
			out[i] = l
			continue
		}
		out[i] = mergeCols(l, right[i])
	}
	return out
}

func unionByName(left, right []*col) []*col {
	out := append([]*col(nil), left...)
	idx := map[string]int{}
	for i, c := range out {
		idx[lower(c.name)] = i
	}
	for _, r := range right {
		if i, ok := idx[lower(r.name)]; ok {
			out[i] = mergeCols(out[i], r)
		} else {
			idx[lower(r.name)] = len(out)
			out = append(out, r)
		}
	}
	return out
}

// mergeCols is the column of a set operation: l's name, both values.
func mergeCols(l, r *col) *col {
	return &col{
		name:   l.name,
		refs:   refSet{}.add(l.refs).add(r.refs),
		direct: l.direct && r.direct,
		wild:   mergeWild(l.wild, r.wild),
	}
}

// recursiveCTE evaluates WITH RECURSIVE r AS (anchor UNION recursive): the
// anchor gives the columns, the recursive part (which reads r) adds its
// values.
func (a *analyzer) recursiveCTE(n obj, sc *scope) []*col {
	name := lower(getStr(n, "cte_name"))
	left := renameCols(a.query(getObj(n, "left"), sc), getStrs(n, "aliases"))
	inner := &scope{ctes: sc.ctes, outer: sc.outer}
	e := &cteEnv{parent: sc.ctes, name: name}
	e.cols, e.wild = splitWild(left)
	inner.ctes = e
	right := a.query(getObj(n, "right"), inner)
	return unionByPosition(left, right)
}
