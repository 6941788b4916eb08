package docs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
)

// RunInputs are the input files a run loaded its sources and seeds from:
// kiln_manifest.json's kiln.inputs, written by the invocation
// InvocationID.
type RunInputs struct {
	InvocationID string
	Files        map[graph.ID]artifact.InputFile
}

// ReadRunInputs reads the input files recorded in dir's
// kiln_manifest.json (artifact.KilnManifestFile): the last invocation
// that compiled the project, with the files' paths relative to the
// project, SHA-256 and sizes. It returns nil when the file is missing or
// unreadable (the docs then say the files are not known).
func ReadRunInputs(dir string) *RunInputs {
	data, err := os.ReadFile(filepath.Join(dir, artifact.KilnManifestFile))
	if err != nil {
		return nil
	}
	var m struct {
		Metadata struct {
			InvocationID string `json:"invocation_id"`
		} `json:"metadata"`
		Kiln struct {
			Inputs map[graph.ID]artifact.InputFile `json:"inputs"`
		} `json:"kiln"`
	}
	if json.Unmarshal(data, &m) != nil || m.Metadata.InvocationID == "" {
		return nil
	}
	return &RunInputs{InvocationID: m.Metadata.InvocationID, Files: m.Kiln.Inputs}
}

// siteBuiltWith is a run whose data the documented relations hold, with
// the vars it ran with (those --vars gave, and the project's defaults of
// the others) and the input files it read: what the tables stand for
// (a month, a folder of exports), shown on the overview.
type siteBuiltWith struct {
	RunID    string `json:"run_id"`
	Command  string `json:"command,omitempty"`
	Finished string `json:"finished_at,omitempty"` // RFC 3339, UTC
	// Relations counts the nodes whose relation holds the run's data; 0
	// when it comes from run_results.json alone (no database read).
	Relations int       `json:"relations"`
	Vars      []siteVar `json:"vars"`
	// Inputs are the files of the run's sources and seeds; nil when the
	// run's are not recorded (kiln_manifest.json is a later invocation's).
	Inputs []siteInput `json:"inputs,omitempty"`
}

// siteVar is a var of a run: its value as text (JSON for a list or a
// mapping), given by --vars or the project's default.
type siteVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Given bool   `json:"given"`
}

// siteInput is an input file of a run: the source or seed (position of
// its node, -1 when the project no longer has it), its path relative to
// the project, its SHA-256 (hex) and size in bytes.
type siteInput struct {
	Node   int    `json:"node"`
	ID     string `json:"id"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// maxBuiltWith is how many runs the overview lists, the newest first.
const maxBuiltWith = 5

// builtWith returns the runs whose data the relations hold (in.Built),
// the newest first, each with its vars and, for the invocation that
// wrote kiln_manifest.json, its input files. Without the run history (no
// database), it returns the last run of run_results.json, whose --vars
// are args.vars. nil when neither is known.
func builtWith(in *Input, at func(graph.ID) int) []siteBuiltWith {
	g := in.Manifest.Graph
	byRun := map[string]*siteBuiltWith{}
	var out []*siteBuiltWith
	ids := make([]graph.ID, 0, len(in.Built))
	for id := range in.Built {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		n := g.Node(id)
		if n == nil || n.Kind == graph.Test || n.Relation.IsZero() {
			continue
		}
		r := in.Built[id]
		b := byRun[r.ID]
		if b == nil {
			var given map[string]any
			if r.Vars != "" {
				_ = json.Unmarshal([]byte(r.Vars), &given)
			}
			b = &siteBuiltWith{RunID: r.ID, Command: r.Command, Finished: r.Finished.UTC().Format("2006-01-02T15:04:05Z"), Vars: runVars(in, given)}
			byRun[r.ID] = b
			out = append(out, b)
		}
		b.Relations++
	}
	if len(out) == 0 && in.Results != nil {
		var given map[string]any
		if s, _ := in.Results.Args["vars"].(string); strings.TrimSpace(s) != "" {
			_ = yaml.Unmarshal([]byte(s), &given)
		}
		out = append(out, &siteBuiltWith{RunID: in.Results.Metadata.InvocationID, Command: in.Results.Command(),
			Finished: in.Results.Metadata.GeneratedAt, Vars: runVars(in, given)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Finished > out[j].Finished })
	if len(out) > maxBuiltWith {
		out = out[:maxBuiltWith]
	}
	res := make([]siteBuiltWith, len(out))
	for i, b := range out {
		if in.Inputs != nil && in.Inputs.InvocationID == b.RunID {
			b.Inputs = []siteInput{}
			for id, f := range in.Inputs.Files {
				b.Inputs = append(b.Inputs, siteInput{Node: at(id), ID: string(id), Path: f.Path, SHA256: f.SHA256, Size: f.Size})
			}
			sort.Slice(b.Inputs, func(i, j int) bool { return b.Inputs[i].ID < b.Inputs[j].ID })
		}
		res[i] = *b
	}
	return res
}

// runVars returns the vars given (a run's --vars) and the project's
// defaults of the others (project.yml's top-level vars; a package's
// mapping of vars is left out), sorted by name.
func runVars(in *Input, given map[string]any) []siteVar {
	out := []siteVar{}
	for k, v := range given {
		out = append(out, siteVar{Name: k, Value: varText(v), Given: true})
	}
	for k, v := range in.Manifest.Project.Config.Vars {
		if _, ok := given[k]; ok {
			continue
		}
		if _, isMap := v.(map[string]any); isMap {
			continue
		}
		out = append(out, siteVar{Name: k, Value: varText(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// varText writes a var's value: a string as is, anything else as JSON.
func varText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}
