package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// DeferOptions are dbt's --defer flags.
type DeferOptions struct {
	// StateDir is --state (or --defer-state): the target folder of a
	// previous run, holding its manifest.json, relative to the project's
	// directory.
	StateDir string
	// FavorState is --favor-state: read every node that is not selected
	// from the state when the state has it, even when this target has
	// built it too.
	FavorState bool
}

// StateAlias is the name under which the state's DuckDB file is attached
// to the run's database (read-only) when refs are deferred to it and it
// cannot be attached under its own catalog name (the stem of the file it
// was built in), because this target's database, one of its schemas or
// attached databases has that name too (see catalogClash).
const StateAlias = "kiln_state"

// Deferral is what Defer decided: the nodes read from the state, and the
// state's database.
type Deferral struct {
	Nodes    []graph.ID // sorted
	Database string     // the state's DuckDB file; "" when it is this target's
	// Alias is the catalog name the state's database is attached under
	// (its own catalog name, else StateAlias); "" when it is this
	// target's.
	Alias string
}

// Defer applies dbt's --defer to a run of the selected nodes: a ref() or
// source() of a node that is not selected and has no relation in this
// target (with FavorState: whether it has one or not) reads the relation
// the state's manifest.json records for it, in the state's database,
// which the run attaches read-only. Ephemeral models and sources without a
// file are never deferred (they are the same everywhere, as in dbt); a
// node the state does not have is read from this target. The project is
// compiled again with those refs, so its compiled SQL, its manifest and
// its fingerprints show them.
//
// The state's database is attached under its own catalog name (the stem
// of the file it was built in, which its views' catalog-qualified
// references name, as dbt-duckdb renders them), so that a deferred view
// reads the state's relations, not this target's. When this target's
// database has that catalog name too (both files are jaffle_shop.duckdb),
// or a schema of this target (of its database or of the project's nodes)
// or a database it attached has it, the state is attached as
// StateAlias, and a deferred view whose state holds views that name that
// catalog is refused: those names would resolve to this target's
// database and read its data through production's view, or fail.
//
// On a PostgreSQL target nothing is attached: the refs read the state's
// relations on the same server, and checkServerState refuses (ErrInvalid
// after a Diagnostics event, at the refs) those in another database and
// those that no longer exist.
//
// Errors (*UsageError): no manifest.json in the state folder, a state
// built in another kind of database than this target's (a DuckDB target
// defers to a DuckDB file, a PostgreSQL one to a run on PostgreSQL), a
// state database that cannot be
// found (kiln.database in the manifest, or a .duckdb file beside it), or
// deferred views that would read this target's database (above).
func (p *Project) Defer(ctx context.Context, selected []graph.ID, o DeferOptions) (*Deferral, error) {
	if o.StateDir == "" {
		return nil, &UsageError{"--defer needs --state DIR: the target folder of the run to read unselected parents from"}
	}
	if p.OnServer() && p.Profile.Type != "postgres" {
		return nil, &UsageError{"--defer is not supported yet on a " + p.Profile.Type + " target: kiln defers to a DuckDB file or to a run on the same PostgreSQL server"}
	}
	dir := AbsUnder(p.Dir, o.StateDir)
	st, err := artifact.ReadDeferState(filepath.Join(dir, artifact.ManifestFile))
	if os.IsNotExist(err) {
		return nil, &UsageError{fmt.Sprintf("--state %s: no manifest.json there; point it at the target folder of a previous run", o.StateDir)}
	}
	if err != nil {
		return nil, &UsageError{fmt.Sprintf("--state %s: %v", o.StateDir, err)}
	}
	if p.OnServer() {
		if t := st.Type(); t != "" && t != p.Profile.Type {
			return nil, &UsageError{fmt.Sprintf("--defer --state %s: that run built in a %s database; a %s target defers to a run built on %s (in another schema of the same database)", o.StateDir, t, p.Profile.Type, p.Profile.Type)}
		}
	}
	g := p.Graph()
	isSelected := make(map[graph.ID]bool, len(selected))
	for _, id := range selected {
		isSelected[id] = true
	}
	dev := &devDatabase{p: p} // opened once, for existingRelations and catalogClash
	defer dev.close()
	existing, err := p.existingRelations(ctx, dev, o.FavorState)
	if err != nil {
		return nil, err
	}
	deferred := map[graph.ID]sqlq.Relation{}
	for _, n := range g.Nodes() {
		if isSelected[n.ID] || !deferrable(n) {
			continue
		}
		rel, ok := st.Relations[n.ID]
		if !ok || (!o.FavorState && existing[relKey(n.Relation)]) {
			continue
		}
		deferred[n.ID] = rel
	}
	d := &Deferral{}
	if len(deferred) == 0 {
		p.printf(Info, "Deferring no node to the state %s: every parent is selected or built in %s", o.StateDir, p.DatabaseName())
		return d, nil
	}
	if p.OnServer() {
		if err := p.checkServerState(ctx, dev, o.StateDir, st, deferred, selected); err != nil {
			return nil, err
		}
		dev.close()
		return p.deferTo(d, deferred, o.StateDir, "relations in "+p.DatabaseName()+": "+stateSchemas(deferred))
	}
	db, err := stateDatabase(dir, o.StateDir, st)
	if err != nil {
		return nil, err
	}
	same := sameFile(db, p.DBPath)
	alias := ""
	if !same {
		stateCat := stateCatalog(st, deferred, db)
		alias = stateCat
		clash, err := p.catalogClash(ctx, dev, stateCat)
		if err != nil {
			return nil, err
		}
		if clash != "" {
			alias = StateAlias
			if err := p.checkStateViews(ctx, o.StateDir, db, stateCat, clash, deferred); err != nil {
				return nil, err
			}
		}
	}
	dev.close()
	for id, rel := range deferred {
		rel.Database = alias
		deferred[id] = rel
	}
	if !same {
		d.Database, d.Alias = db, alias
		p.attach = []adapter.Attachment{{Path: db, Alias: alias}}
	}
	return p.deferTo(d, deferred, o.StateDir, Rel(p.Dir, db)+", read-only")
}

