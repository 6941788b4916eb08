package compiler

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/readopt"
	"gopkg.in/yaml.v3"
)

var materializations = []string{graph.View, graph.Table, graph.Ephemeral, graph.Incremental}

// resourceOf maps a node kind to the resources of project.Keys.
func resourceOf(kind graph.Kind) project.Resource {
	switch kind {
	case graph.Model:
		return project.Models
	case graph.Seed:
		return project.Seeds
	case graph.Test:
		return project.Tests
	case graph.Source:
		return project.Sources
	case graph.UnitTest:
		return project.UnitTests
	case graph.Export:
		return project.Exports
	case graph.Snapshot:
		return project.Snapshots
	case graph.Exposure:
		return project.Exposures
	case graph.Analysis:
		return project.Analyses
	}
	return 0
}

// checkConfig validates the configuration keys and values in m, written at
// pos (a config: block, a config() call, a data test) for a node of kind,
// reporting problems into the compiler's diagnostics.
func (c *compiler) checkConfig(m map[string]any, pos diag.Pos, kind graph.Kind) {
	c.checkConfigAt(m, func(string) (diag.Pos, diag.Pos) { return pos, pos }, kind)
}

// checkConfigAt is checkConfig with a position per key; inner, when
// given, is where the value of key sub of a config k's value (a
// mapping: docs.show) is written, ok false when unknown.
func (c *compiler) checkConfigAt(m map[string]any, posOf func(string) (key, value diag.Pos), kind graph.Kind, inner ...func(k, sub string) (diag.Pos, bool)) {
	for _, k := range sortedKeys(m) {
		keyAt, pos := posOf(k)
		if d := project.CheckConfig(k, resourceOf(kind), keyAt); d != nil {
			c.diags.Add(*d)
			if d.Severity == diag.Error {
				continue
			}
		}
		subAt := func(sub string) diag.Pos {
			for _, f := range inner {
				if p, ok := f(k, sub); ok {
					return p
				}
			}
			return pos
		}
		c.checkValue(k, m[k], pos, subAt)
	}
}

// innerPos returns where the value of key sub of config k's value (a
// mapping) is written, from at (in file): ok false when not recorded.
func innerPos(at map[string]project.At, file string) func(k, sub string) (diag.Pos, bool) {
	return func(k, sub string) (diag.Pos, bool) {
		a, ok := at[k].Keys[sub]
		return a.Pos(file), ok
	}
}

// firstCustomKeys returns m without the keys of the project's own
// (project.CheckConfig's warning) that an earlier call already returned
// for place: a generic test macro's config() call, rendered once per
// test, warns once per key, at the first test, not once per test.
func (c *compiler) firstCustomKeys(m map[string]any, place string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !project.IsConfig(k) && len(project.NearConfig(k)) == 0 {
			if c.customSeen[place+"\x00"+k] {
				continue
			}
			c.customSeen[place+"\x00"+k] = true
		}
		out[k] = v
	}
	return out
}

// keyValuePos returns the positions of each key of a YAML mapping and of
// its value, from at (in file), or def for a key it lacks: an unknown key
// is reported at the key, a wrong value at the value.
func keyValuePos(at map[string]project.At, file string, def diag.Pos) func(string) (diag.Pos, diag.Pos) {
	return func(k string) (diag.Pos, diag.Pos) {
		if a, ok := at[k]; ok {
			return a.KeyPos(file), a.Pos(file)
		}
		return def, def
	}
}

// keyPos returns the position of each key's value of a YAML mapping from
// at (in file), or def for a key it lacks.
func keyPos(at map[string]project.At, file string, def diag.Pos) func(string) diag.Pos {
	return func(k string) diag.Pos {
		if a, ok := at[k]; ok {
			return a.Pos(file)
		}
		return def
	}
}

// checkTree validates once, each at its position, the values of a
// project.yml folder config tree (its keys were checked when it was read).
func (c *compiler) checkTree(tree *project.ConfigTree) {
	tree.Each(func(k string, v project.ConfigValue) {
		c.checkValue(k, v.Value, v.Pos(c.p.File), func(sub string) diag.Pos { return v.KeyValuePos(c.p.File, sub) })
	})
}

