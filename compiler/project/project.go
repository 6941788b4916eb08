// Package project reads a kiln project from a file system: project.yml
// (strict, with dbt_project.yml's keys where they apply), the model, seed,
// test and macro files in sorted order, and the YAML property files with the
// position of every entry. It does no rendering and touches no database.
package project

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamljinja"
)

// FileName is kiln's own project file; DBTFileName is dbt's. A folder
// with project.yml is a kiln project; a folder with dbt_project.yml (and no
// project.yml) is a dbt project, which kiln runs as dbt would.
const (
	FileName    = "project.yml"
	DBTFileName = "dbt_project.yml"
)

// Config is project.yml or dbt_project.yml: every key dbt 1.10 accepts
// (https://docs.getdbt.com/reference/dbt_project.yml) and kiln's own.
type Config struct {
	At            `yaml:"-"`
	Name          string     `yaml:"name"`
	Version       string     `yaml:"version"`
	ConfigVersion int        `yaml:"config-version"`
	Profile       string     `yaml:"profile"`
	ModelPaths    []string   `yaml:"model-paths"`
	SeedPaths     []string   `yaml:"seed-paths"`
	TestPaths     []string   `yaml:"test-paths"`
	MacroPaths    []string   `yaml:"macro-paths"`
	SnapshotPaths []string   `yaml:"snapshot-paths"`
	AnalysisPaths []string   `yaml:"analysis-paths"`
	DocsPaths     []string   `yaml:"docs-paths"`
	AssetPaths    []string   `yaml:"asset-paths"`
	SourcePaths   []string   `yaml:"source-paths"` // dbt < 1.0's model-paths
	DataPaths     []string   `yaml:"data-paths"`   // dbt < 1.0's seed-paths
	TargetPath    string     `yaml:"target-path"`
	LogPath       string     `yaml:"log-path"`
	PackagesPath  string     `yaml:"packages-install-path"`
	CleanTargets  []string   `yaml:"clean-targets"`
	DatabasePath  string     `yaml:"database-path"`
	Threads       int        `yaml:"threads"`
	TimeZone      string     `yaml:"timezone"` // the database session's time zone, an IANA name; "" is UTC
	Target        yaml.Node  `yaml:"target"`   // a kiln project's database server: a profile output (TargetRequest.Output)
	Vars          VarMap     `yaml:"vars"`
	VarTypes      yaml.Node  `yaml:"var-types"` // read into Project.VarTypes
	Schedule      *Schedule  `yaml:"schedule"`
	Dispatch      []Dispatch `yaml:"dispatch"`
	OnRunStart    yaml.Node  `yaml:"on-run-start"` // read into Project.OnRunStart
	OnRunEnd      yaml.Node  `yaml:"on-run-end"`
	Models        yaml.Node  `yaml:"models"`
	Seeds         yaml.Node  `yaml:"seeds"`
	DataTests     yaml.Node  `yaml:"data_tests"`
	Tests         yaml.Node  `yaml:"tests"`
	Sources       yaml.Node  `yaml:"sources"`
	Exports       yaml.Node  `yaml:"exports"`
	UnitTests     yaml.Node  `yaml:"unit_tests"`
	Analyses      yaml.Node  `yaml:"analyses"`
	// Known to say "not supported yet" or to document (see Keys).
	RequireDBTVersion yaml.Node `yaml:"require-dbt-version"`
	Snapshots         yaml.Node `yaml:"snapshots"`
	Quoting           yaml.Node `yaml:"quoting"`
	QueryComment      yaml.Node `yaml:"query-comment"`
	Flags             yaml.Node `yaml:"flags"`
	DBTCloud          yaml.Node `yaml:"dbt-cloud"`
	RestrictAccess    yaml.Node `yaml:"restrict-access"`
	ProjectRoot       yaml.Node `yaml:"project-root"`
	SemanticModels    yaml.Node `yaml:"semantic-models"`
	SavedQueries      yaml.Node `yaml:"saved-queries"`
	Metrics           yaml.Node `yaml:"metrics"`
	ExposureConfigs   yaml.Node `yaml:"exposures"`
}

