// Command sh is the /bin/sh of kiln's container image. Kestra's Docker task
// runner runs a task's commands with the interpreter /bin/sh -c, so the
// image needs a shell; this one is a POSIX shell interpreter in Go
// (mvdan.cc/sh/v3/interp), linked statically, so that the image holds no
// binary from outside the module's pinned dependencies.
//
// Usage, as sh(1):
//
//	sh [-eux...] -c COMMAND [NAME [ARG...]]
//	sh [-eux...] FILE [ARG...]
//	sh [-eux...] < SCRIPT
//
// The options are those of set (-e, -u, -x, -o pipefail...). Builtins are
// interp's (cd, echo, printf, test, export, set, exit...) and cp (see
// copyFiles), which the flows kiln writes for Kestra use to hand a run's
// artifacts to Kestra's outputFiles; every other command is a program
// found in $PATH: the image has kiln and nothing else.
// On SIGTERM or SIGINT the running command gets SIGINT (kiln rolls its run
// back), and SIGKILL 60 seconds later if it is still running.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// killTimeout is how long a command has to stop after SIGINT.
const killTimeout = 60 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the shell with args and returns its exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var opts []string
	command, hasCommand := "", false
	for len(args) > 0 && len(args[0]) > 1 && (args[0][0] == '-' || args[0][0] == '+') && args[0] != "--" {
		a := args[0]
		args = args[1:]
		if a == "-o" || a == "+o" {
			if len(args) == 0 {
				fmt.Fprintf(stderr, "sh: %s needs an option name\n", a)
				return 2
			}
			opts = append(opts, a, args[0])
			args = args[1:]
			continue
		}
		if strings.Contains(a, "c") && a[0] == '-' {
			if len(args) == 0 {
				fmt.Fprintln(stderr, "sh: -c needs a command")
				return 2
			}
			command, hasCommand = args[0], true
			args = args[1:]
			if a = strings.ReplaceAll(a, "c", ""); a == "-" {
				continue
			}
		}
		opts = append(opts, a)
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	src, name := stdin, "sh"
	switch {
	case hasCommand:
		src = strings.NewReader(command)
		if len(args) > 0 { // $0, then the positional parameters
			name, args = args[0], args[1:]
		}
	case len(args) > 0:
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "sh: %v\n", err)
			return 127
		}
		defer f.Close()
		src, name, args = f, args[0], args[1:]
	}
	prog, err := syntax.NewParser().Parse(src, name)
	if err != nil {
		fmt.Fprintf(stderr, "sh: %v\n", err)
		return 2
	}
	r, err := interp.New(
		interp.StdIO(stdin, stdout, stderr),
		interp.Params(append(opts, append([]string{"--"}, args...)...)...),
		interp.ExecHandlers(func(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
			exec := interp.DefaultExecHandler(killTimeout)
			return func(ctx context.Context, args []string) error {
				if args[0] == "cp" {
					hc := interp.HandlerCtx(ctx)
					return copyFiles(hc.Dir, args[1:], hc.Stderr)
				}
				return exec(ctx, args)
			}
		}),
	)
	if err != nil {
		fmt.Fprintf(stderr, "sh: %v\n", err)
		return 2
	}
	err = r.Run(ctx, prog)
	var status interp.ExitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	case ctx.Err() != nil:
		return 130
	}
	fmt.Fprintf(stderr, "sh: %v\n", err)
	return 1
}

// copyFiles is the cp builtin, as POSIX cp for regular files: cp [-f] SRC
// DST copies file SRC to DST (a file, replaced, or a folder, into which it
// keeps its name); cp [-f] SRC... FOLDER copies each into FOLDER. Relative
// paths are from dir. Folders as sources (-R) are refused. It returns
// exit status 1 after naming each file it could not copy on stderr, 2 on a
// usage error.
func copyFiles(dir string, args []string, stderr io.Writer) error {
	for len(args) > 0 && args[0] == "-f" {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) < 2 {
		fmt.Fprintln(stderr, "cp: usage: cp [-f] SRC DST, or cp [-f] SRC... FOLDER")
		return interp.ExitStatus(2)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	srcs, dst := args[:len(args)-1], abs(args[len(args)-1])
	st, err := os.Stat(dst)
	toFolder := err == nil && st.IsDir()
	if len(srcs) > 1 && !toFolder {
		fmt.Fprintf(stderr, "cp: %s is not a folder\n", args[len(args)-1])
		return interp.ExitStatus(1)
	}
	failed := false
	for _, src := range srcs {
		to := dst
		if toFolder {
			to = filepath.Join(dst, filepath.Base(src))
		}
		if err := copyFile(abs(src), to); err != nil {
			fmt.Fprintf(stderr, "cp: %v\n", err)
			failed = true
		}
	}
	if failed {
		return interp.ExitStatus(1)
	}
	return nil
}

// copyFile copies regular file src to dst, created or truncated with
// src's permission bits.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (cp copies files only)", src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