// checkValue validates the value of config k, written at pos; subAt
// gives where the value of a key of a mapping value is written (docs:
// {show: ...}'s show), pos when not known.
func (c *compiler) checkValue(k string, v any, pos diag.Pos, subAt func(string) diag.Pos) {
	bad := func(format string, args ...any) *diag.Diagnostic { return c.diags.Errorf(pos, format, args...) }
	if c.checkIncrementalValue(k, v, pos) || c.checkSnapshotValue(k, v, pos) {
		return
	}
	switch k {
	case readopt.KeyEncoding, readopt.KeyNullValues, readopt.KeyMaxLineSize:
		c.checkReadOption(k, v, pos)
	case "materialized":
		s, ok := v.(string)
		if !ok {
			bad("materialized must be a text, not %v", v).Hint = "use one of " + quoteList(materializations)
			return
		}
		if contains(materializations, s) {
			return
		}
		if d := project.CheckValue(k, s, pos); d != nil {
			c.diags.Add(*d)
			return
		}
		if at, ok := c.engine.Index().Materialization(s); ok {
			bad("materialization %q is defined in %s but custom materializations are not supported yet: kiln builds the materializations view, table, incremental and ephemeral", s, at).
				Hint = "build the model with one of " + quoteList(materializations) + " (materialized='table'), with hooks for what the materialization did"
			return
		}
		d := bad("unknown materialization %q", s)
		if h := diag.DidYouMean(s, materializations); h != "" {
			d.Hint = h
		} else {
			d.Hint = "use one of " + quoteList(materializations)
		}
	case "concurrent_batches":
		b, ok := v.(bool)
		if !ok && v != nil {
			bad("config %q must be true or false, not %q", k, fmt.Sprint(v))
			return
		}
		if d := project.CheckValue(k, fmt.Sprint(b), pos); b && d != nil {
			c.diags.Add(*d)
		}
	case "enabled", "full_refresh", "store_failures", "quote_columns", "deviation_gate":
		if _, ok := v.(bool); !ok && v != nil {
			bad("config %q must be true or false, not %q", k, fmt.Sprint(v))
		}
	case "database", "target_database":
		c.checkDatabase(k, v, pos)
	case "schema", "alias", "where", "fail_calc", "delimiter", "sql_header":
		if s, ok := v.(string); (!ok && v != nil) || (ok && k == "fail_calc" && strings.TrimSpace(s) == "") {
			bad("config %q must be a text, not %v", k, v)
		}
	case "store_failures_as":
		s, _ := v.(string)
		switch s {
		case "table", "ephemeral":
		case "view":
			if c.p.Target != nil && c.p.Target.Type == "postgres" {
				bad("store_failures_as: view is not supported yet on PostgreSQL").
					Hint = "the view would hold on to the tested model's previous table when the model is rebuilt without its tests; write store_failures_as: table"
			}
		default:
			if d := project.CheckValue(k, s, pos); d != nil {
				c.diags.Add(*d)
				return
			}
			bad("store_failures_as must be \"table\", \"view\" or \"ephemeral\", not %q", fmt.Sprint(v))
		}
	case "severity":
		s, _ := v.(string)
		if ls := strings.ToLower(s); ls != "error" && ls != "warn" {
			bad("severity must be \"error\" or \"warn\", not %q", fmt.Sprint(v))
		}
	case "warn_if", "error_if":
		s, ok := v.(string)
		if !ok {
			bad("%s must be a text such as \">10\" or \"!=0\", not %v", k, v).Hint = "quote it in YAML: " + k + ": \">10\""
			return
		}
		if _, err := materialize.ParseCondition(s); err != nil {
			bad("%s %q is not a threshold", k, s).Hint = "write an operator (=, !=, <>, >, >=, <, <=) and a number, as in dbt: " + k + ": \">10\""
		}
	case "limit", "retries":
		if _, ok := wholeNumber(v); !ok {
			bad("%s must be a whole number of 0 or more, not %v", k, v)
		}
	case "tags":
		switch t := v.(type) {
		case string, []string, nil:
		case []any:
			for _, e := range t {
				if _, ok := e.(string); !ok {
					bad("tags must be strings, not %v", e)
				}
			}
		default:
			bad("tags must be a string or a list of strings")
		}
	case "meta", "docs", "column_types":
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			bad("config %q must be a mapping, not %v", k, v)
			return
		}
		if k == "docs" {
			if sh, set := m["show"]; set {
				if _, ok := sh.(bool); !ok {
					c.diags.Errorf(subAt("show"), "docs.show must be true or false, not %v", sh)
				}
			}
			if col, set := m["node_color"]; set && col != nil {
				if s, _ := col.(string); !graph.ValidNodeColor(s) {
					c.diags.Errorf(subAt("node_color"), "invalid color name for docs.node_color: %v: it is neither an HTML color name nor a hex code", col).
						Hint = "write a CSS color name (node_color: purple) or a quoted hex code (node_color: \"#cd7f32\"), as dbt accepts"
				}
			}
		}
	case "quoting":
		c.checkQuotingValue(v, pos)
	case "contract":
		c.checkContract(v, pos)
	case "grants":
		c.checkGrants(v, pos)
	case "indexes":
		c.checkIndexes(v, pos)
	case "persist_docs":
		m, ok := v.(map[string]any)
		if !ok {
			bad("persist_docs must be a mapping, such as persist_docs: {relation: true, columns: true}")
			return
		}
		for _, pk := range sortedKeys(m) {
			if pk != "relation" && pk != "columns" {
				bad("unknown persist_docs key %q", pk).Hint = "persist_docs has relation: and columns:, each true or false"
			} else if _, isBool := m[pk].(bool); !isBool {
				c.diags.Errorf(subAt(pk), "persist_docs.%s must be true or false, not %v", pk, m[pk])
			}
		}
	}
}