// Dispatch is one entry of dispatch: in dbt_project.yml: where
// adapter.dispatch looks for the macros of a package's namespace
// (https://docs.getdbt.com/reference/project-configs/dispatch-config).
type Dispatch struct {
	At             `yaml:"-"`
	MacroNamespace string   `yaml:"macro_namespace"`
	SearchOrder    []string `yaml:"search_order"`
}

// Schedule is when the project runs in production: a cron expression and
// an IANA time zone.
type Schedule struct {
	Cron     string `yaml:"cron"`
	Timezone string `yaml:"timezone"`
}

// Project is a loaded project: its configuration and its files.
type Project struct {
	// render makes a renderer of property files' Jinja, one per goroutine
	// of discover (propsjinja.go); nil outside discover.
	render func() *yamljinja.Renderer
	// varsRead are the vars var() read in the project file's and property
	// files' values (VarsRead).
	varsRead *varSet

	FS     fs.FS
	Config Config

	// File is the project file read: project.yml, or dbt_project.yml for a
	// dbt project.
	File string
	// DBT is true for a dbt project (dbt_project.yml): dbt's defaults
	// apply where kiln's own differ (the naming of custom schemas).
	DBT bool
	// VarsUnread is true when the project file's vars: is there but could
	// not be read (not a mapping, or the whole file undecoded): an error
	// says why, and the compiler reports no var as missing, which would
	// only repeat it once per var().
	VarsUnread bool
	// Dir is a package's folder in the root project
	// ("dbt_packages/dbt_utils"), "" for the root project. A package's
	// file paths are relative to its own folder, as dbt records them.
	Dir string
	// Target is the target the project builds into (target.* in its
	// values and templates).
	Target *Target

	// Folder-level configurations from project.yml, by resource type.
	ModelConfig *ConfigTree
	SeedConfig  *ConfigTree
	// SnapshotConfig is project.yml's snapshots: tree.
	SnapshotConfig *ConfigTree
	TestConfig     *ConfigTree
	SourceConfig   *ConfigTree
	ExportConfig   *ConfigTree
	// AnalysisConfig is the project file's analyses: tree (enabled,
	// tags, meta, docs), as dbt's.
	AnalysisConfig *ConfigTree
	// WarnOptions are flags: warn_error_options (dbt 1.8's), nil when
	// not written.
	WarnOptions *diag.WarnOptions

	Models     []File // .sql under model-paths
	Snapshots  []File // .sql under snapshot-paths
	Seeds      []File // .csv under seed-paths
	Tests      []File // .sql under test-paths, outside generic/ folders: singular tests
	Macros     []File // .sql under macro-paths, and under <test-path>/generic/
	Docs       []File // .md under docs-paths (by default the resource paths): {% docs %} blocks
	Analyses   []File // .sql under analysis-paths
	Properties []*PropertyFile

	// OnRunStart and OnRunEnd are the run hooks of the project file, in
	// order (dbt's on-run-start and on-run-end), unrendered.
	OnRunStart, OnRunEnd []Hook

	// PackagesFile is the file that declares the packages
	// (packages.yml or dependencies.yml), "" when none; PackageSpecs are
	// its entries.
	PackagesFile string
	PackageSpecs []PackageSpec
	// Packages are the packages installed under packages-install-path
	// (root project only), sorted by name.
	Packages []*Project

	// Files holds the content of every file read, by project-relative path.
	Files map[string][]byte

	// VarTypes are the declared types of vars (var-types: in project.yml),
	// by var name.
	VarTypes map[string]*VarType
}

// Hook is one SQL statement of a hook, as written (Jinja, rendered when
// it runs), and where.
type Hook struct {
	SQL string
	Pos diag.Pos
}

// File is a project file: its project-relative path (forward slashes) and
// its content.
type File struct {
	Path    string
	Content []byte
}

