package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaChangesHeaderOnlyFile: a source's file with its header and no
// data rows reads every column as text; schema_changes said only
// "retyped ... -> VARCHAR". It now says the file has a header and no data
// rows (the retyped columns after it), and the run fails as before.
func TestSchemaChangesHeaderOnlyFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"project.yml":      "name: shop\ndatabase-path: target/shop.duckdb\nvars:\n  month: \"2024-01\"\n",
		"models/sales.sql": "select * from {{ source('raw', 'sales') }}\n",
		"models/sources.yml": "version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: sales\n" +
			"        external:\n          location: data/sales.csv\n        data_tests:\n          - schema_changes\n",
		"data/sales.csv": "id,amount\n1,10\n2,20\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-01'}")
	if err := os.WriteFile(filepath.Join(dir, "data", "sales.csv"), []byte("id,amount\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := kiln(t, dir, "build", "--vars", "{month: '2024-02'}")
	msg := out + errOut
	want := `data/sales.csv has a header and no data rows: its columns read as text (retyped "id" BIGINT -> VARCHAR; retyped "amount" BIGINT -> VARCHAR since the last accepted run`
	if code != ExitFailure || !strings.Contains(msg, want) {
		t.Errorf("exit %d, want %d and %q:\n%s", code, ExitFailure, want, msg)
	}
}
