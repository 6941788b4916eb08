package cli

import (
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// dbtUtilsKnownFailures are the nodes of dbt_utils' integration tests
// that do not pass on kiln, each with its cause.
var dbtUtilsKnownFailures = map[string]string{
	// DuckDB: information_schema lives in the system catalog; dbt_utils'
	// default get_tables_by_pattern_sql reads <database>.information_schema.tables.
	"test_get_relations_by_pattern":          "DuckDB dialect: no <database>.information_schema",
	"test_get_relations_by_prefix_and_union": "DuckDB dialect: no <database>.information_schema",
	// DuckDB's FLOAT is a 4-byte REAL (PostgreSQL's is 8 bytes): the seeds'
	// float_number: float loses the digits the precision-8 test expects to differ.
	"dbt_utils_equality_data_test_equality_floats_a_ref_data_test_equality_floats_b___8": "DuckDB dialect: FLOAT is 4 bytes",
	// Not diagnosed yet (kiln gaps until shown otherwise): the all-NULL
	// seed row kiln's CSV loader skips (dbt keeps it), union_relations'
	// exclude seen through star, width_bucket's mod of numerics.
	"dbt_utils_not_null_proportion_data_not_null_proportion_0_5__0_5__point_5":         "kiln: an all-NULL seed row is skipped",
	"dbt_utils_equality_test_union_exclude_lowercase_ref_data_union_exclude_expected_": "kiln: not diagnosed",
	"dbt_utils_equality_test_union_exclude_uppercase_ref_data_union_exclude_expected_": "kiln: not diagnosed",
	"assert_equal_test_width_bucket_actual__expected":                                  "kiln: not diagnosed",
}

// TestDBTUtilsIntegrationTests runs dbt_utils' own test suite as
// published (../shared/dbt/dbt-utils/integration_tests, the package
// installed from local: ../ by kiln deps, the profiles of
// ../shared/dbt/profiles) with kiln build on DuckDB: at least 225 of its
// 237 nodes pass, and the others are exactly the known failures.
func TestDBTUtilsIntegrationTests(t *testing.T) {
	root := dbtProject(t, "dbt-utils")
	dir := filepath.Join(root, "integration_tests")
	profiles := filepath.Join(publicDBT(), "profiles")
	out := mustKiln(t, 0, dir, "deps", "--profiles-dir", profiles)
	if !strings.Contains(out, "Installed dbt_utils from local: ../") {
		t.Fatalf("kiln deps:\n%s", out)
	}
	code, stdout, stderr := kiln(t, dir, "build", "--profiles-dir", profiles)
	out = stdout + stderr
	if code != 1 {
		t.Fatalf("kiln build exited %d, want 1 (the known failures)\n%s", code, out)
	}
	m := regexp.MustCompile(`PASS=(\d+) WARN=\d+ ERROR=(\d+) SKIP=(\d+) TOTAL=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary:\n%s", out)
	}
	pass, _ := strconv.Atoi(m[1])
	total, _ := strconv.Atoi(m[4])
	t.Logf("dbt_utils integration tests: PASS=%d ERROR=%s SKIP=%s TOTAL=%d", pass, m[2], m[3], total)
	if pass < 225 || total != 237 {
		t.Errorf("PASS=%d of %d, want at least 225 of 237", pass, total)
	}
	var failed []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[0] == "ERROR" || f[0] == "FAIL") && (f[1] == "model" || f[1] == "test" || f[1] == "seed") {
			failed = append(failed, f[2])
		}
	}
	sort.Strings(failed)
	var want []string
	for k := range dbtUtilsKnownFailures {
		want = append(want, k)
	}
	sort.Strings(want)
	if strings.Join(failed, "\n") != strings.Join(want, "\n") {
		t.Errorf("failing nodes:\n%s\nwant the known failures:\n%s", strings.Join(failed, "\n"), strings.Join(want, "\n"))
	}
}
