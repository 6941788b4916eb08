package engine

import "strings"

// keepOtherSchemas copies into prints, the prints ("schema.name" ->
// print) a run on PostgreSQL seals, those of the previous seal (old)
// whose schema is not one of the run's (schemas): kiln_history.seal is
// one per database, and two targets may build in one database (a dev
// target in schema dev that defers to production's schema prod), so a
// run keeps what the other target's last build sealed instead of
// dropping it, which made that target's next build take every relation
// for changed outside kiln. A kept print vouches for nothing new: the
// other target's next build compares it with its relation's print then,
// which any write since changes. A key whose schema is ambiguous (a
// schema with a dot) counts as the run's, whose seal then has no print
// for it: its node runs.
func keepOtherSchemas(prints, old map[string]string, schemas []string) {
	for k, p := range old {
		if _, ok := prints[k]; ok {
			continue
		}
		ours := false
		for _, s := range schemas {
			if strings.HasPrefix(k, s+".") {
				ours = true
				break
			}
		}
		if !ours {
			prints[k] = p
		}
	}
}
