package selector

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// predicate returns the test of a's method and value on one node, before
// graph operators. It fails only for state: and result: selectors when the
// caller gave no previous state or run results.
func (ev *evaluator) predicate(a *Atom) (pred, error) {
	v := a.Value
	switch a.Method {
	case "fqn":
		return ev.fqnMatcher(v), nil
	case "path":
		return pathMatcher(v), nil
	case "file":
		p := newPattern(v)
		return func(_ int, n *graph.Node) bool {
			base := path.Base(n.Path)
			return p.match(base) || p.match(strings.TrimSuffix(base, path.Ext(base)))
		}, nil
	case "tag":
		p := newPattern(v)
		return func(_ int, n *graph.Node) bool {
			for _, t := range n.Config.Tags {
				if p.match(t) {
					return true
				}
			}
			return false
		}, nil
	case "package":
		if v == "this" && ev.opt.Project != "" {
			// dbt's package:this: the root project's nodes
			// (https://docs.getdbt.com/reference/node-selection/methods#package).
			v = ev.opt.Project
		}
		p := newPattern(v)
		return func(_ int, n *graph.Node) bool { return p.match(n.Package) }, nil
	case "source":
		return sourceMatcher(v), nil
	case "exposure":
		// dbt's exposure method: exposures by NAME or PACKAGE.NAME
		// (https://docs.getdbt.com/reference/node-selection/methods#exposure).
		return namedMatcher(graph.Exposure, v), nil
	case "unit_test":
		// dbt 1.8's unit_test method, as exposure: for unit tests
		// (https://docs.getdbt.com/reference/node-selection/methods#unit_test).
		return namedMatcher(graph.UnitTest, v), nil
	case "group":
		// dbt's group method: nodes whose group is the value, compared
		// exactly (https://docs.getdbt.com/reference/node-selection/methods#group).
		return func(_ int, n *graph.Node) bool {
			g, _ := n.Config.Extra["group"].(string)
			return g != "" && g == v
		}, nil
	case "access":
		// dbt's access method: models by access, protected when unset
		// (https://docs.getdbt.com/reference/node-selection/methods#access).
		return func(_ int, n *graph.Node) bool {
			if n.Kind != graph.Model {
				return false
			}
			a, _ := n.Config.Extra["access"].(string)
			if a == "" {
				a = "protected"
			}
			return a == v
		}, nil
	case "source_status":
		return ev.sourceStatusMatcher(a)
	case "metric", "semantic_model", "saved_query":
		return nil, ev.atomError(a, fmt.Sprintf("the %s method is not supported yet", a.Method), unsupported[a.Method], nil)
	case "resource_type":
		return func(_ int, n *graph.Node) bool { return string(n.Kind) == v }, nil
	case "version":
		// dbt's version method: a versioned model's version against its
		// latest_version, none for models without versions
		// (https://docs.getdbt.com/reference/node-selection/methods#version).
		return func(_ int, n *graph.Node) bool {
			switch v {
			case "none":
				return n.Kind == graph.Model && n.Version == ""
			case "latest":
				return n.Version != "" && n.Version == n.LatestVersion
			case "prerelease":
				return n.Version != "" && graph.VersionLess(n.LatestVersion, n.Version)
			}
			return n.Version != "" && graph.VersionLess(n.Version, n.LatestVersion) // old
		}, nil
	case "test_name":
		p := newPattern(v)
		return func(_ int, n *graph.Node) bool {
			return n.Kind == graph.Test && n.Test != nil && n.Test.Generic != "" && p.match(n.Test.Generic)
		}, nil
	case "test_type":
		return testTypeMatcher(v), nil
	case "config":
		return configMatcher(a.Args, v), nil
	case "state":
		return ev.stateMatcher(a)
	case "result":
		if ev.opt.Results == nil {
			return nil, ev.atomError(a, "no previous run results to compare with", "run a build first, or pass --state DIR with the run_results.json of an earlier run", ErrNoResults)
		}
		return func(_ int, n *graph.Node) bool { return strings.EqualFold(ev.opt.Results[n.ID], v) }, nil
	}
	return nil, ev.atomError(a, fmt.Sprintf("unknown method %q", a.Method), methodHint(a.Method), nil)
}

func (ev *evaluator) atomError(a *Atom, msg, hint string, err error) error {
	e := &SyntaxError{Expr: a.Arg, Col: a.Col, Msg: msg, Hint: hint, Err: err}
	if e.Expr == "" {
		e.Expr, e.Col = a.String(), 1
	}
	return e
}

