package artifact

import (
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/graph"
)

// TestFingerprintsRoundTrip writes a manifest, reads its fingerprints back
// and compares them with those computed from the compiled project.
func TestFingerprintsRoundTrip(t *testing.T) {
	m := shop(t, nil)
	dir := t.TempDir()
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	read, err := ReadManifestFingerprints(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	fps := Fingerprints(m, testInputs)
	if !reflect.DeepEqual(fps, read) {
		t.Fatalf("fingerprints differ after a round trip:\nwritten %v\nread    %v", fps, read)
	}
	if len(fps) != m.Graph.Len() {
		t.Fatalf("%d fingerprints for %d nodes", len(fps), m.Graph.Len())
	}
	// A run computes them on one goroutine, kiln compile on every core:
	// the same fingerprints.
	for _, workers := range []int{1, 3} {
		if got := WithInputs(ManifestFingerprintsOn(m, workers), testInputs); !reflect.DeepEqual(got, fps) {
			t.Errorf("on %d goroutines: %v, want %v", workers, got, fps)
		}
	}
	for _, n := range m.Graph.Nodes() {
		if fps[n.ID].Config == "" {
			t.Errorf("%s has no config fingerprint", n.ID)
		}
	}

	rev := fps["model.shop.revenue"]
	if rev.Body != m.Graph.Node("model.shop.revenue").Checksum || rev.Relation != `"marts"."revenue"` || rev.Contract == "" || rev.Inputs != "" {
		t.Errorf("revenue: %+v", rev)
	}
	if stg := fps["model.shop.stg_orders"]; stg.Contract != "" {
		t.Errorf("stg_orders has no contract nor data types, yet Contract = %q", stg.Contract)
	}
	if src := fps["source.shop.raw.orders"]; src.Inputs != testInputs["source.shop.raw.orders"].SHA256 || src.Body == "" || src.Relation != `"raw"."orders"` {
		t.Errorf("orders: %+v", src)
	}
	if seed := fps["seed.shop.countries"]; seed.Inputs != testInputs["seed.shop.countries"].SHA256 || seed.Body != sha("country\nFR\n") {
		t.Errorf("countries: %+v", seed)
	}
	if exp := fps["export.shop.monthly"]; exp.Body == "" || exp.Relation != "" {
		t.Errorf("export: %+v", exp)
	}
}

// changed lists the IDs whose fingerprint differs, or that are in one map
// only, each with the names of the fields that differ.
func changed(a, b map[graph.ID]Fingerprint) []string {
	var out []string
	for id, fa := range a {
		fb, ok := b[id]
		if !ok {
			out = append(out, string(id)+" removed")
			continue
		}
		var fields []string
		va, vb := reflect.ValueOf(fa), reflect.ValueOf(fb)
		for i := range va.NumField() {
			if va.Field(i).String() != vb.Field(i).String() {
				fields = append(fields, va.Type().Field(i).Name)
			}
		}
		if len(fields) > 0 {
			out = append(out, string(id)+" "+strings.Join(fields, ","))
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			out = append(out, string(id)+" added")
		}
	}
	sort.Strings(out)
	return out
}

// TestFingerprintsChanges changes one model's code, one test's arguments,
// one input file and one config, and checks that exactly those
// fingerprints differ from the previous manifest's.
func TestFingerprintsChanges(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManifest(dir, shop(t, nil), testMeta()); err != nil {
		t.Fatal(err)
	}
	before, err := ReadManifestFingerprints(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}

	m := shop(t, func(fsys fstest.MapFS) {
		f := fsys["models/staging/stg_orders.sql"]
		f.Data = append(f.Data, []byte("where amount > 0\n")...)
		s := fsys["models/marts/schema.yml"]
		s.Data = []byte(strings.Replace(string(s.Data), "values: [1, 2]", "values: [1, 3]", 1))
		s.Data = []byte(strings.Replace(string(s.Data), "owner: finance", "owner: sales", 1))
	})
	inputs := map[graph.ID]InputFile{}
	for id, in := range testInputs {
		inputs[id] = in
	}
	inputs["source.shop.raw.orders"] = InputFile{Path: "data/raw/orders.xlsx", SHA256: sha("orders v2"), Size: 9}

	got := changed(before, Fingerprints(m, inputs))
	// A test's unique_id holds the hash of its arguments: new arguments
	// make a new test.
	want := []string{
		"model.shop.revenue Config",
		"model.shop.stg_orders Code,Body",
		"source.shop.raw.orders Inputs",
		"test.shop.accepted_values_revenue_revenue__False__1__2.7f06366738 removed",
		"test.shop.accepted_values_revenue_revenue__False__1__3.",
	}
	if len(got) != len(want) {
		t.Fatalf("changed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("changed[%d] = %q, want %q...", i, got[i], want[i])
		}
	}
	if !strings.HasSuffix(got[4], " added") {
		t.Errorf("the new test should be added: %q", got[4])
	}

	// Editing a macro changes the compiled code of the models that call
	// it, and the text of the macros they call (dbt's
	// state:modified.macros), and nothing else: they are modified, as the
	// up-to-date check rebuilds them.
	m = shop(t, func(fsys fstest.MapFS) {
		f := fsys["macros/cents.sql"]
		f.Data = []byte(strings.Replace(string(f.Data), "* 100", "* 1000", 1))
	})
	eq(t, "after a macro edit", changed(before, Fingerprints(m, testInputs)), []string{"model.shop.stg_orders Code,Macros"})

	// Changing a column's data type changes the contract, and only it.
	m = shop(t, func(fsys fstest.MapFS) {
		s := fsys["models/marts/schema.yml"]
		s.Data = []byte(strings.Replace(string(s.Data), "data_type: double", "data_type: decimal(18,2)", 1))
	})
	eq(t, "after a data_type change", changed(before, Fingerprints(m, testInputs)), []string{"model.shop.revenue Contract"})

	// A constraint written, or changed, changes the contract, and only it:
	// the model is built again, with it (a foreign_key is checked then).
	withKey := func(key string) func(fsys fstest.MapFS) {
		return func(fsys fstest.MapFS) {
			s := fsys["models/marts/schema.yml"]
			s.Data = []byte(strings.Replace(string(s.Data), "        data_type: integer", "        data_type: integer\n        constraints: [{type: foreign_key, expression: \"other ("+key+")\"}]", 1))
		}
	}
	keyed := Fingerprints(shop(t, withKey("id")), testInputs)
	eq(t, "after a constraint is written", changed(before, keyed), []string{"model.shop.revenue Contract"})
	eq(t, "after a constraint's change", changed(keyed, Fingerprints(shop(t, withKey("code")), testInputs)), []string{"model.shop.revenue Contract"})
}

func TestReadManifestFingerprintsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadManifestFingerprints(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("no error for a missing file")
	}
	bad := filepath.Join(dir, "bad.json")
	if err := WriteFileAtomic(bad, []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifestFingerprints(bad); err == nil || !strings.Contains(err.Error(), "not a manifest") {
		t.Errorf("run results read as a manifest: %v", err)
	}
	if err := WriteFileAtomic(bad, []byte(`{"metadata":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifestFingerprints(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("truncated manifest: %v", err)
	}
}
