// Package profile reads dbt's profiles.yml
// (https://docs.getdbt.com/docs/core/connect-data-platform/profiles.yml):
// it finds the file as dbt does (--profiles-dir, DBT_PROFILES_DIR, the
// project's folder, ~/.dbt), picks the profile (--profile, else the
// project's) and the target (--target, DBT_TARGET, else the profile's
// target:, else "default"), renders the Jinja of its values (env_var, var
// over --vars) and checks the target's fields against its adapter type
// (see Adapter).
//
// It reads files and environment variables and touches no database.
package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/yamljinja"
	"github.com/kiln-build/kiln/compiler/yamlsrc"
)

// FileName is the profiles file.
const FileName = "profiles.yml"

// Options say where to find profiles.yml and what to pick in it.
type Options struct {
	// Dir is --profiles-dir; "" searches DBT_PROFILES_DIR, ProjectDir and
	// Home/.dbt in that order.
	Dir string
	// ProjectDir is the project's directory: a profiles.yml there is used
	// when neither Dir nor DBT_PROFILES_DIR is set, and relative database
	// paths are relative to it (dbt runs in the project's folder).
	ProjectDir string
	// Profile is the profile to read: --profile, else the project's
	// profile: key.
	Profile string
	// ProfileAt is where the project file writes Profile (its profile:
	// value), where a profile missing from profiles.yml is reported; zero
	// when Profile is --profile.
	ProfileAt diag.Pos
	// Target is --target; "" reads DBT_TARGET, then the profile's target:.
	Target string
	// Vars are the --vars, for var() in the file's values.
	Vars map[string]any
	// LookupEnv reads environment variables; nil is os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Home is the user's home directory; "" is os.UserHomeDir.
	Home string
	// NoLiteralSecrets refuses a password written in the file itself (a
	// project file that is committed): it must come from env_var.
	NoLiteralSecrets bool
	// ProjectFile is the name of the project's file, which messages name:
	// dbt_project.yml (when "") or project.yml.
	ProjectFile string
}

// projectFile is the project file's name, for messages.
func (o Options) projectFile() string {
	if o.ProjectFile != "" {
		return o.ProjectFile
	}
	return "dbt_project.yml"
}

// Target is the output of a profile that a run uses.
type Target struct {
	File        string // the profiles.yml read (absolute)
	ProfileName string
	Name        string // the target's name: dev, prod, ...
	Type        string // the adapter type: duckdb, postgres, ...
	Schema      string // the default schema of models
	Database    string // the database (DuckDB: the file's stem)
	Threads     int    // 0 when not set
	// Path is the database file of file-based adapters (DuckDB), made
	// absolute against the project's directory; "" for ":memory:".
	Path string
	// PathAt is where the output writes path: (its value).
	PathAt diag.Pos
	// DSN is the libpq connection string of a server target (PostgreSQL),
	// "host='...' port='...' ...", password included: never print it.
	DSN string
	// Fields are every field of the output, after rendering.
	Fields map[string]any
	// Pos is where the output is written.
	Pos diag.Pos
}

// Context returns the target as templates see it: target.name,
// target.schema, target.type, target.threads, target.profile_name,
// target.database and the adapter's other fields, secrets left out (as
// dbt's target context does).
func (t *Target) Context() map[string]any {
	out := map[string]any{}
	a := adapters[t.Type]
	for k, v := range t.Fields {
		if a != nil && a.secret(k) {
			continue
		}
		out[k] = v
	}
	out["name"] = t.Name
	out["target_name"] = t.Name
	out["profile_name"] = t.ProfileName
	out["type"] = t.Type
	out["schema"] = t.Schema
	out["database"] = t.Database
	threads := t.Threads
	if threads == 0 {
		threads = 1
	}
	out["threads"] = threads
	return out
}

// ErrNoFile is returned by Find when no profiles.yml exists where dbt
// looks.
var ErrNoFile = errors.New("no profiles.yml found")

