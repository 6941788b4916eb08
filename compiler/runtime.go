package compiler

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/internal/materialize"
)

// RenderAtRun renders model n again when it runs, with execute true and
// the database of session s (dbt's execute phase: run_query, statement,
// the adapter's database methods), after its parents are built. It
// returns ok false for a model whose template does not read execute
// (its compiled code stands). An incremental model renders with
// is_incremental() as s.Incremental says: the SQL its run applies. With
// s.Batch set, it renders microbatch model n for that batch (see
// renderBatch). It has execute.Renderer's signature.
func (m *Manifest) RenderAtRun(ctx context.Context, n *graph.Node, s adapter.Session) (string, bool, error) {
	if m.c == nil {
		return "", false, nil
	}
	db := &sessionDB{ctx: ctx, s: s}
	if s.Batch != nil {
		return m.renderBatch(n, s, db)
	}
	if !n.RenderAtRun {
		return "", false, nil
	}
	if render, ok := m.c.runtimeTests[m.c.nodes[n.ID]]; ok && m.c.nodes[n.ID] != nil {
		var logs logSink
		sql, err := render(db, &logs)
		m.c.emitLogs(n, logs.take())
		if err != nil {
			return "", false, err
		}
		return m.c.inject(n.ID, sql), true, nil
	}
	node := m.c.nodes[n.ID]
	if node == nil {
		return "", false, nil
	}
	// is_incremental() as the executor decided it (adapter.Session), so
	// that an incremental run applies the rendering of this run, execute
	// true, and not its parse-time one (Incremental.Code).
	r := m.c.renderNode(node, renderMode{final: true, db: db, incremental: s.Incremental && node.Incremental != nil})
	m.c.emitLogs(n, r.logs)
	if len(r.diags) > 0 {
		return "", false, fmt.Errorf("%v", r.diags[0])
	}
	return m.c.inject(n.ID, m.c.statement(n, r.out)), true, nil
}

// renderBatch renders microbatch model n for batch s.Batch, as dbt
// renders such a model for each of its batches: model.batch that batch,
// is_incremental() as s.Incremental says, execute true with the database
// of s, and each input with an event_time written as its marker
// (graph.BatchMarker), which the executor replaces by the input's rows of
// the batch. It returns ok false when n's template reads neither
// model.batch nor execute: its parse-time batch code stands.
func (m *Manifest) renderBatch(n *graph.Node, s adapter.Session, db *sessionDB) (string, bool, error) {
	node := m.c.nodes[n.ID]
	if node == nil || n.Incremental == nil || n.Incremental.Batch == nil || !n.RenderAtRun && !n.Incremental.Batch.ReadsBatch {
		return "", false, nil
	}
	r := m.c.renderNode(node, renderMode{final: true, batch: true, db: db, incremental: s.Incremental, batchOf: s.Batch})
	m.c.emitLogs(n, r.logs)
	if len(r.diags) > 0 {
		return "", false, fmt.Errorf("%v", r.diags[0])
	}
	code, second := oneStatement(r.out)
	if second >= 0 {
		line, _ := diag.Offset(r.out, second)
		return "", false, fmt.Errorf("a model is one SELECT statement; its rendering for batch %s has a second one at line %d", s.Batch.ID, line)
	}
	return m.c.inject(n.ID, code), true, nil
}

// inject inlines the ephemeral parents of node id into code, as the
// compiled code has them.
func (c *compiler) inject(id graph.ID, code string) string {
	if ctes := c.ephemeralCTEs(id); len(ctes) > 0 {
		return materialize.InjectCTEs(code, ctes)
	}
	return code
}

// sessionDB is template.DB on an adapter session.
type sessionDB struct {
	ctx context.Context
	s   adapter.Session
}

// Query runs sql and returns its column names, database types and rows,
// values exact (adapter.Rows.ExactValues), as run_query's table holds
// them.
func (d *sessionDB) Query(sql string) ([]string, []string, [][]any, error) {
	r, err := d.s.Conn.Query(d.ctx, sql)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	var rows [][]any
	for r.Next() {
		v, err := r.ExactValues()
		if err != nil {
			return nil, nil, nil, err
		}
		rows = append(rows, v)
	}
	if err := r.Err(); err != nil {
		return nil, nil, nil, err
	}
	return r.Columns(), r.ColumnTypes(), rows, nil
}

func (d *sessionDB) Exec(sql string) error {
	_, err := d.s.Conn.Exec(d.ctx, sql)
	return err
}

func (d *sessionDB) rel(database, schema, identifier string) adapter.Relation {
	return adapter.Relation{Database: database, Schema: schema, Name: identifier}
}

func (d *sessionDB) Columns(database, schema, identifier string) ([]string, []string, error) {
	cols, err := d.s.Conn.Columns(d.ctx, d.rel(database, schema, identifier))
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(cols))
	types := make([]string, len(cols))
	for i, c := range cols {
		names[i], types[i] = c.Name, c.Type
	}
	return names, types, nil
}

func (d *sessionDB) Kind(database, schema, identifier string) (string, error) {
	k, err := d.s.Conn.RelationKind(d.ctx, d.rel(database, schema, identifier))
	return string(k), err
}

