package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-out", dir, "-products", "40", "-seed", "9", "-months", "2", "-last", "2021-01"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "| Joined |") || !strings.Contains(stdout.String(), "| figure | 2020-12 | 2021-01 |") {
		t.Errorf("stdout has no figures:\n%s", stdout.String())
	}
	for _, m := range []string{"2020-12", "2021-01"} {
		for _, f := range []string{"erp.xlsx", "web.xlsx", "liaison.xlsx"} {
			if _, err := os.Stat(filepath.Join(dir, m, f)); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
		t.Error("README.md written for a non-default config")
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-products", "3", "-out", t.TempDir()}, {"-last", "2020-13"}, {"-months", "0"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code == 0 {
			t.Errorf("run(%q) = 0, want an error exit", args)
		}
	}
}