// deferTo compiles the project again with the refs of deferred (node ->
// the relation they read) and records them in d and p; where says where
// the state's relations are, for the info line. Its error is ErrInvalid
// after a Diagnostics event (the project does not compile).
func (p *Project) deferTo(d *Deferral, deferred map[graph.ID]sqlq.Relation, stateDir, where string) (*Deferral, error) {
	g := p.Graph()
	for id := range deferred {
		d.Nodes = append(d.Nodes, id)
	}
	sort.Slice(d.Nodes, func(i, j int) bool { return d.Nodes[i] < d.Nodes[j] })
	p.deferred, p.deferState = deferred, stateDir
	co := p.cfg.compileOptions(p.Dir, deferred)
	co.Inline = p.inlinePath
	m, l := compiler.Compile(p.Project, co)
	if l.HasErrors() {
		p.emit(Diagnostics{List: l.Errors()})
		return nil, ErrInvalid
	}
	if p.defaultRender {
		p.cfg.Render = m.RenderAtRun
	}
	m.SetGraph(func() map[string]any { return artifact.FlatGraph(m) }) // dbt's graph variable at run time
	m.SetLog(p.log)
	p.Manifest, p.fingerprints = m, nil
	names := make([]string, len(d.Nodes))
	for i, id := range d.Nodes {
		names[i] = g.Node(id).Name
	}
	sort.Strings(names)
	p.printf(Info, "Deferring %d node(s) to the state %s (%s): %s", len(names), stateDir, where, strings.Join(names, ", "))
	return d, nil
}

