package template

import (
	"fmt"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// dbtNames are the names dbtName resolves, for builtins and context.
var dbtNames = []string{"adapter", "api", "context", "database", "dbt_version", "exceptions", "execute",
	"flags", "fromjson", "fromyaml", "graph", "invocation_id", "load_relation", "load_result", "local_file_sha256", "local_md5", "log", "model",
	"modules", "print", "project_name", "run_query", "run_started_at", "schema", "set", "set_strict",
	"should_store_failures", "statement", "store_raw_result", "store_result", "target", "tojson", "toyaml", "zip"}

// defined reports whether name of contextNames or dbtNames is defined in
// g's context, without reading it (reading execute or graph marks the
// template as one that renders again at run time).
func (g *globals) defined(name string) bool {
	c := g.c
	switch name {
	case "ref":
		return c.Ref != nil
	case "source":
		return c.Source != nil
	case "config":
		return c.Config != nil
	case "var":
		return c.Var != nil
	case "env_var":
		return c.EnvVar != nil
	case "this":
		return c.This != nil
	case "model":
		return c.Model != nil && c.Model() != nil
	case "schema", "database":
		return c.Where != nil
	case "target":
		return g.e.run.Target != nil
	case "project_name":
		return g.e.run.ProjectName != ""
	}
	return true
}

// memberNames are the names of dbt's context members defined in g's
// context: contextNames and dbtNames, without macros.
func (g *globals) memberNames() []string {
	var out []string
	for _, list := range [][]string{contextNames, dbtNames} {
		for _, n := range list {
			if g.defined(n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// contextObj is dbt's context: every name a template sees at its top
// level (the context's members, the node's extra variables and the
// macros), so that context[name] or context.get(name) finds a macro by
// a name computed at run time. Macros resolve as the root project's
// code resolves them.
type contextObj struct{ g *globals }

// Attr implements jinja.Getter.
func (o contextObj) Attr(name string) (any, bool) {
	if !o.g.defined(name) {
		return nil, false
	}
	return o.g.Lookup(name, "")
}

// Keys implements jinja.Mapping.
func (o contextObj) Keys() []string {
	out := o.g.memberNames()
	for k := range o.g.c.Globals {
		out = append(out, k)
	}
	return append(out, o.g.e.resolver.Names()...)
}

// adapterResponse is dbt's AdapterResponse (a statement's response,
// store_raw_result's): _message, code, rows_affected and query_id, None
// when unknown; it prints as its message.
type adapterResponse struct{ message, code, rows any }

// statementResponse is the response of a statement block: dbt-duckdb's
// AdapterResponse(_message="OK"), code and rows_affected None. On
// PostgreSQL too (dbt-postgres gives the server's status, "SELECT 1",
// which kiln does not read).
var statementResponse = adapterResponse{message: "OK"}

// PyRepr is the dataclass's repr, as a list or dict prints it.
func (r adapterResponse) PyRepr() string {
	return fmt.Sprintf("AdapterResponse(_message=%s, code=%s, rows_affected=%s, query_id=None)", jinja.Repr(r.message), jinja.Repr(r.code), jinja.Repr(r.rows))
}

// Attr implements jinja.Getter.
func (r adapterResponse) Attr(name string) (any, bool) {
	switch name {
	case "_message":
		return r.message, true
	case "code":
		return r.code, true
	case "rows_affected":
		return r.rows, true
	case "query_id":
		return nil, true
	}
	return nil, false
}

// String is str(response): its message.
func (r adapterResponse) String() string { return jinja.Str(r.message) }

// storeResult is store_result(name, response, agate_table=None): it keeps
// response and the table (an empty one when none) for load_result(name),
// as dbt's store_result does.
func (g *globals) storeResult(call *jinja.Call) (any, error) {
	name, ok := arg(call, 0, "name")
	if !ok {
		return nil, fmt.Errorf("store_result() takes a name, a response and an optional agate_table")
	}
	response, _ := arg(call, 1, "response")
	t, err := tableArg(call, 2)
	if err != nil {
		return nil, err
	}
	g.store(jinja.Str(name), response, t)
	return "", nil
}

// storeRawResult is store_raw_result(name, message=None, code=None,
// rows_affected=None, agate_table=None): store_result with an
// AdapterResponse made of message, code and rows_affected.
func (g *globals) storeRawResult(call *jinja.Call) (any, error) {
	name, ok := arg(call, 0, "name")
	if !ok {
		return nil, fmt.Errorf("store_raw_result() takes a name, and message, code, rows_affected and agate_table")
	}
	msg, _ := arg(call, 1, "message")
	code, _ := arg(call, 2, "code")
	rows, _ := arg(call, 3, "rows_affected")
	t, err := tableArg(call, 4)
	if err != nil {
		return nil, err
	}
	g.store(jinja.Str(name), adapterResponse{message: msg, code: code, rows: rows}, t)
	return "", nil
}

// tableArg is the agate_table argument at i: a Table (run_query's,
// load_result's), or an empty one when it is not given or none.
func tableArg(call *jinja.Call, i int) (*Table, error) {
	v, ok := arg(call, i, "agate_table")
	if !ok || v == nil {
		return NewTable(nil, nil, nil), nil
	}
	t, isTable := v.(*Table)
	if !isTable {
		return nil, fmt.Errorf("agate_table is a table (run_query's result), not %s", jinja.Str(v))
	}
	return t, nil
}

// store keeps a result for load_result.
func (g *globals) store(name string, response any, t *Table) {
	if g.c.results == nil {
		g.c.results = map[string]result{}
	}
	g.c.results[name] = result{response: response, table: t}
}
