// Package pgtest gives tests a real PostgreSQL server, as net/http/httptest
// gives them an HTTP server: a throwaway cluster (initdb and postgres of
// Debian's PostgreSQL 15 packages, /usr/lib/postgresql/15/bin) in a
// temporary folder, listening on a unix socket only, shared by the tests
// of one package and stopped when they end. Each test gets a database of
// its own (Database), dropped when it ends. The server is the test process's child and dies with
// it, even when the process is killed (serverAttr).
//
// A package using it runs its tests through Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// The server starts at the first test that asks for a database, so a run
// of the package's other tests does not pay for it. Without the server's
// programs, the test follows internal/testenv's rule: it is skipped with
// one line saying what to install, and fails under CI=true.
//
// initdb refuses to run as root, and tests run as root in CI: when the
// process is root, the server runs as the unprivileged user postgres
// (created when missing, as Debian's package does), which owns the data
// folder; otherwise it runs as the current user.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/testenv"
)

// Install is what the skip line says to install.
const Install = "apt-get install postgresql-15 (or set KILN_PG_BIN to the folder of initdb, pg_ctl and postgres)"

// Server is a running throwaway cluster.
type Server struct {
	Dir    string // the temporary folder: data/, the socket, the log
	Socket string // the folder of the unix socket (host= in a DSN)
	Port   int
	User   string // the superuser, "postgres"
	bin    string
	runAs  string // the system user running the server, "" for the current one
	admin  string // DSN of the postgres database
	n      atomic.Int64
	proc   *os.Process  // the postmaster, this process's child
	exited <-chan error // its end
}

var (
	once     sync.Once
	server   *Server
	startErr error
	missing  bool
)

// Main runs the package's tests and stops the server, if one started, at
// the end; it exits with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	if server != nil {
		if err := server.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	os.Exit(code)
}

// M is what a TestMain runs: *testing.M, or Wrap's result.
type M interface{ Run() int }

// Wrap returns m, whose Run also stops the server (if one started) once
// the tests ran: for a package whose TestMain hands m to another runner,
// such as testscript.Main(pgtest.Wrap(m), ...).
func Wrap(m M) M { return wrapped{m} }

type wrapped struct{ m M }

