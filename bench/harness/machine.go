package harness

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/adapter/duckdb"
)

// Machine describes where the benchmarks ran.
type Machine struct {
	CPU    string // CPU model name
	Cores  int    // logical CPUs available to Go
	Memory string // total memory, "23.4 GiB"
	OS     string // "linux/amd64, kernel 6.1.0"
	Go     string // Go version the binaries were built with
	DuckDB string // DuckDB library version linked in
	Commit string // kiln's git commit, with "+ local changes" when the tree differs
	// LoadStart and LoadEnd are the load averages (1, 5, 15 minutes)
	// before and after the suite: other work on the machine shows there.
	LoadStart, LoadEnd string
}

// Describe reads the machine's description from /proc (Linux), the Go
// runtime, DuckDB and git in repo. Fields it cannot read say "unknown".
func Describe(repo string) Machine {
	m := Machine{
		CPU:       procField("/proc/cpuinfo", "model name"),
		Cores:     runtime.NumCPU(),
		Memory:    "unknown",
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		Go:        runtime.Version(),
		DuckDB:    duckdb.Version(),
		Commit:    "unknown",
		LoadStart: LoadAverage(),
	}
	if kb, err := strconv.ParseFloat(strings.Fields(procField("/proc/meminfo", "MemTotal") + " x")[0], 64); err == nil {
		m.Memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", kernel " + strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("git", "-C", repo, "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "-C", repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += " + local changes"
		}
	}
	return m
}

// LoadAverage returns the 1, 5 and 15 minute load averages of
// /proc/loadavg, "unknown" when unreadable.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// procField returns the value of the first "key : value" line of a /proc
// file, or "unknown".
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
