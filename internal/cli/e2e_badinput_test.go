package cli

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/sample"
)

// damageSheet rewrites the workbook at path with its first sheet's XML
// damaged after its header: the tag of its fifth row cut short. The zip
// stays whole (every part inflates to its checksum).
func damageSheet(t *testing.T, path string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	damaged := false
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			s := string(data)
			at := 0
			for range 5 {
				i := strings.Index(s[at:], "<row ")
				if i < 0 {
					t.Fatalf("%s: fewer than 5 rows", path)
				}
				at += i + 1
			}
			data = []byte(s[:at+4] + "<" + s[at+4:])
			damaged = true
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	zr.Close()
	if !damaged {
		t.Fatalf("%s has no xl/worksheets/sheet1.xml", path)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedSheetStopsBeforeRun: a month whose web.xlsx has damaged
// sheet XML (its zip whole, its header readable) failed with exit 1 after
// 11 nodes ran, the planned-input check reading the header only. The
// check now reads every sheet whole: the build stops before any node
// runs, with README's exit code for an unreadable input (2), the
// workbook and its sheet named, and the last month's tables as they were.
func TestDamagedSheetStopsBeforeRun(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, ExitOK, dir, "build")
	const tables = "select string_agg(t, ',' order by t) from (select schema_name || '.' || table_name || ':' || estimated_size as t from duckdb_tables() where schema_name <> 'kiln_history')"
	before := query(t, dir, tables)
	runs := query(t, dir, "select count(*) from history.monthly_indicators")
	raw := filepath.Join(dir, "raw")
	copyTree(t, filepath.Join(dir, "data", "sample", sample.DefaultMonth), raw)
	damageSheet(t, filepath.Join(raw, "web.xlsx"))
	code, out, errOut := kiln(t, dir, "build", "--vars", "{raw_dir: raw, month: 2020-09}")
	msg := out + errOut
	for _, w := range []string{`raw/web.xlsx`, `malformed xl/worksheets/sheet1.xml`, `open it in Excel and save it again, or re-export it`} {
		if !strings.Contains(msg, w) {
			t.Errorf("the output lacks %q:\n%s", w, msg)
		}
	}
	if code != ExitCannotStart {
		t.Fatalf("exit %d, want %d (an unreadable input):\n%s", code, ExitCannotStart, msg)
	}
	if strings.Contains(msg, "OK created") || strings.Contains(msg, " PASS ") {
		t.Errorf("nodes ran:\n%s", msg)
	}
	if got := query(t, dir, "select count(*) from history.monthly_indicators"); got != runs {
		t.Errorf("the history of indicators has %s rows, want %s", got, runs)
	}
	if after := query(t, dir, tables); after != before {
		t.Errorf("the tables changed:\nbefore %s\nafter  %s", before, after)
	}
}
