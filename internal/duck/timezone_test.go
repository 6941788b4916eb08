package duck

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// tzQuery shows the session time zone and what depends on it: the date of
// an instant, and the instant of a text without offset read as
// TIMESTAMPTZ.
const tzQuery = `SELECT current_setting('TimeZone') || ' ' || CAST(TIMESTAMPTZ '2024-01-01 03:00:00+00' AS DATE) || ' ' || epoch(CAST('2024-01-01 00:00:00' AS TIMESTAMPTZ))::BIGINT`

// TestTimeZoneChild runs in the child process of TestSessionTimeZone.
func TestTimeZoneChild(t *testing.T) {
	if os.Getenv("KILN_TZ_CHILD") == "" {
		t.Skip("run by TestSessionTimeZone")
	}
	ctx := context.Background()
	for _, tz := range []string{"", "Asia/Tokyo"} {
		db, err := Open(ctx, "", TimeZone(tz))
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, rows, err := c.QueryRows(ctx, tzQuery)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("tz %q: %v\n", tz, rows[0][0])
		c.Close()
		db.Close()
	}
}

// TestSessionTimeZone opens databases in a process whose TZ is New York:
// the session is in UTC all the same, or in the zone of the TimeZone
// option, so that results never depend on the machine.
func TestSessionTimeZone(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestTimeZoneChild$", "-test.v")
	cmd.Env = append(os.Environ(), "KILN_TZ_CHILD=1", "TZ=America/New_York")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{`tz "": UTC 2024-01-01 1704067200`, `tz "Asia/Tokyo": Asia/Tokyo 2024-01-01 1704034800`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}
