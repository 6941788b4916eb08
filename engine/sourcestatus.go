package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
)

// readSourcesJSON reads the results of a sources.json (dbt's format, as
// WriteSources writes it) for source_status: selectors: each source's
// max_loaded_at, or Failed when the result has none (a runtime error). A
// missing file gives nil and no error; a file that is no sources.json, or
// a max_loaded_at that is no RFC 3339 time, an error naming the file.
func readSourcesJSON(path string) (map[graph.ID]selector.SourceFreshness, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Results *[]struct {
			UniqueID    string  `json:"unique_id"`
			MaxLoadedAt *string `json:"max_loaded_at"`
		} `json:"results"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if doc.Results == nil {
		return nil, fmt.Errorf("%s: no results: not a sources.json of kiln source freshness", path)
	}
	out := map[graph.ID]selector.SourceFreshness{}
	for _, r := range *doc.Results {
		if r.MaxLoadedAt == nil {
			out[graph.ID(r.UniqueID)] = selector.SourceFreshness{Failed: true}
			continue
		}
		t, err := parseLoadedAt(*r.MaxLoadedAt)
		if err != nil {
			return nil, fmt.Errorf("%s: max_loaded_at of %s: %v", path, r.UniqueID, err)
		}
		out[graph.ID(r.UniqueID)] = selector.SourceFreshness{MaxLoadedAt: t}
	}
	return out, nil
}

// parseLoadedAt reads a max_loaded_at as kiln writes it
// (2024-05-01T10:00:00.000000Z) or dbt does (with +00:00, or without a
// zone: UTC).
func parseLoadedAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", s)
}
