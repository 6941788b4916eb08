package yamlsrc

import (
	"fmt"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestValueTimestamps: a YAML timestamp decodes to a Time that prints as
// PyYAML's date or datetime does in Python; other values as yaml.v3 gives
// them.
func TestValueTimestamps(t *testing.T) {
	for src, want := range map[string]string{
		"2020-09-01":                  "2020-09-01",
		"2020-09-01 10:11:12":         "2020-09-01 10:11:12",
		"2020-09-01T10:11:12Z":        "2020-09-01 10:11:12+00:00",
		"2020-09-01t10:11:12.5-05:00": "2020-09-01 10:11:12.500000-05:00",
		"'2020-09-01'":                "2020-09-01",
		"2020-09":                     "2020-09",
		"[2020-01-02, 3]":             "[2020-01-02 3]",
		"{a: 2020-01-02}":             "map[a:2020-01-02]",
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(src), &n); err != nil {
			t.Fatal(err)
		}
		v, err := Value(&n)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := fmt.Sprint(v); got != want {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
}