// Find returns the profiles.yml dbt would read, and where it looked.
func Find(o Options) (string, []string, error) {
	look := o.lookupEnv()
	var dirs []string
	switch {
	case o.Dir != "":
		dirs = []string{o.Dir}
	default:
		if d, ok := look("DBT_PROFILES_DIR"); ok && d != "" {
			dirs = []string{d}
			break
		}
		if o.ProjectDir != "" {
			dirs = append(dirs, o.ProjectDir)
		}
		home := o.Home
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		if home != "" {
			dirs = append(dirs, filepath.Join(home, ".dbt"))
		}
	}
	var tried []string
	for _, d := range dirs {
		f := filepath.Join(d, FileName)
		tried = append(tried, f)
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			abs, err := filepath.Abs(f)
			if err != nil {
				return "", tried, err
			}
			return abs, tried, nil
		}
	}
	return "", tried, ErrNoFile
}

func (o Options) lookupEnv() func(string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv
	}
	return os.LookupEnv
}

// Load finds profiles.yml and returns the target to use. Problems are
// diagnostics at their position in the file (or naming the places
// searched when there is none).
func Load(o Options) (*Target, diag.List) {
	var l diag.List
	file, tried, err := Find(o)
	if err != nil {
		d := diag.Errorf(diag.Pos{File: FileName}, "no %s for profile %q: looked in %s", FileName, o.Profile, strings.Join(tried, ", "))
		d.Hint = fmt.Sprintf("write a %s beside %s, such as \"%s: {target: dev, outputs: {dev: {type: duckdb, path: %s.duckdb}}}\", or pass --profiles-dir", FileName, o.projectFile(), o.Profile, o.Profile)
		l.Add(d)
		return nil, l
	}
	src, err := os.ReadFile(file)
	if err != nil {
		l.Add(diag.Errorf(diag.Pos{File: file}, "cannot read: %v", err))
		return nil, l
	}
	return Parse(file, src, o)
}