// Options are what Load needs besides the files.
type Options struct {
	// Vars are the --vars, for var() in the project file's values.
	Vars map[string]any
	// LookupEnv reads environment variables for env_var(); nil is
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Target returns the target of the project: from the profile it names
	// (a dbt project; a kiln project with profile:), else kiln's default
	// (DefaultTarget). nil gives DefaultTarget.
	Target func(TargetRequest) (*Target, diag.List)
	// Deps reads the project for kiln deps: packages declared and not
	// installed yet are not an error.
	Deps bool
	// ConfigOnly reads the project file (and its target) and nothing else:
	// no model, seed, test, macro or property file, no package; for the
	// commands that need only the project's configuration (kiln runs,
	// kiln clean), so that they work while a model is broken.
	ConfigOnly bool
	// pkg is true when loading an installed package, which builds into
	// the root project's target, rootTarget.
	pkg        bool
	rootTarget *Target
	base       string // the package's folder in fsys
}

// Load reads the project rooted at fsys with no --vars and kiln's default
// target. See LoadWith.
func Load(fsys fs.FS) (*Project, diag.List) { return LoadWith(fsys, Options{}) }

// LoadWith reads the project rooted at fsys: project.yml, or else
// dbt_project.yml; its values' Jinja rendered as dbt renders them; its
// files; its packages. It returns every problem found as diagnostics; the
// project is usable when the list has no errors.
func LoadWith(fsys fs.FS, o Options) (*Project, diag.List) {
	var l diag.List
	p := &Project{FS: fsys, Files: map[string][]byte{}, File: FileName, Dir: o.base, varsRead: &varSet{}}
	if _, err := fs.Stat(fsys, FileName); err != nil || o.pkg {
		if _, err := fs.Stat(fsys, path.Join(o.base, DBTFileName)); err == nil || o.pkg {
			p.File, p.DBT = path.Join(o.base, DBTFileName), true
		}
	}
	file := p.File
	src, err := fs.ReadFile(fsys, file)
	if err != nil {
		l.Add(diag.Errorf(diag.Pos{File: file}, "cannot read the project file").
			WithHint("run kiln in a project directory (with project.yml or dbt_project.yml), or pass --project-dir"))
		return p, l
	}
	p.Files[file] = src
	root, ok := parseYAML(file, src, &l)
	if !ok {
		return p, l
	}
	if root == nil || root.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "the project file must be a mapping").WithHint("start with \"name: my_project\""))
		return p, l
	}
	if !p.renderValues(root, o, &l) {
		return p, l
	}
	decodeStrict(file, root, &p.Config, file, &l)
	p.Config.At = at(root)
	c := &p.Config
	if v := findKey(root, "vars"); v != nil && c.Vars == nil && !(v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
		p.VarsUnread = true
	}
	if hasDuplicateKey(root) {
		// A key written twice in the top mapping leaves all of it
		// undecoded: the duplicate is the error, not a missing name.
	} else if c.Name == "" {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "the project has no name").WithHint("add \"name: my_project\" to %s", file))
	} else if !isIdent(c.Name) {
		l.Add(diag.Errorf(posOfKey(root, "name", file), "project name %q must be letters, digits and underscores", c.Name))
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "Local" {
			l.Add(diag.Errorf(posOfKey(root, "timezone", file), "timezone %q is not an IANA time zone", c.TimeZone).
				WithHint("write one such as UTC or Europe/Paris; it is the database session's time zone"))
		}
	}
	if v := findKey(root, "threads"); v != nil && (v.Tag == "!!float" || c.Threads < 1 && v.Tag == "!!int") {
		l.Add(diag.Errorf(posOfKey(root, "threads", file), "threads is %s: it must be a whole number of 1 or more", v.Value).
			WithHint("threads: 4 runs four nodes at once; leave it out for kiln's default"))
	}
	p.aliases(root, &l)
	defaults(c)
	if o.base != "" {
		for _, paths := range []*[]string{&c.ModelPaths, &c.SeedPaths, &c.TestPaths, &c.MacroPaths, &c.SnapshotPaths, &c.AnalysisPaths, &c.DocsPaths} {
			for i, d := range *paths {
				(*paths)[i] = path.Join(o.base, d)
			}
		}
		c.TargetPath = path.Join(o.base, c.TargetPath)
	}
	p.OnRunStart = hooks(file, &c.OnRunStart, "on-run-start", &l)
	p.OnRunEnd = hooks(file, &c.OnRunEnd, "on-run-end", &l)
	p.checkDispatch(&l)
	p.checkFlags(&l)
	p.VarTypes = parseVarTypes(file, &c.VarTypes, root, c.Vars, &l)
	p.ModelConfig = parseConfigTree(file, &c.Models, c.Name, "models", Models, &l)
	p.SeedConfig = parseConfigTree(file, &c.Seeds, c.Name, "seeds", Seeds, &l)
	p.SnapshotConfig = parseConfigTree(file, &c.Snapshots, c.Name, "snapshots", Snapshots, &l)
	tests := &c.DataTests
	if tests.Kind == 0 {
		tests = &c.Tests
	} else if c.Tests.Kind != 0 {
		l.Add(diag.Errorf(posOfKey(root, "tests", file), "the project file has both tests: and data_tests:").WithHint("merge them under data_tests:"))
	}
	p.TestConfig = parseConfigTree(file, tests, c.Name, "data_tests", Tests, &l)
	p.SourceConfig = parseConfigTree(file, &c.Sources, c.Name, "sources", Sources, &l)
	p.ExportConfig = parseConfigTree(file, &c.Exports, c.Name, "exports", Exports, &l)
	p.AnalysisConfig = parseConfigTree(file, &c.Analyses, c.Name, "analyses", Analyses, &l)

	if o.ConfigOnly {
		l.Sort()
		return p, l
	}
	p.render = p.propsRenderer(o)
	p.discover(&l)
	p.render = nil
	if !o.pkg {
		p.loadPackages(o, &l)
	}
	l.Sort()
	return p, l
}

