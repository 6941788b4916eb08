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

// TestReadFileFromEnv reads the first sheet of the workbook named by
// KILN_LOAD_FILE without DuckDB (the reader's own speed and memory) and
// logs rows per second; it is skipped when KILN_LOAD_FILE is unset.
func TestReadFileFromEnv(t *testing.T) {
	path := os.Getenv("KILN_LOAD_FILE")
	if path == "" {
		t.Skip("KILN_LOAD_FILE is not set")
	}
	start := time.Now()
	wb, err := openWorkbook(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	t.Logf("open %v", time.Since(start))
	rows, err := wb.openSheet(wb.sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	l := &xlsxLoad{wb: wb}
	n, cells := 0, 0
	for rows.next() {
		n++
		for _, c := range rows.cells {
			l.text(c)
			cells++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sec := time.Since(start).Seconds()
	t.Logf("read %d rows, %d cells in %.2f s: %.0f rows/s", n, cells, sec, float64(n)/sec)
}
