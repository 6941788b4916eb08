package project

import "strings"

// numConfigs are the configs whose value is a whole number; a value
// written as Jinja renders to a number (yamljinja.Renderer.WithNumbers),
// as dbt's native rendering of dbt_project.yml and of property files
// gives it (+lookback: "{{ var('lookback', 3) }}"), not to its text.
var numConfigs = map[string]bool{"lookback": true, "limit": true, "retries": true}

// isNumConfig reports whether path ends with a whole-number config
// written in a configuration block whose keys are path[:at] (its key at
// path[at], the last), or with the count of a freshness threshold
// (freshness: {warn_after: {count: ...}}).
func isNumConfig(path []string, at int) bool {
	if at < 0 || at != len(path)-1 {
		return false
	}
	key := func(i int) string { return strings.TrimLeft(path[i], "+ ") }
	if numConfigs[key(at)] {
		return true
	}
	return path[at] == "count" && at >= 2 && (path[at-1] == "warn_after" || path[at-1] == "error_after") && key(at-2) == "freshness"
}

// projectNumPath says which values of a project file are whole-number
// configs: under a resource key (models:, seeds:, ...), at any folder
// depth.
func projectNumPath(path []string) bool {
	if len(path) < 2 {
		return false
	}
	switch path[0] {
	case "models", "seeds", "snapshots", "tests", "data_tests", "sources", "exports", "unit_tests":
	default:
		return false
	}
	return isNumConfig(path, len(path)-1)
}

// propsNumPath says which values of a property file are whole-number
// configs: the keys of a config: block, and a freshness threshold's count
// wherever it is written (a source's, a table's, their config's).
func propsNumPath(path []string) bool {
	i := len(path) - 1
	if i >= 1 && path[i-1] == "config" && numConfigs[path[i]] {
		return true
	}
	return i >= 2 && path[i] == "count" && isNumConfig(path, i)
}