// hasDuplicateKey says whether mapping n has a scalar key written twice.
func hasDuplicateKey(n *yaml.Node) bool {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			continue
		}
		if seen[k.Value] {
			return true
		}
		seen[k.Value] = true
	}
	return false
}

// aliases applies dbt < 1.0's source-paths and data-paths, which dbt
// still reads as model-paths and seed-paths.
func (p *Project) aliases(root *yaml.Node, l *diag.List) {
	c := &p.Config
	for _, a := range []struct {
		old, now string
		from     []string
		to       *[]string
	}{{"source-paths", "model-paths", c.SourcePaths, &c.ModelPaths}, {"data-paths", "seed-paths", c.DataPaths, &c.SeedPaths}} {
		if len(a.from) == 0 {
			continue
		}
		if len(*a.to) > 0 {
			l.Add(diag.Errorf(posOfKey(root, a.old, p.File), "%s and %s are both set", a.old, a.now).WithHint("%s is the old name of %s: keep one", a.old, a.now))
			continue
		}
		*a.to = a.from
	}
}

// checkDispatch checks the entries of dispatch:, as dbt does.
func (p *Project) checkDispatch(l *diag.List) {
	for _, d := range p.Config.Dispatch {
		if d.MacroNamespace == "" || len(d.SearchOrder) == 0 {
			l.Add(diag.Errorf(d.At.Pos(p.File), "a dispatch entry needs macro_namespace and search_order").
				WithHint("write {macro_namespace: dbt_utils, search_order: [%s, dbt_utils]}", p.Config.Name))
		}
	}
}

