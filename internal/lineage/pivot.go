package lineage

import (
	"fmt"
	"strings"
)

// pivot evaluates PIVOT and UNPIVOT in FROM (the PIVOT statement is
// serialized as SELECT * FROM ... PIVOT too).
//
// PIVOT: the group columns (those listed, else every column of the source
// that no pivot or aggregate names) keep their lineage; each value column
// (one per IN value, times each aggregate) is computed from the
// aggregates' columns. Without an IN list the value columns are unknown.
//
// UNPIVOT: the columns not unpivoted keep their lineage, the name column
// is computed from nothing, the value column from every unpivoted column.
func (a *analyzer) pivot(t obj, sc *scope) *rel {
	src := a.from(getObj(t, "source"), sc)
	inner := &scope{ctes: sc.ctes, item: src, outer: sc.outer}
	binding := orDefault(getStr(t, "alias"), "pivot")
	var r *rel
	if names := getStrs(t, "unpivot_names"); len(names) > 0 {
		r = a.unpivot(t, inner, names, binding)
	} else {
		r = a.pivotValues(t, inner, binding)
	}
	return r.aliasColumns(getStrs(t, "column_name_alias"))
}

func (a *analyzer) pivotValues(t obj, inner *scope, binding string) *rel {
	used := map[string]bool{}
	aggRefs := refSet{}
	var aggNames []string
	var perAgg []refSet
	for _, x := range getArr(t, "aggregates") {
		e, _ := x.(obj)
		r := a.walk(e, inner)
		perAgg = append(perAgg, r)
		aggRefs = refSet{}.add(aggRefs).add(r)
		collectNames(e, used)
		aggNames = append(aggNames, outputName(e, 0))
	}
	// Value column names: the IN values of each pivot, crossed.
	names := []string{""}
	known := true
	for _, p := range getArr(t, "pivots") {
		po, _ := p.(obj)
		for _, e := range getArr(po, "pivot_expressions") {
			x, _ := e.(obj)
			collectNames(x, used)
		}
		for _, n := range getStrs(po, "unpivot_names") {
			used[lower(n)] = true
		}
		entries := getArr(po, "entries")
		if len(entries) == 0 {
			known = false
		}
		var labels []string
		for _, en := range entries {
			eo, _ := en.(obj)
			parts, ok := entryNames(eo)
			if !ok {
				known = false
				continue
			}
			label := getStr(eo, "alias")
			if label == "" {
				label = strings.Join(parts, "_")
			}
			labels = append(labels, label)
		}
		var next []string
		for _, prefix := range names {
			for _, label := range labels {
				if prefix != "" {
					label = prefix + "_" + label
				}
				next = append(next, label)
			}
		}
		names = next
	}
	var cols []*col
	if groups := getStrs(t, "groups"); len(groups) > 0 {
		for _, g := range groups {
			if c := a.resolve([]string{g}, inner); c != nil {
				cols = append(cols, c.renamed(g))
			}
		}
	} else {
		for _, c := range a.starColumns(inner, "") {
			if c.wild == nil && !used[lower(c.name)] {
				cols = append(cols, c)
			}
		}
	}
	var w *wildcard
	if !known {
		w = &wildcard{refs: aggRefs}
	} else {
		for _, n := range names {
			if len(aggNames) <= 1 {
				cols = append(cols, &col{name: n, refs: aggRefs})
				continue
			}
			for k, agg := range aggNames {
				cols = append(cols, &col{name: n + "_" + agg, refs: perAgg[k]})
			}
		}
	}
	return newRel(binding, cols, w)
}

func (a *analyzer) unpivot(t obj, inner *scope, valueNames []string, binding string) *rel {
	unpivoted := map[string]bool{}
	valueRefs := refSet{}
	var nameCols []string
	for _, p := range getArr(t, "pivots") {
		po, _ := p.(obj)
		nameCols = append(nameCols, getStrs(po, "unpivot_names")...)
		for _, en := range getArr(po, "entries") {
			eo, _ := en.(obj)
			names, ok := entryNames(eo)
			if !ok {
				for _, c := range a.star(getObj(eo, "star_expr"), inner) {
					unpivoted[lower(c.name)] = true
					valueRefs = valueRefs.add(c.refs)
				}
				continue
			}
			for _, name := range names {
				unpivoted[lower(name)] = true
				if c := a.resolve([]string{name}, inner); c != nil {
					valueRefs = valueRefs.add(c.refs)
				}
			}
		}
	}
	var cols []*col
	for _, c := range a.starColumns(inner, "") {
		if c.wild == nil && !unpivoted[lower(c.name)] {
			cols = append(cols, c)
		}
	}
	for _, n := range nameCols {
		cols = append(cols, &col{name: n})
	}
	for _, n := range valueNames {
		cols = append(cols, &col{name: n, refs: valueRefs})
	}
	return newRel(binding, cols, nil)
}

// collectNames adds the lower-case column names an expression references.
func collectNames(v any, into map[string]bool) {
	switch x := v.(type) {
	case obj:
		if getStr(x, "class") == "COLUMN_REF" {
			if names := getStrs(x, "column_names"); len(names) > 0 {
				into[lower(names[len(names)-1])] = true
			}
			return
		}
		for _, y := range x {
			collectNames(y, into)
		}
	case []any:
		for _, y := range x {
			collectNames(y, into)
		}
	}
}

// constantText is a serialized Value ({"type", "is_null", "value"}) as
// DuckDB prints it in a column name.
func constantText(v any) string {
	o, _ := v.(obj)
	if getBool(o, "is_null") {
		return "NULL"
	}
	switch x := o["value"].(type) {
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	case bool:
		return fmt.Sprint(x)
	case nil:
		return "NULL"
	default:
		return fmt.Sprint(x)
	}
}
