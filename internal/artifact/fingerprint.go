package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Fingerprint is what, in a node's definition, can make it need a rebuild.
// It is kiln's one change-detection fingerprint: state:modified compares
// it with a previous manifest's (kiln ls -s state:modified --state DIR, as
// dbt's), and the up-to-date check chains its Digest through the graph
// (package state) and compares with the last successful build's. Compare
// two fingerprints field by field to tell what changed. Each field is a
// hex SHA-256 digest, or "" when it does not apply.
type Fingerprint struct {
	// Code is the hash of the SQL the node runs, as compiled: a model's or
	// test's compiled code (so an edited macro, or a var rendered into the
	// SQL, modifies the nodes whose SQL changed), a unit test's compiled
	// code with its given and expected rows. "" for sources, seeds and
	// exports. The invocation's id, which changes at every invocation, is
	// hashed as {{ invocation_id }} (see InvocationPlaceholder): a model
	// that renders it is not modified by a new invocation (dbt compares
	// the file's checksum), and the up-to-date check runs it at every
	// build on its own account (a query that renders the invocation).
	// Likewise run_started_at, which changes at every invocation, is
	// hashed as {{ run_started_at }} (RunStartedAtPlaceholder) where the
	// code holds one of its usual renderings (compiler.RunStartedAtTexts):
	// a model that renders it is not modified by a new invocation (dbt
	// compares the file's checksum), and the up-to-date check runs it at
	// every build on its own account (it renders run_started_at).
	Code string
	// Body is the node's checksum: the sha256 of the file for models,
	// seeds and singular tests, the test's hash (node, column, test,
	// arguments) for YAML tests. For sources it is the hash of the
	// external file's settings but its location ("" without a file), for
	// exports that of
	// their format, path and sheets.
	Body string
	// Config is the hash of the node's config object as canonical JSON.
	Config string
	// Contract is the hash of config.contract and the columns' data_type;
	// "" when neither is set.
	Contract string
	// Relation is the relation's quoted name, "schema"."name" ("" for
	// ephemeral models and tests). It is a name, not a hash.
	Relation string
	// Inputs is the sha256 of the file the source or seed is loaded from,
	// as passed in inputs (manifest: kiln.inputs). A source's file is
	// known by its content, not its location, so that a month moved to
	// another folder changes only the sources whose files differ; when its
	// file could not be read, Inputs is "location:" and the location. ""
	// when the node has no file.
	Inputs string

	// The fields below are what dbt's state:modified compares
	// (https://docs.getdbt.com/reference/node-selection/methods#state),
	// none of which depends on the target a manifest was written for;
	// Digest leaves them out (the up-to-date check compares the built
	// relation and the SQL that runs, above).

	// Configs is the hash of the config as dbt's same_config compares it:
	// every key but database, schema, alias, tags and group (the relation
	// is Named's), and for tests only severity, where, limit, fail_calc,
	// warn_if, error_if, store_failures and store_failures_as.
	Configs string
	// Named is the hash of the database, schema and alias configs as
	// configured (dbt's same_database_representation compares the
	// unrendered configs, not what generate_schema_name makes of them
	// for a target); for sources, their relation's name (dbt's sources
	// compare database, schema and identifier).
	Named string
	// Persisted is the hash of the descriptions persist_docs writes to
	// the database (dbt's same_persisted_description), "" without it.
	Persisted string
	// FQN is the hash of the node's fully qualified name (dbt's same_fqn).
	FQN string
	// Macros is the hash of the text of each macro the node calls, directly
	// or through other macros (its depends_on.macros, their own, and so
	// on, with their macro_sql): dbt's state:modified.macros.
	Macros string
}

