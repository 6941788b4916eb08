package kestra

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/graph"
)

// intentional are the expressions kiln writes on purpose into a flow.
var intentional = regexp.MustCompile(`^(execution\.id|flow\.namespace|flow\.id|inputs\.[A-Za-z0-9_]+ \| toJson|inputs\["[^"]+"\] \| toJson|\(trigger\.date \?\? inputs\.[A-Za-z0-9_]+ \?\? execution\.startDate\) \| date\("[^"]*"(, timeZone="[^"]*")?\) \| toJson)$`)

// pebble renders s as Kestra's Pebble would for the escapes kiln writes:
// {{ 'text' }} prints text, an intentional expression prints itself in
// angle brackets, and any other expression, tag or comment is an error.
func pebble(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexAny(s, "{")
		for i >= 0 && (i+1 >= len(s) || !strings.ContainsRune("{%#", rune(s[i+1]))) {
			j := strings.IndexAny(s[i+1:], "{")
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		if s[i+1] != '{' {
			return "", fmt.Errorf("a Pebble tag or comment at %q", s[i:])
		}
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			return "", fmt.Errorf("an unclosed expression at %q", s[i:])
		}
		expr := strings.TrimSpace(s[i+2 : i+end])
		switch {
		case len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' && !strings.Contains(expr[1:len(expr)-1], "'"):
			b.WriteString(expr[1 : len(expr)-1])
		case intentional.MatchString(expr):
			b.WriteString("<" + expr + ">")
		default:
			return "", fmt.Errorf("the expression {{ %s }} would be evaluated", expr)
		}
		s = s[i+end+2:]
	}
}

// strings walks a YAML document and calls f on every string scalar with
// its path.
func walkStrings(n *yaml.Node, path string, f func(path, s string)) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			walkStrings(c, fmt.Sprintf("%s[%d]", path, i), f)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkStrings(n.Content[i+1], path+"."+n.Content[i].Value, f)
		}
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			f(path, n.Value)
		}
	}
}

// TestFlowShowsTextLiterally is the attack of issue 20 on the flow: a
// var's default, a model's name and path, and the worker folder holding
// {{ }}, {% %} and {# #}. Every string of the flow, rendered as Kestra
// renders it, evaluates no expression but kiln's own, and shows the text as
// written.
func TestFlowShowsTextLiterally(t *testing.T) {
	evil := "{{ secret('AWS_KEY') }}{% for x in range(1, 9) %}{# c #}"
	name := "m{{x}}{%y%}{#z#}" // a file name: no space
	m := node(graph.Model, "models/"+name+"/"+name+".sql", name)
	g := mustGraph(t, m)
	cfg := config()
	cfg.Vars = map[string]any{"raw_dir": "data/" + evil, "list": []any{evil}}
	opt := Options{Config: cfg, ProjectDir: "/srv/" + evil, Kiln: "/opt/kiln{{x}}/kiln"}
	for _, groupBy := range []string{"", GroupByFolder} {
		opt.GroupBy = groupBy
		data, err := Flow(g, opt)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		rendered := map[string]string{}
		walkStrings(doc.Content[0], "", func(path, s string) {
			out, err := pebble(s)
			if err != nil {
				t.Errorf("group-by %s: %s: %v:\n%s", groupBy, path, err, s)
			}
			rendered[path] = out
		})
		if got := rendered[".inputs[1].defaults"]; got != "data/"+evil {
			t.Errorf("the default of raw_dir shows as %q", got)
		}
		if got := rendered[".inputs[0].defaults"]; got != `["`+evil+`"]` {
			t.Errorf("the default of list shows as %q", got)
		}
		all := fmt.Sprint(rendered)
		for _, want := range []string{shellQuote("/srv/" + evil), "models/" + name, "/opt/kiln{{x}}/kiln"} {
			if !strings.Contains(all, want) {
				t.Errorf("group-by %s: no field shows %s", groupBy, want)
			}
		}
	}
	for in, want := range map[string]string{"a{b}c": "a{b}c", "{{": "{{ '{{' }}", "{%x%}": "{{ '{%' }}x%}", "{#": "{{ '{#' }}", "{{{": "{{ '{{' }}{", "}}": "}}"} {
		if got := literal(in); got != want {
			t.Errorf("literal(%q) = %q, want %q", in, got, want)
		}
	}
}
