package duckdb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/adapter"
)

// clockKeywords are the SQL keywords DuckDB's parser keeps as a column
// reference and its binder turns into a call of the clock when no column
// has the name.
var clockKeywords = map[string]bool{"current_date": true, "current_time": true, "current_timestamp": true,
	"localtime": true, "localtimestamp": true}

// binderFuncs are the functions DuckDB's binder evaluates itself, not in
// duckdb_functions() as scalar functions: they depend on their arguments
// only.
var binderFuncs = map[string]bool{"unnest": true, "unlist": true, "grouping": true, "grouping_id": true}

// pureTableFuncs are DuckDB's table functions whose rows depend on their
// arguments only (duckdb_functions() gives table functions no stability;
// the others read files, settings or the catalog).
var pureTableFuncs = map[string]bool{"range": true, "generate_series": true, "unnest": true}

// sessionFuncs read the session's state (a variable an on-run-start hook
// sets, a setting), which DuckDB marks CONSISTENT all the same: they are
// not immutable across runs.
var sessionFuncs = map[string]bool{"f:getvariable": true, "f:current_setting": true, "f:current_query": true}

// funcState is the SQL expression of what the verdicts on functions
// depend on besides kiln's rules (adapter.FuncCache.State): DuckDB's
// version, its loaded extensions and their versions, and an md5 digest
// of the functions and macros that are not DuckDB's own (a user's macro,
// temporary or not, shadows DuckDB's function of its name). Bump its
// "funcs" number whenever the rules (sessionFuncs, immutableAt) change.
const funcState = `concat_ws(' ', 'funcs1', version(),
  (select string_agg(extension_name || '@' || coalesce(extension_version, ''), ',' order by extension_name) from duckdb_extensions() where loaded),
  (select md5(coalesce(string_agg(f, chr(30) order by f), '')) from (
    select concat_ws(chr(31), database_name, schema_name, function_name, function_type, parameters::varchar, macro_definition) as f
    from duckdb_functions() where not internal)))`

