package image

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Binaries are the programs of the image, built for linux on this
// machine's architecture.
type Binaries struct {
	// Kiln is the path of the kiln binary, linked statically.
	Kiln string
	// Shell is the path of the image's /bin/sh (internal/image/sh).
	Shell string
	// Arch is their GOARCH.
	Arch string
}

// BuildBinaries builds kiln and the image's shell from the kiln module in
// moduleDir into dir, with the go command of $PATH, and checks that both
// are static (CheckStatic). kiln needs cgo (DuckDB is C++), so it is linked
// by the C compiler with -static: glibc and libstdc++ go into the binary,
// with the Go-only resolver and user lookup (netgo, osusergo) and the time
// zone database (timetzdata), since the image has no /etc/nsswitch.conf or
// /usr/share/zoneinfo. Both are built with -trimpath and stripped (-s -w),
// so that the same sources, Go and C toolchains give the same bytes, and
// with their commit (-buildvcs=auto, whatever GOFLAGS says) for kiln
// version and the image's labels.
//
// The linker's warnings that glibc's dlopen, getpwuid and getaddrinfo need
// glibc's shared libraries at run time are expected: DuckDB calls them to
// load extensions, expand ~ and open URLs, none of which kiln does (its
// DuckDB has parquet, json and icu built in). They are left out of log;
// any other output of the go command goes to log. It returns the go
// command's output in the error when a build fails.
func BuildBinaries(ctx context.Context, moduleDir, dir string, log io.Writer) (*Binaries, error) {
	b := &Binaries{Kiln: filepath.Join(dir, "kiln"), Shell: filepath.Join(dir, "sh"), Arch: runtime.GOARCH}
	kilnFlags := []string{"-trimpath", "-buildvcs=auto", "-tags", "netgo,osusergo,timetzdata",
		"-ldflags", "-s -w -linkmode external -extldflags -static", "-o", b.Kiln, "./cmd/kiln"}
	if err := goBuild(ctx, moduleDir, "1", kilnFlags, log); err != nil {
		return nil, err
	}
	if err := goBuild(ctx, moduleDir, "0", []string{"-trimpath", "-buildvcs=auto", "-ldflags", "-s -w", "-o", b.Shell, "./internal/image/sh"}, log); err != nil {
		return nil, err
	}
	for _, p := range []string{b.Kiln, b.Shell} {
		if err := CheckStatic(p); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func goBuild(ctx context.Context, moduleDir, cgo string, flags []string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, flags...)...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GOOS=linux", "GOARCH="+runtime.GOARCH)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(flags, " "), err, out.Bytes())
	}
	if rest := withoutStaticWarnings(out.String()); rest != "" && log != nil {
		io.WriteString(log, rest)
	}
	return nil
}

// withoutStaticWarnings removes from the go command's output the linker's
// warnings about glibc functions in a static binary, with the lines that
// introduce them, and the package header when nothing else is left.
func withoutStaticWarnings(out string) string {
	var kept []string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		switch {
		case line == "",
			strings.Contains(line, "in statically linked applications requires at runtime the shared libraries"),
			strings.HasSuffix(line, "':") && strings.Contains(line, ": in function `"):
			continue
		}
		kept = append(kept, line)
	}
	if len(kept) == 1 && strings.HasPrefix(kept[0], "# ") {
		return ""
	}
	if len(kept) == 0 {
		return ""
	}
	return strings.Join(kept, "\n") + "\n"
}

// CheckStatic returns an error unless path is a static ELF executable for
// linux on this machine's architecture: no program interpreter (PT_INTERP)
// and no shared library needed (DT_NEEDED), so that it runs in an image
// that holds no libc.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("%s is not an executable (%s)", path, f.Type)
	}
	if want := elfMachine[runtime.GOARCH]; want != elf.EM_NONE && f.Machine != want {
		return fmt.Errorf("%s is for %s, not %s", path, f.Machine, runtime.GOARCH)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(p.Open())
			return fmt.Errorf("%s is dynamically linked (interpreter %s): it would not run in the image", path, strings.TrimRight(string(interp), "\x00"))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %s: it would not run in the image", path, strings.Join(libs, ", "))
	}
	return nil
}

var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
