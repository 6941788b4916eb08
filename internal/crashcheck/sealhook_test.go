//go:build linux

package crashcheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/failpoint"
)

// pokeHook is an on-run-end hook added to BottleNeck's: when
// KILN_CRASH_POKE is set, it adds 1 to marts.kpi_summary's products, a
// relation kiln builds, which the seal then records as written.
const pokeHook = `  - "{% if env_var('KILN_CRASH_POKE', '') %}update marts.kpi_summary set products = products + 1{% endif %}"
`

// A build whose on-run-end hook wrote marts.kpi_summary, killed at any
// instant after its commit (its database stamped with the relation
// written, about to be closed or closed), leaves a database that the
// next build trusts but for kpi_summary: it runs kpi_summary (and the
// nodes downstream), not every node, and kpi_summary's products are the
// build's again, not the hook's. Before, such a build did not seal (so
// never reached run.closing) and the next build ran every node.
func TestKillAfterHookWriteRerunsItsNode(t *testing.T) {
	w := setup(t)
	base := copyBase(t, w)
	path := filepath.Join(base.Dir, "project.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const end = "on-run-end:\n  - \"{{ history_accept(results) }}\"\n"
	if !strings.Contains(string(b), end) {
		t.Fatalf("project.yml has no %q", end)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), end, end+pokeHook, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, base, 0, "", "build", m2...)
	want := kpiProducts(t, base.Dir)
	for _, point := range []failpoint.Point{failpoint.RunClosing, failpoint.RunClosed} {
		t.Run(string(point), func(t *testing.T) {
			k := Kiln{Bin: base.Bin, Dir: filepath.Join(t.TempDir(), "p")}
			if err := CopyTree(base.Dir, k.Dir); err != nil {
				t.Fatal(err)
			}
			poked := k
			poked.Env = []string{"KILN_CRASH_POKE=1"}
			// Nothing opens the database in between: a program that opens
			// it rewrites its WAL (TestWriteAfterKilledRunRebuilds).
			mustKill(t, poked, string(point), "build", m2...)
			r := mustRun(t, k, 0, "", "build", m2...)
			if strings.Contains(r.Output, "every node runs") || upToDateOf(r.Output) == "0" {
				t.Errorf("the build after a kill at %s runs every node:\n%s", point, r.Output)
			}
			if !strings.Contains(r.Output, "marts.kpi_summary (by the on-run-end hook of the build at ") {
				t.Errorf("the build after a kill at %s does not say kpi_summary was written outside its build:\n%s", point, r.Output)
			}
			for _, line := range strings.Split(r.Output, "\n") {
				f := strings.Fields(line)
				if len(f) >= 5 && f[3] == "model" && (f[4] == "marts.kpi_summary" && f[1] != "OK" || f[4] == "marts.revenue_by_product" && f[1] != "UP-TO-DATE") {
					t.Errorf("the build after a kill at %s: %s", point, line)
				}
			}
			if got := kpiProducts(t, k.Dir); got != want {
				t.Errorf("after the build, kpi_summary's products are %d, want %d", got, want)
			}
		})
	}
}

// kpiProducts reads marts.kpi_summary's products in the project at dir.
func kpiProducts(t *testing.T, dir string) int64 {
	t.Helper()
	ctx := context.Background()
	db, err := adapter.Open(ctx, adapter.Target{Type: "duckdb", Path: filepath.Join(dir, "target", dbFile)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, err := c.QueryInt(ctx, "select products from marts.kpi_summary")
	if err != nil {
		t.Fatal(err)
	}
	return n
}
