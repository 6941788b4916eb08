package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuick runs the whole suite in quick mode, as CI's smoke test: it
// builds kiln and the baseline, generates small W1, W2 and W3 projects,
// times them once and writes the report.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kiln and runs every workload (about 20 s)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "BENCHMARKS.md")
	var stderr bytes.Buffer
	args := []string{"-quick", "-repo", "../../..", "-out", out, "-work", filepath.Join(dir, "work"), "-cache", filepath.Join(dir, "cache")}
	if code := run(args, &stderr); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	for _, want := range []string{"## Machine", "## Goals (issue 6)", "### W1: 20 models", "### W2: 100 trivial models",
		"### W3: BottleNeck on 200 products", "## W3: Excel loading on its own", "## Docs of W1, 20 models", "kiln docs generate, W1 20 models", "| baseline |", "kiln build --threads 2", "Best default on this machine", "## Deviation gates (issue 19)", "## Compiling W2 from 100 to 300 models (issue 17)"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report has no %q:\n%s", want, report)
		}
	}
	if strings.Contains(stderr.String(), "FAILED") {
		t.Errorf("a command failed:\n%s", stderr.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-threads", "0"}, {"-only", "w9"}, {"-nope"}} {
		var stderr bytes.Buffer
		if code := run(args, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestOnlyAnomaly: the anomaly part alone builds nothing and replaces its
// section of an existing report, keeping the rest byte for byte.
func TestOnlyAnomaly(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "BENCHMARKS.md")
	before := "# Benchmarks\n\n## W1\n\nmeasured earlier\n\n<!-- kiln-bench:anomaly -->\nstale\n<!-- /kiln-bench:anomaly -->\n\n## After\n"
	if err := os.WriteFile(out, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	args := []string{"-only", "anomaly", "-repo", "../../..", "-out", out, "-work", filepath.Join(dir, "work")}
	if code := run(args, &stderr); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, "# Benchmarks\n\n## W1\n\nmeasured earlier\n\n<!-- kiln-bench:anomaly -->\n## Deviation gates (issue 19)\n") ||
		!strings.HasSuffix(got, "<!-- /kiln-bench:anomaly -->\n\n## After\n") || strings.Contains(got, "stale") {
		t.Errorf("report:\n%s", got)
	}
	if !strings.Contains(got, "Written by `go run ./bench/cmd/kiln-bench -only anomaly`") || !strings.Contains(got, "| kiln | ") {
		t.Errorf("the section lacks its command or kiln's row:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "work", "bin")); !os.IsNotExist(err) {
		t.Errorf("binaries were built for the anomaly part alone: %v", err)
	}
}
