package yamlsrc

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Time is a YAML timestamp as PyYAML (and so dbt) reads it: a date
// (2020-09-01, DateOnly) or a datetime, aware (Aware) when the text gives
// a zone (Z or an offset). Its String is Python's str() of the value:
// "2020-09-01", "2020-09-01 10:11:12", "2020-09-01 10:11:12+00:00".
type Time struct {
	T        time.Time
	DateOnly bool
	Aware    bool
}

// String returns the value as Python prints it.
func (t Time) String() string {
	if t.DateOnly {
		return t.T.Format("2006-01-02")
	}
	s := t.T.Format("2006-01-02 15:04:05")
	if ns := t.T.Nanosecond(); ns != 0 {
		s += fmt.Sprintf(".%06d", ns/1000)
	}
	if t.Aware {
		s += t.T.Format("-07:00")
	}
	return s
}

// MarshalJSON writes the value as its text (dbt's JSON encoder writes a
// date or datetime as its ISO text).
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.Replace(t.String(), " ", "T", 1))
}

// Value decodes n as yaml.v3 decodes into an any (maps as
// map[string]any, lists as []any), except that a timestamp is a Time
// that knows whether it was a date or a datetime and whether it gave a
// zone, as PyYAML's date and datetime do; yaml.v3's time.Time cannot
// tell 2020-09-01 from 2020-09-01 00:00:00. Its errors are yaml.v3's.
func Value(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return Value(n.Content[0])
	case yaml.AliasNode:
		return Value(n.Alias)
	case yaml.ScalarNode:
		if n.ShortTag() == "!!timestamp" {
			var t time.Time
			if err := n.Decode(&t); err == nil {
				return timestamp(n.Value, t), nil
			}
		}
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := Value(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			if n.Content[i].ShortTag() == "!!merge" || n.Content[i].Kind != yaml.ScalarNode {
				var v any // merge keys and complex keys: yaml.v3's own decoding
				err := n.Decode(&v)
				return v, err
			}
		}
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			var k any
			if err := n.Content[i].Decode(&k); err != nil {
				return nil, err
			}
			v, err := Value(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = v
		}
		return out, nil
	}
	var v any
	err := n.Decode(&v)
	return v, err
}

// timestamp is the Time of a timestamp's text s, decoded by yaml.v3 as t.
func timestamp(s string, t time.Time) Time {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "tT \t")
	if i < 0 {
		return Time{T: t, DateOnly: true}
	}
	// A zone is a Z or an offset after the time: a + or - past the date.
	return Time{T: t, Aware: strings.ContainsAny(s[i:], "zZ+-")}
}
