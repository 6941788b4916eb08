// Package project reads a kiln project from a file system: project.yml
// (strict, with dbt_project.yml's keys where they apply), the model, seed,
// test and macro files in sorted order, and the YAML property files with the
// position of every entry. It does no rendering and touches no database.
package project

import (
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// FileName is the project file at the root of a project.
const FileName = "project.yml"

// Config is project.yml.
type Config struct {
	At            `yaml:"-"`
	Name          string         `yaml:"name"`
	Version       string         `yaml:"version"`
	ConfigVersion int            `yaml:"config-version"`
	Profile       string         `yaml:"profile"`
	ModelPaths    []string       `yaml:"model-paths"`
	SeedPaths     []string       `yaml:"seed-paths"`
	TestPaths     []string       `yaml:"test-paths"`
	MacroPaths    []string       `yaml:"macro-paths"`
	TargetPath    string         `yaml:"target-path"`
	CleanTargets  []string       `yaml:"clean-targets"`
	DatabasePath  string         `yaml:"database-path"`
	Threads       int            `yaml:"threads"`
	TimeZone      string         `yaml:"timezone"` // the database session's time zone, an IANA name; "" is UTC
	Vars          map[string]any `yaml:"vars"`
	VarTypes      yaml.Node      `yaml:"var-types"` // read into Project.VarTypes
	Schedule      *Schedule      `yaml:"schedule"`
	Models        yaml.Node      `yaml:"models"`
	Seeds         yaml.Node      `yaml:"seeds"`
	DataTests     yaml.Node      `yaml:"data_tests"`
	Tests         yaml.Node      `yaml:"tests"`
	Sources       yaml.Node      `yaml:"sources"`
	Exports       yaml.Node      `yaml:"exports"`
	// Known to say "not supported yet" or to document (see Keys).
	SnapshotPaths     yaml.Node `yaml:"snapshot-paths"`
	AnalysisPaths     yaml.Node `yaml:"analysis-paths"`
	DocsPaths         yaml.Node `yaml:"docs-paths"`
	AssetPaths        yaml.Node `yaml:"asset-paths"`
	RequireDBTVersion yaml.Node `yaml:"require-dbt-version"`
	Snapshots         yaml.Node `yaml:"snapshots"`
	OnRunStart        yaml.Node `yaml:"on-run-start"`
	OnRunEnd          yaml.Node `yaml:"on-run-end"`
}

// Schedule is when the project runs in production: a cron expression and
// an IANA time zone.
type Schedule struct {
	Cron     string `yaml:"cron"`
	Timezone string `yaml:"timezone"`
}

// Project is a loaded project: its configuration and its files.
type Project struct {
	FS     fs.FS
	Config Config

	// Folder-level configurations from project.yml, by resource type.
	ModelConfig  *ConfigTree
	SeedConfig   *ConfigTree
	TestConfig   *ConfigTree
	SourceConfig *ConfigTree
	ExportConfig *ConfigTree

	Models     []File // .sql under model-paths
	Seeds      []File // .csv under seed-paths
	Tests      []File // .sql under test-paths, outside generic/ folders: singular tests
	Macros     []File // .sql under macro-paths, and under <test-path>/generic/
	Properties []*PropertyFile

	// Files holds the content of every file read, by project-relative path.
	Files map[string][]byte

	// VarTypes are the declared types of vars (var-types: in project.yml),
	// by var name.
	VarTypes map[string]*VarType
}

// File is a project file: its project-relative path (forward slashes) and
// its content.
type File struct {
	Path    string
	Content []byte
}

// Load reads the project rooted at fsys. It returns every problem found as
// diagnostics; the project is usable when the list has no errors.
func Load(fsys fs.FS) (*Project, diag.List) {
	var l diag.List
	p := &Project{FS: fsys, Files: map[string][]byte{}}
	src, err := fs.ReadFile(fsys, FileName)
	if err != nil {
		l.Add(diag.Errorf(diag.Pos{File: FileName}, "cannot read the project file").
			WithHint("run kiln in a project directory, or pass --project-dir"))
		return p, l
	}
	p.Files[FileName] = src
	root, ok := parseYAML(FileName, src, &l)
	if !ok {
		return p, l
	}
	if root == nil || root.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(diag.Pos{File: FileName, Line: 1, Col: 1}, "the project file must be a mapping").WithHint("start with \"name: my_project\""))
		return p, l
	}
	decodeStrict(FileName, root, &p.Config, "project.yml", &l)
	p.Config.At = at(root)
	c := &p.Config
	if c.Name == "" {
		l.Add(diag.Errorf(diag.Pos{File: FileName, Line: 1, Col: 1}, "the project has no name").WithHint("add \"name: my_project\" to project.yml"))
	} else if !isIdent(c.Name) {
		l.Add(diag.Errorf(posOfKey(root, "name", FileName), "project name %q must be letters, digits and underscores", c.Name))
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "Local" {
			l.Add(diag.Errorf(posOfKey(root, "timezone", FileName), "timezone %q is not an IANA time zone", c.TimeZone).
				WithHint("write one such as UTC or Europe/Paris; it is the database session's time zone"))
		}
	}
	if v := findKey(root, "threads"); v != nil && (v.Tag == "!!float" || c.Threads < 1 && v.Tag == "!!int") {
		l.Add(diag.Errorf(posOfKey(root, "threads", FileName), "threads is %s: it must be a whole number of 1 or more", v.Value).
			WithHint("threads: 4 runs four nodes at once; leave it out for kiln's default"))
	}
	defaults(c)
	p.VarTypes = parseVarTypes(FileName, &c.VarTypes, root, c.Vars, &l)
	p.ModelConfig = parseConfigTree(FileName, &c.Models, c.Name, "models", Models, &l)
	p.SeedConfig = parseConfigTree(FileName, &c.Seeds, c.Name, "seeds", Seeds, &l)
	tests := &c.DataTests
	if tests.Kind == 0 {
		tests = &c.Tests
	}
	p.TestConfig = parseConfigTree(FileName, tests, c.Name, "data_tests", Tests, &l)
	p.SourceConfig = parseConfigTree(FileName, &c.Sources, c.Name, "sources", Sources, &l)
	p.ExportConfig = parseConfigTree(FileName, &c.Exports, c.Name, "exports", Exports, &l)

	p.discover(&l)
	l.Sort()
	return p, l
}

