package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
)

// ParseSQL returns, for each of sqls, PostgreSQL's own parse tree of it
// (pg_query_go: libpg_query, the server's parser as a library) in the JSON
// shape of DuckDB's json_serialize_sql that internal/lineage analyses:
// the query nodes (SELECT_NODE, SET_OPERATION_NODE, RECURSIVE_CTE_NODE
// with their cte_map), the FROM items (BASE_TABLE, JOIN with its
// join_type, ref_type and using_columns, SUBQUERY, TABLE_FUNCTION,
// EXPRESSION_LIST) and the expressions lineage tells apart (COLUMN_REF,
// CAST, SUBQUERY, STAR, CONSTANT); every other expression is a FUNCTION
// whose children are its operands (a window's PARTITION BY and ORDER BY
// and an aggregate's FILTER included). An output column without an alias
// is named as PostgreSQL names it (a function's name, "case", "?column?").
//
// A text the parser refuses gives DuckDB's error object ({"error": true,
// "error_type": "parser", "error_message", "position": the byte offset}),
// and so does a statement that is not a SELECT. PostgreSQL's parser reads
// PostgreSQL's SQL exactly; DuckDB's own syntax (SELECT * EXCLUDE, GROUP
// BY ALL, QUALIFY, lambdas) is a parse error here, as it is on the server.
// The error is only a failure of the parser library itself.
func ParseSQL(sqls []string) ([][]byte, error) {
	out := make([][]byte, len(sqls))
	for i, sql := range sqls {
		doc, err := parseTree(sql)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

type node = map[string]any

func parseTree(sql string) (node, error) {
	text, err := pg_query.ParseToJSON(sql)
	if err != nil {
		var pe *pgparser.Error
		if !errors.As(err, &pe) {
			return nil, fmt.Errorf("pg_query: %w", err)
		}
		pos := -1
		if pe.Cursorpos > 0 {
			pos = byteOffset(sql, pe.Cursorpos)
		}
		return parseError("parser", pe.Message, pos), nil
	}
	var doc node
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("pg_query: %w", err)
	}
	var stmts []any
	for _, s := range arr(doc, "stmts") {
		st := obj(obj(s.(node), "stmt"), "SelectStmt")
		if st == nil {
			return parseError("not implemented", "only SELECT statements are analysed", -1), nil
		}
		stmts = append(stmts, node{"node": query(st)})
	}
	if len(stmts) == 0 {
		return parseError("parser", "no statement", -1), nil
	}
	return node{"error": false, "statements": stmts}, nil
}

func parseError(typ, msg string, pos int) node {
	e := node{"error": true, "error_type": typ, "error_message": msg}
	if pos >= 0 {
		e["position"] = strconv.Itoa(pos)
	}
	return e
}

// byteOffset returns the byte offset of the pos-th character (1-based).
func byteOffset(s string, pos int) int {
	off := 0
	for n := 1; n < pos && off < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off
}

func obj(n node, k string) node {
	m, _ := n[k].(map[string]any)
	return m
}

func arr(n node, k string) []any {
	a, _ := n[k].([]any)
	return a
}

func str(n node, k string) string {
	s, _ := n[k].(string)
	return s
}

// unwrap returns the type and fields of a wrapped node {"Type": {...}}.
func unwrap(v any) (string, node) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil
	}
	for k, x := range m {
		f, _ := x.(map[string]any)
		if f == nil {
			f = node{}
		}
		return k, f
	}
	return "", nil
}

// strings returns the String values of a list of nodes.
func stringsOf(list []any) []string {
	var out []string
	for _, v := range list {
		if t, f := unwrap(v); t == "String" {
			out = append(out, str(f, "sval"))
		}
	}
	return out
}

// query translates a SelectStmt.
func query(st node) node {
	var n node
	switch op := str(st, "op"); op {
	case "SETOP_UNION", "SETOP_INTERSECT", "SETOP_EXCEPT":
		kind := strings.TrimPrefix(op, "SETOP_")
		n = node{"type": "SET_OPERATION_NODE", "setop_type": kind,
			"left": query(obj(st, "larg")), "right": query(obj(st, "rarg"))}
	default:
		n = node{"type": "SELECT_NODE", "select_list": selectList(st), "from_table": fromList(arr(st, "fromClause"))}
		if rows := arr(st, "valuesLists"); len(rows) > 0 {
			n["select_list"] = []any{node{"class": "STAR"}}
			n["from_table"] = valuesList(rows)
		}
	}
	if w := obj(st, "withClause"); w != nil {
		n["cte_map"] = cteMap(w)
	}
	return n
}

