package compiler

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
)

// The events of run hooks, as dbt_project.yml names them.
const (
	OnRunStart = "on-run-start"
	OnRunEnd   = "on-run-end"
)

// RunHook is one statement of on-run-start or on-run-end: its SQL as
// written (Jinja, rendered when it runs), the project or package whose
// file declares it, and its index in that file's list (dbt's hook index).
type RunHook struct {
	Event   string
	Package string
	Index   int
	SQL     string
	Pos     diag.Pos
}

// Name is the hook's name as dbt gives it: <package>-on-run-start-<index>.
func (h RunHook) Name() string { return fmt.Sprintf("%s-%s-%d", h.Package, h.Event, h.Index) }

// OnRunHooks returns the hooks of event (OnRunStart or OnRunEnd) in dbt's
// order: the installed packages' first, by package name, then the root
// project's; each project's in the order its file lists them (dbt's
// RunTask sorts hooks by package, the root project last, then index).
func (m *Manifest) OnRunHooks(event string) []RunHook {
	var out []RunHook
	add := func(p *project.Project) {
		hooks := p.OnRunStart
		if event == OnRunEnd {
			hooks = p.OnRunEnd
		}
		for i, h := range hooks {
			out = append(out, RunHook{Event: event, Package: p.Config.Name, Index: i, SQL: h.SQL, Pos: h.Pos})
		}
	}
	pkgs := append([]*project.Project(nil), m.Project.Packages...)
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Config.Name < pkgs[j].Config.Name })
	for _, q := range pkgs {
		add(q)
	}
	add(m.Project)
	return out
}

// HookResult is one node's result as on-run-end's results list holds it
// (dbt's RunResult: status, message, node, ...).
type HookResult struct {
	UniqueID, Name, ResourceType, Package string
	Database, Schema, Alias               string
	Status, Message                       string
	ExecutionTime                         float64 // seconds
	Failures                              int64
	Rows                                  int64 // rows written, -1 when unknown
	ThreadID                              string
}

// HookContext is what dbt gives on-run-end beyond the usual context: the
// run's results, and the schemas (and database, schema pairs) in which a
// relation was built successfully. on-run-start gets none of them.
type HookContext struct {
	Results         []HookResult
	Schemas         []string
	DatabaseSchemas [][2]string
	// Selected are the unique ids of the nodes the invocation selected:
	// dbt's selected_resources, in on-run-start and on-run-end alike.
	Selected []string
	// Start is set for on-run-start, which has selected_resources but no
	// results, schemas or database_schemas.
	Start bool
}

func (hc *HookContext) globals() map[string]any {
	if hc == nil {
		return nil
	}
	selected := make([]any, len(hc.Selected))
	for i, id := range hc.Selected {
		selected[i] = id
	}
	if hc.Start {
		return map[string]any{"selected_resources": jinja.FromGo(selected)}
	}
	results := make([]any, len(hc.Results))
	for i, r := range hc.Results {
		node := map[string]any{"unique_id": r.UniqueID, "name": r.Name, "resource_type": r.ResourceType,
			"package_name": r.Package, "database": r.Database, "schema": r.Schema, "alias": r.Alias, "identifier": r.Alias}
		var rows any
		if r.Rows >= 0 {
			rows = r.Rows
		}
		results[i] = map[string]any{"node": node, "status": r.Status, "message": r.Message,
			"execution_time": r.ExecutionTime, "failures": r.Failures, "thread_id": r.ThreadID,
			"adapter_response": map[string]any{"rows_affected": rows}}
	}
	schemas := make([]any, len(hc.Schemas))
	for i, s := range hc.Schemas {
		schemas[i] = s
	}
	pairs := make([]any, len(hc.DatabaseSchemas))
	for i, p := range hc.DatabaseSchemas {
		pairs[i] = jinja.Tuple{p[0], p[1]}
	}
	return map[string]any{"results": jinja.FromGo(results), "schemas": jinja.FromGo(schemas), "database_schemas": jinja.NewList(pairs...),
		"selected_resources": jinja.FromGo(selected)}
}

// ExecRunHook renders hook h on session s, with execute true, the vars of
// its package's scope, its package's macros first and, for on-run-end,
// hc's results; what it renders, when not blank, runs as SQL on s. log
// receives log() and print() messages, in order. ran reports whether it
// rendered SQL and ran it (false for a hook that only checks, logs or
// queries through run_query). An error is placed at the hook's position
// in its project file.
func (m *Manifest) ExecRunHook(ctx context.Context, h RunHook, s adapter.Session, hc *HookContext, log func(graph.LogLine)) (ran bool, err error) {
	c := m.c
	db := &sessionDB{ctx: ctx, s: s}
	tctx := &template.Context{Ref: c.finalRef(nil), Source: c.finalSource(nil), Var: c.varIn(h.Package), EnvVar: c.lookupEnv,
		DB: db, Log: logInfo(log), Debug: logDebug(log), Globals: hc.globals(), Graph: c.graphVar, Where: c.targetWhere(),
		// config() sets nothing at run time, as in dbt; config.get is an
		// error that says it is not supported yet (configObj).
		Config: func(map[string]any, diag.Pos, map[string]template.ArgPos) error { return nil }}
	out, l := c.engine.RenderIn(c.macroPackage(h.Package), fmt.Sprintf("%s (%s %d)", h.Pos.File, h.Event, h.Index+1), h.SQL, tctx)
	what := fmt.Sprintf("%s %d of %s", h.Event, h.Index+1, h.Package)
	if len(l) > 0 {
		return false, hookJinjaError(what, h.SQL, c.runHookText(h), h.Pos, l[0])
	}
	if strings.TrimSpace(out) == "" {
		return false, nil
	}
	if err := db.Exec(out); err != nil {
		return true, hookError(what, h.SQL, out, c.runHookText(h), h.Pos, err)
	}
	return true, nil
}

