package load

import (
	"os"
	"path/filepath"
	"testing"
)

// bottleneckDir holds the real BottleNeck exports beside the repository.
var bottleneckDir = filepath.Join("..", "..", "..", "shared", "bottleneck")

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// TestBottleNeck loads the three real exports and checks the reference
// figures of their README.
func TestBottleNeck(t *testing.T) {
	if !fileExists(filepath.Join(bottleneckDir, "web.xlsx")) {
		t.Skipf("the real exports are not in %s", bottleneckDir)
	}
	c := newConn(t)
	load := func(name string) Result {
		return mustLoad(t, c, Spec{Path: filepath.Join(bottleneckDir, name+".xlsx")}, rel("raw", name))
	}

	erp := load("erp")
	checkColumns(t, erp.Columns, "product_id BIGINT, onsale_web BIGINT, price DOUBLE, stock_quantity BIGINT, stock_status VARCHAR")
	if erp.Rows != 825 {
		t.Errorf("erp: %d rows, want 825", erp.Rows)
	}
	if n := queryInt(t, c, "SELECT count(DISTINCT product_id) FROM raw.erp"); n != 825 {
		t.Errorf("erp: %d distinct product_id, want 825", n)
	}

	liaison := load("liaison")
	checkColumns(t, liaison.Columns, "product_id BIGINT, id_web VARCHAR")
	if liaison.Rows != 825 {
		t.Errorf("liaison: %d rows, want 825", liaison.Rows)
	}
	if n := queryInt(t, c, "SELECT count(id_web) FROM raw.liaison"); n != 734 {
		t.Errorf("liaison: %d id_web, want 734", n)
	}
	// Numeric-looking ids keep their text as written, not "15298.0".
	if n := queryInt(t, c, "SELECT count(*) FROM raw.liaison WHERE id_web LIKE '%.%'"); n != 0 {
		t.Errorf("liaison: %d id_web with a decimal point", n)
	}

	web := load("web")
	if web.Rows != 1513 || len(web.Columns) != 28 {
		t.Errorf("web: %d rows, %d columns; want 1513, 28", web.Rows, len(web.Columns))
	}
	types := map[string]string{}
	for _, col := range web.Columns {
		types[col.Name] = col.Type
	}
	for name, want := range map[string]string{"sku": "VARCHAR", "post_date": "TIMESTAMP", "total_sales": "BIGINT", "post_type": "VARCHAR", "post_content": "VARCHAR"} {
		if types[name] != want {
			t.Errorf("web.%s is %s, want %s", name, types[name], want)
		}
	}
	if n := queryInt(t, c, "SELECT count(DISTINCT sku) FILTER (WHERE post_type = 'product') FROM raw.web"); n != 714 {
		t.Errorf("web: %d distinct product skus, want 714", n)
	}
	checkRows(t, rowsOf(t, c, "SELECT min(post_date)::DATE >= DATE '2000-01-01', max(post_date)::DATE < DATE '2030-01-01' FROM raw.web"), []string{"true|true"})
	// The trap rows: blank but for zeros.
	if n := queryInt(t, c, "SELECT count(*) FROM raw.web WHERE sku IS NULL AND post_type IS NULL"); n != 83 {
		t.Errorf("web: %d blank rows, want 83", n)
	}
	noStaging(t, c)
}
