package artifact

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// RunMeta is what run_results.json records besides the results.
type RunMeta struct {
	InvocationID string
	// GeneratedAt is the time written as metadata.generated_at; zero means
	// now.
	GeneratedAt time.Time
	// Command is the kiln command ("build", "run", "test", ...), written as
	// args.which (dbt's key) unless Args has one.
	Command string
	// Elapsed is the whole invocation's duration.
	Elapsed time.Duration
	// Args are the command, the selection and the flags, with dbt's names
	// where they exist ({"which": "build", "select": ["tag:daily"],
	// "threads": 4, ...}); kiln retry reads them back.
	Args map[string]any
	// Graph, when set, gives each result its relation_name.
	Graph *graph.Graph
}

// RunResults is run_results.json, dbt's run results v6
// (https://schemas.getdbt.com/dbt/run-results/v6.json):
//
//	{
//	  "metadata": {"dbt_schema_version", "generated_at", "invocation_id"},
//	  "results": [NodeResult...],
//	  "elapsed_time": <seconds>,
//	  "args": {...}
//	}
type RunResults struct {
	Metadata    RunResultsMetadata `json:"metadata"`
	Results     []NodeResult       `json:"results"`
	ElapsedTime float64            `json:"elapsed_time"`
	Args        map[string]any     `json:"args"`
	// Status is each result's status by unique_id; ReadRunResults fills it.
	Status map[graph.ID]run.Status `json:"-"`
}

// RunResultsMetadata is run_results.json's metadata.
type RunResultsMetadata struct {
	SchemaVersion string `json:"dbt_schema_version"`
	GeneratedAt   string `json:"generated_at"`
	InvocationID  string `json:"invocation_id"`
}

// NodeResult is one entry of run_results.json's results: dbt's fields,
// then kiln's (expected, actual, rows, skipped_by, attempts, gates).
type NodeResult struct {
	UniqueID graph.ID   `json:"unique_id"`
	Status   run.Status `json:"status"`
	// Timing is [{"name": "compile", ...}, {"name": "execute", ...}], with
	// RFC 3339 UTC times; empty for a node that did not run.
	Timing   []Timing `json:"timing"`
	ThreadID string   `json:"thread_id"`
	// ExecutionTime is in seconds.
	ExecutionTime   float64        `json:"execution_time"`
	AdapterResponse map[string]any `json:"adapter_response"`
	Message         *string        `json:"message"`
	// Failures is the number of failing rows of a test that ran; null
	// otherwise.
	Failures     *int64          `json:"failures"`
	Compiled     *bool           `json:"compiled"`
	CompiledCode *string         `json:"compiled_code"`
	RelationName *string         `json:"relation_name"`
	BatchResults json.RawMessage `json:"batch_results"` // always null

	// Expected and Actual describe a test's check in words.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Rows is the number of rows a model, seed, source or export wrote,
	// when known.
	Rows *int64 `json:"rows,omitempty"`
	// SkippedBy is the failed node that caused a skip.
	SkippedBy graph.ID `json:"skipped_by,omitempty"`
	// Attempts is the number of times the node was tried.
	Attempts int `json:"attempts"`
	// Gates are the series of a deviation gate (see GateResult).
	Gates []GateResult `json:"gates,omitempty"`
}

// Timing is one step of a node's execution.
type Timing struct {
	Name        string `json:"name"`
	StartedAt   string `json:"started_at"`
	CompletedAt string `json:"completed_at"`
}

// WriteRunResults writes dir/run_results.json (see RunResults), creating
// dir if needed. Results are written in the order given.
func WriteRunResults(dir string, results []run.Result, meta RunMeta) error {
	out := RunResults{
		Metadata: RunResultsMetadata{
			SchemaVersion: RunResultsSchema,
			GeneratedAt:   formatTime(orNow(meta.GeneratedAt)),
			InvocationID:  meta.InvocationID,
		},
		Results:     make([]NodeResult, len(results)),
		ElapsedTime: meta.Elapsed.Seconds(),
		Args:        PlainMap(meta.Args),
	}
	if _, ok := out.Args["which"]; !ok && meta.Command != "" {
		out.Args["which"] = meta.Command
	}
	for i, r := range results {
		out.Results[i] = nodeResult(r, meta.Graph)
	}
	return writeJSON(dir, RunResultsFile, out)
}

func nodeResult(r run.Result, g *graph.Graph) NodeResult {
	kind, _, _ := strings.Cut(string(r.ID), ".")
	isTest := kind == string(graph.Test) || kind == string(graph.UnitTest)
	nr := NodeResult{
		UniqueID: r.ID, Status: r.Status, Timing: []Timing{}, ThreadID: r.Thread,
		ExecutionTime:   r.Duration().Seconds(),
		AdapterResponse: PlainMap(r.AdapterResponse),
		Message:         nullable(r.Message),
		CompiledCode:    nullable(r.CompiledCode),
		Expected:        r.Expected, Actual: r.Actual, SkippedBy: r.SkippedBy, Attempts: r.Attempts,
		Gates: gateResults(r.Gates),
	}
	if !r.Started.IsZero() {
		start := formatTime(r.Started)
		nr.Timing = []Timing{
			{Name: "compile", StartedAt: start, CompletedAt: start},
			{Name: "execute", StartedAt: start, CompletedAt: formatTime(r.Completed)},
		}
	}
	if r.CompiledCode != "" {
		t := true
		nr.Compiled = &t
	}
	if isTest && (r.Status == run.Pass || r.Status == run.Fail || r.Status == run.Warn) {
		f := r.Failures
		nr.Failures = &f
	}
	if !isTest && r.Rows >= 0 && r.Status != run.Skipped {
		rows := r.Rows
		nr.Rows = &rows
	}
	if g != nil {
		if n := g.Node(r.ID); n != nil {
			nr.RelationName = relationName(n)
		}
	}
	return nr
}

// Command returns the command of the run (args.which), or "".
func (rr *RunResults) Command() string {
	s, _ := rr.Args["which"].(string)
	return s
}

// ReadRunResults reads a run_results.json written by WriteRunResults (or
// by dbt) and fills Status. It returns an error when the file cannot be
// read or is not run results.
func ReadRunResults(path string) (*RunResults, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rr RunResults
	if err := json.Unmarshal(data, &rr); err != nil {
		return nil, fmt.Errorf("%s: invalid run results: %w", path, err)
	}
	if !strings.Contains(rr.Metadata.SchemaVersion, "/run-results/") {
		return nil, fmt.Errorf("%s: not run results: metadata.dbt_schema_version is %q", path, rr.Metadata.SchemaVersion)
	}
	rr.Status = make(map[graph.ID]run.Status, len(rr.Results))
	for _, r := range rr.Results {
		rr.Status[r.UniqueID] = r.Status
	}
	return &rr, nil
}
