package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/duck"
)

// TestLoadFileFromEnv loads the file named by KILN_LOAD_FILE (sheet
// KILN_LOAD_SHEET) into a DuckDB file in a temporary directory and logs
// rows per second; it is skipped when KILN_LOAD_FILE is unset. It exists to
// measure large inputs by hand, under /usr/bin/time -v for peak memory:
//
//	go test -c -o /tmp/load.test ./internal/load
//	KILN_LOAD_FILE=big.xlsx /usr/bin/time -v /tmp/load.test -test.run TestLoadFileFromEnv -test.v
func TestLoadFileFromEnv(t *testing.T) {
	path := os.Getenv("KILN_LOAD_FILE")
	if path == "" {
		t.Skip("KILN_LOAD_FILE is not set")
	}
	ctx := context.Background()
	db, err := duck.Open(ctx, filepath.Join(t.TempDir(), "measure.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	res, err := Load(ctx, c, Spec{Path: path, Sheet: os.Getenv("KILN_LOAD_SHEET")}, rel("raw", "measured"))
	if err != nil {
		t.Fatal(err)
	}
	sec := time.Since(start).Seconds()
	t.Logf("%d rows x %d columns in %.2f s: %.0f rows/s", res.Rows, len(res.Columns), sec, float64(res.Rows)/sec)
	t.Logf("columns: %s", columnsString(res.Columns))
}

// TestDecodeFileFromEnv decodes the sheets of the workbook named by
// KILN_LOAD_FILE (sheet KILN_LOAD_SHEET) without DuckDB (the reader's own
// speed and memory: Decode) and logs rows per second; it is skipped when
// KILN_LOAD_FILE is unset.
func TestDecodeFileFromEnv(t *testing.T) {
	path := os.Getenv("KILN_LOAD_FILE")
	if path == "" {
		t.Skip("KILN_LOAD_FILE is not set")
	}
	start := time.Now()
	st, err := Decode(context.Background(), Spec{Path: path, Sheet: os.Getenv("KILN_LOAD_SHEET")})
	if err != nil {
		t.Fatal(err)
	}
	sec := time.Since(start).Seconds()
	t.Logf("decoded %d rows, %d cells in %.2f s: %.0f rows/s", st.Rows, st.Cells, sec, float64(st.Rows)/sec)
}
