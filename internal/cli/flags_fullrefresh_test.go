package cli

import (
	"testing"
)

// TestFlagsFullRefresh: flags.FULL_REFRESH is true in the templates of
// a command run with --full-refresh, false without (dbt's flags), and
// flags.WHICH names the command; dbt's should_full_refresh() follows it,
// unless the node's full_refresh config says otherwise. A table model
// rendering the flag into a column is built again by the plain build
// after the --full-refresh one (its compiled SQL changed), so it never
// keeps the --full-refresh rendering.
func TestFlagsFullRefresh(t *testing.T) {
	dir := smallProject(t, "database-path: target/fn.duckdb\n")
	writeProjectFile(t, dir, "models/flag_tab.sql", "{{ config(materialized='table') }}\nselect {{ flags.FULL_REFRESH }} as fr, '{{ flags.WHICH }}' as which\n")
	writeProjectFile(t, dir, "models/inc_sfr.sql", "{{ config(materialized='incremental') }}\n"+
		"select id, {% if should_full_refresh() %}1{% else %}0{% endif %} as sfr from {{ ref('prices') }}\n"+
		"{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n")
	writeProjectFile(t, dir, "models/inc_keep.sql", "{{ config(materialized='incremental', full_refresh=false) }}\n"+
		"select {% if should_full_refresh() %}1{% else %}0{% endif %} as sfr\n")
	value := func(q string) string {
		t.Helper()
		v, err := fnDocsValue(dir, q)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const flagTab = "select fr::varchar || '|' || which from flag_tab"
	const incSfr = "select string_agg(distinct sfr::varchar, ',') || '|' || count(*) from inc_sfr"
	const incKeep = "select string_agg(distinct sfr::varchar, ',') from inc_keep"

	mustKiln(t, 0, dir, "build")
	if got := value(flagTab); got != "false|build" {
		t.Errorf("after build flag_tab is %q, want false|build", got)
	}
	if got := value(incSfr); got != "0|3" {
		t.Errorf("after build inc_sfr is %q, want 0|3", got)
	}

	mustKiln(t, 0, dir, "run", "--full-refresh")
	if got := value(flagTab); got != "true|run" {
		t.Errorf("after run --full-refresh flag_tab is %q, want true|run", got)
	}
	if got := value(incSfr); got != "1|3" {
		t.Errorf("after run --full-refresh inc_sfr is %q, want 1|3 (rebuilt whole, should_full_refresh() true)", got)
	}
	if got := value(incKeep); got != "0" {
		t.Errorf("after run --full-refresh inc_keep's sfr are %q, want 0 (full_refresh=false wins)", got)
	}

	mustKiln(t, 0, dir, "build")
	if got := value(flagTab); got != "false|build" {
		t.Errorf("after a plain build again flag_tab is %q, want false|build", got)
	}
}