// runHookText finds the raw text of run hook h in its project file, from
// its position on; nil when it is not there as written.
func (c *compiler) runHookText(h RunHook) *hookText {
	src, ok := c.fileText(h.Package, h.Pos.File)
	if q := c.packageProject(h.Package); !ok && q != nil {
		src, ok = c.fileText(h.Package, strings.TrimPrefix(h.Pos.File, q.Dir+"/"))
	}
	if !ok {
		return nil
	}
	from, ok := diag.ByteOffset(src, h.Pos.Line, max(h.Pos.Col, 1))
	if !ok {
		from = 0
	}
	if t, ok := findText(h.Pos.File, src, h.SQL, from); ok {
		return t
	}
	return nil
}

func oneLineMsg(s string) string { return strings.Join(strings.Fields(s), " ") }

// macroPackage is the macro index's name of package pkg: "" for the root
// project.
func (c *compiler) macroPackage(pkg string) string {
	if pkg == c.name {
		return ""
	}
	return pkg
}

// Operation runs macro name (a macro of the project, of a package, or of
// kiln's built-ins, found as dbt's run-operation finds it; "pkg.name" looks
// in package pkg only) with args as keyword arguments on session s, with
// execute true and the vars of the macro's package, as dbt's
// run-operation does. It returns what the macro returns (or renders),
// as text. The statements it runs are the caller's to commit. log
// receives its log() and print() messages, in order.
func (m *Manifest) Operation(ctx context.Context, name string, args map[string]any, s adapter.Session, log func(graph.LogLine)) (string, error) {
	c := m.c
	pkg, macro := "", name
	if i := strings.LastIndex(name, "."); i >= 0 {
		pkg, macro = name[:i], name[i+1:]
		if pkg == c.name {
			pkg = ""
		}
	}
	mac, scope, err := c.findOperation(pkg, macro, name)
	if err != nil {
		return "", err
	}
	db := &sessionDB{ctx: ctx, s: s}
	tctx := &template.Context{Ref: c.finalRef(nil), Source: c.finalSource(nil), Var: c.varIn(scope), EnvVar: c.lookupEnv, DB: db, Log: logInfo(log), Debug: logDebug(log), Graph: c.graphVar,
		Where: c.targetWhere(),
		// A macro has no config: config.get gives its default and
		// config.require fails, as dbt's RuntimeConfigObject on a macro.
		Config:      func(map[string]any, diag.Pos, map[string]template.ArgPos) error { return nil },
		ConfigValue: func(string) (any, bool) { return nil, false }}
	// dbt's run-operation renders with the named package as the search
	// package (the project's when none is named): the macro's unqualified
	// calls resolve there first, then in the project.
	return c.engine.CallValueIn(pkg, "run-operation "+name, mac, args, tctx)
}

// findOperation finds the macro of run-operation: in package pkg when
// named, else the project's, the packages' (by name) and the built-ins,
// in this order; it returns the macro and the scope of its vars.
func (c *compiler) findOperation(pkg, macro, asked string) (*jinja.Macro, string, error) {
	if pkg != "" && pkg != template.InternalPackage && !c.engine.HasPackage(pkg) {
		return nil, "", fmt.Errorf("no package named %q is installed; run-operation %s names a macro as <package>.<macro>", pkg, asked)
	}
	mac, file, ok := c.engine.FindMacro(pkg, macro)
	if !ok {
		msg := fmt.Sprintf("no macro named %q", asked)
		candidates := c.engine.Macros()
		if pkg != "" {
			candidates = c.engine.PackageMacros(pkg)
		}
		if h := diag.DidYouMean(macro, candidates); h != "" {
			return nil, "", fmt.Errorf("%s; %s", msg, h)
		}
		// Nothing near: name what there is to run.
		in, own := "the project", c.engine.PackageMacros("")
		if pkg != "" {
			in, own = "package "+pkg, candidates
		}
		switch {
		case len(own) == 0 && pkg == "":
			msg += fmt.Sprintf("; the project defines no macro (macro-paths: %s)", strings.Join(c.p.Config.MacroPaths, ", "))
		case len(own) == 0:
			msg += "; " + in + " defines no macro"
		case len(own) <= 10:
			msg += fmt.Sprintf("; the macros of %s are %s", in, joinAnd(own))
		default:
			msg += fmt.Sprintf("; the macros of %s are %s and %d more", in, strings.Join(own[:10], ", "), len(own)-10)
		}
		return nil, "", fmt.Errorf("%s", msg)
	}
	scope := c.name
	for _, q := range c.p.Packages {
		if q.Dir != "" && strings.HasPrefix(file, q.Dir+"/") {
			scope = q.Config.Name
		}
	}
	return mac, scope, nil
}

// joinAnd is "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