// IndexMethods are PostgreSQL's index methods, the values of an index's
// type in dbt-postgres's indexes config.
var IndexMethods = []string{"btree", "hash", "gist", "spgist", "gin", "brin"}

// checkIndexes validates dbt-postgres's indexes config: a list of
// mappings with columns (a list of at least one column name or
// expression), unique (true or false) and type (one of IndexMethods),
// nothing else.
func (c *compiler) checkIndexes(v any, pos diag.Pos) {
	const example = "write indexes: [{columns: [id], unique: true}, {columns: [a, b], type: hash}]"
	if v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok {
		c.diags.Errorf(pos, "indexes must be a list of indexes, not %v", v).Hint = example
		return
	}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			c.diags.Errorf(pos, "indexes[%d] must be a mapping with columns:, not %v", i, e).Hint = example
			continue
		}
		for _, k := range sortedKeys(m) {
			switch k {
			case "columns", "unique", "type":
			default:
				d := c.diags.Errorf(pos, "indexes[%d]: unknown key %q", i, k)
				d.Hint = "an index has columns:, unique: and type:"
				if h := diag.DidYouMean(k, []string{"columns", "unique", "type"}); h != "" {
					d.Hint = h + " (an index has columns:, unique: and type:)"
				}
			}
		}
		cols, _ := m["columns"].([]any)
		good := len(cols) > 0
		for _, col := range cols {
			if s, ok := col.(string); !ok || strings.TrimSpace(s) == "" {
				good = false
			}
		}
		if !good {
			c.diags.Errorf(pos, "indexes[%d].columns must be a list of one or more column names, not %v", i, m["columns"]).Hint = example
		}
		if u, ok := m["unique"]; ok {
			if _, isBool := u.(bool); !isBool && u != nil {
				c.diags.Errorf(pos, "indexes[%d].unique must be true or false, not %v", i, u)
			}
		}
		if t, ok := m["type"]; ok && t != nil {
			s, _ := t.(string)
			if !contains(IndexMethods, strings.ToLower(s)) {
				d := c.diags.Errorf(pos, "indexes[%d].type %v is not an index method of PostgreSQL", i, t)
				d.Hint = "use one of " + quoteList(IndexMethods)
				if h := diag.DidYouMean(s, IndexMethods); h != "" {
					d.Hint = h + " (" + d.Hint + ")"
				}
			}
		}
	}
}

