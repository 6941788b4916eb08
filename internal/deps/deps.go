// Package deps installs a dbt project's packages as dbt deps does
// (https://docs.getdbt.com/reference/commands/deps): the entries of
// packages.yml (or dependencies.yml) go into the packages-install-path
// (dbt_packages/), each in a folder named after the name its
// dbt_project.yml gives; the packages' own packages.yml are installed in
// turn; package-lock.yml records what was installed.
//
// local: packages are linked (copied where links are not possible), git:
// packages cloned with the git command from any URL or path the machine
// reaches, at their revision. Hub, private and tarball packages need dbt
// Hub or the network, which kiln deps does not reach: each is an error
// that says how to install it instead.
package deps

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/scrub"
)

// LockFileName is the file deps writes beside dbt_project.yml.
const LockFileName = "package-lock.yml"

// Installed is one installed package, as package-lock.yml lists it.
type Installed struct {
	Name     string `yaml:"name"`
	Local    string `yaml:"local,omitempty"`
	Git      string `yaml:"git,omitempty"`
	Revision string `yaml:"revision,omitempty"`
	Subdir   string `yaml:"subdirectory,omitempty"`
	Dir      string `yaml:"-"` // where it is installed, absolute
}

// Lock is package-lock.yml.
type Lock struct {
	Packages []Installed `yaml:"packages"`
	SHA1     string      `yaml:"sha1_hash"`
}

// Install installs specs (the root project's, declared in packagesFile,
// whose content is packagesSrc) into installDir (absolute) for the
// project in projectDir, replacing what was there, and writes
// package-lock.yml in projectDir. say receives one line per package.
func Install(projectDir, installDir string, specs []project.PackageSpec, packagesSrc []byte, say func(string)) (*Lock, error) {
	if err := os.RemoveAll(installDir); err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return &Lock{}, nil
	}
	if err := os.MkdirAll(installDir, 0o755); err != nil {
		return nil, err
	}
	in := &installer{dir: installDir, say: say, done: map[string]bool{}}
	if err := in.all(projectDir, specs); err != nil {
		return nil, err
	}
	sum := sha1.Sum(packagesSrc)
	lock := &Lock{Packages: in.installed, SHA1: hex.EncodeToString(sum[:])}
	sort.SliceStable(lock.Packages, func(i, j int) bool { return lock.Packages[i].Name < lock.Packages[j].Name })
	b, err := yaml.Marshal(lock)
	if err != nil {
		return nil, err
	}
	// A git token read from a DBT_ENV_SECRET_ variable in a package's
	// URL is masked, as on the terminal: the file is not read back.
	if err := os.WriteFile(filepath.Join(projectDir, LockFileName), scrub.FromEnv().Bytes(b), 0o644); err != nil {
		return nil, err
	}
	return lock, nil
}

type installer struct {
	dir       string
	say       func(string)
	done      map[string]bool // package names installed
	installed []Installed
}

// all installs specs declared by the project (or package) in from.
func (in *installer) all(from string, specs []project.PackageSpec) error {
	for i := range specs {
		s := &specs[i]
		var inst Installed
		var err error
		switch s.Kind() {
		case "local":
			inst, err = in.local(from, s)
		case "git":
			inst, err = in.git(from, s)
		default:
			return fmt.Errorf("%s package %q: kiln deps cannot fetch it: it installs local: and git: packages only (dbt Hub, private and tarball packages need the network); "+
				"declare it as git: <its repository URL> with revision: <tag>, or put it in %s yourself", s.Kind(), s.Source(), filepath.Base(in.dir))
		}
		if err != nil {
			return err
		}
		if inst.Name == "" {
			continue // already installed
		}
		in.installed = append(in.installed, inst)
		if in.say != nil {
			rev := ""
			if inst.Revision != "" {
				rev = "@" + inst.Revision
			}
			in.say(fmt.Sprintf("Installed %s from %s%s%s", inst.Name, s.Kind(), ": "+s.Source(), rev))
		}
		// The package's own packages.
		sub, err := readSpecs(inst.Dir)
		if err != nil {
			return fmt.Errorf("package %s: %w", inst.Name, err)
		}
		if err := in.all(inst.Dir, sub); err != nil {
			return err
		}
	}
	return nil
}