// hooks reads on-run-start or on-run-end: one statement or a list.
func hooks(file string, n *yaml.Node, key string, l *diag.List) []Hook {
	var out []Hook
	switch n.Kind {
	case 0:
	case yaml.ScalarNode:
		if n.Tag != "!!null" && strings.TrimSpace(n.Value) != "" {
			out = append(out, Hook{SQL: n.Value, Pos: at(n).Pos(file)})
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				l.Add(diag.Errorf(at(item).Pos(file), "%s holds SQL statements, as strings", key))
				continue
			}
			if strings.TrimSpace(item.Value) != "" {
				out = append(out, Hook{SQL: item.Value, Pos: at(item).Pos(file)})
			}
		}
	default:
		l.Add(diag.Errorf(at(n).Pos(file), "%s holds SQL statements, as a string or a list of strings", key))
	}
	return out
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
	if len(c.SnapshotPaths) == 0 {
		c.SnapshotPaths = []string{"snapshots"}
	}
	if c.Vars == nil {
		c.Vars = map[string]any{}
	}
}

// discover lists the project's files, sorted, skipping hidden entries and
// the target path. The folders are walked first; the files are then read,
// and the YAML property files parsed, on a few goroutines (a project of
// 100,000 models has 101,000 files to read and 1,000 YAML files of 100
// models to parse); the files are handed out in the walk's order, so that
// the lists and the diagnostics are the same as one goroutine's.
func (p *Project) discover(l *diag.List) {
	c := &p.Config
	skip := map[string]bool{path.Clean(c.TargetPath): true, path.Join(p.Dir, p.PackagesPath()): true}
	isYAML := func(pth string) bool { return strings.HasSuffix(pth, ".yml") || strings.HasSuffix(pth, ".yaml") }
	var files []*foundFile
	parseYAMLOf := map[string]bool{}
	walk := func(dir string, visit func(path string, content []byte), yamlToo bool) {
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
			f := &foundFile{path: pth, visit: visit}
			if yamlToo && isYAML(pth) && !parseYAMLOf[pth] {
				parseYAMLOf[pth], f.parse = true, true
			}
			files = append(files, f)
			return nil
		})
	}
	var parsed map[string]*foundFile // YAML files by path, read and parsed
	yamlFile := func(pth string, content []byte) {
		f := parsed[pth]
		if f == nil || !f.parse {
			return
		}
		f.parse = false // once
		l.Append(f.diags)
		if f.pf != nil {
			p.Properties = append(p.Properties, f.pf)
		}
	}
	// Docs blocks are in the .md files of docs-paths, by default of every
	// resource path, as in dbt.
	docsByDefault := len(c.DocsPaths) == 0
	seenDoc := map[string]bool{}
	docFile := func(pth string, content []byte) {
		if strings.HasSuffix(pth, ".md") && !seenDoc[pth] {
			seenDoc[pth] = true
			p.Docs = append(p.Docs, File{pth, content})
		}
	}
	for _, dir := range c.ModelPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".sql"):
				p.Models = append(p.Models, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			case docsByDefault:
				docFile(pth, content)
			}
		}, true)
	}
	for _, dir := range c.SnapshotPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".sql"):
				p.Snapshots = append(p.Snapshots, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			case docsByDefault:
				docFile(pth, content)
			}
		}, true)
	}
	for _, dir := range c.AnalysisPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".sql"):
				p.Analyses = append(p.Analyses, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			case docsByDefault:
				docFile(pth, content)
			}
		}, true)
	}
	for _, dir := range c.DocsPaths {
		walk(dir, docFile, false)
	}
	for _, dir := range c.SeedPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".csv") || strings.HasSuffix(pth, ".tsv"):
				p.Seeds = append(p.Seeds, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			case docsByDefault:
				docFile(pth, content)
			}
		}, true)
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
			case docsByDefault:
				docFile(pth, content)
			}
		}, true)
	}
	for _, dir := range c.MacroPaths {
		walk(dir, func(pth string, content []byte) {
			switch {
			case strings.HasSuffix(pth, ".sql"):
				p.Macros = append(p.Macros, File{pth, content})
			case isYAML(pth):
				yamlFile(pth, content)
			case docsByDefault:
				docFile(pth, content)
			}
		}, true)
	}
	readFiles(p.FS, files, p.render)
	parsed = map[string]*foundFile{}
	for _, f := range files {
		if f.parse {
			parsed[f.path] = f
		}
	}
	for _, f := range files {
		if f.err != nil {
			l.Add(diag.Errorf(diag.Pos{File: f.path}, "cannot read: %v", f.err))
			continue
		}
		if !f.parse && isText(f.path) {
			if d := checkUTF8(f.path, f.content); d != nil {
				l.Add(*d)
			}
		}
		p.Files[f.path] = f.content
		f.visit(f.path, f.content)
	}
	for _, files := range [][]File{p.Models, p.Snapshots, p.Seeds, p.Tests, p.Macros, p.Docs, p.Analyses} {
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	}
	sort.Slice(p.Properties, func(i, j int) bool { return p.Properties[i].Path < p.Properties[j].Path })
}

