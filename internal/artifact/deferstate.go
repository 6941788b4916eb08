package artifact

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// DeferState is what --defer reads from a previous run's manifest.json:
// where each of its relations is, and the database that holds them.
type DeferState struct {
	// AdapterType is metadata.adapter_type ("duckdb").
	AdapterType string
	// Database is kiln.database: the DuckDB file the run built in
	// (absolute), "" when the manifest records none (written by dbt, or
	// by a kiln older than --defer).
	Database string
	// Target is kiln.target: the target the run built in (its adapter
	// type and database name); nil when the manifest records none.
	Target *TargetInfo
	// Relations are the relations of the manifest's models, seeds and
	// snapshots (not ephemeral models) and of its sources, by unique id:
	// database, schema and alias (a source's identifier).
	Relations map[graph.ID]sqlq.Relation
}

// ReadDeferState reads the manifest.json at path (kiln's or dbt's v12
// format) for --defer. It returns an error when the file cannot be read
// or is not a manifest.
func ReadDeferState(path string) (*DeferState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	type entry struct {
		ResourceType string  `json:"resource_type"`
		Database     *string `json:"database"`
		Schema       string  `json:"schema"`
		Alias        string  `json:"alias"`
		Identifier   string  `json:"identifier"`
		Name         string  `json:"name"`
		Config       struct {
			Materialized string `json:"materialized"`
		} `json:"config"`
	}
	var m struct {
		Metadata struct {
			SchemaVersion string `json:"dbt_schema_version"`
			AdapterType   string `json:"adapter_type"`
			InvocationID  string `json:"invocation_id"`
		} `json:"metadata"`
		Nodes   map[graph.ID]entry `json:"nodes"`
		Sources map[graph.ID]entry `json:"sources"`
		Kiln    struct {
			Database string      `json:"database"`
			Target   *TargetInfo `json:"target"`
		} `json:"kiln"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not a manifest: %w", path, err)
	}
	if m.Metadata.SchemaVersion == "" {
		return nil, fmt.Errorf("%s: not a manifest: it has no metadata.dbt_schema_version", path)
	}
	if err := overlayKilnManifest(path, m.Metadata.InvocationID, &m); err != nil {
		return nil, err
	}
	st := &DeferState{AdapterType: m.Metadata.AdapterType, Database: m.Kiln.Database, Target: m.Kiln.Target, Relations: map[graph.ID]sqlq.Relation{}}
	rel := func(e entry, name string) sqlq.Relation {
		r := sqlq.Relation{Schema: e.Schema, Name: name}
		if e.Database != nil {
			r.Database = *e.Database
		}
		return r
	}
	for id, e := range m.Nodes {
		switch e.ResourceType {
		case "model", "seed", "snapshot":
		default:
			continue
		}
		if e.Config.Materialized == "ephemeral" {
			continue
		}
		name := e.Alias
		if name == "" {
			name = e.Name
		}
		st.Relations[id] = rel(e, name)
	}
	for id, e := range m.Sources {
		name := e.Identifier
		if name == "" {
			name = e.Name
		}
		st.Relations[id] = rel(e, name)
	}
	return st, nil
}

// Type returns the adapter type the run built with: kiln.target's type,
// else metadata.adapter_type (a dbt manifest's; kiln's wrote "duckdb"
// whatever the target before it wrote the target's type), "" when the
// manifest records neither.
func (st *DeferState) Type() string {
	if st.Target != nil && st.Target.Type != "" {
		return st.Target.Type
	}
	return st.AdapterType
}
