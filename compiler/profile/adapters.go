package profile

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
)

// Adapter is what kiln knows of one adapter type of profiles.yml: the
// fields of its outputs, what kiln does with each, and how a target of
// this type is completed (defaults, derived fields, checks). An adapter
// package that kiln can run registers a supported entry; an entry with
// NotSupported set makes a target of that type an error naming it.
type Adapter struct {
	Type string
	// NotSupported, when not empty, makes a target of this type an error
	// "adapter type %q is not supported yet", with this hint.
	NotSupported string
	// Fields are the output's fields besides type and threads.
	Fields []Field
	// Complete sets Target's Schema, Database and Path from its Fields
	// and reports problems; keyAt gives the position of each field.
	Complete func(t *Target, o Options, keyAt map[string]diag.Pos) diag.List
}

// Field is one field of a target's output.
type Field struct {
	Name    string
	Support project.Support
	Note    string // NotYet: what to do instead; Documents: a warning, if any
	Secret  bool   // left out of target in templates
}

func (a *Adapter) field(name string) *Field {
	for i := range a.Fields {
		if a.Fields[i].Name == name {
			return &a.Fields[i]
		}
	}
	return nil
}

func (a *Adapter) secret(name string) bool {
	f := a.field(name)
	return f != nil && f.Secret
}

var adapters = map[string]*Adapter{}

// Register makes an adapter type known to profiles.yml, replacing an
// entry of the same type (the PostgreSQL adapter replaces the entry that
// says it is not supported yet).
func Register(a *Adapter) { adapters[a.Type] = a }

// Lookup returns the entry of adapter type typ.
func Lookup(typ string) (*Adapter, bool) { a, ok := adapters[typ]; return a, ok }