// foundFile is a file found by discover: read (content or err), and
// parsed when it is a property file (parse: pf and the diagnostics).
type foundFile struct {
	path    string
	visit   func(path string, content []byte)
	parse   bool
	content []byte
	err     error
	pf      *PropertyFile
	diags   diag.List
}

// readFiles reads files, and parses those marked parse, on a few
// goroutines: reading a small file is mostly system calls, which other
// goroutines overlap, and YAML parsing uses every core.
func readFiles(fsys fs.FS, files []*foundFile, newRenderer func() *yamljinja.Renderer) {
	workers := min(len(files), max(4, 2*runtime.GOMAXPROCS(0)))
	root := osRoot(fsys)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r *yamljinja.Renderer // this goroutine's: a renderer is not shared
			if newRenderer != nil {
				r = newRenderer()
			}
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				f := files[i]
				if root != "" {
					f.content, f.err = readFileAt(root, f.path)
				} else if rf, ok := fsys.(fs.ReadFileFS); ok {
					// partial parsing's recorder reads and stamps in one go
					f.content, f.err = rf.ReadFile(f.path)
				} else {
					f.content, f.err = readFile(fsys, f.path)
				}
				if f.err == nil && f.parse {
					f.pf = parseProperties(f.path, f.content, r, &f.diags)
				}
			}
		}()
	}
	wg.Wait()
}

// readFile reads a whole file into a buffer of its size: os.ReadFile's
// buffer has room for at least 512 bytes, and p.Files keeps every buffer
// (a model file is a hundred bytes or two: 50 MB wasted for 100,000
// models).
func readFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size())
	n, err := io.ReadFull(f, buf)
	switch {
	case err == io.ErrUnexpectedEOF: // shorter than its size said
		return buf[:n], nil
	case err != nil && err != io.EOF:
		return nil, err
	}
	// Longer than its size said (a file being written, or a special one)?
	var probe [1]byte
	if k, _ := f.Read(probe[:]); k == 0 {
		return buf, nil
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return append(append(buf, probe[0]), rest...), nil
}

// parseProperties decodes one YAML property file strictly.
func parseProperties(file string, src []byte, r *yamljinja.Renderer, l *diag.List) *PropertyFile {
	root, ok := parseYAML(file, src, l)
	if !ok || root == nil {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: root.Line, Col: root.Column}, "a property file must be a mapping").
			WithHint("start with \"version: 2\" and \"models:\""))
		return nil
	}
	if r != nil {
		l.Append(r.Tree(file, root, propsSkip))
	}
	pf := &PropertyFile{Path: file}
	if !fastProps(root, pf) {
		decodeStrict(file, root, pf, "property file", l)
	}
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