func (d *sessionDB) Relations(database, schema, like string) ([]template.Relation, []string, error) {
	all, err := d.s.Conn.Relations(d.ctx, false)
	if err != nil {
		return nil, nil, err
	}
	var rels []template.Relation
	var kinds []string
	for _, r := range all {
		if !strings.EqualFold(r.Schema, schema) || database != "" && r.Database != "" && !strings.EqualFold(r.Database, database) || !likeMatch(like, r.Name) {
			continue
		}
		rel := template.NewRelation(d, r.Database, r.Schema, r.Name)
		rel.Type = string(r.Kind)
		rels = append(rels, rel)
		kinds = append(kinds, string(r.Kind))
	}
	return rels, kinds, nil
}

func (d *sessionDB) Quote(name string) string { return d.s.Dialect.Quote(name) }

// likeMatch matches s against a SQL LIKE pattern (% and _), ignoring case.
func likeMatch(pattern, s string) bool {
	p, t := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(p) {
			switch p[i] {
			case '%':
				for k := j; k <= len(t); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			case '_':
				if j >= len(t) {
					return false
				}
			default:
				if j >= len(t) || p[i] != t[j] {
					return false
				}
			}
			i++
			j++
		}
		return j == len(t)
	}
	return match(0, 0)
}

// RunHooks runs the pre-hooks (phase "pre") or post-hooks ("post") of
// model or seed n on session s, as dbt does: each hook (the pre-hook and
// pre_hook configs, a string, a {sql, transaction} mapping or a list of
// them) is rendered with this, the database and dbt's context, and what
// it renders, when not blank, runs as SQL; model.batch is s.Batch, when
// set (a microbatch model's first batch for its pre-hooks, its last for
// its post-hooks). inTx selects the hooks that
// run inside the node's transaction (dbt's default) or those with
// transaction: false, which run before it begins or after it commits. It
// has execute.Hooks' signature.
func (m *Manifest) RunHooks(ctx context.Context, n *graph.Node, phase string, inTx bool, s adapter.Session) error {
	if m == nil || m.c == nil {
		return nil
	}
	hooks := NodeHooks(n, phase, inTx)
	if len(hooks) == 0 {
		return nil
	}
	c := m.c
	db := &sessionDB{ctx: ctx, s: s}
	this := tmplRelation(n.Relation, n.Relation.String())
	tctx := &template.Context{Ref: c.finalRef(nil), Source: c.finalSource(nil), Var: c.varIn(n.Package), EnvVar: c.lookupEnv, This: this, DB: db, Graph: c.graphVar,
		// A hook reads the node's final config; its config() calls set
		// nothing, as in dbt at run time.
		Config:      func(map[string]any, diag.Pos, map[string]template.ArgPos) error { return nil },
		ConfigValue: func(key string) (any, bool) { return configValue(n.Kind, configMap(n.Config), key) },
		Log:         func(msg string) { c.emitLogs(n, []graph.LogLine{{Text: msg}}) },
		Debug:       func(msg string) { c.emitLogs(n, []graph.LogLine{{Text: msg, Debug: true}}) },
	}
	// A hook renders after its node is compiled: model has compiled_code.
	if node := c.nodes[n.ID]; node != nil && c.opts.NodeEntries != nil {
		tctx.Model = func() map[string]any { return c.modelVar(node, true) }
		if b := s.Batch; b != nil {
			// A microbatch model's hooks run with its first batch (pre)
			// or its last (post), as in dbt.
			tctx.Model = func() map[string]any {
				m := maps.Clone(c.modelVar(node, true))
				if m != nil {
					m["batch"] = template.BatchValue(b.ID, b.Start, b.End, nil)
				}
				return m
			}
		}
		tctx.Where = c.modelWhere(tctx.Model)
	}
	for i, h := range hooks {
		out, l := c.engine.Render(fmt.Sprintf("%s (%s-hook %d)", n.Path, phase, i+1), h, tctx)
		if len(l) > 0 {
			t, _ := c.nodeHookText(n, h)
			d := l[0]
			if n.Incremental != nil && n.Incremental.Batch != nil && s.Batch == nil && strings.Contains(d.Msg, `no attribute "batch"`) {
				// dbt runs a microbatch model's pre-hooks with its first
				// batch and its post-hooks with its last; this run builds
				// none of its batches.
				d.Msg = "model.batch in a hook of a microbatch model that this run builds no batch of: its pre-hooks run with the first batch the run builds, its post-hooks with the last, as in dbt"
				d.Hint = "test {% if model.batch is defined %} in the hook, or give the run a range that holds a batch to build (--event-time-start, --event-time-end)"
			}
			return hookJinjaError(fmt.Sprintf("%s-hook %d", phase, i+1), h, t, n.Pos, d)
		}
		if strings.TrimSpace(out) == "" {
			continue
		}
		if err := db.Exec(out); err != nil {
			t, _ := c.nodeHookText(n, h)
			return hookError(fmt.Sprintf("%s-hook %d", phase, i+1), h, out, t, n.Pos, err)
		}
	}
	return nil
}

// NodeHooks returns the SQL of node n's pre-hooks (phase "pre") or
// post-hooks ("post") that run inside its transaction (inTx) or outside
// it (transaction: false), in order: the hyphenated key's, then the
// underscored one's.
func NodeHooks(n *graph.Node, phase string, inTx bool) []string {
	var hooks []string
	for _, h := range graph.ConfigHooks(n.Config.Extra, phase) {
		if h.Transaction == inTx {
			hooks = append(hooks, h.SQL)
		}
	}
	return hooks
}
