package engine

import (
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/internal/artifact"
)

// The fingerprints a run starts computing in the background, before it
// opens its database, are those computed when asked (with the input
// files' checksums); a manifest replaced meanwhile (as --defer does) is
// fingerprinted anew.
func TestFingerprintsComputedAhead(t *testing.T) {
	load := func(vars map[string]any) *Project {
		dir := t.TempDir()
		writeFiles(t, dir, propProject)
		p, err := Load(Config{Dir: dir, Vars: vars})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := load(nil)
	want := artifact.Fingerprints(p.Manifest, p.Inputs())
	if len(want) == 0 || want["model.prop.report"].Code == "" {
		t.Fatalf("no fingerprints to compare: %v", want)
	}
	if len(p.Inputs()) == 0 {
		t.Fatal("the project has no input file: the checksums would go untested")
	}
	p.startFingerprints()
	if got := p.Fingerprints(); !reflect.DeepEqual(got, want) {
		t.Errorf("fingerprints computed ahead differ:\n%v\nwant\n%v", got, want)
	}

	q := load(nil)
	q.startFingerprints()
	other := load(map[string]any{"factor": 5}) // report's code differs
	q.Manifest, q.inputFiles = other.Manifest, nil
	got := q.Fingerprints()
	if w := artifact.Fingerprints(other.Manifest, other.Inputs()); !reflect.DeepEqual(got, w) {
		t.Errorf("after the manifest was replaced, fingerprints =\n%v\nwant those of the new manifest\n%v", got, w)
	}
	if got["model.prop.report"] == want["model.prop.report"] {
		t.Error("the replaced manifest's report has the first manifest's fingerprint")
	}
}