// quietFlags are the flags: of dbt_project.yml that change only how dbt
// prints, parses or reports usage (https://docs.getdbt.com/reference/global-configs/about-global-configs):
// kiln has nothing to do for them (it sends no usage statistics, writes
// JSON artifacts always, colours only a terminal), and partial_parse,
// which kiln applies before loading (engine.OpenPartial: false turns its
// partial parsing off).
var quietFlags = map[string]bool{
	"send_anonymous_usage_stats": true, "use_colors": true, "use_colors_file": true, "printer_width": true,
	"version_check": true, "partial_parse": true, "static_parser": true, "use_experimental_parser": true,
	"write_json": true, "log_format": true, "log_format_file": true, "log_level": true, "log_level_file": true,
	"quiet": true, "debug": true, "cache_selected_only": true, "populate_cache": true, "introspect": true,
	"log_cache_events": true, "log_path": true, "anonymous_usage_stats": true,
}

// checkFlags names, in one warning each, the flags: kiln does not apply.
func (p *Project) checkFlags(l *diag.List) {
	n := &p.Config.Flags
	if n.Kind == 0 {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(at(n).Pos(p.File), "flags: must be a mapping of dbt's flags to values"))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if v := n.Content[i+1]; k.Value == "partial_parse" && (v.Kind != yaml.ScalarNode || v.Tag != "!!bool") {
			// As dbt, which refuses a flag of the wrong type: any other
			// value would turn partial parsing off without a word.
			d := diag.Errorf(at(v).Pos(p.File), "flags: partial_parse must be true or false")
			d.Hint = "write partial_parse: false to turn partial parsing off (or --no-partial-parse)"
			l.Add(d)
			continue
		}
		if k.Value == "warn_error_options" {
			p.warnOptions(n.Content[i+1], l)
			continue
		}
		if quietFlags[k.Value] {
			continue
		}
		l.Add(diag.Diagnostic{Pos: at(k).Pos(p.File), Severity: diag.Warning,
			Msg: fmt.Sprintf("flag %q is not read by kiln", k.Value)})
	}
}

// warnOptions reads flags: warn_error_options (v) into p.WarnOptions,
// or reports why it cannot at its position.
func (p *Project) warnOptions(v *yaml.Node, l *diag.List) {
	var raw any
	if err := v.Decode(&raw); err == nil {
		o, err := diag.ParseWarnOptions(raw)
		if err == nil {
			p.WarnOptions = o
			return
		}
		l.Add(diag.Errorf(at(v).Pos(p.File), "flags: %v", err).WithHint("write warn_error_options: {error: [NoNodesForSelectionCriteria], warn: [...], silence: [...]}; README.md lists the events"))
		return
	}
	l.Add(diag.Errorf(at(v).Pos(p.File), "flags: warn_error_options is not a mapping").WithHint("write warn_error_options: {error: all}"))
}

// isText reports whether the file at path is one kiln reads as UTF-8
// text, as dbt reads it (SQL, YAML, Markdown); seeds and other data files
// have their own encoding.
func isText(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".sql", ".yml", ".yaml", ".md", ".py":
		return true
	}
	return false
}

// checkUTF8 returns an error at the first byte of src (file's text) that
// is not UTF-8, or nil: dbt reads every project file as UTF-8 and fails
// on another encoding; the database would refuse the text later without
// a position ("Invalid unicode (byte sequence mismatch)").
func checkUTF8(file string, src []byte) *diag.Diagnostic {
	if utf8.Valid(src) {
		return nil
	}
	i := 0
	for i < len(src) {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		i += size
	}
	line := 1 + bytes.Count(src[:i], []byte("\n"))
	col := i - bytes.LastIndexByte(src[:i], '\n')
	b := src[i]
	d := diag.Errorf(diag.Pos{File: file, Line: line, Col: col}, "the file is not UTF-8 text: byte 0x%02X here is not UTF-8", b)
	if b >= 0xA0 {
		d = d.WithHint("kiln reads project files as UTF-8, as dbt does; 0x%02X is %q in Latin-1 (ISO-8859-1) and Windows-1252: save the file as UTF-8", b, string(rune(b)))
	} else {
		d = d.WithHint("kiln reads project files as UTF-8, as dbt does: save the file as UTF-8")
	}
	return &d
}