// local links the folder of s (relative to from) as its package name.
func (in *installer) local(from string, s *project.PackageSpec) (Installed, error) {
	src := s.Local
	if !filepath.IsAbs(src) {
		src = filepath.Join(from, src)
	}
	src, err := filepath.Abs(src)
	if err != nil {
		return Installed{}, err
	}
	name, err := packageName(src)
	if err != nil {
		return Installed{}, fmt.Errorf("local package %q: %w", s.Local, err)
	}
	if in.done[name] {
		return Installed{}, nil
	}
	in.done[name] = true
	dest := filepath.Join(in.dir, name)
	if err := os.Symlink(src, dest); err != nil {
		if err := copyDir(src, dest, in.dir); err != nil {
			return Installed{}, fmt.Errorf("local package %q: %w", s.Local, err)
		}
	}
	return Installed{Name: name, Local: s.Local, Dir: dest}, nil
}

// git clones s's repository at its revision (the default branch when it
// names none) and installs its subdirectory.
func (in *installer) git(from string, s *project.PackageSpec) (Installed, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return Installed{}, fmt.Errorf("git package %q: the git command is not installed", s.Git)
	}
	url := s.Git
	if !strings.Contains(url, "://") && !strings.Contains(url, "@") && !filepath.IsAbs(url) {
		if _, err := os.Stat(filepath.Join(from, url)); err == nil {
			url = filepath.Join(from, url)
		}
	}
	tmp, err := os.MkdirTemp(in.dir, ".clone-")
	if err != nil {
		return Installed{}, err
	}
	defer os.RemoveAll(tmp)
	run := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git package %q: git %s: %s", s.Git, args[0], strings.TrimSpace(string(out)))
		}
		return strings.TrimSpace(string(out)), nil
	}
	if _, err := run("clone", "--quiet", url, "."); err != nil {
		return Installed{}, err
	}
	if s.Revision != "" {
		if _, err := run("checkout", "--quiet", s.Revision); err != nil {
			return Installed{}, err
		}
	}
	sha, err := run("rev-parse", "HEAD")
	if err != nil {
		return Installed{}, err
	}
	src := tmp
	if s.Subdirectory != "" {
		src = filepath.Join(tmp, filepath.FromSlash(s.Subdirectory))
	}
	name, err := packageName(src)
	if err != nil {
		return Installed{}, fmt.Errorf("git package %q: %w", s.Git, err)
	}
	if in.done[name] {
		return Installed{}, nil
	}
	in.done[name] = true
	dest := filepath.Join(in.dir, name)
	_ = os.RemoveAll(filepath.Join(src, ".git"))
	if err := os.Rename(src, dest); err != nil {
		return Installed{}, err
	}
	return Installed{Name: name, Git: s.Git, Revision: sha, Subdir: s.Subdirectory, Dir: dest}, nil
}

// packageName reads the name of the dbt project in dir.
func packageName(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, project.DBTFileName))
	if err != nil {
		return "", fmt.Errorf("no %s in %s", project.DBTFileName, dir)
	}
	var c struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil || c.Name == "" {
		return "", fmt.Errorf("%s names no package: %v", filepath.Join(dir, project.DBTFileName), err)
	}
	return c.Name, nil
}

// readSpecs reads the packages a package declares (none when it has no
// packages.yml or dependencies.yml).
func readSpecs(dir string) ([]project.PackageSpec, error) {
	for _, name := range []string{project.PackagesFileName, project.DependenciesFileName} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		var f struct {
			Packages []project.PackageSpec `yaml:"packages"`
		}
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return f.Packages, nil
	}
	return nil, nil
}

// copyDir copies the files of src into dest, leaving out skip (the
// install folder, when the package holds the project).
func copyDir(src, dest, skip string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip || d.Name() == ".git" {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dest, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
}