func defaults(c *Config) {
	if len(c.ModelPaths) == 0 {
		c.ModelPaths = []string{"models"}
	}
	if len(c.SeedPaths) == 0 {
		c.SeedPaths = []string{"seeds"}
	}
	if len(c.TestPaths) == 0 {
		c.TestPaths = []string{"tests"}
	}
	if len(c.MacroPaths) == 0 {
		c.MacroPaths = []string{"macros"}
	}
	if c.TargetPath == "" {
		c.TargetPath = "target"
	}
	if len(c.CleanTargets) == 0 {
		c.CleanTargets = []string{c.TargetPath}
	}
	if c.DatabasePath == "" {
		c.DatabasePath = path.Join(c.TargetPath, "kiln.duckdb")
	}
	if c.Vars == nil {
		c.Vars = map[string]any{}
	}
}

// discover lists the project's files, sorted, skipping hidden entries and
// the target path.
func (p *Project) discover(l *diag.List) {
	c := &p.Config
	skip := map[string]bool{path.Clean(c.TargetPath): true}
	seenYAML := map[string]bool{}
	walk := func(dir string, visit func(path string, content []byte)) {
		dir = path.Clean(dir)
		if _, err := fs.Stat(p.FS, dir); err != nil {
			return // a missing folder is an empty one, as in dbt
		}
		_ = fs.WalkDir(p.FS, dir, func(pth string, d fs.DirEntry, err error) error {
			if err != nil {
				l.Add(diag.Errorf(diag.Pos{File: pth}, "cannot read: %v", err))
				return nil
			}
			name := d.Name()
			if pth != dir && (strings.HasPrefix(name, ".") || skip[pth]) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			content, err := fs.ReadFile(p.FS, pth)
			if err != nil {
				l.Add(diag.Errorf(diag.Pos{File: pth}, "cannot read: %v", err))
				return nil
			}
			p.Files[pth] = content
			visit(pth, content)
			return nil
		})
	}
	yamlFile := func(pth string, content []byte) {
		if seenYAML[pth] {
			return
		}
		seenYAML[pth] = true
		if pf := parseProperties(pth, content, l); pf != nil {
			p.Properties = append(p.Properties, pf)
		}
	}
	isYAML := func(pth string) bool { return strings.HasSuffix(pth, ".yml") || strings.HasSuffix(pth, ".yaml") }
	for _, dir := range c.ModelPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".sql"):
				p.Models = append(p.Models, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			}
		})
	}
	for _, dir := range c.SeedPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".csv") || strings.HasSuffix(pth, ".tsv"):
				p.Seeds = append(p.Seeds, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			}
		})
	}
	for _, dir := range c.TestPaths {
		generic := path.Join(path.Clean(dir), "generic") + "/"
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".sql") && strings.HasPrefix(pth, generic):
				p.Macros = append(p.Macros, File{pth, content})
			case strings.HasSuffix(pth, ".sql"):
				p.Tests = append(p.Tests, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			}
		})
	}
	for _, dir := range c.MacroPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".sql"):
				p.Macros = append(p.Macros, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			}
		})
	}
	p.knownFolders(l)
	for _, files := range [][]File{p.Models, p.Seeds, p.Tests, p.Macros} {
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	}
	sort.Slice(p.Properties, func(i, j int) bool { return p.Properties[i].Path < p.Properties[j].Path })
}

// knownFolders reports the folders of dbt's layout that kiln recognises
// but does not read yet (Keys, ScopeFolder), at their first file: a
// snapshots/ folder must not be skipped in silence.
func (p *Project) knownFolders(l *diag.List) {
	for _, k := range Keys {
		if k.Scope != ScopeFolder || k.Support != NotYet {
			continue
		}
		var first string
		_ = fs.WalkDir(p.FS, k.Name, func(pth string, d fs.DirEntry, err error) error {
			if err != nil || first != "" {
				return fs.SkipAll
			}
			if strings.HasPrefix(d.Name(), ".") && pth != k.Name {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if !d.IsDir() && (strings.HasSuffix(pth, ".sql") || strings.HasSuffix(pth, ".yml") || strings.HasSuffix(pth, ".yaml")) {
				first = pth
				return fs.SkipAll
			}
			return nil
		})
		if first != "" {
			l.Add(diag.Errorf(diag.Pos{File: first}, "the %s/ folder is not supported yet", k.Name).WithHint("%s", k.Note))
		}
	}
}

// parseProperties decodes one YAML property file strictly.
func parseProperties(file string, src []byte, l *diag.List) *PropertyFile {
	root, ok := parseYAML(file, src, l)
	if !ok || root == nil {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: root.Line, Col: root.Column}, "a property file must be a mapping").
			WithHint("start with \"version: 2\" and \"models:\""))
		return nil
	}
	pf := &PropertyFile{Path: file}
	decodeStrict(file, root, pf, "property file", l)
	return pf
}

func posOfKey(m *yaml.Node, key, file string) diag.Pos {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			return diag.Pos{File: file, Line: v.Line, Col: v.Column}
		}
	}
	return diag.Pos{File: file, Line: m.Line, Col: m.Column}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
