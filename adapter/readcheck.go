package adapter

import (
	"context"
	"sort"
	"strings"
)

// ReadCheck is what a node's compiled query uses (ReadChecker.ParseUses)
// and the relations it may read (its refs', its sources' and its own):
// see ReadChecker.
type ReadCheck struct {
	Use   QueryUse
	Reads []Relation
}

// ReadChecker is a Conn that tells, with the database's own parser and
// catalog, whether a query's result can change while its text and the
// relations it may read do not: kiln build skips an unchanged node only
// when it cannot.
type ReadChecker interface {
	// ParseUses returns what each of sqls uses, as the database's parser
	// reads it; it depends on the text and the database's version only
	// (the caller may keep it). A text that is not one or more SELECT
	// statements has Err set. The error is only a failure of the parser.
	ParseUses(ctx context.Context, sqls []string) ([]QueryUse, error)
	// CheckReads returns, for each of qs, "" when the query is one or
	// more SELECT statements that read only relations of its Reads (or
	// their CTEs) and call only immutable functions; otherwise why not,
	// as a short phrase: "calls now()", "reads ext.t, not a ref or
	// source", "cannot be analysed: only SELECT statements are". A
	// function the database does not know as immutable (a user's macro,
	// a table function without a stability) counts as not immutable. The
	// error is only a failure of the database to answer.
	//
	// cache, when not nil, holds the verdicts on functions of earlier
	// calls (the caller keeps it between builds): CheckReads uses those
	// that hold for the database as it is now (FuncCache.State), asks the
	// database only of the others, and adds them to cache (it clears a
	// cache of another state).
	CheckReads(ctx context.Context, qs []ReadCheck, cache *FuncCache) ([]string, error)
}

// FuncCache is what a ReadChecker found of the database's functions:
// whether each is immutable, by the adapter's own key of a function
// (DuckDB: "f:name" or "t:name" for a table function, lower case),
// with the state of the database those verdicts depend on.
type FuncCache struct {
	// State names what the verdicts depend on, as the adapter reads it
	// (DuckDB: its version, its loaded extensions and a digest of the
	// functions and macros that are not DuckDB's own); "" for none yet.
	State     string          `json:"state"`
	Immutable map[string]bool `json:"immutable"`
}

// Reset makes c the empty cache of state, unless it is of state already;
// it reports whether c was kept.
func (c *FuncCache) Reset(state string) bool {
	if c.State == state && c.Immutable != nil {
		return true
	}
	c.State, c.Immutable = state, map[string]bool{}
	return false
}

// QueryUse is what a parsed query uses, as the database's parser names
// it: the relations it reads (CTEs left out) and the functions it calls.
// Err, when set, says why the query could not be analysed.
type QueryUse struct {
	// Tables are the relations read, as catalog, schema and name parts,
	// "" for a part left out, in order of appearance.
	Tables [][3]string `json:"tables,omitempty"`
	// Funcs are the functions called, "schema.name" when qualified.
	Funcs []string `json:"funcs,omitempty"`
	Err   string   `json:"err,omitempty"`
}

// Reasons a walker records in QueryUse.Funcs for what reads no function
// but is not immutable: Judge gives them as they are (they start with
// "!", which no function's name does).
const (
	// UnseededSample is a USING SAMPLE or TABLESAMPLE without a seed
	// (REPEATABLE): its rows are random.
	UnseededSample = "!samples without REPEATABLE (a seed): random rows"
)

// ClockLiteral is the reason a walker records for a cast of the string
// lit ('now', 'today', ...) to a date or time type typ, which reads the
// clock (PostgreSQL's special date/time input values).
func ClockLiteral(lit, typ string) string {
	return "!casts '" + lit + "' to " + typ + ": reads the clock"
}

// FuncNames returns the distinct function names (without their schema)
// of uses, sorted.
func FuncNames(uses []QueryUse) []string {
	seen := map[string]bool{}
	for _, u := range uses {
		for _, f := range u.Funcs {
			if strings.HasPrefix(f, "!") {
				continue // a reason, not a function
			}
			seen[BareFunc(f)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// BareFunc returns f without its schema qualifier.
func BareFunc(f string) string {
	if i := strings.LastIndexByte(f, '.'); i >= 0 {
		return f[i+1:]
	}
	return f
}

// Uses returns the QueryUse of each of qs.
func Uses(qs []ReadCheck) []QueryUse {
	uses := make([]QueryUse, len(qs))
	for i, q := range qs {
		uses[i] = q.Use
	}
	return uses
}

// MatchRead reports whether a read's parts (catalog, schema and name, ""
// for a part left out, as QueryUse.Tables holds them) name rel in a
// database whose current catalog and schema are db and schema (rel's
// Database and Schema when empty): its name is rel's and its schema and
// catalog, as far as it gives them, are rel's; a bare name is the
// current schema's. eq compares names: strings.EqualFold for DuckDB,
// whose identifiers ignore case, quoted or not; == for PostgreSQL, whose
// parser folds unquoted names as kiln's relations are. catalogSchema,
// when not "", is the schema a two-part name x.t names when x is a
// catalog (DuckDB's default schema "main"); PostgreSQL has none ("").
func MatchRead(read [3]string, rel Relation, db, schema string, eq func(a, b string) bool, catalogSchema string) bool {
	d, s := rel.Database, rel.Schema
	if d == "" {
		d = db
	}
	if s == "" {
		s = schema
	}
	if !eq(read[2], rel.Name) {
		return false
	}
	switch {
	case read[0] != "":
		return eq(read[0], d) && eq(read[1], s)
	case read[1] != "":
		return eq(read[1], s) && eq(d, db) || catalogSchema != "" && eq(read[1], d) && eq(s, catalogSchema)
	}
	return eq(s, schema) && eq(d, db)
}

// Judge returns the reason, "" for none, that the query described by u
// may change while its text and its allowed relations do not: u.Err, the
// first function immutable does not accept, the first table that matches
// none of allowed (match says whether a read's parts name a relation).
func Judge(u QueryUse, allowed []Relation, immutable func(fn string) bool, match func(read [3]string, rel Relation) bool) string {
	if u.Err != "" {
		return "cannot be analysed: " + u.Err
	}
	for _, f := range u.Funcs {
		if r, ok := strings.CutPrefix(f, "!"); ok {
			return r
		}
		if !immutable(f) {
			return "calls " + f + "()"
		}
	}
	for _, t := range u.Tables {
		ok := false
		for _, rel := range allowed {
			if match(t, rel) {
				ok = true
				break
			}
		}
		if !ok {
			var parts []string
			for _, p := range t {
				if p != "" {
					parts = append(parts, p)
				}
			}
			return "reads " + strings.Join(parts, ".") + ", not a ref or source"
		}
	}
	return ""
}
