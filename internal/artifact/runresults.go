package artifact

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// NodeResult is one entry of run_results.json's results, with dbt's
// fields only (RunResultOutput, whose additionalProperties is false), and
// kiln's figures for the node (Kiln), which go to kiln_run_results.json.
type NodeResult struct {
	UniqueID graph.ID   `json:"unique_id"`
	Status   run.Status `json:"status"`
	// Timing is [{"name": "compile", ...}, {"name": "execute", ...}], with
	// RFC 3339 UTC times; empty for a node that did not run.
	Timing   []Timing `json:"timing"`
	ThreadID string   `json:"thread_id"`
	// ExecutionTime is in seconds.
	ExecutionTime float64 `json:"execution_time"`
	// AdapterResponse is dbt's free object: {"_message", "code",
	// "rows_affected"}; rows_affected is the number of rows a model, seed,
	// source or export wrote, when known.
	AdapterResponse map[string]any `json:"adapter_response"`
	Message         *string        `json:"message"`
	// Failures is the number of failing rows of a test that ran; null
	// otherwise.
	Failures     *int64  `json:"failures"`
	Compiled     *bool   `json:"compiled"`
	CompiledCode *string `json:"compiled_code"`
	RelationName *string `json:"relation_name"`
	// BatchResults is a microbatch model's batches; null for other nodes.
	BatchResults *BatchResults `json:"batch_results"`

	KilnResult `json:"-"`
}

// KilnResult is what kiln records of a node's run beyond dbt's fields:
// an entry of kiln_run_results.json's results.
type KilnResult struct {
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

// BatchResults is dbt's batch_results: the [start, end) of each batch a
// microbatch model's run built (successful) or failed to build (failed),
// as ISO 8601 UTC times ("2024-01-01T00:00:00+00:00", as dbt writes
// them).
type BatchResults struct {
	Successful [][2]string `json:"successful"`
	Failed     [][2]string `json:"failed"`
}

// KilnRunResultsFile is kiln's companion of run_results.json:
//
//	{
//	  "metadata": {"invocation_id", "generated_at"},
//	  "results": {unique_id: {"rows", "expected", "actual", "skipped_by",
//	              "attempts", "gates"}}
//	}
//
// ReadRunResults merges it into the results it reads when its
// invocation_id is that of run_results.json.
const KilnRunResultsFile = "kiln_run_results.json"

type kilnRunResults struct {
	Metadata struct {
		InvocationID string `json:"invocation_id"`
		GeneratedAt  string `json:"generated_at"`
	} `json:"metadata"`
	Results map[graph.ID]KilnResult `json:"results"`
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
	var extra kilnRunResults
	extra.Metadata.InvocationID, extra.Metadata.GeneratedAt = out.Metadata.InvocationID, out.Metadata.GeneratedAt
	extra.Results = make(map[graph.ID]KilnResult, len(results))
	for i, r := range results {
		out.Results[i] = nodeResult(r, meta.Graph)
		extra.Results[r.ID] = out.Results[i].KilnResult
	}
	// kiln's file first: a run_results.json is never beside the figures
	// of another run (ReadRunResults checks the invocation_id).
	if err := writeJSON(dir, KilnRunResultsFile, extra); err != nil {
		return err
	}
	return writeJSON(dir, RunResultsFile, out)
}

// batchTime is dbt's batch bound: Python's isoformat of a UTC datetime.
const batchTime = "2006-01-02T15:04:05-07:00"

func batchResults(b *run.Batches) *BatchResults {
	if b == nil {
		return nil
	}
	out := &BatchResults{Successful: [][2]string{}, Failed: [][2]string{}}
	for _, x := range b.Successful {
		out.Successful = append(out.Successful, [2]string{x.Start.UTC().Format(batchTime), x.End.UTC().Format(batchTime)})
	}
	for _, x := range b.Failed {
		out.Failed = append(out.Failed, [2]string{x.Start.UTC().Format(batchTime), x.End.UTC().Format(batchTime)})
	}
	return out
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
		BatchResults:    batchResults(r.Batches),
		KilnResult: KilnResult{Expected: r.Expected, Actual: r.Actual, SkippedBy: r.SkippedBy, Attempts: r.Attempts,
			Gates: gateResults(r.Gates)},
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
		if _, ok := nr.AdapterResponse["rows_affected"]; !ok && r.Status != run.UpToDate {
			nr.AdapterResponse["rows_affected"] = rows
		}
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
// by dbt) and fills Status, and each result's KilnResult from the
// kiln_run_results.json beside it when that file is of the same
// invocation (or, from a run_results.json of an older kiln, from the
// result's own keys); otherwise a result's Rows is adapter_response's
// rows_affected. It returns an error when the file cannot be read or is
// not run results.
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
	var inline struct {
		Results []KilnResult `json:"results"`
	}
	if json.Unmarshal(data, &inline) == nil && len(inline.Results) == len(rr.Results) {
		for i := range rr.Results {
			rr.Results[i].KilnResult = inline.Results[i]
		}
	}
	var extra kilnRunResults
	if data, err := os.ReadFile(filepath.Join(filepath.Dir(path), KilnRunResultsFile)); err == nil &&
		json.Unmarshal(data, &extra) == nil && extra.Metadata.InvocationID == rr.Metadata.InvocationID {
		for i, r := range rr.Results {
			if k, ok := extra.Results[r.UniqueID]; ok {
				rr.Results[i].KilnResult = k
			}
		}
	}
	rr.Status = make(map[graph.ID]run.Status, len(rr.Results))
	for i, r := range rr.Results {
		rr.Status[r.UniqueID] = r.Status
		kind, _, _ := strings.Cut(string(r.UniqueID), ".")
		if n, ok := r.AdapterResponse["rows_affected"].(float64); ok && r.Rows == nil && n >= 0 && n == float64(int64(n)) &&
			kind != string(graph.Test) && kind != string(graph.UnitTest) {
			rows := int64(n)
			rr.Results[i].Rows = &rows
		}
	}
	return &rr, nil
}
