package artifact

import (
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
)

// TargetInfo is the target a manifest was written for (manifest:
// kiln.target): its adapter type, name, database and schema. Two
// manifests of the same project written for the same target render the
// same SQL from the same definitions; across targets, the compiled SQL
// differs by the relations' names alone, and state:modified compares the
// definitions only, as dbt's (Fingerprint.Code is then not compared).
type TargetInfo struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Database string `json:"database"`
	Schema   string `json:"schema"`
}

// targetOf is the target m was compiled for, nil when it has none.
func targetOf(m *compiler.Manifest) *TargetInfo {
	if m == nil || m.Project == nil || m.Project.Target == nil {
		return nil
	}
	t := m.Project.Target
	return &TargetInfo{Type: t.Type, Name: t.Name, Database: t.Database, Schema: t.Schema}
}

// Target is the target m was compiled for (what WriteManifest records
// as kiln.target), nil when it has none.
func Target(m *compiler.Manifest) *TargetInfo { return targetOf(m) }

// testConfigKeys are the keys of a test's config that dbt's
// TestConfig.same_contents compares.
var testConfigKeys = []string{"severity", "where", "limit", "fail_calc", "warn_if", "error_if", "store_failures", "store_failures_as"}

// relationKeys are the configs of dbt's same_database_representation,
// which same_config leaves out.
var relationKeys = []string{"database", "schema", "alias"}

// stateFields sets the fields of fp that dbt's state:modified compares
// (Configs, Named, Persisted, FQN, Macros) from manifest entry e of
// section, its decoded config cfg and the text of the manifest's macros
// by unique_id.
func stateFields(fp *Fingerprint, section string, e *entryIn, cfg any, macros map[string]macroText) error {
	m, _ := cfg.(map[string]any)
	var err error
	compared := map[string]any{}
	switch {
	case section == "nodes" && e.ResourceType == string(graph.Test):
		for _, k := range testConfigKeys {
			if v, ok := m[k]; ok && v != nil {
				compared[k] = v
			}
		}
	default:
		for k, v := range m {
			compared[k] = v
		}
		for _, k := range append([]string{"tags", "group"}, relationKeys...) {
			delete(compared, k)
		}
	}
	if fp.Configs, err = hashValue(compared); err != nil {
		return err
	}
	switch section {
	case "nodes":
		named := map[string]any{}
		for _, k := range relationKeys {
			named[k] = m[k]
		}
		if fp.Named, err = hashValue(named); err != nil {
			return err
		}
	case "sources":
		if e.RelationName != nil {
			fp.Named = *e.RelationName
		}
	}
	if docs, ok := persistedDocs(cfg, e).(map[string]any); ok && docs["persisted_descriptions"] != nil {
		if fp.Persisted, err = hashValue(docs["persisted_descriptions"]); err != nil {
			return err
		}
	}
	if len(e.FQN) > 0 {
		fp.FQN = strings.Join(e.FQN, ".")
	}
	if len(e.DependsOn.Macros) > 0 {
		ids := macroClosure(e.DependsOn.Macros, macros)
		texts := make([]any, 0, 2*len(ids))
		for _, id := range ids {
			if m, ok := macros[id]; ok {
				texts = append(texts, id, m.SQL)
			} else {
				texts = append(texts, id, nil) // a macro the manifest does not hold
			}
		}
		if fp.Macros, err = hashValue(texts); err != nil {
			return err
		}
	}
	return nil
}

// exposureBody is the hash of what dbt's Exposure.same_contents compares
// besides the config and fqn: type, owner, maturity, url, description,
// label and depends_on.
func exposureBody(e *entryIn) (string, error) {
	owner, err := decode(e.Owner)
	if err != nil {
		return "", err
	}
	deps := append([]graph.ID(nil), e.DependsOn.Nodes...)
	sort.Slice(deps, func(i, j int) bool { return deps[i] < deps[j] })
	return hashValue(map[string]any{
		"type": e.Type, "owner": owner, "maturity": e.Maturity, "url": e.URL,
		"description": e.Description, "label": e.Label, "depends_on": deps,
	})
}

// macroText is a macro of manifest.json as state:modified.macros reads
// it: its macro_sql and its depends_on.macros (the macros it calls, an
// adapter.dispatch resolved to its implementation, as dbt records them).
type macroText struct {
	SQL   string
	Calls []string
}

// macroClosure returns the unique ids of the macros direct calls, and of
// every macro they call in turn, sorted: dbt's state:modified.macros
// compares "changes to upstream macros, whether called directly or
// indirectly by another macro" (dbt-core's StateSelectorMethod,
// recursively_check_macros_modified). A macro the manifest does not hold
// is listed, and not followed.
func macroClosure(direct []string, macros map[string]macroText) []string {
	seen := map[string]bool{}
	todo := append([]string(nil), direct...)
	for len(todo) > 0 {
		id := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		todo = append(todo, macros[id].Calls...)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
