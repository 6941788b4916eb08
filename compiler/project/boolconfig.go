package project

import (
	"sort"
	"strings"
	"sync"
)

// boolConfigs are the configs whose value is true or false; a value
// written as Jinja renders to a boolean (yamljinja.Renderer.WithBools),
// as dbt's native rendering of dbt_project.yml and of property files
// gives it ("{{ var('load_source_data', false) }}").
var boolConfigs = map[string]bool{
	"enabled": true, "full_refresh": true, "store_failures": true, "quote_columns": true,
	"deviation_gate": true, "concurrent_batches": true,
}

// boolSubConfigs are the boolean keys of mapping configs (persist_docs:
// {relation: true}).
var boolSubConfigs = map[string]map[string]bool{
	"persist_docs": {"relation": true, "columns": true},
	"docs":         {"show": true},
	"contract":     {"enforced": true},
}

// isBoolConfig reports whether path ends with a boolean config written in
// a configuration block whose keys are path[:at]: its key at path[at],
// or a mapping config's key at path[at] and its boolean key after it.
func isBoolConfig(path []string, at int) bool {
	if at < 0 || at >= len(path) {
		return false
	}
	key := func(i int) string { return strings.TrimLeft(path[i], "+ ") }
	switch len(path) - at {
	case 1:
		return boolConfigs[key(at)]
	case 2:
		return boolSubConfigs[key(at)][path[at+1]]
	}
	return false
}

// projectBoolPath says which values of a project file are boolean
// configs: under a resource key (models:, seeds:, ...), at any folder
// depth, the last key (or the last two: +persist_docs: {relation: ...}).
func projectBoolPath(path []string) bool {
	if len(path) < 2 {
		return false
	}
	switch path[0] {
	case "models", "seeds", "snapshots", "tests", "data_tests", "sources", "exports", "unit_tests":
	default:
		return false
	}
	return isBoolConfig(path, len(path)-1) || len(path) >= 3 && isBoolConfig(path, len(path)-2)
}

// propsBoolPath says which values of a property file are boolean configs:
// the keys of a config: block of a model, seed, snapshot, source or
// source table (sources: [{tables: [{config: {enabled: ...}}]}]).
func propsBoolPath(path []string) bool {
	for i := len(path) - 1; i >= 1 && i >= len(path)-2; i-- {
		if path[i-1] == "config" && isBoolConfig(path, i) {
			return true
		}
	}
	return false
}

// varSet is a set of var names, safe for concurrent use.
type varSet struct {
	mu    sync.Mutex
	names map[string]bool
}

func (s *varSet) add(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names == nil {
		s.names = map[string]bool{}
	}
	s.names[name] = true
}

// VarsRead returns the names of the vars that var() read while the
// project file's and property files' values were rendered, sorted: a var
// read there (+enabled: "{{ var('using_x', true) }}") is used by the run.
func (p *Project) VarsRead() []string {
	if p.varsRead == nil {
		return nil
	}
	p.varsRead.mu.Lock()
	defer p.varsRead.mu.Unlock()
	out := make([]string, 0, len(p.varsRead.names))
	for k := range p.varsRead.names {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
