package project

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamljinja"
)

// The files that declare a project's packages, and the default folder
// they are installed in (https://docs.getdbt.com/docs/build/packages).
const (
	PackagesFileName     = "packages.yml"
	DependenciesFileName = "dependencies.yml"
	DefaultPackagesPath  = "dbt_packages"
)

// PackageSpec is one entry of packages.yml (or dependencies.yml): a local
// folder, a git repository, a dbt Hub package or a tarball.
type PackageSpec struct {
	At                `yaml:"-"`
	Local             string    `yaml:"local"`
	Git               string    `yaml:"git"`
	Revision          string    `yaml:"revision"`
	Subdirectory      string    `yaml:"subdirectory"`
	WarnUnpinned      *bool     `yaml:"warn-unpinned"`
	Private           string    `yaml:"private"`
	Provider          string    `yaml:"provider"`
	Package           string    `yaml:"package"`
	Version           yaml.Node `yaml:"version"`
	InstallPrerelease bool      `yaml:"install-prerelease"`
	Tarball           string    `yaml:"tarball"`
	Name              string    `yaml:"name"`
}

// Kind returns "local", "git", "private", "hub" or "tarball" ("" when
// the entry names none).
func (s *PackageSpec) Kind() string {
	switch {
	case s.Local != "":
		return "local"
	case s.Git != "":
		return "git"
	case s.Private != "":
		return "private"
	case s.Package != "":
		return "hub"
	case s.Tarball != "":
		return "tarball"
	}
	return ""
}

// Versions returns a hub package's version: one or a range (a list).
func (s *PackageSpec) Versions() []string {
	switch s.Version.Kind {
	case yaml.ScalarNode:
		return []string{s.Version.Value}
	case yaml.SequenceNode:
		var out []string
		for _, v := range s.Version.Content {
			out = append(out, v.Value)
		}
		return out
	}
	return nil
}

// Source returns the entry as written in package-lock.yml's keys: its
// kind and its location.
func (s *PackageSpec) Source() string {
	switch s.Kind() {
	case "local":
		return s.Local
	case "git":
		return s.Git
	case "private":
		return s.Private
	case "hub":
		return s.Package
	case "tarball":
		return s.Tarball
	}
	return ""
}

type packagesFile struct {
	Packages []PackageSpec `yaml:"packages"`
	Projects yaml.Node     `yaml:"projects"` // dependencies.yml: dbt Mesh's cross-project refs
}

// PackagesPath returns where packages are installed, relative to the
// project (packages-install-path, dbt_packages by default).
func (p *Project) PackagesPath() string {
	if p.Config.PackagesPath != "" {
		return path.Clean(p.Config.PackagesPath)
	}
	return DefaultPackagesPath
}

// readPackageSpecs reads packages.yml or dependencies.yml (never both),
// rendering env_var and var in its values as dbt does.
func (p *Project) readPackageSpecs(o Options, l *diag.List) {
	var found []string
	for _, name := range []string{PackagesFileName, DependenciesFileName} {
		if _, err := fs.Stat(p.FS, name); err == nil {
			found = append(found, name)
		}
	}
	if len(found) == 0 {
		return
	}
	if len(found) == 2 {
		l.Add(diag.Errorf(diag.Pos{File: DependenciesFileName}, "the project has both %s and %s", PackagesFileName, DependenciesFileName).
			WithHint("move the packages into one of them, as dbt requires"))
		return
	}
	file := found[0]
	src, err := fs.ReadFile(p.FS, file)
	if err != nil {
		l.Add(diag.Errorf(diag.Pos{File: file}, "cannot read: %v", err))
		return
	}
	p.Files[file] = src
	p.PackagesFile = file
	root, ok := parseYAML(file, src, l)
	if !ok || root == nil {
		return
	}
	// Secret env vars are allowed here, as in dbt's PackageRenderer (a
	// git token in a package's URL).
	names := yamljinja.Names{Vars: o.Vars, LookupEnv: o.LookupEnv, Secrets: true}
	if p.Target != nil {
		names.Target = p.Target.Context
	}
	if rl := yamljinja.New(names.Globals()).Tree(file, root, nil); len(rl) > 0 {
		l.Append(rl)
		return
	}
	var pf packagesFile
	if !decodeStrict(file, root, &pf, file, l) {
		return
	}
	if pf.Projects.Kind != 0 {
		l.Add(diag.Errorf(at(&pf.Projects).Pos(file), "projects: is not supported yet").
			WithHint("refs to other dbt projects (dbt Mesh) need dbt Cloud's metadata; install the project as a package instead"))
	}
	for i := range pf.Packages {
		s := &pf.Packages[i]
		kinds := 0
		for _, k := range []string{s.Local, s.Git, s.Private, s.Package, s.Tarball} {
			if k != "" {
				kinds++
			}
		}
		switch {
		case kinds == 0:
			l.Add(diag.Errorf(s.At.Pos(file), "a package entry needs one of local, git, private, package or tarball").
				WithHint("write \"- package: dbt-labs/dbt_utils\\n    version: 1.3.0\" or \"- local: ../my_package\""))
			continue
		case kinds > 1:
			l.Add(diag.Errorf(s.At.Pos(file), "a package entry names more than one of local, git, private, package and tarball"))
			continue
		case s.Kind() == "hub" && len(s.Versions()) == 0:
			l.Add(diag.Errorf(s.At.Pos(file), "hub package %q has no version", s.Package).WithHint("add version: to pin it, as dbt requires"))
			continue
		case s.Kind() == "hub" && !strings.Contains(s.Package, "/"):
			l.Add(diag.Errorf(s.At.Pos(file), "hub package %q needs its namespace", s.Package).WithHint("write it as dbt-labs/%s", s.Package))
			continue
		case s.Kind() == "tarball" && s.Name == "":
			l.Add(diag.Errorf(s.At.Pos(file), "tarball package %q needs a name", s.Tarball))
			continue
		}
		p.PackageSpecs = append(p.PackageSpecs, *s)
	}
}

