package docs

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

func TestKindsOf(t *testing.T) {
	var nodes []*siteNode
	for _, k := range []graph.Kind{graph.Test, "widget", graph.Model, "data_policy", graph.Source, "exposure", graph.Model, "Odd Kind!"} {
		nodes = append(nodes, &siteNode{Kind: k})
	}
	kinds := kindsOf(nodes)
	var got []string
	for _, k := range kinds {
		got = append(got, string(k.Kind)+"|"+k.Title+"|"+k.Class)
		if !strings.HasPrefix(k.Color, "#") || len(k.Color) != 7 {
			t.Errorf("%s has colour %q", k.Kind, k.Color)
		}
		if k.Check != (k.Kind == graph.Test) {
			t.Errorf("%s: check %v", k.Kind, k.Check)
		}
	}
	want := "model|Models|model source|Sources|source exposure|Exposures|exposure Odd Kind!|Odd Kind!s|-4f-dd-20--4b-ind-21- data_policy|Data policies|data_policy widget|Widgets|widget test|Tests|test"
	if strings.Join(got, " ") != want {
		t.Errorf("kinds\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	css := kindCSS(kinds)
	for _, k := range kinds {
		for _, rule := range []string{".k-" + k.Class + " { background: " + k.Color + "; }", "g.kind-" + k.Class + " rect { stroke: " + k.Color + "; }"} {
			if !strings.Contains(css, rule) {
				t.Errorf("the style lacks %q", rule)
			}
		}
	}
	// The colour of an unknown kind depends on its name only.
	if again := kindsOf([]*siteNode{{Kind: "widget"}}); again[0].Color != kinds[5].Color {
		t.Errorf("widget is %s alone and %s with others", again[0].Color, kinds[5].Color)
	}
}

func TestCSSClass(t *testing.T) {
	seen := map[string]graph.Kind{}
	for _, k := range []graph.Kind{"a-b", "a_b", "aB", "a-42-b", "a*b", "ab", "é"} {
		c := cssClass(k)
		if strings.Trim(c, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			t.Errorf("cssClass(%q) = %q holds other characters", k, c)
		}
		if other, dup := seen[c]; dup {
			t.Errorf("%q and %q share the class %q", k, other, c)
		}
		seen[c] = k
	}
}
