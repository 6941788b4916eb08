package template

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// Run is what dbt's context knows of the invocation: its id, when it
// started (RFC 3339 text, UTC), the target (the profile's output as
// target.* shows it) and the command's flags as flags.* shows them:
// FullRefresh (--full-refresh, flags.FULL_REFRESH), StoreFailures
// (--store-failures, flags.STORE_FAILURES), Which (the command, as
// dbt names it: build, run, test, seed, snapshot, compile, list...;
// flags.WHICH, "build" when empty), NoRollback (kiln's --no-rollback,
// flags.NO_ROLLBACK: an on-run-end hook of a failed run that sees it true
// runs in the run's commit, which keeps what the run built) and ProjectDir (the project's
// directory, absolute: flags.PROJECT_DIR, as dbt's --project-dir; "" when
// unknown) and Vars (the vars the command line gave, --vars, as a dict:
// flags.VARS, as dbt's; {} when none, so that a macro can tell a var
// passed from project.yml's default).
type Run struct {
	InvocationID  string
	StartedAt     string
	Target        map[string]any
	ProjectName   string
	FullRefresh   bool
	StoreFailures bool
	NoRollback    bool
	Which         string
	ProjectDir    string
	Vars          map[string]any
}

// ReadRunStartedAt reports whether a template rendered by e (at compile
// or at run time) has read run_started_at.
func (e *Engine) ReadRunStartedAt() bool { return e.runStartedRead.Load() }

// SetRun installs the invocation's facts; call it before the first
// Render. ProjectName also names the root project's macros as a
// namespace ({{ mist.my_macro() }} in project mist), as in dbt.
func (e *Engine) SetRun(r Run) {
	e.run = r
	e.index.root = r.ProjectName
}

// arg returns argument i or keyword name of c.
func arg(c *jinja.Call, i int, name string) (any, bool) {
	if v, ok := c.Kwarg(name); ok {
		return v, true
	}
	if i < len(c.Args) {
		return c.Args[i], true
	}
	return nil, false
}

// dbtName resolves the names of dbt's context that Context does not
// give by callbacks (https://docs.getdbt.com/reference/dbt-jinja-functions).
// graphSections are the keys of dbt's graph context variable.
var graphSections = []string{"nodes", "sources", "exposures", "metrics", "groups", "semantic_models", "saved_queries", "unit_tests"}