// Parse reads the profiles file src (named file in diagnostics) and
// returns the target o selects.
func Parse(file string, src []byte, o Options) (*Target, diag.List) {
	var l diag.List
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		e := yamlsrc.Locate(src, err)
		l.Add(diag.Errorf(diag.Pos{File: file, Line: e.Line, Col: e.Col}, "invalid YAML: %s", e.Msg).WithHint("%s", e.Hint))
		return nil, l
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "%s must be a mapping of profile names to profiles", FileName))
		return nil, l
	}
	root := doc.Content[0]
	name := o.Profile
	if name == "" {
		l.Add(diag.Errorf(diag.Pos{File: file}, "no profile to read: the project names none").
			WithHint("add \"profile: <name>\" to %s, or pass --profile", o.projectFile()))
		return nil, l
	}
	var names []string
	var prof *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i].Value
		if k == "config" {
			continue // dbt < 1.5's user config: send_anonymous_usage_stats, use_colors
		}
		names = append(names, k)
		if k == name {
			if prof != nil {
				// dbt keeps the last (1.10 warns): which was meant is unknown.
				kn := root.Content[i]
				d := yamlsrc.Duplicate{Key: k, Line: kn.Line, Col: kn.Column}
				for j := 0; j < i; j += 2 {
					if root.Content[j].Value == k {
						d.First = root.Content[j].Line
						break
					}
				}
				l.Add(diag.Errorf(at(file, kn), "%s", d.Msg()).WithHint("%s", d.Hint()))
				return nil, l
			}
			prof = root.Content[i+1]
		}
	}
	if prof == nil {
		// dbt: "Could not find profile named ...", a project error: the
		// name is wrong where the project writes it, or in --profile.
		d := diag.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "profile %q is not in %s", name, file)
		fix := "pass --profile or fix profile: in " + o.projectFile()
		if o.ProfileAt.File != "" {
			d.Pos = o.ProfileAt
			fix = "fix profile: here, or add the profile to " + file
		}
		if h := diag.DidYouMean(name, names); h != "" {
			d.Hint = h
		} else if len(names) > 0 {
			sort.Strings(names)
			d.Hint = "its profiles: " + strings.Join(names, ", ") + "; " + fix
		}
		l.Add(d)
		return nil, l
	}
	if prof.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(at(file, prof), "profile %q must be a mapping with target: and outputs:", name))
		return nil, l
	}
	// A key twice in the profile (a target, a target's field) is an
	// error, as in the project's files; other profiles are not read.
	if dups := yamlsrc.Duplicates(prof); len(dups) > 0 {
		for _, d := range dups {
			l.Add(diag.Errorf(diag.Pos{File: file, Line: d.Line, Col: d.Col}, "%s", d.Msg()).WithHint("%s", d.Hint()))
		}
		return nil, l
	}
	r := yamljinja.New(yamljinja.Names{Vars: o.Vars, LookupEnv: o.LookupEnv, Secrets: true}.Globals())
	var outputs, targetNode *yaml.Node
	for i := 0; i+1 < len(prof.Content); i += 2 {
		k, v := prof.Content[i], prof.Content[i+1]
		switch k.Value {
		case "outputs":
			outputs = v
		case "target":
			targetNode = v
		default:
			d := diag.Errorf(at(file, k), "unknown key %q in profile %q", k.Value, name)
			d.Hint = diag.DidYouMean(k.Value, []string{"outputs", "target"})
			if d.Hint == "" {
				d.Hint = "a profile has target: and outputs:"
			}
			l.Add(d)
		}
	}
	if outputs == nil || outputs.Kind != yaml.MappingNode || len(outputs.Content) == 0 {
		l.Add(diag.Errorf(at(file, prof), "profile %q has no outputs", name).WithHint("add outputs: {dev: {type: duckdb, path: dev.duckdb}}"))
		return nil, l
	}
	targetName, from := o.Target, "--target"
	if targetName == "" {
		if v, ok := o.lookupEnv()("DBT_TARGET"); ok && v != "" {
			targetName, from = v, "DBT_TARGET"
		}
	}
	if targetName == "" && targetNode != nil {
		from = "target:"
		v, d := r.Value(file, targetNode)
		if d != nil {
			l.Add(*d)
			return nil, l
		}
		targetName = fmt.Sprint(v)
	}
	if targetName == "" {
		targetName, from = "default", ""
	}
	var out *yaml.Node
	var targets []string
	for i := 0; i+1 < len(outputs.Content); i += 2 {
		k, v := outputs.Content[i], outputs.Content[i+1]
		if v.Kind != yaml.MappingNode {
			// A target's field indented one level too little reads as a
			// target of its own, and the target it belongs to lacks it
			// (a DuckDB target without path: builds in memory, keeping
			// nothing): never passed over.
			d := diag.Errorf(at(file, k), "outputs: %q of profile %q is not a target (a mapping with type: and the adapter's fields)", k.Value, name)
			d.Hint = fmt.Sprintf("if %s: is a field of the target above it, indent it like that target's other fields", k.Value)
			l.Add(d)
			continue
		}
		targets = append(targets, k.Value)
		if k.Value == targetName {
			out = v
		}
	}
	if l.HasErrors() {
		return nil, l
	}
	if out == nil {
		l.Add(noTarget(file, name, targetName, from, targets, outputs, targetNode))
		return nil, l
	}
	return Output(file, name, targetName, out, o)
}

