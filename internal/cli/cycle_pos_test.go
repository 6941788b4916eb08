package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A ref added from an intermediate model to a mart downstream of it (the
// user's edit that closed the loop) is the cycle error's headline
// position; the whole chain follows. Before, the headline was the first
// edge from the loop's smallest ID (revenue_by_product.sql:9:9), a line
// nobody touched.
func TestCycleHeadlineIsTheAddedRef(t *testing.T) {
	dir, _ := newProject(t)
	p := filepath.Join(dir, "models", "intermediate", "int_products.sql")
	src := strings.TrimRight(string(readFile(t, p)), "\n")
	added := "where e.product_id not in (select product_id from {{ ref('premium_wines') }})"
	if err := os.WriteFile(p, []byte(src+"\n"+added+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(src, "\n") + 2
	col := strings.Index(added, "ref(") + 1
	at := "models/intermediate/int_products.sql:" + strconv.Itoa(line) + ":" + strconv.Itoa(col)
	code, _, stderr := kiln(t, dir, "compile")
	if code != ExitCannotStart {
		t.Fatalf("exit %d, want %d\n%s", code, ExitCannotStart, stderr)
	}
	head := at + ": dependency cycle: premium_wines (models/marts/premium_wines.sql) -> int_products (models/intermediate/int_products.sql) -> "
	if !strings.Contains(stderr, head) {
		t.Errorf("the headline is not the added ref %s:\n%s", at, stderr)
	}
	if want := "int_products refs premium_wines at " + at + "; "; !strings.Contains(stderr, want) {
		t.Errorf("the chain does not start with %q:\n%s", want, stderr)
	}
	if want := "premium_wines refs wine_zscores at models/marts/premium_wines.sql:3:9"; !strings.Contains(stderr, want) {
		t.Errorf("the chain lost %q:\n%s", want, stderr)
	}
}
