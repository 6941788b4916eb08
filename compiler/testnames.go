package compiler

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
)

// The names and ids of generic tests follow dbt's exactly
// (core/dbt/parser/generic_test_builders.py and schemas.py in dbt-core), so
// that artifacts, selectors and tools that know a dbt project's test ids
// find them in kiln's:
//
//   - the full name is <type>_<target>_<args>, type being the test's name
//     (prefixed by its package, dbt_utils_equality, and by source_ for a
//     source's tests), target the model's name (the source's and table's,
//     source_name_table), args the values of the arguments sorted by
//     name (model left out, column_name in), each list or mapping
//     flattened (a mapping's values in the order written, as Python's
//     dicts keep the YAML's), the arguments as written, not rendered,
//     printed as Python prints them (True, None, 1.0) and every run of
//     characters other than letters, digits and _ turned into _, joined
//     by "__";
//   - past 63 characters, the short name (the alias: the compiled file and
//     the table of stored failures) is the first 30 characters of
//     <type>_<target>, "_", and the md5 of the full name in hex;
//   - the unique_id is test.<project>.<full name>.<hash>, hash being the
//     last 10 hex digits of the md5 of the full name followed by the
//     Python repr of the test's metadata ({'kwargs': {...}, 'name': ...,
//     'namespace': ...}, keys sorted, every value printed with str()).

// testNames returns dbt's short and full names of a generic test of type
// testType on target with arguments args (column_name included, model
// left out).
func testNames(testType, target string, args map[string]any) (short, full string) {
	keys := make([]string, 0, len(args))
	for k := range args {
		if k != "model" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var flat []string
	for _, k := range keys {
		switch v := args[k].(type) {
		case []any:
			for _, e := range v {
				flat = append(flat, pyStr(e))
			}
		case map[string]any:
			for _, kk := range sortedKeys(v) {
				flat = append(flat, pyStr(v[kk]))
			}
		case orderedArg:
			for _, kk := range v.keys {
				flat = append(flat, pyStr(v.m[kk]))
			}
		default:
			flat = append(flat, pyStr(v))
		}
	}
	for i := range flat {
		flat[i] = nonWord.ReplaceAllString(flat[i], "_")
	}
	id := testType + "_" + target
	full = id + "_"
	for i, f := range flat {
		if i > 0 {
			full += "__"
		}
		full += f
	}
	if len(full) < 64 {
		return full, full
	}
	if len(id) > 30 {
		id = id[:30]
	}
	return id + "_" + md5Hex(full), full
}

// orderedArg is a mapping argument with its keys in the order written,
// the order dbt flattens its values in for the test's name (Python's
// dicts keep the YAML's order).
type orderedArg struct {
	keys []string
	m    map[string]any
}

// nameOrder returns args with each mapping that te declares as a YAML
// mapping given as an orderedArg, for testNames.
func nameOrder(te *project.TestEntry, args map[string]any) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		out[k] = v
		m, ok := v.(map[string]any)
		n := te.ArgNode(k)
		if !ok || n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 2*len(m) {
			continue
		}
		keys := make([]string, 0, len(m))
		for i := 0; i < len(n.Content); i += 2 {
			if _, ok := m[n.Content[i].Value]; !ok {
				keys = nil
				break
			}
			keys = append(keys, n.Content[i].Value)
		}
		if keys != nil {
			out[k] = orderedArg{keys: keys, m: m}
		}
	}
	return out
}

// testHash returns the last 10 hex digits of dbt's hash of a generic test
// named name, md5(name + repr(metadata)), and the sha256 of the same text
// in hex (the node's checksum).
func testHash(name, test, namespace string, kwargs map[string]any) (id, checksum string) {
	md := map[string]any{"kwargs": hashable(kwargs), "name": test, "namespace": "None"}
	if namespace != "" {
		md["namespace"] = namespace
	}
	text := name + jinja.Str(jinja.FromGo(md))
	sum := md5Hex(text)
	full := sha256.Sum256([]byte(text))
	return sum[len(sum)-10:], hex.EncodeToString(full[:])
}

// hashable is dbt's get_hashable_md: mappings with their keys sorted,
// lists kept, every other value as Python's str() prints it.
func hashable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = hashable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = hashable(e)
		}
		return out
	}
	return pyStr(v)
}

// pyStr prints v as Python's str() does.
func pyStr(v any) string { return jinja.Str(jinja.FromGo(v)) }

func md5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// testTarget is the target part of a generic test's name: the model's or
// seed's name, or source_table for a source.
func testTarget(on *graph.Node) string {
	if on.Kind == graph.Source && on.Source != nil {
		return on.Source.SourceName + "_" + on.Name
	}
	if on.Version != "" {
		return on.Name + "_v" + on.Version // dbt's TestBuilder
	}
	return on.Name
}

// whereSubquery is the model kwarg dbt gives a generic test:
// {{ get_where_subquery(ref('orders')) }}.
func whereSubquery(on *graph.Node) string {
	if on.Kind == graph.Source && on.Source != nil {
		return "{{ get_where_subquery(source('" + on.Source.SourceName + "', '" + on.Name + "')) }}"
	}
	if on.Version != "" {
		return "{{ get_where_subquery(ref('" + on.Name + "', version='" + on.Version + "')) }}"
	}
	return "{{ get_where_subquery(ref('" + on.Name + "')) }}"
}
