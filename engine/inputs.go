package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
)

// Inputs returns the size and sha256 of every file feeding a source or a
// seed, by node; files that cannot be read are left out (a run reports
// them). The hashes are computed once per Project, from the database's
// cache when a run has read it (see adapter.FileStamp).
func (p *Project) Inputs() map[graph.ID]artifact.InputFile {
	if p.inputFiles != nil {
		return p.inputFiles
	}
	out := map[graph.ID]artifact.InputFile{}
	for _, n := range p.Graph().Nodes() {
		var path string
		switch {
		case n.Kind == graph.Source && n.Source.External != nil:
			path = n.Source.External.Path
		case n.Kind == graph.Seed:
			path = filepath.Join(p.Dir, filepath.FromSlash(n.Path))
		default:
			continue
		}
		sum, size, err := p.hashInput(path)
		if err != nil {
			continue
		}
		out[n.ID] = artifact.InputFile{Path: Rel(p.Dir, path), SHA256: sum, Size: size}
	}
	p.inputFiles = out
	return out
}

// Fingerprints returns every node's fingerprint (artifact.Fingerprints,
// with the input files' checksums): the one change-detection fingerprint
// that state:modified compares with a previous manifest and that the
// up-to-date check chains through the graph. It is computed once.
func (p *Project) Fingerprints() map[graph.ID]artifact.Fingerprint {
	if p.fingerprints == nil {
		var base map[graph.ID]artifact.Fingerprint
		if f := p.fpFuture; f != nil {
			p.fpFuture = nil
			if base = <-f.done; f.m != p.Manifest {
				base = nil // the manifest was replaced since (--defer)
			}
		}
		if base == nil {
			base = artifact.ManifestFingerprints(p.Manifest)
		}
		p.fingerprints = artifact.WithInputs(base, p.Inputs())
	}
	return p.fingerprints
}

// fpFuture is artifact.ManifestFingerprints of m, sent on done once.
type fpFuture struct {
	m    *compiler.Manifest
	done chan map[graph.ID]artifact.Fingerprint
}

// startFingerprints computes, in the background, the part of the
// fingerprints that depends on the manifest alone (about 0.1 ms a node),
// so that a run does it while it opens and recovers its database;
// Fingerprints waits for it.
func (p *Project) startFingerprints() {
	if p.fingerprints != nil || p.fpFuture != nil {
		return
	}
	f := &fpFuture{m: p.Manifest, done: make(chan map[graph.ID]artifact.Fingerprint, 1)}
	// On one goroutine: on two cores, more took the CPU from the opening
	// and the recovery of the database, which the run waits for (W2
	// 1,000: the open took 135-200 ms instead of 60-160 ms).
	go func() { f.done <- artifact.ManifestFingerprintsOn(f.m, 1) }()
	p.fpFuture = f
}

// hashInput returns the sha256 (hex) and size of input file path, from the
// database's cache when path's adapter.FileStamp is the cached one; a hash it
// computes is kept in p.newHashes for the run to save. The stamp is taken
// before the file is read: a file written meanwhile is hashed again next
// time.
func (p *Project) hashInput(path string) (string, int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", 0, err
	}
	st := stampOf(fi)
	if h, ok := p.hashes[abs]; ok && h.Stamp == st {
		return h.SHA256, st.Size, nil
	}
	sum, size, err := hashFile(abs)
	if err != nil {
		return "", 0, err
	}
	if size == st.Size && settled(st, time.Now()) {
		if p.newHashes == nil {
			p.newHashes = map[string]adapter.FileHash{}
		}
		p.newHashes[abs] = adapter.FileHash{Stamp: st, SHA256: sum}
	}
	return sum, size, nil
}

// settled reports whether a file with stamp st was last written long
// enough before now that a later write moves its times: file systems
// update them from a coarse clock (a few ms), so a file rewritten in the
// same tick keeps its stamp. A hash of a file written within the last
// SettleWindow is not cached (git's "racily clean" index entries).
func settled(st adapter.FileStamp, now time.Time) bool {
	last := max(st.ModNs, st.ChangeNs)
	return now.UnixNano()-last > int64(SettleWindow)
}

// SettleWindow is how long ago a file must have been written for its hash
// to be cached in the database. Tests that write input files and build at
// once set it to 0.
var SettleWindow = 2 * time.Second

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
