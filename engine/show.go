package engine

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/run"
)

// InlineName is the name of the node that Config.Inline compiles to, as
// dbt show names an inline query.
const InlineName = "inline_query"

// inlineFile is the pseudo path of the inline query in diagnostics.
const inlineFile = "--inline"

// addInline adds sql to proj as a model file named inline_query in its
// first model folder.
func (p *Project) addInline(proj *project.Project, sql string) error {
	dir := "models"
	if len(proj.Config.ModelPaths) > 0 {
		dir = proj.Config.ModelPaths[0]
	}
	file := path.Join(dir, InlineName+".sql")
	for _, f := range proj.Models {
		if f.Path == file {
			return fmt.Errorf("the project has a model %s, the name kiln show gives an --inline query; rename the model to preview inline SQL", file)
		}
	}
	proj.Models = append(proj.Models, project.File{Path: file, Content: []byte(sql)})
	p.inlinePath = file
	return nil
}

// inlineDiags returns l with the positions in the inline query's model
// file written as "--inline:line:col".
func inlineDiags(l diag.List, file string) diag.List {
	out := make(diag.List, len(l))
	for i, d := range l {
		if d.Pos.File == file {
			d.Pos.File = inlineFile
		}
		out[i] = d
	}
	return out
}

// InlineID returns the id of the inline query's node (Config.Inline), ""
// when the project was loaded without one.
func (p *Project) InlineID() graph.ID {
	if p.inlinePath == "" {
		return ""
	}
	for _, n := range p.Graph().Nodes() {
		if n.Kind == graph.Model && n.Path == p.inlinePath {
			return n.ID
		}
	}
	return ""
}

// Preview is the first rows of a node, dbt show's result.
type Preview struct {
	Node    *graph.Node
	Columns []string
	// Types are the columns' database types (adapter.Rows.ColumnTypes).
	Types []string
	// Rows hold plain Go values (see adapter.Conn), exact
	// (adapter.Rows.ExactValues): nil for NULL.
	Rows [][]any
	// From says where the rows come from: the relation's quoted name, or
	// "compiled SQL" for an inline query, a test, an ephemeral model, and
	// a model that is not built yet (NotBuilt).
	From string
	// NotBuilt is a model, seed or source without its relation in the
	// database: a model's compiled SQL was run instead (its parents must
	// be built).
	NotBuilt bool
	// Cut says the query had more rows than the limit: Rows holds the
	// first limit of them.
	Cut bool
}

// ErrNoDatabase is returned by Show when the project's database file does
// not exist yet.
var ErrNoDatabase = errors.New("the database does not exist yet")

// Show returns the first limit rows of node id (all when limit < 0): the
// rows of its relation in the database when it has one that exists, else
// the rows of its compiled SQL (an inline query, a test's failing rows, an
// ephemeral model, a model not built yet), rendered again with execute
// true and the database when its template reads execute (run_query...),
// as dbt show renders it. Like a run, it first finishes
// what killed kiln processes left (see recover and COMMIT.md), so that it
// never shows a killed run's half-replaced tables; beyond that the
// database is read, never written: a statement that may write (update,
// delete, create, copy, attach ..., see showWrite) is refused with a
// *run.NodeError before it runs, and the others (the query, a template's
// run_query) run in a read-only transaction, rolled back, so that the
// database refuses a write no keyword shows (a function or a macro that
// writes), a *run.NodeError too (see adapter.BeginReadOnly). Show
// returns *adapter.LockError while a build holds it, ErrNoDatabase
// (wrapped) before the first build, without creating the file, and the
// database's *adapter.Error when the query fails.
func (p *Project) Show(ctx context.Context, id graph.ID, limit int) (*Preview, error) {
	n := p.Graph().Node(id)
	if n == nil {
		return nil, fmt.Errorf("no node %q", id)
	}
	if id == p.InlineID() && !n.RenderAtRun {
		// Refused before the database is opened.
		if err := p.refuseWrite(n, n.CompiledCode); err != nil {
			return nil, err
		}
	}
	if p.DBPath != ":memory:" && !p.DatabaseExists() {
		return nil, fmt.Errorf("%w: %s; run kiln build first", ErrNoDatabase, p.DatabaseName())
	}
	d, err := p.OpenDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	conn, db := d.conn, d.db
	// A killed run may have left some relations replaced and others not:
	// restore them before reading, as a run does (it holds the database,
	// and the target folder whose leftover files the recovery sweeps).
	unlock, err := p.lockTarget(ctx, "show")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := p.recover(ctx, conn, db.Dialect()); err != nil {
		// Views made outside the journal block the undo (the user must
		// drop them, which the error says): show reads the database as it
		// is meanwhile.
		var bu *execute.BlockedUndo
		if !errors.As(err, &bu) {
			return nil, err
		}
		p.printf(Warn, "warning: %s", oneLine(err))
	}
	// From here on the statements are the user's: the database refuses
	// their writes (see adapter.BeginReadOnly).
	begun, err := adapter.BeginReadOnly(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("kiln show: %w", err)
	}
	ended := false
	end := func() {
		if !ended {
			ended = true
			begun()
		}
	}
	defer end()
	pv := &Preview{Node: n, From: "compiled SQL"}
	query, compiled := n.CompiledCode, true
	if n.Relation.Name != "" && (n.Kind == graph.Model || n.Kind == graph.Seed || n.Kind == graph.Source) && id != p.InlineID() {
		kind, err := conn.RelationKind(ctx, n.Relation)
		if err != nil {
			return nil, err
		}
		if kind != "" {
			query, pv.From, compiled = db.Dialect().SelectAll(n.Relation, ""), db.Dialect().QuoteRelation(n.Relation), false
		} else {
			pv.NotBuilt = true
			if n.Kind != graph.Model || query == "" {
				return nil, fmt.Errorf("%s %q is not in the database yet (no relation %s); run kiln build -s %s first",
					n.Kind, n.DisplayName(), db.Dialect().QuoteRelation(n.Relation), n.Name)
			}
		}
	}
	if compiled && n.RenderAtRun && p.cfg.Render != nil {
		// dbt show renders the SQL it runs with execute true: run_query
		// and statement read the database (they may not write it).
		s := adapter.Session{Conn: readOnlyConn{conn}, Dialect: db.Dialect(), Type: db.Type()}
		sql, ok, err := p.cfg.Render(ctx, n, s)
		if err != nil {
			return nil, p.renderError(n, err)
		}
		if ok {
			query = sql
		}
	}
	if query == "" {
		return nil, fmt.Errorf("%s %q has no rows to show: it is neither a relation nor a query", n.Kind, n.DisplayName())
	}
	if err := p.refuseWrite(n, query); err != nil {
		return nil, err
	}
	pv.Columns, pv.Types, pv.Rows, pv.Cut, err = firstRows(ctx, conn, query, limit)
	if err != nil {
		return nil, p.showError(n, query, err)
	}
	// What the rollback leaves: a session lock taken in a function.
	end()
	if err := releaseSessionLocks(ctx, conn); err != nil {
		pos := diag.Pos{File: n.Path, Line: 1, Col: 1}
		if p.inlinePath != "" && n.Path == p.inlinePath {
			pos.File = inlineFile
		}
		return nil, &run.NodeError{Pos: pos, Msg: err.Error(), Hint: "kiln show runs queries that leave nothing behind; take the lock in kiln run-operation, or call pg_advisory_xact_lock, which the rollback releases"}
	}
	return pv, nil
}