func cteMap(w node) node {
	recursive, _ := w["recursive"].(bool)
	var items []any
	for _, c := range arr(w, "ctes") {
		_, cte := unwrap(c)
		name := str(cte, "ctename")
		aliases := stringsOf(arr(cte, "aliascolnames"))
		_, q := unwrap(cte["ctequery"])
		var body node
		if op := str(q, "op"); recursive && op == "SETOP_UNION" {
			body = node{"type": "RECURSIVE_CTE_NODE", "cte_name": name, "aliases": aliases,
				"left": query(obj(q, "larg")), "right": query(obj(q, "rarg"))}
		} else if q != nil {
			body = query(q)
		}
		items = append(items, node{"key": name, "value": node{"aliases": aliases, "query": node{"node": body}}})
	}
	return node{"map": items}
}

func selectList(st node) []any {
	var out []any
	for _, t := range arr(st, "targetList") {
		_, rt := unwrap(t)
		e := expr(rt["val"])
		if name := str(rt, "name"); name != "" {
			e["alias"] = name
		} else if c := str(e, "class"); c != "COLUMN_REF" && c != "STAR" {
			e["alias"] = columnName(rt["val"])
		}
		out = append(out, e)
	}
	return out
}

// columnName is the name PostgreSQL gives an output column without an
// alias (FigureColname).
func columnName(v any) string {
	t, f := unwrap(v)
	switch t {
	case "ColumnRef":
		if names := stringsOf(arr(f, "fields")); len(names) > 0 {
			return names[len(names)-1]
		}
	case "FuncCall":
		if names := stringsOf(arr(f, "funcname")); len(names) > 0 {
			return names[len(names)-1]
		}
	case "TypeCast":
		if n := columnName(f["arg"]); n != "?column?" {
			return n
		}
		if names := stringsOf(arr(obj(f, "typeName"), "names")); len(names) > 0 {
			return names[len(names)-1]
		}
	case "CaseExpr":
		return "case"
	case "CoalesceExpr":
		return "coalesce"
	case "A_ArrayExpr":
		return "array"
	case "RowExpr":
		return "row"
	case "NullIfExpr":
		return "nullif"
	case "MinMaxExpr":
		if str(f, "op") == "IS_LEAST" {
			return "least"
		}
		return "greatest"
	case "A_Indirection":
		if ind := arr(f, "indirection"); len(ind) > 0 {
			if names := stringsOf(ind[len(ind)-1:]); len(names) == 1 {
				return names[0]
			}
		}
		return columnName(f["arg"])
	case "SubLink":
		if str(f, "subLinkType") == "EXISTS_SUBLINK" {
			return "exists"
		}
		if str(f, "subLinkType") == "EXPR_SUBLINK" {
			_, sub := unwrap(f["subselect"])
			if tl := arr(sub, "targetList"); len(tl) > 0 {
				_, rt := unwrap(tl[0])
				if name := str(rt, "name"); name != "" {
					return name
				}
				return columnName(rt["val"])
			}
		}
	}
	return "?column?"
}

// fromList joins the items of a FROM clause (a comma is a cross join).
func fromList(items []any) node {
	var out node
	for _, it := range items {
		t := fromItem(it)
		if out == nil {
			out = t
			continue
		}
		out = node{"type": "JOIN", "join_type": "INNER", "ref_type": "CROSS", "left": out, "right": t}
	}
	if out == nil {
		return node{"type": "EMPTY"}
	}
	return out
}

func alias(f node, into node) node {
	if a := obj(f, "alias"); a != nil {
		into["alias"] = str(a, "aliasname")
		if cols := stringsOf(arr(a, "colnames")); len(cols) > 0 {
			into["column_name_alias"] = cols
		}
	}
	return into
}