// privilegeName is a privilege as grant spells it: words of letters
// ("select", "references", "all privileges").
var privilegeName = regexp.MustCompile(`^[A-Za-z]+( [A-Za-z]+)*$`)

// checkGrants validates grants: {privilege: grantee or [grantees]}, a
// privilege written "+select" to add to the inherited grantees.
func (c *compiler) checkGrants(v any, pos diag.Pos) {
	m, ok := v.(map[string]any)
	if !ok {
		c.diags.Errorf(pos, "grants must be a mapping of privileges to grantees, not %v", v).Hint = "write grants: {select: [reporter]}"
		return
	}
	for _, k := range sortedKeys(m) {
		if !privilegeName.MatchString(strings.TrimLeft(k, "+")) {
			c.diags.Errorf(pos, "grants: %q is not a privilege", k).Hint = "name a privilege such as select, insert or update (\"+select\" adds to the inherited grantees)"
			continue
		}
		bad := func() {
			c.diags.Errorf(pos, "grants.%s must be a grantee or a list of grantees, not %q", k, m[k]).Hint = "write " + k + ": [reporter, analyst]"
		}
		switch g := m[k].(type) {
		case string:
			if strings.TrimSpace(g) == "" {
				bad()
			}
		case []string:
		case []any:
			for _, e := range g {
				if s, ok := e.(string); !ok || strings.TrimSpace(s) == "" {
					bad()
					break
				}
			}
		default:
			bad()
		}
	}
}

// checkContract validates contract: {enforced: bool, alias_types: true}.
func (c *compiler) checkContract(v any, pos diag.Pos) {
	m, ok := v.(map[string]any)
	if !ok {
		c.diags.Errorf(pos, "contract must be a mapping, such as contract: {enforced: true}")
		return
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "enforced":
			if _, ok := m[k].(bool); !ok {
				c.diags.Errorf(pos, "contract.enforced must be true or false, not %v", m[k])
			}
		case "alias_types":
			if b, ok := m[k].(bool); !ok || !b {
				c.diags.Errorf(pos, "contract.alias_types: %v is not supported yet", m[k]).Hint = "kiln compares data types as DuckDB normalises them (dbt's alias_types: true); remove it"
			}
		default:
			c.diags.Errorf(pos, "unknown contract key %q", k).Hint = "a contract has enforced: true or false"
		}
	}
}

// wholeNumber reads a YAML whole number of 0 or more (or its text).
func wholeNumber(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), x >= 0
	case int64:
		return x, x >= 0
	case uint64:
		return int64(x), true
	case float64:
		return int64(x), x >= 0 && x == float64(int64(x))
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil && n >= 0
	}
	return 0, false
}

