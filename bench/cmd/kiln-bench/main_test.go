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
		"### W3: BottleNeck on 200 products", "## W3: Excel loading on its own", "## Docs of W1, 20 models", "kiln docs generate, W1 20 models", "| baseline |", "kiln build --threads 2", "Best default on this machine"} {
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