func fromItem(v any) node {
	t, f := unwrap(v)
	switch t {
	case "RangeVar":
		return alias(f, node{"type": "BASE_TABLE", "catalog_name": str(f, "catalogname"),
			"schema_name": str(f, "schemaname"), "table_name": str(f, "relname")})
	case "RangeTableSample":
		return fromItem(f["relation"])
	case "RangeSubselect":
		_, sub := unwrap(f["subquery"])
		return alias(f, node{"type": "SUBQUERY", "subquery": node{"node": query(sub)}})
	case "JoinExpr":
		kind := map[string]string{"JOIN_INNER": "INNER", "JOIN_LEFT": "LEFT", "JOIN_RIGHT": "RIGHT", "JOIN_FULL": "OUTER"}[str(f, "jointype")]
		j := node{"type": "JOIN", "join_type": kind, "ref_type": "REGULAR", "left": fromItem(f["larg"]), "right": fromItem(f["rarg"])}
		if natural, _ := f["isNatural"].(bool); natural {
			j["ref_type"] = "NATURAL"
		}
		if using := stringsOf(arr(f, "usingClause")); len(using) > 0 {
			j["using_columns"] = using
		}
		if obj(f, "alias") != nil {
			// (a join b) as x: one relation named x.
			return alias(f, node{"type": "SUBQUERY", "subquery": node{"node": node{"type": "SELECT_NODE",
				"select_list": []any{node{"class": "STAR"}}, "from_table": j}}})
		}
		return j
	case "RangeFunction":
		var children []any
		name := ""
		for _, fl := range arr(f, "functions") {
			_, l := unwrap(fl) // a List: the function call, its column definitions
			for _, fn := range arr(l, "items")[:min(1, len(arr(l, "items")))] {
				if ft, ff := unwrap(fn); ft == "FuncCall" && name == "" {
					if names := stringsOf(arr(ff, "funcname")); len(names) > 0 {
						name = names[len(names)-1]
					}
				}
				if fn != nil {
					children = append(children, expr(fn))
				}
			}
		}
		return alias(f, node{"type": "TABLE_FUNCTION", "function": node{"class": "FUNCTION", "function_name": name, "children": children}})
	}
	return node{"type": strings.ToUpper(t)}
}

func valuesList(rows []any) node {
	var values []any
	for _, r := range rows {
		_, l := unwrap(r)
		var row []any
		for _, e := range arr(l, "items") {
			row = append(row, expr(e))
		}
		values = append(values, row)
	}
	var names []string
	if len(values) > 0 {
		for i := range values[0].([]any) {
			names = append(names, fmt.Sprintf("column%d", i+1))
		}
	}
	return node{"type": "EXPRESSION_LIST", "values": values, "alias": "valueslist", "expected_names": names}
}

// expr translates an expression.
func expr(v any) node {
	t, f := unwrap(v)
	switch t {
	case "ColumnRef":
		fields := arr(f, "fields")
		if n := len(fields); n > 0 {
			if last, _ := unwrap(fields[n-1]); last == "A_Star" {
				star := node{"class": "STAR"}
				if q := stringsOf(fields[:n-1]); len(q) > 0 {
					star["relation_name"] = q[len(q)-1]
				}
				return star
			}
		}
		return node{"class": "COLUMN_REF", "column_names": stringsOf(fields)}
	case "TypeCast":
		names := stringsOf(arr(obj(f, "typeName"), "names"))
		id := ""
		if len(names) > 0 {
			id = strings.ToUpper(names[len(names)-1])
		}
		return node{"class": "CAST", "child": expr(f["arg"]), "cast_type": node{"id": id}}
	case "A_Const":
		return node{"class": "CONSTANT", "value": node{}}
	case "SubLink":
		_, sub := unwrap(f["subselect"])
		e := node{"class": "SUBQUERY", "subquery": node{"node": query(sub)}}
		if f["testexpr"] != nil {
			e["child"] = expr(f["testexpr"])
		}
		return e
	}
	// Any other expression: computed from its operands.
	name := strings.ToLower(t)
	if t == "FuncCall" {
		if names := stringsOf(arr(f, "funcname")); len(names) > 0 {
			name = names[len(names)-1]
		}
	}
	return node{"class": "FUNCTION", "function_name": name, "children": operands(f)}
}

// operands translates the expressions within the fields of f.
func operands(f node) []any {
	var out []any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			if t, inner := unwrap(x); t != "" && inner != nil && t[0] >= 'A' && t[0] <= 'Z' {
				switch t {
				case "String", "Integer", "Float", "Boolean", "BitString", "TypeName":
					return
				case "SortBy", "WindowDef", "ResTarget", "CaseWhen", "NamedArgExpr", "List":
					for _, y := range inner {
						walk(y)
					}
					return
				}
				out = append(out, expr(x))
				return
			}
			for _, y := range x {
				walk(y)
			}
		}
	}
	for k, v := range f {
		if k == "funcname" || k == "name" || k == "typeName" {
			continue
		}
		walk(v)
	}
	return out
}