// catalogOf returns the catalog name DuckDB gives the database file path
// when it opens it: its base name without its extension ("memory" for
// ":memory:" or "").
func catalogOf(path string) string {
	if path == "" || path == ":memory:" {
		return "memory"
	}
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// stateCatalog returns the catalog name the state's database had when its
// run built it, which its views' catalog-qualified references name: the
// stem of the file the manifest records (kiln.database), else the
// database its deferred relations record (a dbt manifest), else the stem
// of the file found (db).
func stateCatalog(st *artifact.DeferState, deferred map[graph.ID]sqlq.Relation, db string) string {
	if st.Database != "" {
		return catalogOf(st.Database)
	}
	ids := make([]graph.ID, 0, len(deferred))
	for id := range deferred {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if d := deferred[id].Database; d != "" {
			return d
		}
	}
	return catalogOf(db)
}

// attachableAs reports whether the state's database can be attached under
// its own catalog name stateCat beside this target's database, whose
// catalog is current: not the same name (DuckDB's catalog names ignore
// case), nor one of DuckDB's own catalogs or kiln's alias.
func attachableAs(stateCat, current string) bool {
	switch strings.ToLower(stateCat) {
	case "", "memory", "system", "temp", "main", StateAlias:
		return false
	}
	return !strings.EqualFold(stateCat, current)
}

// catalogClash returns why the state's database cannot be attached under
// its own catalog name stateCat beside this target's database ("" when
// it can): a name DuckDB or kiln reserves, this target's database's
// catalog name, a catalog this target's database has attached already,
// or a schema of this target's database or of the project's nodes in
// this target (DuckDB then refuses the two-part names "schema"."name"
// with "Ambiguous reference to catalog or schema"). Names compare
// without case, as DuckDB's do. It reads this target's catalog through
// dev. The error is only a failure to read it.
func (p *Project) catalogClash(ctx context.Context, dev *devDatabase, stateCat string) (string, error) {
	if !attachableAs(stateCat, catalogOf(p.DBPath)) {
		if strings.EqualFold(stateCat, catalogOf(p.DBPath)) {
			return fmt.Sprintf("which is this target's database's name too (%s)", p.DatabaseName()), nil
		}
		return fmt.Sprintf("which is a name DuckDB or kiln keeps for itself (%s)", strings.ToLower(stateCat)), nil
	}
	for _, n := range p.Graph().Nodes() {
		if strings.EqualFold(n.Relation.Schema, stateCat) {
			return fmt.Sprintf("which is the schema of %s in this target too (%s)", n.Name, n.Relation.Schema), nil
		}
	}
	if !p.DatabaseExists() {
		return "", nil
	}
	d, err := dev.open(ctx)
	if err != nil {
		return "", err
	}
	cr, ok := d.conn.(adapter.CatalogReader)
	if !ok {
		return "", nil
	}
	cats, err := cr.Catalogs(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range cats {
		if strings.EqualFold(c, stateCat) {
			return fmt.Sprintf("which is the name of a database %s has attached too (%s)", p.DatabaseName(), c), nil
		}
	}
	schemas, err := cr.Schemas(ctx)
	if err != nil {
		return "", err
	}
	for _, sc := range schemas {
		if strings.EqualFold(sc, stateCat) {
			return fmt.Sprintf("which is a schema of this target's database %s too (%s)", p.DatabaseName(), sc), nil
		}
	}
	return "", nil
}

// checkStateViews refuses a deferral that would read the wrong relations
// through the state's views: the state's database (file db) is attached
// as StateAlias because its catalog name stateCat clashes (clash says
// with what, see catalogClash), so a view of the state that names
// "stateCat"."schema"."name" reads this target's relation, or fails. It
// returns a *UsageError when a deferred relation is a view of the state
// and a view of the state names catalog stateCat (a deferred view may
// read it through another view); nil otherwise.
func (p *Project) checkStateViews(ctx context.Context, flag, db, stateCat, clash string, deferred map[graph.ID]sqlq.Relation) error {
	a, err := adapter.Open(ctx, adapter.Target{Type: p.DatabaseTarget().Type, Attach: []adapter.Attachment{{Path: db, Alias: StateAlias}}})
	if err != nil {
		return &UsageError{fmt.Sprintf("--defer --state %s: cannot open its database %s: %v", flag, db, err)}
	}
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	cr, ok := c.(adapter.CatalogReader)
	if !ok {
		return &UsageError{fmt.Sprintf("--defer --state %s: a %s database cannot read the views of an attached database, which kiln checks", flag, a.Type())}
	}
	list, err := cr.CatalogViews(ctx, StateAlias)
	if err != nil {
		return &UsageError{fmt.Sprintf("--defer --state %s: cannot read the views of its database %s: %v", flag, db, err)}
	}
	views := map[string]bool{}
	naming := ""
	for _, v := range list {
		views[relKey(v.Relation)] = true
		if naming == "" && namesCatalog(v.SQL, stateCat) {
			naming = v.Relation.Schema + "." + v.Relation.Name
		}
	}
	if naming == "" {
		return nil
	}
	var deferredViews []string
	g := p.Graph()
	for id, rel := range deferred {
		if views[relKey(rel)] {
			deferredViews = append(deferredViews, g.Node(id).Name)
		}
	}
	if len(deferredViews) == 0 {
		return nil
	}
	sort.Strings(deferredViews)
	hint := fmt.Sprintf("give this target's database file another name than %s (its path in profiles.yml)", filepath.Base(p.DBPath))
	if !strings.EqualFold(stateCat, catalogOf(p.DBPath)) {
		hint = fmt.Sprintf("give this target's schemas and attached databases other names than %s", stateCat)
	}
	return &UsageError{fmt.Sprintf("--defer --state %s: cannot read the deferred view(s) %s of %s: its views name their database as %q (%s does), "+
		"%s, so the state is attached as %s and they would not read the state's relations; "+
		"%s, or build those views in this target too (add them to the selection)",
		flag, strings.Join(deferredViews, ", "), Rel(p.Dir, db), stateCat, naming, clash, StateAlias, hint)}
}

// namesCatalog reports whether the SQL text body names catalog as a
// qualifier: "catalog". or catalog. (any case), not inside a longer
// identifier.
func namesCatalog(body, catalog string) bool {
	lower, cat := strings.ToLower(body), strings.ToLower(catalog)
	for _, form := range []string{`"` + strings.ReplaceAll(cat, `"`, `""`) + `"`, cat} {
		for i := 0; ; {
			j := strings.Index(lower[i:], form)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(form)
			i = start + 1
			if start > 0 && form[0] != '"' && isIdentByte(lower[start-1]) {
				continue
			}
			rest := strings.TrimLeft(lower[end:], " \t\r\n")
			if strings.HasPrefix(rest, ".") && (form[0] == '"' || !isIdentByte(byteAt(lower, end))) {
				return true
			}
		}
	}
	return false
}

// isIdentByte reports whether b can be part of an identifier next to a
// name searched for in SQL text: a letter, digit, '_', a double quote or
// any byte of a multi-byte UTF-8 character.
func isIdentByte(b byte) bool {
	return b == '_' || b == '"' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// byteAt returns s[i], or 0 when i is past the end of s.
func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// deferrable reports whether refs to n can read another target's relation:
// models that are not ephemeral, seeds, snapshots and file-backed sources
// (which kiln loads into each target).
func deferrable(n *graph.Node) bool {
	switch n.Kind {
	case graph.Model:
		return n.Config.Materialized != graph.Ephemeral && !n.Relation.IsZero()
	case graph.Seed, graph.Snapshot:
		return true
	case graph.Source:
		return n.Source != nil && n.Source.External != nil
	}
	return false
}

func relKey(r sqlq.Relation) string {
	return strings.ToLower(r.Schema + "\x00" + r.Name)
}

// devDatabase is this target's database as Defer's checks read it:
// opened by the first that needs it, closed by Defer.
type devDatabase struct {
	p *Project
	d *Database
}

// open returns the database, opening it the first time.
func (v *devDatabase) open(ctx context.Context) (*Database, error) {
	if v.d == nil {
		d, err := v.p.OpenDatabase(ctx)
		if err != nil {
			return nil, err
		}
		v.d = d
	}
	return v.d, nil
}

// close closes the database if it was opened (it may be opened again).
func (v *devDatabase) close() {
	if v.d != nil {
		v.d.Close()
		v.d = nil
	}
}

// existingRelations returns the relations of this target's database (by
// relKey), read through dev, none when it does not exist yet or when
// favor is set (the state wins whatever this target holds).
func (p *Project) existingRelations(ctx context.Context, dev *devDatabase, favor bool) (map[string]bool, error) {
	out := map[string]bool{}
	if favor || !p.DatabaseExists() {
		return out, nil
	}
	d, err := dev.open(ctx)
	if err != nil {
		return nil, err
	}
	c := d.conn
	rels, err := c.Relations(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, r := range rels {
		out[relKey(r.Relation)] = true
	}
	return out, nil
}

// stateDatabase finds the DuckDB file of the state in dir: the file its
// manifest records (kiln.database), else a file of that name in dir (a
// state copied with its database), else dir's only .duckdb file.
func stateDatabase(dir, flag string, st *artifact.DeferState) (string, error) {
	if t := st.Type(); t != "" && t != "duckdb" {
		return "", &UsageError{fmt.Sprintf("--state %s: that run built in a %s database; a DuckDB target defers to a DuckDB file only", flag, t)}
	}
	var tried []string
	if st.Database != "" {
		for _, c := range []string{st.Database, filepath.Join(dir, filepath.Base(st.Database))} {
			if fileExists(c) {
				return c, nil
			}
			tried = append(tried, c)
		}
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*.duckdb"))
	if len(found) == 1 {
		return found[0], nil
	}
	msg := fmt.Sprintf("--defer --state %s: cannot find the database of that run", flag)
	switch {
	case len(tried) > 0:
		msg += fmt.Sprintf(": its manifest.json names %s, which does not exist", tried[0])
	default:
		msg += ": its manifest.json names no database (it was written by dbt or by an older kiln)"
	}
	if len(found) > 1 {
		msg += fmt.Sprintf(", and %s holds %d .duckdb files", flag, len(found))
	} else {
		msg += fmt.Sprintf(", and %s holds no .duckdb file", flag)
	}
	return "", &UsageError{msg + "; build that target again, or copy its database beside its manifest.json"}
}

// sameFile reports whether a and b are the same file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
