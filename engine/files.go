package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/profile"
	"github.com/kiln-build/kiln/compiler/project"
)

// Files is a project's files read with its target, before compilation.
type Files struct {
	Dir     string // absolute project directory
	Project *project.Project
	// Profile is the profiles.yml target the project builds into; nil for
	// a kiln project without profile:, which builds into database-path.
	Profile *profile.Target
	// DBPath is the database file (absolute), ":memory:" for an in-memory
	// DuckDB target.
	DBPath string
	// Diags are the problems found, errors and warnings.
	Diags diag.List
}

// ErrNoProject is returned by ReadFiles for a folder with neither
// project.yml nor dbt_project.yml.
var ErrNoProject = errors.New("no project file")

// ReadFiles reads the project of cfg.Dir: its project file (project.yml,
// or dbt_project.yml for a dbt project), its profile (dbt projects, and
// kiln projects that name one: profiles.yml from --profiles-dir,
// DBT_PROFILES_DIR, the project's folder or ~/.dbt), its files and its
// installed packages. Problems are in Files.Diags; the error is for a
// missing folder or project file.
func ReadFiles(cfg Config) (*Files, error) { return readFiles(cfg, false) }

// ReadConfig is ReadFiles reading only the project file and its profile
// (project.Options.ConfigOnly): Files.Project has no files and no
// packages, and Files.Diags only the problems of the project file and the
// profile.
func ReadConfig(cfg Config) (*Files, error) { return readFiles(cfg, true) }

func readFiles(cfg Config, configOnly bool) (*Files, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("project directory %q does not exist", cfg.Dir)
	}
	if !fileExists(filepath.Join(dir, project.FileName)) && !fileExists(filepath.Join(dir, project.DBTFileName)) {
		return nil, fmt.Errorf("%w: neither %s nor %s in %s; run kiln in a project directory or pass --project-dir", ErrNoProject, project.FileName, project.DBTFileName, dir)
	}
	f := &Files{Dir: dir}
	var kilnDB, rawDB string
	target := func(req project.TargetRequest) (*project.Target, diag.List) {
		rawDB = req.DatabasePath
		name := cfg.Profile
		if name == "" {
			name = req.Profile
		}
		if req.Output != nil {
			// A kiln project's target: a profile output in project.yml.
			switch {
			case req.DBT:
				return nil, diag.List{diag.Errorf(posOf(req.Pos.File, req.Output), "target: is not a key of %s", project.DBTFileName).
					WithHint("dbt projects name their database in profiles.yml: profile: <name> and its outputs")}
			case name != "":
				return nil, diag.List{diag.Errorf(posOf(req.Pos.File, req.Output), "target: and a profile both name the database").
					WithHint("keep one: target: in %s, or profile: and profiles.yml", project.FileName)}
			case cfg.Target != "":
				return nil, diag.List{diag.Errorf(posOf(req.Pos.File, req.Output), "--target %s needs a profile, and the project names its database in target:", cfg.Target).
					WithHint("leave --target out, or move the target into a profiles.yml")}
			case req.DatabasePath != "":
				return nil, diag.List{diag.Errorf(posOf(req.Pos.File, req.Output), "target: and database-path both name the database").
					WithHint("keep one: target: {type: postgres, ...} or database-path")}
			}
			t, l := profile.Output(req.Pos.File, "", "dev", req.Output, profile.Options{ProjectDir: dir, Vars: cfg.Vars, NoLiteralSecrets: true, LookupEnv: cfg.lookupEnv()})
			if t == nil {
				return nil, l
			}
			f.Profile = t
			return t.ProjectTarget(), l
		}
		if name == "" && !req.DBT {
			// A kiln project without profile: its database-path.
			if cfg.Target != "" {
				return nil, diag.List{diag.Errorf(req.Pos, "--target %s needs a profile, and the project names none", cfg.Target).
					WithHint("add profile: <name> to project.yml and a profiles.yml beside it, or leave --target out")}
			}
			kilnDB = req.DatabasePath
			if kilnDB == "" {
				kilnDB = "target/kiln.duckdb"
			}
			return project.DefaultTarget(kilnDB), nil
		}
		if name == "" {
			if req.Misspelt != "" {
				return nil, diag.List{diag.Errorf(req.Pos, "%s names no profile: %q is not a key of it; did you mean \"profile\"?", project.DBTFileName, req.Misspelt).
					WithHint("write profile: <name>, the profile of profiles.yml to build with, or pass --profile")}
			}
			return nil, diag.List{diag.Errorf(req.Pos, "%s names no profile", project.DBTFileName).
				WithHint("add profile: <name>, the profile of profiles.yml to build with, or pass --profile")}
		}
		po := profile.Options{Dir: cfg.ProfilesDir, ProjectDir: dir, Profile: name, Target: cfg.Target, Vars: cfg.Vars, LookupEnv: cfg.lookupEnv(),
			ProjectFile: map[bool]string{true: project.DBTFileName, false: project.FileName}[req.DBT]}
		if cfg.Profile == "" {
			po.ProfileAt = req.Pos // the project file's profile:
		}
		if cfg.Record != nil {
			// profiles.yml is read outside the project's folder: where
			// dbt looks, found or missing, stamped before it is read.
			cfg.Record.LookupEnv("HOME")
			_, tried, _ := profile.Find(po)
			for _, f := range tried {
				if abs, err := filepath.Abs(f); err == nil {
					cfg.Record.StatOutside(abs)
				}
			}
		}
		t, l := profile.Load(po)
		if t == nil && cfg.NoProfile {
			return project.DefaultTarget("target/kiln.duckdb"), nil
		}
		if t == nil {
			return nil, l
		}
		f.Profile = t
		return t.ProjectTarget(), l
	}
	fsys := os.DirFS(dir)
	if cfg.Record != nil {
		fsys = cfg.Record.FS(fsys)
	}
	p, l := project.LoadWith(fsys, project.Options{Vars: cfg.Vars, Target: target, Deps: cfg.Deps, LookupEnv: cfg.lookupEnv(), ConfigOnly: configOnly})
	f.Project, f.Diags = p, l
	c := p.Config
	switch {
	case f.Profile != nil && f.Profile.DSN != "" || f.Profile != nil && f.Profile.Type != "duckdb":
		f.DBPath = "" // a server's database
		if rawDB != "" {
			f.Diags.Add(diag.Errorf(diag.Pos{File: p.File}, "database-path and a profile both name the database").
				WithHint("keep one: the profile's target, or database-path without profile:"))
		}
	case f.Profile != nil && f.Profile.Path == "":
		f.DBPath = ":memory:"
	case f.Profile != nil:
		f.DBPath = f.Profile.Path
		if rawDB != "" {
			f.Diags.Add(diag.Errorf(diag.Pos{File: p.File}, "database-path and a profile both name the database").
				WithHint("keep one: the profile's path, or database-path without profile:"))
		}
	default:
		dbPath := c.DatabasePath
		if cfg.TargetPath != "" && dbPath == filepath.ToSlash(filepath.Join(c.TargetPath, "kiln.duckdb")) {
			dbPath = filepath.Join(cfg.TargetPath, "kiln.duckdb")
		}
		f.DBPath = AbsUnder(dir, dbPath)
	}
	return f, nil
}

func posOf(file string, n *yaml.Node) diag.Pos {
	return diag.Pos{File: file, Line: n.Line, Col: n.Column}
}