func (g *globals) dbtName(name string) (any, bool) {
	c := g.c
	switch name {
	case "adapter":
		return &adapterObj{e: g.e, c: c, node: g.node}, true
	case "execute":
		if c.OnExecute != nil {
			c.OnExecute()
		}
		return c.DB != nil, true
	case "graph":
		// dbt fills graph after parsing: a template that reads it renders
		// again at run time, when it is complete.
		if c.OnExecute != nil {
			c.OnExecute()
		}
		if c.DB != nil && c.Graph != nil {
			return jinja.FromGo(c.Graph()), true
		}
		empty := map[string]any{}
		for _, k := range graphSections {
			empty[k] = map[string]any{}
		}
		return jinja.FromGo(empty), true
	case "run_query":
		return jinja.Func(g.runQuery), true
	case "statement":
		return jinja.Func(g.statement), true
	case "load_result":
		return jinja.Func(g.loadResult), true
	case "log", "print":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			v, ok := arg(call, 0, "msg")
			if !ok {
				return "", nil
			}
			info, _ := arg(call, 1, "info")
			switch {
			case name == "print" || jinja.Truth(info):
				if c.Log != nil {
					c.Log(jinja.Str(v))
				}
			case c.Debug != nil:
				c.Debug(jinja.Str(v))
			}
			return "", nil
		}), true
	case "api":
		return api{}, true
	case "exceptions":
		return exceptions{c: c}, true
	case "modules":
		return modules, true
	case "tojson":
		// dbt's tojson(value, default=None, sort_keys=False) is
		// json.dumps(value, sort_keys=sort_keys): keys in the dict's
		// order; what json.dumps cannot serialize is its TypeError, which
		// dbt does not catch (only ValueError gives default: a circular
		// reference, which template values cannot make).
		return jinja.Func(func(call *jinja.Call) (any, error) {
			v, _ := arg(call, 0, "value")
			sortKeys, _ := arg(call, 2, "sort_keys")
			s, err := jinja.ToJSON(v, 0, jinja.Truth(sortKeys))
			if err != nil {
				return nil, fmt.Errorf("tojson: %v", err)
			}
			return s, nil
		}), true
	case "fromjson":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			// dbt's fromjson(string, default=None) gives default (None
			// unless given) for text json.loads rejects, one value with
			// nothing after it included (dbt/context/base.py).
			v, _ := arg(call, 0, "string")
			def, _ := arg(call, 1, "default")
			dec := json.NewDecoder(strings.NewReader(jinja.Str(v)))
			dec.UseNumber()
			out, err := jsonValue(dec)
			if err != nil {
				return def, nil
			}
			if _, err := dec.Token(); err != io.EOF {
				return def, nil
			}
			return out, nil
		}), true
	case "fromyaml":
		return jinja.Func(fromYAML), true
	case "toyaml":
		return jinja.Func(toYAML), true
	case "zip":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			var seqs [][]any
			for _, a := range call.Args {
				items, ok := sequence(a)
				if !ok {
					return nil, fmt.Errorf("zip() takes sequences")
				}
				seqs = append(seqs, items)
			}
			out := jinja.NewList()
			for i := 0; len(seqs) > 0; i++ {
				t := make(jinja.Tuple, len(seqs))
				for j, s := range seqs {
					if i >= len(s) {
						return out, nil
					}
					t[j] = s[i]
				}
				out.Items = append(out.Items, t)
			}
			return out, nil
		}), true
	case "set", "set_strict":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			v, _ := arg(call, 0, "value")
			items, ok := sequence(v)
			if !ok {
				if name == "set_strict" {
					return nil, fmt.Errorf("set_strict(): %s is not iterable", jinja.Str(v))
				}
				return nil, nil
			}
			return newSet(items), nil
		}), true
	case "local_md5":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			v, _ := arg(call, 0, "value")
			h := md5.Sum([]byte(jinja.Str(v)))
			return hex.EncodeToString(h[:]), nil
		}), true
	case "local_file_sha256":
		return jinja.Func(g.localFileSHA256), true
	case "load_relation":
		// load_relation(relation): the relation as the database has it,
		// None when it does not exist.
		return jinja.Func(func(call *jinja.Call) (any, error) {
			r, ok := relationArg(call, 0, "relation")
			if !ok {
				return nil, fmt.Errorf("load_relation() takes a relation")
			}
			a := &adapterObj{e: g.e, c: c, node: g.node}
			db := a.db()
			if db == nil {
				return nil, nil
			}
			kind, err := db.Kind(r.Database, r.Schema, r.Identifier)
			if err != nil || kind == "" {
				return nil, err
			}
			out := r
			out.OnAccess = nil
			out.Type = kind
			return out, nil
		}), true
	case "model":
		// dbt's model: the node's to_dict(), a dict whose keys read as
		// attributes too (model.config.materialized).
		if c.Model != nil {
			if m := c.Model(); m != nil {
				return jinja.FromGo(m), true
			}
		}
	case "schema", "database":
		if c.Where != nil {
			w := c.Where()
			if name == "schema" {
				return w.Schema, true
			}
			return w.Database, true
		}
	case "context":
		return contextObj{g}, true
	case "store_result":
		return jinja.Func(g.storeResult), true
	case "store_raw_result":
		return jinja.Func(g.storeRawResult), true
	case "should_store_failures":
		store := c.StoreFailures
		return jinja.Func(func(*jinja.Call) (any, error) { return store, nil }), true
	case "invocation_id":
		clockReads.Add(1) // another invocation, another value
		return g.e.run.InvocationID, true
	case "run_started_at":
		clockReads.Add(1)
		g.e.runStartedRead.Store(true)
		return runStartedAt(g.e.run.StartedAt), true
	case "target":
		if g.e.run.Target != nil {
			return jinja.FromGo(g.e.run.Target), true
		}
	case "project_name":
		if g.e.run.ProjectName != "" {
			return g.e.run.ProjectName, true
		}
	case "dbt_version":
		return "1.10.0", true
	case "flags":
		d := jinja.NewDict()
		which := g.e.run.Which
		if which == "" {
			which = "build"
		}
		_ = d.Set("FULL_REFRESH", g.e.run.FullRefresh)
		_ = d.Set("STORE_FAILURES", g.e.run.StoreFailures)
		_ = d.Set("NO_ROLLBACK", g.e.run.NoRollback)
		_ = d.Set("WHICH", which)
		_ = d.Set("PROJECT_DIR", g.e.run.ProjectDir)
		vars := g.e.run.Vars
		if vars == nil {
			vars = map[string]any{}
		}
		_ = d.Set("VARS", jinja.FromGo(vars))
		return d, true
	}
	return nil, false
}

// sequence returns the items of a list, tuple or Go iterable.
func sequence(v any) ([]any, bool) {
	switch x := v.(type) {
	case *jinja.List:
		return x.Items, true
	case jinja.Tuple:
		return x, true
	case jinja.Iterable:
		return x.Items(), true
	case string:
		var out []any
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, true
	}
	return nil, false
}