// pred tests the node at position i of the index.
type pred func(i int, n *graph.Node) bool

// pattern is a glob with the syntax of path.Match (*, ?, [...]), compared
// as plain text when it holds none of them, as dbt's fnmatch.
type pattern struct {
	s       string
	literal bool
	prefix  string // the text before the first wildcard, to reject fast
}

func newPattern(s string) pattern {
	k := strings.IndexAny(s, `*?[]\`)
	if k < 0 {
		return pattern{s: s, literal: true}
	}
	return pattern{s: s, prefix: s[:k]}
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[]\`) }

func (p pattern) match(x string) bool {
	if p.literal {
		return x == p.s
	}
	if !strings.HasPrefix(x, p.prefix) {
		return false
	}
	if p.s == "*" {
		return !strings.Contains(x, "/")
	}
	ok, _ := path.Match(p.s, x)
	return ok
}

// fqnMatcher follows dbt's fqn method: the value equals the node's name, or
// its dotted parts are a prefix of the node's fqn, with or without the
// package, a part with a wildcard matching the rest of the fqn. kiln also
// matches a pattern without dots against the node's name ("stg_*"). As in
// dbt, sources are left to the source: method.
func (ev *evaluator) fqnMatcher(sel string) pred {
	parts := strings.Split(sel, ".")
	wild := -1
	for i, p := range parts {
		if hasMeta(p) {
			wild = i
			break
		}
	}
	var rest pattern
	if wild >= 0 {
		rest = newPattern(strings.Join(parts[wild:], "."))
	}
	name := newPattern(sel)
	byName := len(parts) == 1 && wild == 0
	// A versioned model's fqn ends in its name and "v<version>": as in
	// dbt, the name alone selects every version, and the last two parts
	// of the value, joined with "_", select one ("customers.v2",
	// "marts.customers.v2", "customers_v2") wherever the file lives.
	tail := sel
	if len(parts) >= 2 {
		tail = parts[len(parts)-2] + "_" + parts[len(parts)-1]
	}
	fqns := ev.ix.fqns()
	return func(i int, n *graph.Node) bool {
		if n.Kind == graph.Source {
			return false
		}
		if n.Version != "" && len(n.FQN) >= 2 {
			nm, v := n.FQN[len(n.FQN)-2], n.FQN[len(n.FQN)-1]
			if nm == sel || nm+"_"+v == tail {
				return true
			}
			if byName && name.match(nm+"_"+v) {
				return true
			}
		}
		full := fqns[i]
		if fqnSelected(full, sel, parts, wild, rest) {
			return true
		}
		if k := strings.IndexByte(full, '.'); k >= 0 && fqnSelected(full[k+1:], sel, parts, wild, rest) {
			return true
		}
		return byName && name.match(n.Name)
	}
}

// fqnSelected matches a dotted fqn. The name test (the last part equals
// sel) is done on the whole fqn: node names hold no dots.
func fqnSelected(full, sel string, parts []string, wild int, rest pattern) bool {
	if full == "" {
		return false
	}
	if k := strings.LastIndexByte(full, '.'); full[k+1:] == sel {
		return true
	}
	if strings.Count(full, ".")+1 < len(parts) {
		return false
	}
	s := full
	for i, p := range parts {
		if i == wild {
			return rest.match(s)
		}
		comp := s
		if k := strings.IndexByte(s, '.'); k >= 0 {
			comp, s = s[:k], s[k+1:]
		} else {
			s = ""
		}
		if comp != p {
			return false
		}
	}
	return true
}

// pathMatcher follows dbt's path method (dbt-core's PathSelectorMethod):
// the value, relative to the project root and possibly a glob, names the
// node's file or a folder above it, or the properties (YAML) file that
// describes it (n.PatchPath, matched as a whole file, not by folder, as
// dbt matches patch_path). Folders match whole names: models/staging is
// not models/staging_archive. "**" matches any number of folders.
func pathMatcher(v string) pred {
	v = path.Clean(strings.ReplaceAll(v, `\`, "/"))
	if v == "." {
		return func(int, *graph.Node) bool { return true }
	}
	var pat []pattern
	for _, seg := range strings.Split(strings.TrimPrefix(v, "/"), "/") {
		pat = append(pat, newPattern(seg))
	}
	return func(_ int, n *graph.Node) bool {
		return n.Path != "" && matchPrefix(pat, n.Path, false) ||
			n.PatchPath != "" && matchPrefix(pat, n.PatchPath, true)
	}
}

// matchPrefix reports whether the pattern's segments match the first
// segments of the slash-separated file: all of them, or (unless whole) a
// folder of file.
func matchPrefix(pat []pattern, file string, whole bool) bool {
	for len(pat) > 0 {
		if pat[0].s == "**" {
			for {
				if matchPrefix(pat[1:], file, whole) {
					return true
				}
				k := strings.IndexByte(file, '/')
				if k < 0 {
					return len(pat) == 1
				}
				file = file[k+1:]
			}
		}
		if file == "" {
			return false
		}
		seg, next := file, ""
		if k := strings.IndexByte(file, '/'); k >= 0 {
			seg, next = file[:k], file[k+1:]
		}
		if !pat[0].match(seg) {
			return false
		}
		pat, file = pat[1:], next
	}
	return !whole || file == ""
}

// sourceMatcher follows dbt's source method: SOURCE, SOURCE.TABLE or
// PACKAGE.SOURCE.TABLE, each part a glob.
func sourceMatcher(v string) pred {
	parts := strings.Split(v, ".")
	pkg, src, table := newPattern("*"), newPattern(parts[0]), newPattern("*")
	switch len(parts) {
	case 2:
		table = newPattern(parts[1])
	case 3:
		pkg, src, table = newPattern(parts[0]), newPattern(parts[1]), newPattern(parts[2])
	}
	return func(_ int, n *graph.Node) bool {
		return n.Kind == graph.Source && n.Source != nil &&
			pkg.match(n.Package) && src.match(n.Source.SourceName) && table.match(n.Name)
	}
}

// namedMatcher selects the nodes of kind by NAME or PACKAGE.NAME, each
// a glob, as dbt's exposure, metric and unit_test methods.
func namedMatcher(kind graph.Kind, v string) pred {
	pkg, name := newPattern("*"), newPattern(v)
	if k := strings.IndexByte(v, '.'); k >= 0 {
		pkg, name = newPattern(v[:k]), newPattern(v[k+1:])
	}
	return func(_ int, n *graph.Node) bool {
		return n.Kind == kind && pkg.match(n.Package) && name.match(n.Name)
	}
}

// testTypeMatcher follows dbt 1.8: data = generic and singular data tests,
// unit = unit tests.
func testTypeMatcher(v string) pred {
	return func(_ int, n *graph.Node) bool {
		switch v {
		case "unit":
			return n.Kind == graph.UnitTest
		case "data":
			return n.Kind == graph.Test
		case "generic", "schema":
			return n.Kind == graph.Test && n.Test != nil && n.Test.Generic != ""
		case "singular":
			return n.Kind == graph.Test && (n.Test == nil || n.Test.Generic == "")
		}
		return false
	}
}

// configMatcher follows dbt's config method: the value at the key path
// (config.meta.owner descends into meta) equals want as text; a list
// matches when one of its elements does; booleans and severity compare
// without case. Unset keys match nothing.
func configMatcher(keys []string, want string) pred {
	fold := len(keys) == 1 && keys[0] == "severity"
	return func(_ int, n *graph.Node) bool {
		v, ok := configValue(&n.Config, keys)
		return ok && configEqual(v, want, fold, true)
	}
}

func configValue(c *graph.Config, keys []string) (any, bool) {
	var v any
	switch keys[0] {
	case "enabled":
		v = c.Enabled
	case "materialized":
		v = c.Materialized
	case "schema":
		v = c.Schema
	case "alias":
		v = c.Alias
	case "severity":
		v = c.Severity
	case "tags":
		v = c.Tags
	case "meta":
		v = c.Meta
	default:
		x, ok := c.Extra[keys[0]]
		if !ok {
			return nil, false
		}
		v = x
	}
	for _, k := range keys[1:] {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	if s, ok := v.(string); ok && s == "" {
		return nil, false
	}
	return v, v != nil
}

func configEqual(v any, want string, fold, list bool) bool {
	switch x := v.(type) {
	case string:
		return x == want || fold && strings.EqualFold(x, want)
	case bool:
		return strings.EqualFold(strconv.FormatBool(x), want)
	case []string:
		for _, e := range x {
			if list && configEqual(e, want, fold, false) {
				return true
			}
		}
		return false
	case []any:
		for _, e := range x {
			if list && configEqual(e, want, fold, false) {
				return true
			}
		}
		return false
	case map[string]any, nil:
		return false
	}
	return fmt.Sprint(v) == want
}

// stateMatcher compares the fingerprints of the current graph with those of
// the previous manifest, as dbt's state method
// (https://docs.getdbt.com/reference/node-selection/methods#state, and
// dbt-core's StateSelectorMethod): a node absent from the previous state
// is new, and new nodes count as modified in every sense. modified is
// any of modified.body, .configs, .persisted_descriptions, .relation,
// .macros and .contract, or a changed fully qualified name. kiln adds to
// the body a source's or seed's input file (its data), and the compiled
// SQL when both manifests were written for the same target (a var's
// change then modifies the models whose SQL it changes).
func (ev *evaluator) stateMatcher(a *Atom) (pred, error) {
	prev, cur := ev.opt.Previous, ev.opt.Current
	if prev == nil {
		return nil, ev.atomError(a, "no previous state to compare with", "pass --state DIR, the target directory of an earlier run (with its manifest.json)", ErrNoState)
	}
	switch a.Value {
	case "new":
		return func(_ int, n *graph.Node) bool { _, ok := prev[n.ID]; return !ok }, nil
	case "old":
		return func(_ int, n *graph.Node) bool { _, ok := prev[n.ID]; return ok }, nil
	case "unmodified":
		return func(_ int, n *graph.Node) bool {
			p, ok := prev[n.ID]
			return ok && !stateModified(cur[n.ID], p)
		}, nil
	}
	differs, ok := stateChecks[a.Value]
	if !ok { // Parse refuses them first
		return nil, ev.atomError(a, fmt.Sprintf("unknown state %q", a.Value), "", nil)
	}
	return func(_ int, n *graph.Node) bool {
		p, ok := prev[n.ID]
		return !ok || differs(cur[n.ID], p)
	}, nil
}

// stateChecks are dbt's state:modified sub-selectors, and modified
// itself: each says whether a node of both states differs.
var stateChecks = map[string]func(c, p Fingerprint) bool{
	"modified": stateModified,
	// A node's input file (a seed's CSV, a source's file) is its data:
	// a change there is a change of body, as dbt compares a seed's
	// checksum.
	"modified.body":                   func(c, p Fingerprint) bool { return c.Body != p.Body || c.Inputs != p.Inputs || c.Code != p.Code },
	"modified.configs":                func(c, p Fingerprint) bool { return c.Configs != p.Configs },
	"modified.persisted_descriptions": func(c, p Fingerprint) bool { return c.Persisted != p.Persisted },
	"modified.relation":               func(c, p Fingerprint) bool { return c.Named != p.Named },
	"modified.macros":                 func(c, p Fingerprint) bool { return c.Macros != p.Macros },
	"modified.contract":               func(c, p Fingerprint) bool { return c.Contract != p.Contract },
}

// stateModified is dbt's check_modified_content: body, configs,
// persisted descriptions, fqn, relation, contract or macros differ.
func stateModified(c, p Fingerprint) bool {
	return c.Body != p.Body || c.Inputs != p.Inputs || c.Code != p.Code || c.Configs != p.Configs ||
		c.Persisted != p.Persisted || c.FQN != p.FQN || c.Named != p.Named || c.Contract != p.Contract || c.Macros != p.Macros
}

// sourceStatusMatcher follows dbt's source_status method
// (https://docs.getdbt.com/reference/node-selection/methods#source_status):
// fresher selects the sources whose max_loaded_at in the current
// sources.json is newer than in the previous one, or absent from it; a
// source with a runtime error in either is left out.
func (ev *evaluator) sourceStatusMatcher(a *Atom) (pred, error) {
	cur, prev := ev.opt.Sources, ev.opt.PreviousSources
	if prev == nil {
		return nil, ev.atomError(a, "no previous sources.json to compare with", "pass --state DIR, a folder with the sources.json of an earlier kiln source freshness", ErrNoSources)
	}
	if cur == nil {
		return nil, ev.atomError(a, "no current sources.json to compare", "run kiln source freshness first: it writes the target's sources.json", ErrNoSources)
	}
	return func(_ int, n *graph.Node) bool {
		c, ok := cur[n.ID]
		if !ok || c.Failed {
			return false
		}
		p, ok := prev[n.ID]
		return !ok || !p.Failed && c.MaxLoadedAt.After(p.MaxLoadedAt)
	}, nil
}
