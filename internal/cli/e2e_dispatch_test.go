package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestDispatchRootFirstOnPostgres builds the project of
// testdata/script/dispatch_root_first.txtar on PostgreSQL: with no
// dispatch: in dbt_project.yml, the package's
// adapter.dispatch('label', 'mypkg') takes the root project's
// default__label over the package's postgres__label, as dbt does; with
// dispatch: naming the package first, the package's postgres__label.
func TestDispatchRootFirstOnPostgres(t *testing.T) {
	a, err := txtar.ParseFile(filepath.Join("testdata", "script", "dispatch_root_first.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	d := newPGDB(t)
	dir := t.TempDir()
	for _, f := range a.Files {
		text := string(f.Data)
		if f.Name == "profiles.yml" {
			text = fmt.Sprintf("disp:\n  target: ci\n  outputs:\n    ci:\n      type: postgres\n      host: %s\n      port: %s\n      user: %s\n      dbname: %s\n      schema: disp\n", d.host, d.port, d.user, d.db)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustKiln(t, 0, dir, "deps")
	mustKiln(t, 0, dir, "build")
	if got := d.query(t, "select who, typ, own from disp.m"); strings.Join(got, ",") != "from root project|root type|root own" {
		t.Errorf("without dispatch: m = %v, want [from root project|root type|root own]", got)
	}
	copyFile(t, filepath.Join(dir, "dispatch.yml"), filepath.Join(dir, "dbt_project.yml"))
	mustKiln(t, 0, dir, "build")
	if got := d.query(t, "select who, typ from disp.m"); strings.Join(got, ",") != "from package postgres|root type" {
		t.Errorf("with dispatch: m = %v, want [from package postgres|root type]", got)
	}
}
