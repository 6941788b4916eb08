package project

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeBullet returns the text of the bullet of README.md that starts
// with bullet, in the section headed heading, joined into one line.
func readmeBullet(t *testing.T, heading, bullet string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	in, found := false, false
	var out []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "#"):
			if found {
				return strings.Join(out, " ")
			}
			in = strings.TrimSpace(strings.TrimLeft(l, "#")) == heading
		case in && strings.HasPrefix(l, bullet):
			found = true
			out = append(out, l)
		case found && strings.HasPrefix(l, "  "):
			out = append(out, strings.TrimSpace(l))
		case found:
			return strings.Join(out, " ")
		}
	}
	if !found {
		t.Fatalf("README.md has no bullet %q under %q", bullet, heading)
	}
	return strings.Join(out, " ")
}

var backticked = regexp.MustCompile("`([^`]+)`")

// TestREADMENotSupportedYet holds README.md's list of the keys that are
// not supported yet to Keys: every NotYet key is named there, and every
// key named there is NotYet (the list said freshness and
// external_location were refused after both had landed).
func TestREADMENotSupportedYet(t *testing.T) {
	text := readmeBullet(t, "What kiln accepts, and what it refuses", "- **Not supported yet**")
	named := map[string]bool{}
	for _, m := range backticked.FindAllStringSubmatch(text, -1) {
		named[strings.Replace(m[1], ": ", "=", 1)] = true
	}
	notYet := map[string]bool{}
	known := map[string]bool{}
	for _, k := range Keys {
		known[k.Name] = true
		if k.Support == NotYet {
			notYet[k.Name] = true
			if !named[k.Name] {
				t.Errorf("README.md's Not supported yet list does not name %q (%s), which Keys refuses", k.Name, k.Scope)
			}
		}
	}
	for name := range named {
		if known[name] && !notYet[name] {
			t.Errorf("README.md's Not supported yet list names %q, which Keys applies or accepts", name)
		}
	}
}