// runQuery is run_query(sql): the result's Table at run time, None at
// compile time (as dbt's while it parses).
func (g *globals) runQuery(call *jinja.Call) (any, error) {
	v, ok := arg(call, 0, "sql")
	if !ok {
		return nil, fmt.Errorf("run_query() takes a SQL query")
	}
	if g.c.OnExecute != nil {
		g.c.OnExecute()
	}
	if g.c.DB == nil {
		return nil, nil
	}
	cols, types, rows, err := g.c.DB.Query(jinja.Str(v))
	if err != nil {
		return nil, fmt.Errorf("run_query: %v", err)
	}
	return NewTable(cols, types, rows).logTo(g.c.Log), nil
}

// statement is {% call statement(name, fetch_result=False) %}sql{% endcall %}:
// it runs the block's SQL at run time and keeps the result for
// load_result(name).
func (g *globals) statement(call *jinja.Call) (any, error) {
	nameV, _ := arg(call, 0, "name")
	fetch, _ := arg(call, 1, "fetch_result")
	caller, ok := call.Kwarg("caller")
	if !ok {
		return nil, fmt.Errorf("statement() is called from a {%% call statement(...) %%} block")
	}
	body, err := call.CallValue(caller, nil, nil)
	if err != nil {
		return nil, err
	}
	if g.c.OnExecute != nil {
		g.c.OnExecute()
	}
	if g.c.DB == nil {
		return "", nil
	}
	sql := strings.TrimSpace(jinja.Str(body))
	name := jinja.Str(nameV)
	if nameV == nil {
		name = "main"
	}
	if jinja.Truth(fetch) {
		cols, types, rows, err := g.c.DB.Query(sql)
		if err != nil {
			return nil, fmt.Errorf("statement %q: %v", name, err)
		}
		g.store(name, statementResponse, NewTable(cols, types, rows).logTo(g.c.Log))
		return "", nil
	}
	if err := g.c.DB.Exec(sql); err != nil {
		return nil, fmt.Errorf("statement %q: %v", name, err)
	}
	g.store(name, statementResponse, NewTable(nil, nil, nil))
	return "", nil
}

// loadResult is load_result(name): {response, data, table} of the
// statement (or store_result) of that name, None when there is none. As
// in dbt, a result loads once: loading it again is an error until a
// statement or store_result of that name stores another, the result
// named "main" excepted (dbt's providers.py, load_result).
func (g *globals) loadResult(call *jinja.Call) (any, error) {
	v, _ := arg(call, 0, "name")
	name := jinja.Str(v)
	r, ok := g.c.results[name]
	if !ok {
		return nil, nil
	}
	if name != "main" {
		if r.loaded {
			return nil, fmt.Errorf("load_result(%q): the statement result named %q has already been loaded into a variable (as in dbt, a result loads once: keep it in a variable, or run the statement again)", name, name)
		}
		r.loaded = true
		g.c.results[name] = r
	}
	d := jinja.NewDict()
	_ = d.Set("response", r.response)
	_ = d.Set("data", r.table.Data())
	_ = d.Set("table", r.table)
	return d, nil
}

// exceptions is dbt's exceptions namespace.
type exceptions struct{ c *Context }

func (x exceptions) Attr(name string) (any, bool) {
	switch name {
	case "raise_compiler_error", "raise_not_implemented", "raise_database_error", "raise_fail_fast_error",
		"raise_dependency_error", "raise_contract_error", "column_type_missing", "relation_wrong_type":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			msg := ""
			if len(call.Args) > 0 {
				msg = jinja.Str(call.Args[0])
			}
			return nil, jinja.Halt(fmt.Errorf("%s", msg))
		}), true
	case "warn":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			if len(call.Args) > 0 && x.c.Log != nil {
				x.c.Log("warning: " + jinja.Str(call.Args[0]))
			}
			return "", nil
		}), true
	}
	return nil, false
}

// jsonValue reads the next JSON value of dec (which uses numbers) as
// Python's json.loads gives it: objects as dicts in the text's order (a
// repeated key keeps its first place and its last value), arrays as
// lists, integers as int, other numbers as float.
func jsonValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '{':
			d := jinja.NewDict()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				if err := d.Set(k, v); err != nil {
					return nil, err
				}
			}
			_, err := dec.Token()
			return d, err
		case '[':
			l := jinja.NewList()
			for dec.More() {
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				l.Items = append(l.Items, v)
			}
			_, err := dec.Token()
			return l, err
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case json.Number:
		return jsonNumber(x), nil
	}
	return tok, nil
}

// jsonNumber types a JSON number as Python's json.loads does: int, an
// unbounded integer (*big.Int) beyond 64 bits, or float64.
func jsonNumber(x json.Number) any {
	if i, err := x.Int64(); err == nil {
		return int(i)
	}
	if !strings.ContainsAny(string(x), ".eE") { // an integer beyond 64 bits: Python's are unbounded
		if n, ok := new(big.Int).SetString(string(x), 10); ok {
			return n
		}
	}
	f, _ := x.Float64()
	return f
}