func types() []string {
	out := make([]string, 0, len(adapters))
	for k := range adapters {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// complete checks t's fields against its adapter and fills the derived
// ones.
func (t *Target) complete(o Options, keyAt map[string]diag.Pos) diag.List {
	var l diag.List
	typ, _ := t.Fields["type"].(string)
	if typ == "" {
		l.Add(diag.Errorf(t.Pos, "target %q has no type", t.Name).WithHint("add type: duckdb"))
		return l
	}
	t.Type = typ
	a, ok := adapters[typ]
	if !ok {
		d := diag.Errorf(keyAt["type"], "unknown adapter type %q", typ)
		if h := diag.DidYouMean(typ, types()); h != "" {
			d.Hint = h
		} else {
			d.Hint = "kiln knows " + strings.Join(types(), ", ")
		}
		l.Add(d)
		return l
	}
	if a.NotSupported != "" {
		l.Add(diag.Errorf(keyAt["type"], "adapter type %q is not supported yet", typ).WithHint("%s", a.NotSupported))
		return l
	}
	if v, ok := t.Fields["threads"]; ok {
		n, isInt := v.(int)
		if s, isText := v.(string); isText {
			// Jinja gives text ("{{ env_var('DBT_THREADS', '4') }}"),
			// which dbt's native rendering of a profile reads as a number.
			n, isInt = wholeText(s)
		}
		if !isInt || n < 1 {
			l.Add(diag.Errorf(keyAt["threads"], "threads is %v: it must be a whole number of 1 or more", v))
		}
		t.Threads = n
	}
	var names []string
	for k := range t.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	known := []string{"type", "threads"}
	for _, f := range a.Fields {
		known = append(known, f.Name)
	}
	for _, k := range names {
		if k == "type" || k == "threads" {
			continue
		}
		f := a.field(k)
		if f == nil {
			d := diag.Diagnostic{Pos: keyAt[k], Severity: diag.Warning,
				Msg: fmt.Sprintf("unknown field %q of a %s target: kiln ignores it", k, typ)}
			d.Hint = diag.DidYouMean(k, known)
			l.Add(d)
			continue
		}
		switch f.Support {
		case project.NotYet:
			l.Add(diag.Errorf(keyAt[k], "%q of a %s target is not supported yet", k, typ).WithHint("%s", f.Note))
		case project.Documents:
			if f.Note != "" {
				l.Add(diag.Diagnostic{Pos: keyAt[k], Severity: diag.Warning, Msg: f.Note})
			}
		}
	}
	if l.HasErrors() {
		return l
	}
	if a.Complete != nil {
		l.Append(a.Complete(t, o, keyAt))
	}
	return l
}

func init() {
	Register(duckDB)
	Register(postgres)
}

// duckDB is dbt-duckdb's target
// (https://github.com/duckdb/dbt-duckdb#configuring-your-profile).
var duckDB = &Adapter{
	Type: "duckdb",
	Fields: []Field{
		{Name: "path", Support: project.Applied},
		{Name: "database", Support: project.Applied},
		{Name: "schema", Support: project.Applied},
		{Name: "settings", Support: project.Applied},
		{Name: "extensions", Support: project.Applied},
		{Name: "config_options", Support: project.Applied},
		{Name: "attach", Support: project.NotYet, Note: "kiln opens one DuckDB file; read other files through sources with external: or DuckDB's read_* functions"},
		{Name: "secrets", Support: project.NotYet, Note: "kiln reads local files only; remove it", Secret: true},
		{Name: "filesystems", Support: project.NotYet, Note: "kiln reads local files only; remove it"},
		{Name: "remote", Support: project.NotYet, Note: "kiln opens a local DuckDB file; remove it"},
		{Name: "plugins", Support: project.NotYet, Note: "dbt-duckdb's Python plugins do not run in kiln; remove them"},
		{Name: "module_paths", Support: project.NotYet, Note: "kiln runs no Python modules; remove it"},
		{Name: "use_credential_provider", Support: project.NotYet, Note: "kiln reads local files only; remove it"},
		{Name: "external_root", Support: project.Documents, Note: "external_root is not read: kiln has no external materialization"},
		{Name: "disable_transactions", Support: project.Documents, Note: "disable_transactions is not read: kiln keeps its transactions, which make a run all or nothing"},
		{Name: "keep_open", Support: project.Documents},
		{Name: "retries", Support: project.Documents, Note: "retries is not read: pass kiln's --retries N"},
		{Name: "motherduck_token", Support: project.NotYet, Note: "kiln opens a local DuckDB file; remove it", Secret: true},
		{Name: "token", Support: project.NotYet, Note: "kiln opens a local DuckDB file; remove it", Secret: true},
		{Name: "password", Support: project.Documents, Secret: true},
	},
	Complete: completeDuckDB,
}

// completeDuckDB applies dbt-duckdb's defaults: path ":memory:", schema
// "main", database the path's file name without its extension ("memory"
// in memory); a database that differs from the path's is an error, as in
// dbt-duckdb.
func completeDuckDB(t *Target, o Options, keyAt map[string]diag.Pos) diag.List {
	var l diag.List
	str := func(k string) string {
		v, ok := t.Fields[k]
		if !ok || v == nil {
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			l.Add(diag.Errorf(keyAt[k], "%s must be a text, not %v", k, v))
		}
		return s
	}
	path := str("path")
	t.Schema = str("schema")
	if t.Schema == "" {
		t.Schema = "main"
	}
	db := "memory"
	if path != "" && path != ":memory:" {
		if strings.Contains(path, "://") || strings.HasPrefix(path, "md:") || strings.HasPrefix(path, "motherduck:") {
			l.Add(diag.Errorf(keyAt["path"], "path %q is not a local file: kiln opens a local DuckDB file", path).WithHint("write a file path, such as path: dev.duckdb"))
			return l
		}
		base := filepath.Base(path)
		db = strings.TrimSuffix(base, filepath.Ext(base))
		t.Path, t.PathAt = path, keyAt["path"]
		if !filepath.IsAbs(path) && o.ProjectDir != "" {
			t.Path = filepath.Join(o.ProjectDir, path)
		}
	}
	t.Database = db
	if given := str("database"); given != "" && given != db {
		l.Add(diag.Errorf(keyAt["database"], "database %q does not match path %q", given, path).
			WithHint("dbt-duckdb names the database after the file: set database: %s, or leave it out", db))
	}
	for _, k := range []string{"settings", "config_options"} {
		if v, ok := t.Fields[k]; ok && v != nil {
			if _, isMap := v.(map[string]any); !isMap {
				l.Add(diag.Errorf(keyAt[k], "%s must be a mapping of DuckDB settings to values, not %v", k, v))
			}
		}
	}
	if v, ok := t.Fields["extensions"]; ok && v != nil {
		list, isList := v.([]any)
		if !isList {
			l.Add(diag.Errorf(keyAt["extensions"], "extensions must be a list of names, not %v", v))
		}
		for _, e := range list {
			switch x := e.(type) {
			case string:
			case map[string]any:
				if _, ok := x["name"].(string); !ok {
					l.Add(diag.Errorf(keyAt["extensions"], "an extension is a name, or {name: ..., repo: ...}"))
				}
			default:
				l.Add(diag.Errorf(keyAt["extensions"], "an extension is a name, not %v", e))
			}
		}
	}
	return l
}

// Settings returns the DuckDB settings of a duckdb target (settings and
// config_options), by name.
func (t *Target) Settings() map[string]any {
	out := map[string]any{}
	for _, k := range []string{"config_options", "settings"} {
		if m, ok := t.Fields[k].(map[string]any); ok {
			for a, b := range m {
				out[a] = b
			}
		}
	}
	return out
}

// Extensions returns the names of the extensions a duckdb target loads.
func (t *Target) Extensions() []string {
	list, _ := t.Fields["extensions"].([]any)
	var out []string
	for _, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			if s, ok := x["name"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// wholeText reads s, a field's rendered text, as a whole number.
func wholeText(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}
