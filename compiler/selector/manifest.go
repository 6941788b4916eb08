package selector

import (
	"regexp"
	"sort"
	"strings"
)

// ManifestSelectors returns the selectors as dbt's manifest.json writes
// them under "selectors" (dbt-core's SelectorDict.parse_from_selectors_list):
// each selector's entry by name (name, description, default, definition
// as written), its definition normalised as dbt normalises it: a
// selection string becomes a criterion ({"method", "value", and
// "parents", "parents_depth", "children", "children_depth",
// "childrens_parents" when given}); a {METHOD: VALUE} mapping becomes
// {"method": METHOD, "value": VALUE}; the items of a union or an
// intersection, and of a criterion's list value (exclude), are normalised
// in turn; a "method: selector" criterion is replaced by the definition of
// the selector it names, when that selector comes before it in the file
// (as in dbt, which reads them in order). Never nil.
func ManifestSelectors(defs map[string]*Definition) map[string]any {
	list := make([]*Definition, 0, len(defs))
	for _, d := range defs {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].Pos, list[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := map[string]any{}
	for _, d := range list {
		entry := make(map[string]any, len(d.Raw))
		for k, v := range d.Raw {
			entry[k] = v
		}
		entry["definition"] = manifestDefinition(d.Raw["definition"], out)
		out[d.Name] = entry
	}
	return out
}

func manifestDefinition(def any, seen map[string]any) any {
	switch v := def.(type) {
	case string:
		return specDict(v)
	case map[string]any:
		for _, set := range []string{"union", "intersection"} {
			if items, ok := v[set].([]any); ok {
				out := make([]any, len(items))
				for i, it := range items {
					out[i] = manifestDefinition(it, seen)
				}
				return map[string]any{set: out}
			}
		}
		return dictDefinition(v, seen)
	}
	return def
}

// dictDefinition is dbt's parse_dict_definition for a mapping.
func dictDefinition(def map[string]any, seen map[string]any) any {
	if def["method"] == "selector" {
		if name, ok := def["value"].(string); ok {
			if s, ok := seen[name].(map[string]any); ok {
				return s["definition"]
			}
		}
		return def
	}
	if len(def) != 1 {
		return def
	}
	for key, value := range def {
		if items, ok := value.([]any); ok {
			out := make([]any, len(items))
			for i, it := range items {
				out[i] = manifestDefinition(it, seen)
			}
			value = out
		}
		if key == "exclude" {
			return map[string]any{key: value}
		}
		return map[string]any{"method": key, "value": value}
	}
	return def
}

// rawSpec is dbt's RAW_SELECTOR_PATTERN: [@][N+][method:]value[+N].
var rawSpec = regexp.MustCompile(`^(@)?((\d*)\+)?(([\w.]+):)?(.*?)(\+(\d*))?$`)

// specDict is dbt's SelectionCriteria.dict_from_single_spec: a selection
// string as a criterion, its method defaulting as dbt's does (path for a
// value with a slash, file for a .sql, .py or .csv file name, else fqn);
// depths stay texts, as dbt leaves them.
func specDict(s string) map[string]any {
	m := rawSpec.FindStringSubmatch(s)
	if m == nil {
		return map[string]any{"error": "Invalid selector spec"}
	}
	out := map[string]any{"value": m[6]}
	if m[6] == "" {
		delete(out, "value")
	}
	if m[1] != "" {
		out["childrens_parents"] = true
	}
	if m[2] != "" {
		out["parents"] = true
	}
	if m[3] != "" {
		out["parents_depth"] = m[3]
	}
	if m[7] != "" {
		out["children"] = true
	}
	if m[8] != "" {
		out["children_depth"] = m[8]
	}
	switch method := m[5]; {
	case method != "":
		out["method"] = method
	case strings.Contains(m[6], "/"):
		out["method"] = "path"
	case strings.HasSuffix(strings.ToLower(m[6]), ".sql"), strings.HasSuffix(strings.ToLower(m[6]), ".py"), strings.HasSuffix(strings.ToLower(m[6]), ".csv"):
		out["method"] = "file"
	default:
		out["method"] = "fqn"
	}
	return out
}