// toConfig converts merged raw configs into a node's Config.
func toConfig(m map[string]any, defaultMaterialized string) graph.Config {
	cfg := graph.Config{Enabled: true, Materialized: defaultMaterialized, Extra: map[string]any{}}
	for k, v := range m {
		switch k {
		case "enabled":
			if b, ok := v.(bool); ok {
				cfg.Enabled = b
			}
		case "materialized":
			if s, ok := v.(string); ok {
				cfg.Materialized = s
			}
		case "schema":
			cfg.Schema, _ = v.(string)
		case "alias":
			cfg.Alias, _ = v.(string)
		case "severity":
			s, _ := v.(string)
			cfg.Severity = strings.ToLower(s)
		case "tags":
			cfg.Tags = uniqueStrings(toStrings(v))
		case "meta":
			cfg.Meta, _ = v.(map[string]any)
		case "grants":
			cfg.Extra[k] = project.ResolvedGrants(v)
		case "lookback", "limit", "retries":
			// A whole number written as text (retries: "2", a config()
			// argument's string) is that number, as every reader of the
			// config takes it (retries as text was no retry).
			if s, ok := v.(string); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
					v = n
				}
			}
			cfg.Extra[k] = v
		default:
			cfg.Extra[k] = v
		}
	}
	// dbt: store_failures_as wins over store_failures.
	if s, ok := m["store_failures_as"].(string); ok {
		cfg.Extra["store_failures"] = s == "table" || s == "view"
	}
	return cfg
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func uniqueStrings(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// mergeConfigs merges layers of raw configs, later layers winning, tags
// accumulating and meta merging.
func mergeConfigs(layers ...map[string]any) map[string]any {
	size := 0
	for _, l := range layers {
		size = max(size, len(l))
	}
	out := make(map[string]any, size)
	// Merge changes out[k] alone: the order of a layer's keys does not
	// matter (sorting them cost a slice and a sort per layer and node).
	for _, l := range layers {
		for k, v := range l {
			project.Merge(out, k, v)
		}
	}
	return out
}

func (c *compiler) warnUnusedConfig() {
	for _, tree := range []struct {
		t    *project.ConfigTree
		kind string
	}{{c.p.ModelConfig, "models"}, {c.p.SeedConfig, "seeds"}} {
		for _, u := range tree.t.Unused() {
			d := c.diags.Warnf(u.Pos(c.p.File), "config path %s.%s matches no %s", tree.kind, strings.Join(u.Written(c.name), "."), strings.TrimSuffix(tree.kind, "s"))
			d.Hint, d.Event = "check the folder names under "+tree.kind+":", diag.EventUnusedConfigPath
			// dbt reads the first key as the project's or a package's
			// name; kiln also takes a folder there.
			names := []string{c.name}
			for _, q := range c.root.Packages {
				names = append(names, q.Config.Name)
			}
			if u.Direct && len(u.Path) == 1 && !slices.Contains(names, u.Path[0]) {
				d.Hint = fmt.Sprintf("the first key under %s: is the project's name, %q, or an installed package's, then come the folders", tree.kind, c.name)
				if h := diag.DidYouMean(u.Path[0], names); h != "" {
					d.Hint += "; " + h
				}
			}
		}
	}
}

// checkDatabase accepts config k (database, target_database) written at
// pos when it names the target's database, as a dbt-duckdb project names
// its file's (case-insensitive, as DuckDB's catalogs); any other database
// is an error: kiln builds in one.
func (c *compiler) checkDatabase(k string, v any, pos diag.Pos) {
	s, ok := v.(string)
	if !ok {
		if v != nil {
			c.diags.Errorf(pos, "config %q must be a text, not %v", k, v)
		}
		return
	}
	db := ""
	if c.p.Target != nil {
		db = c.p.Target.Database
	}
	if db != "" && strings.EqualFold(strings.TrimSpace(s), db) {
		return
	}
	d := c.diags.Errorf(pos, "config %s %q: another database than the target's is not supported yet", k, s)
	if db != "" {
		d.Hint = fmt.Sprintf("the target's database is %q; ", db) + project.OneDatabaseNote
	} else {
		d.Hint = project.OneDatabaseNote
	}
}

// dbtConfigDefaults are the values dbt's config.get returns for the
// fields of its node configs that a node does not set (NodeConfig,
// ModelConfig, SeedConfig; TestConfig for data tests; dbt_common's
// BaseConfig.get returns a field's value before the call's default): a
// declared field gives its default, whatever default the call passes, so that
// config.get('unique_key', 'id') is None on a model without one, as in
// dbt. A key that is not a field (a key of the project's own) gives the
// call's default.
var dbtConfigDefaults = map[graph.Kind]map[string]any{
	graph.Model: nodeConfigDefaults(map[string]any{"access": "protected"}),
	graph.Seed:  nodeConfigDefaults(map[string]any{"delimiter": ",", "quote_columns": nil}),
	graph.Snapshot: nodeConfigDefaults(map[string]any{"strategy": nil, "updated_at": nil, "check_cols": nil,
		"target_schema": nil, "target_database": nil}),
	// A test's schema is left out: dbt's default (dbt_test__audit) is not
	// where kiln stores failing rows (audit).
	graph.Test: {"enabled": true, "alias": nil, "database": nil, "tags": []any{},
		"meta": map[string]any{}, "group": nil, "severity": "ERROR", "store_failures": nil, "store_failures_as": nil,
		"sql_header": nil, "where": nil, "limit": nil, "fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0"},
}

func nodeConfigDefaults(more map[string]any) map[string]any {
	m := map[string]any{
		"enabled": true, "alias": nil, "schema": nil, "database": nil, "tags": []any{}, "meta": map[string]any{},
		"group": nil, "materialized": "view", "incremental_strategy": nil, "batch_size": nil, "lookback": 1,
		"begin": nil, "persist_docs": map[string]any{}, "post_hook": []any{}, "pre_hook": []any{},
		"quoting": map[string]any{}, "column_types": map[string]any{}, "full_refresh": nil, "unique_key": nil,
		"on_schema_change": "ignore", "on_configuration_change": "apply", "grants": map[string]any{},
		"packages": []any{}, "docs": map[string]any{"show": true, "node_color": nil},
		"contract": map[string]any{"enforced": false, "alias_types": true}, "event_time": nil, "concurrent_batches": nil,
	}
	for k, v := range more {
		m[k] = v
	}
	return m
}

// configValue reads config key from the raw configs m of a node of kind
// as dbt's config.get does (Context.ConfigValue): the value set, else the
// default of a field of dbt's node config, else false.
func configValue(kind graph.Kind, m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	switch key {
	case "pre_hook", "post_hook":
		if v, ok := m[strings.Replace(key, "_", "-", 1)]; ok {
			return v, true
		}
	}
	v, ok := dbtConfigDefaults[kind][key]
	return v, ok
}

// quotingParts are the names dbt's quoting: config sets.
var quotingParts = []string{"database", "schema", "identifier"}

// checkQuotingValue checks a config's quoting: value, written at pos: a
// mapping of database, schema and identifier to true (kiln quotes every
// name, as dbt-postgres and dbt-duckdb do by default) or false, which is
// the same on DuckDB and not supported yet on PostgreSQL (which folds
// unquoted names to lower case).
func (c *compiler) checkQuotingValue(v any, pos diag.Pos) {
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.diags.Errorf(pos, "quoting must be a mapping, such as quoting: {identifier: true}, not %v", v)
		return
	}
	for _, k := range sortedKeys(m) {
		c.checkQuoting(k, m[k], pos, pos)
	}
}

