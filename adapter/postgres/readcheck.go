package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/kiln-build/kiln/adapter"
)

// CheckReads implements adapter.ReadChecker with PostgreSQL's own parser
// (pg_query_go, in the process) and its catalog (pg_proc: a function is
// immutable when every function of its name, in its schema when the call
// names one, has provolatile 'i'; now(), current_date and the other SQL
// value functions are stable, random() volatile). The parser folds
// unquoted names to lower case and keeps quoted ones as written, as
// kiln's relations are: parts compare exactly. A name without a database
// or schema is the current one's (current_database(), current_schema()).
// It takes one query, whatever the number of queries checked; cache is
// not used (the functions' volatility comes in that query, which reads
// the current schema too, and costs a lookup in pg_proc's index).
func (c *Conn) CheckReads(ctx context.Context, qs []adapter.ReadCheck, _ *adapter.FuncCache) ([]string, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	uses := adapter.Uses(qs)
	names := adapter.FuncNames(uses)
	if names == nil {
		names = []string{}
	}
	_, rows, err := c.QueryRows(ctx, `select current_database(), current_schema(), p.proname, n.nspname, bool_and(p.provolatile = 'i')
from (select 1) one left join (pg_proc p join pg_namespace n on n.oid = p.pronamespace) on p.proname = any($1::text[])
group by p.proname, n.nspname`, names)
	if err != nil {
		return nil, fmt.Errorf("cannot read the functions' volatility: %w", err)
	}
	var db, schema string
	bySchema := map[string]map[string]bool{} // name -> schema -> immutable
	for _, r := range rows {
		db, _ = r[0].(string)
		schema, _ = r[1].(string)
		name, _ := r[2].(string)
		nsp, _ := r[3].(string)
		ok, _ := r[4].(bool)
		if name == "" {
			continue
		}
		if bySchema[name] == nil {
			bySchema[name] = map[string]bool{}
		}
		bySchema[name][nsp] = ok
	}
	immutable := func(f string) bool {
		name := adapter.BareFunc(f)
		schemas := bySchema[name]
		if len(schemas) == 0 {
			return false
		}
		if i := strings.LastIndexByte(f, '.'); i >= 0 {
			ok, found := schemas[f[:i]]
			return found && ok
		}
		for _, ok := range schemas {
			if !ok {
				return false
			}
		}
		return true
	}
	match := func(read [3]string, rel adapter.Relation) bool {
		return adapter.MatchRead(read, rel, db, schema, func(a, b string) bool { return a == b }, "")
	}
	out := make([]string, len(qs))
	for i, u := range uses {
		out[i] = adapter.Judge(u, qs[i].Reads, immutable, match)
	}
	return out, nil
}

// ParseUses implements adapter.ReadChecker with pg_query, in the process.
func (c *Conn) ParseUses(ctx context.Context, sqls []string) ([]adapter.QueryUse, error) {
	uses := make([]adapter.QueryUse, len(sqls))
	for i, sql := range sqls {
		uses[i] = pgUse(sql)
	}
	return uses, nil
}

// pgUse walks pg_query's parse tree of sql: the RangeVars that are not
// CTEs in scope, the FuncCalls and the SQL value functions
// (current_date, current_timestamp, ...).
func pgUse(sql string) adapter.QueryUse {
	text, err := pg_query.ParseToJSON(sql)
	if err != nil {
		return adapter.QueryUse{Err: err.Error()}
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return adapter.QueryUse{Err: err.Error()}
	}
	stmts := arr(doc, "stmts")
	if len(stmts) == 0 {
		return adapter.QueryUse{Err: "no statement"}
	}
	var u adapter.QueryUse
	for _, s := range stmts {
		st := obj(s.(map[string]any), "stmt")
		if obj(st, "SelectStmt") == nil {
			return adapter.QueryUse{Err: "only SELECT statements are analysed"}
		}
		walkPG(st, nil, &u)
	}
	return u
}