// Digest returns one hash of every field of fp: equal digests, equal
// fingerprints.
func (fp Fingerprint) Digest() string {
	h := sha256.New()
	for _, f := range []string{fp.Code, fp.Body, fp.Config, fp.Contract, fp.Relation, fp.Inputs} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// withInputs sets fp.Inputs to the checksum of the node's input file; a
// source without one keeps the location fingerprintOf put there.
func (fp Fingerprint) withInputs(sha256 string) Fingerprint {
	if sha256 != "" {
		fp.Inputs = sha256
	}
	return fp
}

// Fingerprints returns the fingerprint of every node of m's graph, with
// the input file checksums in inputs. It agrees exactly with
// ReadManifestFingerprints on the manifest WriteManifest writes for m and
// the same inputs: both decode the same JSON entries.
func Fingerprints(m *compiler.Manifest, inputs map[graph.ID]InputFile) map[graph.ID]Fingerprint {
	return WithInputs(ManifestFingerprints(m), inputs)
}

// ManifestFingerprints returns the fingerprint of every node of m's graph
// as Fingerprints does but without the input files' checksums (see
// WithInputs): what depends on m alone, so that a caller can compute it
// while it waits for the files to be hashed. It uses GOMAXPROCS
// goroutines; ManifestFingerprintsOn takes their number.
func ManifestFingerprints(m *compiler.Manifest) map[graph.ID]Fingerprint {
	return ManifestFingerprintsOn(m, runtime.GOMAXPROCS(0))
}

// ManifestFingerprintsOn is ManifestFingerprints on at most workers
// goroutines (at least one): one, for a computation in the background of
// work that needs the other cores.
func ManifestFingerprintsOn(m *compiler.Manifest, workers int) map[graph.ID]Fingerprint {
	mj := buildManifest(m, Metadata{})
	inv := m.InvocationID()
	rep := runStartedReplacer(m.RunStartedAt())
	type item struct {
		id      graph.ID
		section string
		v       any
	}
	items := make([]item, 0, m.Graph.Len())
	for id, v := range mj.Nodes {
		items = append(items, item{id, "nodes", v})
	}
	for id, v := range mj.Sources {
		items = append(items, item{id, "sources", v})
	}
	for id, v := range mj.UnitTests {
		items = append(items, item{id, "unit_tests", v})
	}
	for id, v := range mj.Exports {
		items = append(items, item{id, "exports", v})
	}
	for id, v := range mj.Exposures {
		items = append(items, item{id, "exposures", v})
	}
	macros := make(map[string]macroText, len(mj.Macros))
	for id, m := range mj.Macros {
		macros[id] = macroText{SQL: m.MacroSQL, Calls: m.DependsOn.Macros}
	}
	fps := make([]Fingerprint, len(items))
	err := parallelOn(workers, len(items), func(i int) error {
		data, err := appendMarshal(nil, items[i].v)
		if err != nil {
			return err
		}
		var e entryIn
		if err := json.Unmarshal(data, &e); err != nil {
			return err
		}
		fps[i], err = fingerprintOf(items[i].section, &e, inv, rep, macros)
		return err
	})
	out := make(map[graph.ID]Fingerprint, len(items))
	if err != nil {
		// Unreachable: the manifest holds plain values only. Returning no
		// fingerprints makes every node compare as modified, the safe side.
		return out
	}
	for i, it := range items {
		out[it.id] = fps[i]
	}
	return out
}

// WithInputs returns fps with the checksum of each node's input file in
// inputs set (Fingerprint.Inputs); fps is not changed.
func WithInputs(fps map[graph.ID]Fingerprint, inputs map[graph.ID]InputFile) map[graph.ID]Fingerprint {
	out := make(map[graph.ID]Fingerprint, len(fps))
	for id, fp := range fps {
		out[id] = fp.withInputs(inputs[id].SHA256)
	}
	return out
}

// ReadManifestFingerprints reads the manifest.json at path, as written by
// WriteManifest, and returns the fingerprint of each of its nodes, sources,
// unit tests and exports (disabled nodes are left out). It returns an
// error when the file cannot be read or is not a manifest.
func ReadManifestFingerprints(path string) (map[graph.ID]Fingerprint, error) {
	fps, _, err := ReadManifestState(path)
	return fps, err
}

// ReadManifestState is ReadManifestFingerprints that also returns the
// target the manifest was written for (kiln.target; nil when it records
// none, as dbt's manifests and kiln's before it).
func ReadManifestState(path string) (map[graph.ID]Fingerprint, *TargetInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	fps, target, err := fingerprintsJSON(data, path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return fps, target, nil
}

// entryIn holds the fields of a manifest entry that fingerprints use.
type entryIn struct {
	Checksum json.RawMessage `json:"checksum"` // {"name", "checksum"}, or a string (unit tests)
	Config   json.RawMessage `json:"config"`
	Columns  map[string]struct {
		DataType    *string         `json:"data_type"`
		Constraints json.RawMessage `json:"constraints"`
		Description string          `json:"description"`
	} `json:"columns"`
	Description  string          `json:"description"`
	Constraints  json.RawMessage `json:"constraints"` // models
	RelationName *string         `json:"relation_name"`
	External     json.RawMessage `json:"external"` // sources
	Format       string          `json:"format"`   // exports
	Path         string          `json:"path"`
	Sheets       json.RawMessage `json:"sheets"`
	CompiledCode *string         `json:"compiled_code"` // models and tests
	Given        json.RawMessage `json:"given"`         // unit tests
	Expect       json.RawMessage `json:"expect"`
	ResourceType string          `json:"resource_type"`
	FQN          []string        `json:"fqn"`
	DependsOn    struct {
		Macros []string   `json:"macros"`
		Nodes  []graph.ID `json:"nodes"`
	} `json:"depends_on"`
	// Exposures.
	Type     string          `json:"type"`
	Owner    json.RawMessage `json:"owner"`
	Label    *string         `json:"label"`
	Maturity *string         `json:"maturity"`
	URL      *string         `json:"url"`
}

type manifestIn struct {
	Metadata struct {
		SchemaVersion string `json:"dbt_schema_version"`
		InvocationID  string `json:"invocation_id"`
	} `json:"metadata"`
	Nodes     map[graph.ID]*entryIn `json:"nodes"`
	Sources   map[graph.ID]*entryIn `json:"sources"`
	UnitTests map[graph.ID]*entryIn `json:"unit_tests"`
	Exports   map[graph.ID]*entryIn `json:"exports"`
	Exposures map[graph.ID]*entryIn `json:"exposures"`
	Macros    map[string]*struct {
		MacroSQL  string `json:"macro_sql"`
		DependsOn struct {
			Macros []string `json:"macros"`
		} `json:"depends_on"`
	} `json:"macros"`
	Kiln struct {
		Inputs        map[graph.ID]InputFile `json:"inputs"`
		ParseCompiled map[graph.ID]string    `json:"parse_compiled_code"`
		RunStartedAt  string                 `json:"run_started_at"`
		Target        *TargetInfo            `json:"target"`
	} `json:"kiln"`
}

// fingerprintsJSON reads the fingerprints of manifest.json's data, with
// the kiln_manifest.json beside path (overlayKilnManifest); path "" reads
// data alone.
func fingerprintsJSON(data []byte, path string) (map[graph.ID]Fingerprint, *TargetInfo, error) {
	var in manifestIn
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, nil, fmt.Errorf("invalid manifest: %w", err)
	}
	if !strings.Contains(in.Metadata.SchemaVersion, "/manifest/") {
		return nil, nil, fmt.Errorf("not a manifest: metadata.dbt_schema_version is %q", in.Metadata.SchemaVersion)
	}
	if path != "" {
		if err := overlayKilnManifest(path, in.Metadata.InvocationID, &in); err != nil {
			return nil, nil, err
		}
	}
	out := make(map[graph.ID]Fingerprint, len(in.Nodes)+len(in.Sources)+len(in.UnitTests)+len(in.Exports))
	rep := runStartedReplacer(compiler.RunStartedAtTexts(in.Kiln.RunStartedAt))
	macros := make(map[string]macroText, len(in.Macros))
	for id, m := range in.Macros {
		if m != nil {
			macros[id] = macroText{SQL: m.MacroSQL, Calls: m.DependsOn.Macros}
		}
	}
	add := func(section string, entries map[graph.ID]*entryIn) error {
		for id, e := range entries {
			if e == nil {
				continue
			}
			if code, ok := in.Kiln.ParseCompiled[id]; ok && e.CompiledCode != nil {
				e.CompiledCode = &code // the definition's, not what a run executed
			}
			fp, err := fingerprintOf(section, e, in.Metadata.InvocationID, rep, macros)
			if err != nil {
				return fmt.Errorf("%s %q: %w", section, id, err)
			}
			out[id] = fp.withInputs(in.Kiln.Inputs[id].SHA256)
		}
		return nil
	}
	for _, s := range []struct {
		name    string
		entries map[graph.ID]*entryIn
	}{{"nodes", in.Nodes}, {"sources", in.Sources}, {"unit_tests", in.UnitTests}, {"exports", in.Exports}, {"exposures", in.Exposures}} {
		if err := add(s.name, s.entries); err != nil {
			return nil, nil, err
		}
	}
	return out, in.Kiln.Target, nil
}

// InvocationPlaceholder is what the invocation's id is replaced with in
// the compiled code that Fingerprint.Code hashes.
const InvocationPlaceholder = "{{ invocation_id }}"

// RunStartedAtPlaceholder is what the renderings of run_started_at are
// replaced with in the compiled code that Fingerprint.Code hashes.
const RunStartedAtPlaceholder = "{{ run_started_at }}"

// runStarted replaces the renderings of run_started_at in compiled code
// by RunStartedAtPlaceholder.
type runStarted struct {
	rep *strings.Replacer
	// seconds are the renderings to the second (with a space, with a
	// T), which every other one begins with: code that holds neither is
	// returned without a scan by the replacer.
	seconds []string
}

// runStartedReplacer returns the replacer of texts (run_started_at's
// renderings, longest first, compiler.RunStartedAtTexts) by
// RunStartedAtPlaceholder; nil for none.
func runStartedReplacer(texts []string) *runStarted {
	if len(texts) == 0 {
		return nil
	}
	r := &runStarted{}
	pairs := make([]string, 0, 2*len(texts))
	for _, t := range texts {
		pairs = append(pairs, t, RunStartedAtPlaceholder)
		if len(t) == len("2006-01-02 15:04:05") {
			r.seconds = append(r.seconds, t)
		}
	}
	r.rep = strings.NewReplacer(pairs...)
	return r
}

// replace returns code with run_started_at's renderings replaced; r may
// be nil (code as is).
func (r *runStarted) replace(code string) string {
	if r == nil {
		return code
	}
	for _, s := range r.seconds {
		if strings.Contains(code, s) {
			return r.rep.Replace(code)
		}
	}
	return code
}

// fingerprintOf returns the fingerprint of a manifest entry of section
// written by invocation inv ("" when unknown), its compiled code read
// through rep (nil: as is), with the text of the manifest's macros by
// unique_id in macros; a source's Inputs is
// "location:" and its external location, for withInputs to replace by
// the file's checksum when there is one.
func fingerprintOf(section string, e *entryIn, inv string, rep *runStarted, macros map[string]macroText) (fp Fingerprint, err error) {
	cfg, err := decode(e.Config)
	if err != nil {
		return fp, fmt.Errorf("config: %w", err)
	}
	if m, ok := cfg.(map[string]any); ok {
		// A node without hooks keeps the fingerprint it had before the
		// manifest wrote dbt's empty pre-hook and post-hook lists.
		for _, k := range []string{"pre-hook", "post-hook"} {
			if l, ok := m[k].([]any); ok && len(l) == 0 {
				delete(m, k)
			}
		}
	}
	if err := stateFields(&fp, section, e, cfg, macros); err != nil {
		return fp, err
	}
	if fp.Config, err = hashValue(persistedDocs(cfg, e)); err != nil {
		return fp, err
	}
	var contract any
	if m, ok := cfg.(map[string]any); ok {
		contract = m["contract"]
	}
	types := map[string]string{}
	for name, c := range e.Columns {
		if c.DataType != nil && *c.DataType != "" {
			types[name] = *c.DataType
		}
	}
	// Constraints count when there are some (a model without keeps the
	// fingerprint it had before they were written to the manifest).
	constraints := map[string]any{}
	if v, err := decode(e.Constraints); err == nil && v != nil {
		if l, ok := v.([]any); ok && len(l) > 0 {
			constraints[""] = l
		}
	}
	for name, c := range e.Columns {
		if v, err := decode(c.Constraints); err == nil && v != nil {
			if l, ok := v.([]any); ok && len(l) > 0 {
				constraints[name] = l
			}
		}
	}
	if contract != nil || len(types) > 0 || len(constraints) > 0 {
		v := map[string]any{"contract": contract, "data_types": types}
		if len(constraints) > 0 {
			v["constraints"] = constraints
		}
		if fp.Contract, err = hashValue(v); err != nil {
			return fp, err
		}
	}
	if e.RelationName != nil {
		fp.Relation = *e.RelationName
	}
	switch section {
	case "sources":
		ext, err := decode(e.External)
		if err != nil {
			return fp, fmt.Errorf("external: %w", err)
		}
		if m, ok := ext.(map[string]any); ok {
			if loc, _ := m["location"].(string); loc != "" {
				fp.Inputs = "location:" + loc
			}
			delete(m, "location") // the file is compared by content: Inputs
		}
		if ext != nil {
			fp.Body, err = hashValue(ext)
		}
		return fp, err
	case "exposures":
		fp.Body, err = exposureBody(e)
		return fp, err
	case "exports":
		sheets, err := decode(e.Sheets)
		if err != nil {
			return fp, fmt.Errorf("sheets: %w", err)
		}
		fp.Body, err = hashValue(map[string]any{"format": e.Format, "path": e.Path, "sheets": sheets})
		return fp, err
	}
	sum, err := decode(e.Checksum)
	if err != nil {
		return fp, fmt.Errorf("checksum: %w", err)
	}
	switch s := sum.(type) {
	case string:
		fp.Body = s
	case map[string]any:
		fp.Body, _ = s["checksum"].(string)
	}
	switch {
	case section == "unit_tests":
		given, err := decode(e.Given)
		if err != nil {
			return fp, fmt.Errorf("given: %w", err)
		}
		expect, err := decode(e.Expect)
		if err != nil {
			return fp, fmt.Errorf("expect: %w", err)
		}
		fp.Code, err = hashValue(map[string]any{"checksum": fp.Body, "given": given, "expect": expect})
		return fp, err
	case e.CompiledCode != nil:
		code := rep.replace(*e.CompiledCode)
		if inv != "" {
			code = strings.ReplaceAll(code, inv, InvocationPlaceholder)
		}
		h := sha256.Sum256([]byte(code))
		fp.Code = hex.EncodeToString(h[:])
	}
	return fp, nil
}

// decode parses raw JSON into plain values, keeping numbers' text; empty
// input is nil.
func decode(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// hashValue is the hex sha256 of v's canonical JSON: compact, object keys
// sorted.
func hashValue(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// persistedDocs is what of entry e counts with its config cfg: the
// config, and, when persist_docs writes them to the database (relation,
// columns: dbt's state:modified.persisted_descriptions), the descriptions
// it writes, so that a node whose persisted description changed is not
// up to date. A node without persist_docs keeps its fingerprint.
func persistedDocs(cfg any, e *entryIn) any {
	m, _ := cfg.(map[string]any)
	pd, _ := m["persist_docs"].(map[string]any)
	rel, _ := pd["relation"].(bool)
	cols, _ := pd["columns"].(bool)
	if !rel && !cols {
		return cfg
	}
	docs := map[string]any{}
	if rel {
		docs[""] = e.Description
	}
	if cols {
		for name, c := range e.Columns {
			docs[name] = c.Description
		}
	}
	return map[string]any{"config": cfg, "persisted_descriptions": docs}
}