// renderError is the error of rendering node n with execute true for
// kiln show: the inline query's at --inline:line:col, another node's
// with its name.
func (p *Project) renderError(n *graph.Node, err error) error {
	if p.inlinePath != "" && n.Path == p.inlinePath {
		return errors.New(strings.ReplaceAll(err.Error(), p.inlinePath+":", inlineFile+":"))
	}
	return fmt.Errorf("%s %q: rendering with the database (execute true): %w", n.Kind, n.DisplayName(), err)
}

// refuseWrite returns a *run.NodeError when query, node n's SQL, has a
// statement that may write (showWrite): kiln show only reads. Its
// position is the statement's in n's file (--inline for the inline
// query) when query is the file's text or the statement's first line is
// once in it, else the file's.
func (p *Project) refuseWrite(n *graph.Node, query string) error {
	off, text, ok := showWrite(query)
	msg := fmt.Sprintf("kiln show only reads the database, as dbt show previews a query; this statement may write it, so it was not run: %s", text)
	if !ok {
		var fn, effect string
		if off, fn, effect, ok = showEffect(query); !ok {
			return nil
		}
		msg = showEffectMsg(fn, effect)
	}
	pos := diag.Pos{File: n.Path}
	if p.inlinePath != "" && n.Path == p.inlinePath {
		pos.File = inlineFile
	}
	if query == n.RawCode {
		pos.Line, pos.Col = lineCol(query, off)
	} else if stmt := firstLine(query[off:]); strings.Count(n.RawCode, stmt) == 1 {
		// Rendered: the statement's first line as written in the file.
		pos.Line, pos.Col = lineCol(n.RawCode, strings.Index(n.RawCode, stmt))
	}
	return &run.NodeError{Pos: pos, Hint: ShowWriteHint, Msg: msg}
}

// firstRows runs query and reads its first limit rows (all when limit <
// 0), exact values, then closes the stream: the query's text is the
// user's, unchanged. cut says a row followed the last one read.
func firstRows(ctx context.Context, conn adapter.Conn, query string, limit int) (cols, types []string, out [][]any, cut bool, err error) {
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, nil, nil, false, err
	}
	defer rows.Close()
	cols = rows.Columns()
	out = [][]any{}
	for rows.Next() {
		if limit >= 0 && len(out) == limit {
			cut = true
			break
		}
		v, err := rows.ExactValues()
		if err != nil {
			return nil, nil, nil, false, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, false, err
	}
	return cols, rows.ColumnTypes(), out, cut, nil
}

// showError explains the database's error running query, node n's SQL:
// at the position in n's file (in the --inline text for an inline query),
// with a hint (see execute.QueryError).
func (p *Project) showError(n *graph.Node, query string, err error) error {
	refused := adapter.IsReadOnlyError(err)
	err = p.withCatalogHint(execute.QueryError(p.Graph(), n, query, err))
	var ne *run.NodeError
	if errors.As(err, &ne) && p.inlinePath != "" && ne.Pos.File == p.inlinePath {
		ne.Pos.File = inlineFile
		ne.Hint = strings.ReplaceAll(ne.Hint, p.inlinePath+":", inlineFile+":")
	}
	if refused && ne != nil {
		ne.Msg, ne.Hint = readOnlyMsg+": "+ne.Msg, ShowWriteHint
	}
	return err
}

// IsLocked reports whether err is the database being held by another
// process (*adapter.LockError).
func IsLocked(err error) bool {
	var le *adapter.LockError
	return errors.As(err, &le)
}
