package artifact

import (
	"crypto/sha256"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// CompiledIntact reports whether the compiled tree under dir (the target
// folder) is exactly what its index says: every file of the index there,
// a regular file with the index's stamp, and no other file nor empty
// folder. On such a tree, WriteCompiled of the SQL the index was written
// for changes nothing. It returns the sha256 of the index, which tells
// which SQL it was written for. It reads the index, lists the folders and
// stats every file, reading none.
func CompiledIntact(dir string) (sum [32]byte, ok bool) {
	root := filepath.Join(dir, CompiledDir)
	data, err := os.ReadFile(filepath.Join(root, IndexFile))
	if err != nil {
		return sum, false
	}
	sum = sha256.Sum256(data)
	idx := parseIndex(data)
	if idx == nil {
		return sum, false
	}
	// The files and sub-folders each folder must hold, by folder.
	type folder struct {
		files []string
		subs  map[string]bool
	}
	folders := map[string]*folder{".": {subs: map[string]bool{}}}
	for rel := range idx {
		d, name := path.Split(rel)
		d = path.Clean(d)
		f := folders[d]
		if f == nil {
			f = &folder{subs: map[string]bool{}}
			folders[d] = f
			// Its ancestors hold it.
			for c := d; c != "."; {
				p := path.Dir(c)
				pf := folders[p]
				if pf == nil {
					pf = &folder{subs: map[string]bool{}}
					folders[p] = pf
				}
				if pf.subs[path.Base(c)] {
					break
				}
				pf.subs[path.Base(c)] = true
				c = p
			}
		}
		f.files = append(f.files, name)
	}
	names := make([]string, 0, len(folders))
	for d := range folders {
		names = append(names, d)
	}
	sort.Strings(names)
	var bad atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(8, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !bad.Load() {
				i := int(next.Add(1)) - 1
				if i >= len(names) {
					return
				}
				rel := names[i]
				if !folderIntact(root, rel, folders[rel].files, folders[rel].subs, idx) {
					bad.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return sum, !bad.Load()
}

// folderIntact checks one folder of the tree: its names are exactly files,
// subs (and the index, at the root), and each file has its index stamp.
func folderIntact(root, rel string, files []string, subs map[string]bool, idx map[string]indexEntry) bool {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	d, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer d.Close()
	listed, err := d.Readdirnames(-1)
	if err != nil {
		return false
	}
	want := len(files) + len(subs)
	if rel == "." {
		want++ // the index
	}
	if len(listed) != want {
		return false
	}
	have := make(map[string]bool, len(listed))
	for _, n := range listed {
		have[n] = true
	}
	if rel == "." && !have[IndexFile] {
		return false
	}
	for s := range subs {
		if !have[s] {
			return false
		}
	}
	for _, name := range files {
		if !have[name] {
			return false
		}
		st, regular, err := lstatIn(d, dir, name)
		if err != nil || !regular || st != idx[path.Join(rel, name)].stamp {
			return false
		}
	}
	return true
}

// TimeText is t as manifest.json's metadata writes it (generated_at): UTC,
// microseconds, "Z".
func TimeText(t time.Time) string { return formatTime(t) }