// walkPG adds to u what the pg_query JSON node v uses: the RangeVars read
// that are not CTEs of ctes in scope, the FuncCalls ("schema.name" when
// qualified), the SQL value functions (current_date, ...), the casts of
// a clock word to a date/time type and the TABLESAMPLEs without
// REPEATABLE; SelectStmts go through walkSelect for their WITH clause.
func walkPG(v any, ctes []string, u *adapter.QueryUse) {
	switch x := v.(type) {
	case []any:
		for _, it := range x {
			walkPG(it, ctes, u)
		}
	case map[string]any:
		for k, f := range x {
			fields, _ := f.(map[string]any)
			switch k {
			case "SelectStmt":
				walkSelect(fields, ctes, u)
				continue
			case "RangeVar":
				cat, sch, rel := str(fields, "catalogname"), str(fields, "schemaname"), str(fields, "relname")
				if cat == "" && sch == "" && slices.Contains(ctes, rel) { // pg_query folds unquoted names: exact
					continue
				}
				u.Tables = append(u.Tables, [3]string{cat, sch, rel})
				continue
			case "FuncCall":
				if names := stringsOf(arr(fields, "funcname")); len(names) > 0 {
					u.Funcs = append(u.Funcs, strings.Join(names, "."))
				}
			case "TypeCast":
				if lit, typ := clockCast(fields); lit != "" {
					u.Funcs = append(u.Funcs, adapter.ClockLiteral(lit, typ))
				}
			case "RangeTableSample":
				if fields["repeatable"] == nil {
					u.Funcs = append(u.Funcs, adapter.UnseededSample)
				}
			case "SQLValueFunction":
				op := strings.ToLower(strings.TrimPrefix(str(fields, "op"), "SVFOP_"))
				op = strings.TrimSuffix(op, "_n")
				u.Funcs = append(u.Funcs, op)
			}
			walkPG(f, ctes, u)
		}
	}
}

// clockTypes are PostgreSQL's date and time types (pg_query's names):
// their input reads the clock for clockWords.
var clockTypes = map[string]bool{"date": true, "time": true, "timetz": true, "timestamp": true,
	"timestamptz": true, "interval": true}

// clockWords are PostgreSQL's special date/time input values that read
// the clock ('epoch', 'infinity' and 'allballs' do not).
var clockWords = []string{"now", "today", "tomorrow", "yesterday"}

// clockCast returns, for a TypeCast node's fields, the string constant
// and the type when it casts a constant that holds one of clockWords to
// one of clockTypes ('now'::timestamptz, date 'today', cast('tomorrow'
// as date)), else "", "".
func clockCast(tc map[string]any) (lit, typ string) {
	names := stringsOf(arr(obj(tc, "typeName"), "names"))
	if len(names) == 0 || !clockTypes[strings.ToLower(names[len(names)-1])] {
		return "", ""
	}
	c := obj(obj(tc, "arg"), "A_Const")
	s := str(obj(c, "sval"), "sval")
	low := strings.ToLower(s)
	for _, w := range clockWords {
		if strings.Contains(low, w) {
			return s, strings.ToLower(names[len(names)-1])
		}
	}
	return "", ""
}

// walkSelect walks a SelectStmt: its WITH clause's queries each with the
// CTEs before it in scope (and all of them in a WITH RECURSIVE), the rest
// with all of them.
func walkSelect(st map[string]any, ctes []string, u *adapter.QueryUse) {
	scope := append([]string(nil), ctes...)
	if w := obj(st, "withClause"); w != nil {
		recursive, _ := w["recursive"].(bool)
		var names []string
		for _, c := range arr(w, "ctes") {
			_, cte := unwrap(c)
			names = append(names, str(cte, "ctename"))
		}
		if recursive {
			scope = append(scope, names...)
		}
		for i, c := range arr(w, "ctes") {
			_, cte := unwrap(c)
			walkPG(cte["ctequery"], scope, u)
			if !recursive {
				scope = append(scope, names[i])
			}
		}
	}
	for k, f := range st {
		switch k {
		case "withClause":
		case "larg", "rarg": // a set operation's sides, SelectStmts unwrapped
			side, _ := f.(map[string]any)
			walkSelect(side, scope, u)
		default:
			walkPG(f, scope, u)
		}
	}
}
