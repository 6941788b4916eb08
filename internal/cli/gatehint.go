package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/engine"
)

// gateHints returns the closing lines of a run whose gates failed, each
// naming what failed and what to do: input files that are not the
// month's export (failed input_freshness tests: supply the exports; a
// file with another month's content is never a deviation to accept, and
// the test's repeat_hint, when it gives one, names the way to confirm an
// export that really did not change), and
// volumes, metrics or schemas that deviated (--accept-deviations after a
// real change of level). It returns nil when no gate failed.
func gateHints(res *engine.Result) []string {
	var out []string
	same := map[string][]string{} // sources by the month whose content they have
	hints := map[string]string{}  // repeat_hint by source
	var old []string              // sources whose file's time broke the rule
	for _, s := range res.StaleInputs {
		if s.SameAs != "" {
			same[s.SameAs] = append(same[s.SameAs], s.Source)
			if s.Hint != "" {
				hints[s.Source] = s.Hint
			}
		} else {
			old = append(old, s.Source)
		}
	}
	months := make([]string, 0, len(same))
	for m := range same {
		months = append(months, m)
	}
	sort.Strings(months)
	for _, m := range months {
		srcs := same[m]
		sort.Strings(srcs)
		what := "the file of " + srcs[0] + " has the content of the one"
		if len(srcs) > 1 {
			what = "the files of " + andList(srcs) + " have the content of those"
		}
		line := fmt.Sprintf("this month's exports were not delivered: %s accepted for %s; supply this month's exports and build again (--accept-deviations does not accept another month's file)", what, m)
		for _, src := range srcs {
			if h := hints[src]; h != "" {
				line += fmt.Sprintf("; if the export of %s really did not change since %s: %s", src, m, h)
			}
		}
		out = append(out, line)
	}
	if len(old) > 0 {
		sort.Strings(old)
		what := "the file of " + old[0] + " is"
		if len(old) > 1 {
			what = "the files of " + andList(old) + " are"
		}
		out = append(out, fmt.Sprintf("%s not newer than the last accepted month's, or older than max_age_days (see above): supply this month's export; if it is this month's export with an old modification time, build again with --accept-deviations", what))
	}
	if res.Deviated {
		out = append(out, "a volume, metric or schema deviated from the run history: check the inputs; if the change is real (a new level of activity), build again with --accept-deviations to make it the new baseline")
	}
	return out
}

// andList is "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
