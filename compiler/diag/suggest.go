package diag

import (
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
)

// Closest returns up to max candidates nearest to name, best first: those
// within an edit distance of about a third of the name's length (at least 2),
// or that contain name or are contained in it. Ties keep candidates sorted.
// The distance is Levenshtein's, computed by github.com/agnivade/levenshtein.
func Closest(name string, candidates []string, max int) []string {
	type scored struct {
		s string
		d int
	}
	limit := len(name)/3 + 1
	if limit < 2 {
		limit = 2
	}
	lname := strings.ToLower(name)
	var found []scored
	for _, c := range candidates {
		if c == name {
			continue
		}
		lc := strings.ToLower(c)
		d := levenshtein.ComputeDistance(lname, lc)
		if d <= limit || (len(lname) >= 3 && (strings.Contains(lc, lname) || strings.Contains(lname, lc))) {
			found = append(found, scored{c, d})
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].d != found[j].d {
			return found[i].d < found[j].d
		}
		return found[i].s < found[j].s
	})
	out := []string{}
	for i := 0; i < len(found) && i < max; i++ {
		out = append(out, found[i].s)
	}
	return out
}

// Nearest returns the candidate nearest to name by edit distance, however
// far (the first of equals in candidates' order), or "" when there are
// none.
func Nearest(name string, candidates []string) string {
	best, bestD := "", -1
	lname := strings.ToLower(name)
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(lname, strings.ToLower(c)); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// DidYouMean returns `did you mean "x"?` (or `did you mean "x" or "y"?`) for
// the candidates closest to name, or "" when none is close.
func DidYouMean(name string, candidates []string) string {
	c := Closest(name, candidates, 2)
	switch len(c) {
	case 0:
		return ""
	case 1:
		return `did you mean "` + c[0] + `"?`
	default:
		return `did you mean "` + c[0] + `" or "` + c[1] + `"?`
	}
}