// Output reads one output of a profile, the mapping out of file (a
// profiles.yml, or a kiln project.yml's target:), named targetName in
// profile profileName: its values rendered (env_var, var), checked
// against its adapter type. With o.NoLiteralSecrets, a secret field
// (a password) must come from env_var, not be written in the file.
func Output(file, profileName, targetName string, out *yaml.Node, o Options) (*Target, diag.List) {
	var l diag.List
	if out.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(at(file, out), "target %q must be a mapping with type: and the adapter's fields", targetName))
		return nil, l
	}
	if o.NoLiteralSecrets {
		var typ string
		for i := 0; i+1 < len(out.Content); i += 2 {
			if out.Content[i].Value == "type" {
				typ = out.Content[i+1].Value
			}
		}
		if a, ok := adapters[typ]; ok {
			for i := 0; i+1 < len(out.Content); i += 2 {
				k, v := out.Content[i], out.Content[i+1]
				if a.secret(k.Value) && v.Kind == yaml.ScalarNode && v.Value != "" && !yamljinja.HasJinja(v.Value) {
					l.Add(diag.Errorf(at(file, v), "the %s is written in %s", k.Value, filepath.Base(file)).
						WithHint("write %s: \"{{ env_var('KILN_PG_PASSWORD') }}\" and set the variable, or leave it out and use PGPASSWORD or ~/.pgpass", k.Value))
				}
			}
		}
		if l.HasErrors() {
			return nil, l
		}
	}
	r := yamljinja.New(yamljinja.Names{Vars: o.Vars, LookupEnv: o.LookupEnv, Secrets: true}.Globals())
	if rl := r.Tree(file, out, nil); len(rl) > 0 {
		return nil, rl
	}
	t := &Target{File: file, ProfileName: profileName, Name: targetName, Fields: map[string]any{}, Pos: at(file, out)}
	keyAt := map[string]diag.Pos{}
	for i := 0; i+1 < len(out.Content); i += 2 {
		k, v := out.Content[i], out.Content[i+1]
		var x any
		if err := v.Decode(&x); err != nil {
			l.Add(diag.Errorf(at(file, v), "invalid value of %q: %v", k.Value, err))
			continue
		}
		t.Fields[k.Value] = x
		keyAt[k.Value] = at(file, v)
	}
	l.Append(t.complete(o, keyAt))
	if l.HasErrors() {
		return nil, l
	}
	return t, l
}

func at(file string, n *yaml.Node) diag.Pos {
	return diag.Pos{File: file, Line: n.Line, Col: n.Column}
}

// ProjectTarget returns the target as the project's files and templates
// see it.
func (t *Target) ProjectTarget() *project.Target {
	return &project.Target{Name: t.Name, Type: t.Type, Schema: t.Schema, Database: t.Database, Context: t.Context()}
}

// noTarget reports that profile name has no output targetName, which came
// from from (--target, DBT_TARGET, the profile's target:, or "" for
// dbt's "default"), as dbt's "The profile ... does not have a target
// named ...; the valid target names for this profile are ...". It is
// reported at the profile's target: when the name comes from there, else
// at its outputs:.
func noTarget(file, name, targetName, from string, targets []string, outputs, targetNode *yaml.Node) diag.Diagnostic {
	pos := at(file, outputs)
	var msg, fix string
	switch from {
	case "--target":
		msg = fmt.Sprintf("--target %s: profile %q has no target %q", targetName, name, targetName)
		fix = "pass one of them, or add the target to the profile's outputs:"
	case "DBT_TARGET":
		msg = fmt.Sprintf("DBT_TARGET=%s: profile %q has no target %q", targetName, name, targetName)
		fix = "set DBT_TARGET to one of them, or add the target to the profile's outputs:"
	case "target:":
		pos = at(file, targetNode)
		msg = fmt.Sprintf("the target: of profile %q, %q, is not one of its outputs", name, targetName)
		fix = "fix target:, or pass --target"
	default:
		msg = fmt.Sprintf("profile %q has no target: and no target %q", name, targetName)
		fix = "add target: <name> to the profile, or pass --target"
	}
	hint := "its targets: " + strings.Join(targets, ", ") + "; " + fix
	if h := diag.DidYouMean(targetName, targets); h != "" {
		hint = h + " " + hint
	}
	return diag.Errorf(pos, "%s", msg).WithHint("%s", hint)
}