// loadPackages reads packages.yml and every package installed under the
// packages path, as dbt does: each folder there with a dbt_project.yml is
// a package, whether packages.yml names it or not; fewer installed
// packages than declared is an error that says to run kiln deps.
func (p *Project) loadPackages(o Options, l *diag.List) {
	p.readPackageSpecs(o, l)
	dir := p.PackagesPath()
	entries, err := fs.ReadDir(p.FS, dir)
	if err != nil && len(p.PackageSpecs) == 0 {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		base := path.Join(dir, e.Name())
		if _, err := fs.Stat(p.FS, path.Join(base, DBTFileName)); err != nil {
			continue
		}
		po := Options{Vars: o.Vars, LookupEnv: o.LookupEnv, pkg: true, rootTarget: p.Target, base: base}
		pkg, pl := LoadWith(p.FS, po)
		// A package's own warnings (its log-path, its flags) are not the
		// project's to fix: only its errors are reported.
		l.Append(pl.Errors())
		if pl.HasErrors() {
			continue
		}
		if pkg.Config.Name == p.Config.Name {
			l.Add(diag.Errorf(diag.Pos{File: path.Join(base, DBTFileName)}, "package %q in %s has the root project's name", pkg.Config.Name, base))
			continue
		}
		for _, q := range p.Packages {
			if q.Config.Name == pkg.Config.Name {
				l.Add(diag.Errorf(diag.Pos{File: path.Join(base, DBTFileName)}, "package %q is installed twice: in %s and %s", pkg.Config.Name, q.Dir, base).
					WithHint("delete one folder, or run kiln deps again"))
			}
		}
		p.Packages = append(p.Packages, pkg)
		for k, v := range pkg.Files {
			p.Files[k] = v
		}
	}
	sort.Slice(p.Packages, func(i, j int) bool { return p.Packages[i].Config.Name < p.Packages[j].Config.Name })
	if n, m := len(p.PackageSpecs), len(p.Packages); m < n && !o.Deps {
		l.Add(diag.Errorf(diag.Pos{File: p.PackagesFile}, "%s declares %d %s but %d %s installed in %s", p.PackagesFile, n, plural(n, "package", "packages"), m, plural(m, "is", "are"), dir).
			WithHint("run kiln deps to install them"))
	}
}

// PackagesMissing reports whether fewer packages are installed than
// packages.yml declares (loading the project then says to run kiln deps,
// unless for kiln deps itself): compiling the project would only add an
// error for each use of them.
func (p *Project) PackagesMissing() bool { return len(p.Packages) < len(p.PackageSpecs) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Package returns the installed package named name, or nil.
func (p *Project) Package(name string) *Project {
	for _, q := range p.Packages {
		if q.Config.Name == name {
			return q
		}
	}
	return nil
}

// Rel returns a package's file path relative to the package's own folder,
// as dbt records original_file_path; the path itself for the root
// project.
func (p *Project) Rel(file string) string {
	if p.Dir == "" {
		return file
	}
	return strings.TrimPrefix(file, p.Dir+"/")
}

func (s PackageSpec) String() string {
	if v := s.Versions(); len(v) > 0 {
		return fmt.Sprintf("%s@%s", s.Source(), strings.Join(v, ","))
	}
	if s.Revision != "" {
		return fmt.Sprintf("%s@%s", s.Source(), s.Revision)
	}
	return s.Source()
}