func (w wrapped) Run() int {
	code := w.m.Run()
	if server != nil {
		if err := server.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// BinDir returns the folder of PostgreSQL's server programs: $KILN_PG_BIN,
// else /usr/lib/postgresql/15/bin, else the newest
// /usr/lib/postgresql/*/bin; "" when none holds initdb.
func BinDir() string {
	if d := os.Getenv("KILN_PG_BIN"); d != "" {
		return d
	}
	if ok(filepath.Join("/usr/lib/postgresql/15/bin", "initdb")) {
		return "/usr/lib/postgresql/15/bin"
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if ok(filepath.Join(dirs[i], "initdb")) {
			return dirs[i]
		}
	}
	return ""
}

func ok(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&0o111 != 0
}

// Start returns the package's server, starting it at the first call. It
// ends t (skip, or fail under CI=true) when PostgreSQL is not installed,
// and fails it when the server cannot start.
func Start(t testing.TB) *Server {
	t.Helper()
	once.Do(func() {
		bin := BinDir()
		if bin == "" {
			missing = true
			return
		}
		server, startErr = start(bin)
	})
	if missing {
		testenv.Missing(t, "PostgreSQL", Install)
	}
	if startErr != nil {
		t.Fatalf("cannot start a PostgreSQL server: %v", startErr)
	}
	return server
}

// Database creates an empty database for t, dropped when t ends (with the
// connections still open on it), and returns its connection string
// ("host=<socket folder> port=... user=postgres dbname=... sslmode=disable").
func Database(t testing.TB) string {
	t.Helper()
	s := Start(t)
	name, err := s.CreateDatabase("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.psql("drop database if exists " + name + " with (force)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return s.DSN(name)
}

// Clone creates a database for t that is a copy of database template
// (CREATE DATABASE ... TEMPLATE: no session may be connected to template;
// the server waits up to 5 seconds for those ending), dropped when t
// ends, and returns its connection string.
func Clone(t testing.TB, template string) string {
	t.Helper()
	s := Start(t)
	name, err := s.CreateDatabase(template)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.psql("drop database if exists " + name + " with (force)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return s.DSN(name)
}

// CreateDatabase creates a database with a new name, a copy of database
// template when it is not "" (empty otherwise), and returns its name. It
// lives until the server stops: for what several tests share.
func (s *Server) CreateDatabase(template string) (string, error) {
	name := fmt.Sprintf("kiln_test_%d", s.n.Add(1))
	sql := "create database " + name
	if template != "" {
		sql += " template " + template
	}
	if err := s.psql(sql); err != nil {
		return "", fmt.Errorf("%s: %v", sql, err)
	}
	return name, nil
}

// DSN returns the connection string of database dbname on s.
func (s *Server) DSN(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", s.Socket, s.Port, s.User, dbname)
}

// Exec runs sql as the superuser in database dbname with psql, for a
// test's setup.
func (s *Server) Exec(dbname, sql string) error {
	return s.psqlIn(dbname, sql)
}

func (s *Server) psql(sql string) error { return s.psqlIn("postgres", sql) }

func (s *Server) psqlIn(dbname, sql string) error {
	psql := filepath.Join(s.bin, "psql")
	if !ok(psql) {
		psql = "psql"
	}
	cmd := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", s.Socket, "-p", strconv.Itoa(s.Port), "-U", s.User, "-d", dbname, "-c", sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// NewServer starts a throwaway cluster outside of tests (the benchmark's);
// the caller stops it with Stop.
func NewServer() (*Server, error) {
	bin := BinDir()
	if bin == "" {
		return nil, fmt.Errorf("PostgreSQL's server programs are not installed: %s", Install)
	}
	return start(bin)
}

// Stop stops the server at once and removes its folder.
func (s *Server) Stop() error { return s.stop() }

// start makes a cluster in a new temporary folder and starts it.
func start(bin string) (*Server, error) {
	s := &Server{bin: bin, User: "postgres", Port: 5432}
	if os.Geteuid() == 0 {
		if err := ensureUser("postgres"); err != nil {
			return nil, err
		}
		s.runAs = "postgres"
	}
	dir, err := os.MkdirTemp("", "kiln-pgtest-")
	if err != nil {
		return nil, err
	}
	s.Dir, s.Socket = dir, dir
	uid, gid := -1, -1
	if s.runAs != "" {
		u, err := user.Lookup(s.runAs)
		if err != nil {
			return nil, err
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		// The user needs to reach the folder: /tmp is world-searchable.
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.command("initdb", "-D", data, "-U", s.User, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, lastLines(out))
	}
	noInheritedFiles()
	// A test server: no durability (fsync off), only the unix socket. The
	// postmaster is this process's child (not pg_ctl's daemon), so that it
	// dies with it (serverAttr).
	logFile := filepath.Join(dir, "server.log")
	log, err := os.Create(logFile)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if s.runAs != "" {
		log.Chown(uid, gid)
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", data,
		"-c", "listen_addresses=", "-c", "unix_socket_directories="+dir, "-p", strconv.Itoa(s.Port),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=64MB")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = serverAttr(uid, gid, s.runAs != "")
	if err := startChild(cmd); err != nil {
		log.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("postgres: %v", err)
	}
	log.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.proc, s.exited = cmd.Process, exited
	if err := s.ready(exited, 60*time.Second); err != nil {
		cmd.Process.Kill()
		<-exited
		out, _ := os.ReadFile(logFile)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("postgres: %v: %s", err, lastLines(out))
	}
	return s, nil
}

// ready waits until the server accepts connections (pg_isready, every
// 50 ms), it exits, or limit passes.
func (s *Server) ready(exited <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	isready := filepath.Join(s.bin, "pg_isready")
	if !ok(isready) {
		isready = "pg_isready"
	}
	for {
		if exec.Command(isready, "-q", "-h", s.Socket, "-p", strconv.Itoa(s.Port), "-U", s.User, "-d", "postgres").Run() == nil {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before accepting connections: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections after %s", limit)
		}
	}
}

// stop stops the server at once and removes its folder.
func (s *Server) stop() error {
	out, err := s.command("pg_ctl", "stop", "-D", filepath.Join(s.Dir, "data"), "-m", "immediate", "-w").CombinedOutput()
	if s.exited != nil {
		if err != nil {
			s.proc.Kill()
		}
		<-s.exited
	}
	os.RemoveAll(s.Dir)
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, lastLines(out))
	}
	return nil
}

// command runs a server program, as s.runAs when set.
func (s *Server) command(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, prog)
	if s.runAs == "" {
		return exec.Command(path, args...)
	}
	return exec.Command("runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
}

// ensureUser creates the system user name when it does not exist.
func ensureUser(name string) error {
	if _, err := user.Lookup(name); err == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("the server cannot run as root, and creating user %s failed: %v: %s", name, err, bytes.TrimSpace(out))
	}
	return nil
}

// lastLines returns the last lines of a program's output, for errors.
func lastLines(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
