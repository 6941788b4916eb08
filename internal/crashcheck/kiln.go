package crashcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/sample"
)

// BuildKiln builds the kiln command of the repository at repo into dir
// and returns the binary's path.
func BuildKiln(repo, dir string) (string, error) {
	bin := filepath.Join(dir, "kiln")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kiln")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/kiln: %v\n%s", err, out)
	}
	return bin, nil
}

// NewProject copies the BottleNeck project of the repository at repo
// (project.yml, models, tests, macros, seeds) into dir and generates one
// month per entry of months into dir/data/<name>.
func NewProject(repo, dir string, months map[string]sample.Config) error {
	for _, sub := range []string{"project.yml", "models", "tests", "macros", "seeds"} {
		if err := CopyTree(filepath.Join(repo, sub), filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	for name, cfg := range months {
		if _, err := sample.Generate(filepath.Join(dir, "data", name), cfg); err != nil {
			return err
		}
	}
	return nil
}

// CopyTree copies the file or folder from to to, keeping modes (not
// times).
func CopyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(dst, info.Mode().Perm()|0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
}

// Kiln runs the kiln binary Bin on the project in Dir.
type Kiln struct {
	Bin, Dir string
	// Timeout bounds each command (0: 10 minutes): past it the command is
	// killed and Run returns an error, so that a hang fails instead of
	// blocking.
	Timeout time.Duration
	// Env are more environment variables (KILN_FAILPOINT_LOG=...).
	Env []string
	// Database, when its Type is set, is the project's database on a
	// server (a PostgreSQL target in project.yml, see PostgresTarget):
	// Snapshot reads it instead of the DuckDB file, and after kiln was
	// killed Run waits for the server to end the killed process's
	// sessions (their transactions rolled back, the advisory lock
	// released), as it does by itself once it sees their connections
	// closed.
	Database adapter.Target
}

// Result is the end of one kiln command.
type Result struct {
	Code   int  // the exit code, -1 when killed
	Killed bool // ended by SIGKILL
	Output string
}

// Run runs kiln with args; with point not "", KILN_FAILPOINT is set to it
// (such as "node.committed:3").
func (k Kiln) Run(point string, args ...string) (Result, error) {
	cmd, out := k.command(point, args...)
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	r, err := k.wait(cmd, out)
	if err == nil && r.Killed && k.Database.Type == "postgres" {
		err = k.awaitSessionsEnd(cmd.Process.Pid)
	}
	return r, err
}

// awaitSessionsEnd waits until no session of the kiln process pid is left
// on k.Database's server: the server ends a killed client's sessions when
// it sees their connections closed (at once when idle; within
// client_connection_check_interval, 1 s, during a statement), but not
// synchronously with the kill. It fails after a minute.
func (k Kiln) awaitSessionsEnd(pid int) error {
	app := postgres.ApplicationNameOf(pid)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		n, err := sessionsOf(ctx, k.Database, app)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if n == 0 && err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server still has %d sessions of the killed kiln %d a minute after the kill", n, pid)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// sessionsOf counts the sessions named app on t's server; a database still
// locked by one of them counts as one.
func sessionsOf(ctx context.Context, t adapter.Target, app string) (int64, error) {
	db, err := adapter.Open(ctx, t)
	var le *adapter.LockError
	if errors.As(err, &le) {
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	defer db.Close()
	pg, ok := db.(*postgres.Adapter)
	if !ok {
		return 0, fmt.Errorf("%s is not a PostgreSQL database", t.DSN)
	}
	return pg.Sessions(ctx, app)
}

// PostgresTarget points the project in dir at the PostgreSQL database dsn
// names ("host=... port=... user=... dbname=..."): project.yml's
// database-path becomes a target: of type postgres. It returns the
// target, for Kiln.Database.
func PostgresTarget(dir, dsn string, threads int) (adapter.Target, error) {
	file := filepath.Join(dir, "project.yml")
	b, err := os.ReadFile(file)
	if err != nil {
		return adapter.Target{}, err
	}
	f := map[string]string{}
	for _, kv := range strings.Fields(dsn) {
		k, v, _ := strings.Cut(kv, "=")
		f[k] = v
	}
	// database-path, or the target: block a previous call wrote.
	re := regexp.MustCompile(`(?m)^database-path: .*$|^target:\n(?:  .*\n)*`)
	if !re.Match(b) {
		return adapter.Target{}, fmt.Errorf("%s has no database-path", file)
	}
	target := fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  sslmode: disable\n  threads: %d\n",
		f["host"], f["port"], f["user"], f["dbname"], threads)
	if err := os.WriteFile(file, re.ReplaceAllLiteral(b, []byte(target)), 0o644); err != nil {
		return adapter.Target{}, err
	}
	return adapter.Target{Type: "postgres", DSN: dsn}, nil
}

// Process is a kiln command started by Start.
type Process struct {
	k   Kiln
	cmd *exec.Cmd
	out *bytes.Buffer
}

// Start starts kiln with args.
func (k Kiln) Start(args ...string) (*Process, error) {
	cmd, out := k.command("", args...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Process{k: k, cmd: cmd, out: out}, nil
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// PID returns the process's id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Wait waits for the process to end.
func (p *Process) Wait() (Result, error) { return p.k.wait(p.cmd, p.out) }

func (k Kiln) command(point string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(k.Bin, append([]string{"--project-dir", k.Dir}, args...)...)
	env := []string{}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, failpoint.EnvVar+"=") && !strings.HasPrefix(e, failpoint.LogVar+"=") {
			env = append(env, e)
		}
	}
	if point != "" {
		env = append(env, failpoint.EnvVar+"="+point)
	}
	cmd.Env = append(append(env, k.Env...), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func (k Kiln) wait(cmd *exec.Cmd, out *bytes.Buffer) (Result, error) {
	timeout := k.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		return Result{}, fmt.Errorf("kiln %s took more than %s:\n%s", strings.Join(cmd.Args[1:], " "), timeout, out)
	}
	r := Result{Output: out.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			r.Killed = true
		}
	default:
		return r, err
	}
	return r, nil
}

// Snapshot takes the snapshot of the project (its database: k.Database
// when set, else the DuckDB file target/<dbFile>, per project.yml's
// database-path; and its exports under target/exports).
func (k Kiln) Snapshot(dbFile string) (*Snapshot, error) {
	db := k.Database
	if db.Type == "" {
		db = adapter.Target{Type: "duckdb", Path: filepath.Join(k.Dir, "target", dbFile)}
	}
	return Take(context.Background(), db, filepath.Join(k.Dir, "target", "exports"))
}