// CheckReads implements adapter.ReadChecker with DuckDB's parser
// (the findings of ParseUses) and its catalog of functions (duckdb_functions(): a function is immutable when every
// overload of its name has stability CONSISTENT; CONSISTENT_WITHIN_QUERY
// such as now() and current_date, VOLATILE such as random(), user macros
// and table functions, which have none, are not, but pureTableFuncs; and
// DuckDB's own macros are as their bodies). DuckDB's identifiers
// are case-insensitive, quoted or not; a name without a database or
// schema is the current one's (current_database(), current_schema()),
// and a two-part name is a schema's or a database's default schema main.
// It takes one query when cache holds every function the queries call
// as the database is now (funcState), two (more when DuckDB's own macros
// call macros) when not, whatever the number of queries checked.
func (c *Conn) CheckReads(ctx context.Context, qs []adapter.ReadCheck, cache *adapter.FuncCache) ([]string, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	uses := adapter.Uses(qs)
	_, rows, err := c.c.QueryRows(ctx, `select current_database(), current_schema(), `+funcState)
	if err != nil || len(rows) != 1 {
		return nil, fmt.Errorf("cannot read the current schema: %v", err)
	}
	db, _ := rows[0][0].(string)
	schema, _ := rows[0][1].(string)
	state, _ := rows[0][2].(string)
	if cache == nil {
		cache = &adapter.FuncCache{}
	}
	cache.Reset(state)
	var missing []string
	for _, n := range adapter.FuncNames(uses) {
		n = strings.ToLower(strings.TrimPrefix(n, "table:"))
		_, okF := cache.Immutable["f:"+n]
		_, okT := cache.Immutable["t:"+n]
		if !okF || !okT {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		fns, err := c.functions(ctx, missing)
		if err != nil {
			return nil, err
		}
		for _, n := range missing {
			cache.Immutable["f:"+n] = fns.immutable("f:" + n)
			cache.Immutable["t:"+n] = fns.immutable("t:" + n)
		}
	}
	match := func(read [3]string, rel adapter.Relation) bool {
		return adapter.MatchRead(read, rel, db, schema, strings.EqualFold, "main")
	}
	out := make([]string, len(qs))
	for i, u := range uses {
		out[i] = adapter.Judge(u, qs[i].Reads, func(f string) bool {
			if t, ok := strings.CutPrefix(f, "table:"); ok {
				name := strings.ToLower(adapter.BareFunc(t))
				return pureTableFuncs[name] || cache.Immutable["t:"+name]
			}
			name := strings.ToLower(adapter.BareFunc(f))
			return binderFuncs[name] || cache.Immutable["f:"+name]
		}, match)
		out[i] = strings.Replace(out[i], "calls table:", "calls ", 1)
	}
	return out, nil
}

// ParseUses implements adapter.ReadChecker with json_serialize_sql, in
// one query for all of sqls.
func (c *Conn) ParseUses(ctx context.Context, sqls []string) ([]adapter.QueryUse, error) {
	if len(sqls) == 0 {
		return nil, nil
	}
	trees, err := c.ParseSQL(ctx, sqls)
	if err != nil {
		return nil, err
	}
	uses := make([]adapter.QueryUse, len(trees))
	for i, t := range trees {
		uses[i] = duckUse(t)
	}
	return uses, nil
}

// funcInfo is what duckdb_functions() says of the overloads of a name
// (scalar and aggregate functions and macros, or table functions and
// table macros).
type funcInfo struct {
	consistent bool // every overload is CONSISTENT
	// builtin is set when every overload that is not is one of DuckDB's
	// own scalar macros (nullif, ago), whose bodies decide.
	builtin bool
	body    adapter.QueryUse // what those macros' bodies use
}

// funcTable is the functions a batch of queries calls, by "f:name" or
// "t:name" (lower case).
type funcTable map[string]*funcInfo

// functions reads the stability of names (and of the functions DuckDB's
// own macros among them call, to a depth of four) from duckdb_functions().
func (c *Conn) functions(ctx context.Context, names []string) (funcTable, error) {
	fns := funcTable{}
	for round := 0; round < 4 && len(names) > 0; round++ {
		lower := make([]string, len(names))
		for i, n := range names {
			lower[i] = strings.ToLower(strings.TrimPrefix(n, "table:"))
		}
		_, rows, err := c.c.QueryRows(ctx, `select lower(function_name), function_type in ('table', 'table_macro'),
    bool_and(coalesce(stability = 'CONSISTENT', false)),
    bool_and(coalesce(stability = 'CONSISTENT', false) or (internal and function_type = 'macro')),
    list(macro_definition) filter (where internal and function_type = 'macro' and macro_definition is not null)
from duckdb_functions() where lower(function_name) in (select unnest(?::varchar[]))
group by all`, lower)
		if err != nil {
			return nil, fmt.Errorf("cannot read the functions' stability: %w", err)
		}
		var bodies []string
		var owners []*funcInfo
		for _, r := range rows {
			name, _ := r[0].(string)
			table, _ := r[1].(bool)
			key := "f:" + name
			if table {
				key = "t:" + name
			}
			fi := &funcInfo{}
			fi.consistent, _ = r[2].(bool)
			fi.builtin, _ = r[3].(bool)
			fns[key] = fi
			if defs, _ := r[4].([]any); !fi.consistent && fi.builtin && !table {
				for _, d := range defs {
					if s, _ := d.(string); s != "" {
						bodies = append(bodies, "select "+s)
						owners = append(owners, fi)
					}
				}
			}
		}
		names = nil
		if len(bodies) == 0 {
			break
		}
		trees, err := c.ParseSQL(ctx, bodies)
		if err != nil {
			return nil, err
		}
		for i, t := range trees {
			u := duckUse(t)
			b := &owners[i].body
			b.Tables = append(b.Tables, u.Tables...)
			b.Funcs = append(b.Funcs, u.Funcs...)
			if u.Err != "" {
				b.Err = u.Err
			}
			for _, f := range u.Funcs {
				if _, seen := fns[funcKey(f)]; !seen {
					names = append(names, f)
				}
			}
		}
	}
	return fns, nil
}

// funcKey returns funcTable's key of a function name as QueryUse.Funcs
// holds it: "t:name" for a table function ("table:name"), else "f:name",
// the name lower case and without its schema.
func funcKey(f string) string {
	if t, ok := strings.CutPrefix(f, "table:"); ok {
		return "t:" + strings.ToLower(adapter.BareFunc(t))
	}
	return "f:" + strings.ToLower(adapter.BareFunc(f))
}

// immutable reports whether the function of key gives the same result
// for the same arguments on every run: all its overloads are CONSISTENT,
// or those that are not are DuckDB's own macros whose bodies read no
// table and call only such functions. Unknown functions are not.
func (fns funcTable) immutable(key string) bool {
	return fns.immutableAt(key, 0)
}

// immutableAt is immutable for a macro body reached through depth
// macros: beyond four it answers false (a macro calling macros that
// deep, or itself, is not proven).
func (fns funcTable) immutableAt(key string, depth int) bool {
	fi := fns[key]
	switch {
	case fi == nil || depth > 4 || sessionFuncs[key]:
		return false
	case fi.consistent:
		return true
	case !fi.builtin || fi.body.Err != "" || len(fi.body.Tables) > 0:
		return false
	}
	for _, f := range fi.body.Funcs {
		if !fns.immutableAt(funcKey(f), depth+1) {
			return false
		}
	}
	return true
}

// duckUse walks a json_serialize_sql tree: the BASE_TABLE items that are
// not CTEs in scope, the FUNCTION and aggregate WINDOW expressions, the
// TABLE_FUNCTION items (as "table:name") and the clock keywords.
func duckUse(tree []byte) adapter.QueryUse {
	var doc map[string]any
	if err := json.Unmarshal(tree, &doc); err != nil {
		return adapter.QueryUse{Err: err.Error()}
	}
	if e, _ := doc["error"].(bool); e {
		msg, _ := doc["error_message"].(string)
		return adapter.QueryUse{Err: msg}
	}
	var u adapter.QueryUse
	walkDuck(doc["statements"], nil, &u)
	return u
}

// walkDuck adds to u what the json_serialize_sql node v (a statement, a
// list, an expression or a table reference) uses: tables read (not the
// names of ctes, the CTEs in scope; a WITH clause's CTEs are in scope for
// those after them and the main query, a recursive one for itself), the
// functions called, the clock keywords and samples without a seed.
func walkDuck(v any, ctes []string, u *adapter.QueryUse) {
	switch x := v.(type) {
	case []any:
		for _, it := range x {
			walkDuck(it, ctes, u)
		}
	case map[string]any:
		if cm, ok := x["cte_map"].(map[string]any); ok {
			scope := append([]string(nil), ctes...)
			items, _ := cm["map"].([]any)
			for _, it := range items {
				item, _ := it.(map[string]any)
				key, _ := item["key"].(string)
				body := item["value"]
				if isRecursiveCTE(body) {
					walkDuck(body, append(append([]string(nil), scope...), key), u)
				} else {
					walkDuck(body, scope, u)
				}
				scope = append(scope, key)
			}
			for k, f := range x {
				if k != "cte_map" {
					walkDuck(f, scope, u)
				}
			}
			return
		}
		if sm, ok := x["sample"].(map[string]any); ok {
			if seed, ok := sm["seed"].(float64); !ok || seed < 0 {
				u.Funcs = append(u.Funcs, adapter.UnseededSample)
			}
		}
		typ, _ := x["type"].(string)
		class, _ := x["class"].(string)
		switch {
		case typ == "BASE_TABLE":
			cat, _ := x["catalog_name"].(string)
			sch, _ := x["schema_name"].(string)
			name, _ := x["table_name"].(string)
			if cat == "" && sch == "" && inScope(ctes, name) {
				return
			}
			u.Tables = append(u.Tables, [3]string{cat, sch, name})
			return
		case typ == "TABLE_FUNCTION":
			fn, _ := x["function"].(map[string]any)
			name, _ := fn["function_name"].(string)
			u.Funcs = append(u.Funcs, "table:"+name)
			for k, f := range x {
				if k != "function" {
					walkDuck(f, ctes, u)
				}
			}
			walkDuck(fn["children"], ctes, u)
			return
		case class == "FUNCTION", class == "AGGREGATE", class == "WINDOW" && typ == "WINDOW_AGGREGATE":
			name, _ := x["function_name"].(string)
			if s, _ := x["schema"].(string); s != "" {
				name = s + "." + name
			}
			u.Funcs = append(u.Funcs, name)
		case class == "COLUMN_REF":
			if names, _ := x["column_names"].([]any); len(names) == 1 {
				if n, _ := names[0].(string); clockKeywords[strings.ToLower(n)] {
					u.Funcs = append(u.Funcs, strings.ToLower(n))
				}
			}
		}
		for _, f := range x {
			walkDuck(f, ctes, u)
		}
	}
}

// isRecursiveCTE reports whether a cte_map value's query is a recursive
// CTE (which reads itself).
func isRecursiveCTE(v any) bool {
	m, _ := v.(map[string]any)
	q, _ := m["query"].(map[string]any)
	n, _ := q["node"].(map[string]any)
	t, _ := n["type"].(string)
	return t == "RECURSIVE_CTE_NODE"
}

// inScope reports whether name is one of the CTEs ctes, as DuckDB
// compares identifiers (case-insensitive).
func inScope(ctes []string, name string) bool {
	return slices.ContainsFunc(ctes, func(c string) bool { return strings.EqualFold(c, name) })
}