// checkProjectQuoting checks project.yml's quoting: (dbt_project.yml's),
// each entry at its position.
func (c *compiler) checkProjectQuoting() {
	n := &c.p.Config.Quoting
	if n.Kind == 0 {
		return
	}
	at := func(y *yaml.Node) diag.Pos { return diag.Pos{File: c.p.File, Line: y.Line, Col: y.Column} }
	if n.Kind != yaml.MappingNode {
		if n.Tag != "!!null" {
			c.diags.Errorf(at(n), "quoting must be a mapping, such as quoting: {identifier: true}")
		}
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		var v any
		if err := n.Content[i+1].Decode(&v); err != nil {
			v = n.Content[i+1].Value
		}
		c.checkQuoting(n.Content[i].Value, v, at(n.Content[i]), at(n.Content[i+1]))
	}
}

// checkQuoting checks one entry of a quoting: mapping, part: v, its key
// at key and its value at val.
func (c *compiler) checkQuoting(part string, v any, key, val diag.Pos) {
	if !contains(quotingParts, part) {
		d := c.diags.Errorf(key, "unknown quoting key %q", part)
		d.Hint = "quoting takes " + quoteList(quotingParts)
		return
	}
	switch b, ok := v.(bool); {
	case v == nil, ok && b:
	case ok && (c.p.Target == nil || c.p.Target.Type == "duckdb"):
		// DuckDB keeps a name's case whether it is quoted or not, and
		// matches names without regard to case: unquoted names make the
		// same relations as kiln's quoted ones (dbt-duckdb's MixedCase is
		// MixedCase too).
	case ok:
		d := c.diags.Errorf(val, "quoting: {%s: false} is not supported yet on %s", part, c.p.Target.Type)
		d.Hint = "kiln quotes every database, schema and relation name, as dbt-postgres does by default (quoting: true), so models/MixedCase.sql is \"MixedCase\", not mixedcase; " +
			"remove it, and give such a model a lower-case alias (alias: mixedcase) to get the name dbt creates unquoted"
	default:
		c.diags.Errorf(val, "quoting %s must be true or false, not %v", part, v)
	}
}
