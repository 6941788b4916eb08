// Package parsecache is kiln's partial parsing, as dbt's
// target/partial_parse.msgpack: the result of `kiln ls` and of `kiln
// compile` is kept under the target folder with the stamp of everything
// that produced it, and served again, without reading or compiling the
// project, while nothing it depends on changed.
//
// What a load depends on is recorded while it runs, not listed by hand:
// the project's files and folders through a recording fs.FS (Recorder.FS:
// each file opened, each folder listed, each path found missing), the
// environment variables through Recorder.LookupEnv, and the files read
// outside the project's FS (profiles.yml, selectors.yml, input files)
// through Recorder.StatOutside. A file's stamp is git's index entry: size,
// modification and status-change times, inode, device and mode. A file
// written less than Window before it was read is "racily clean" (a write in
// the same clock tick keeps its stamp): the hash of the bytes the load read
// is kept with it, and a later check reads the file again.
//
// The cache is a main file (the key and the entries) and one result file
// per cached output, each naming the main file's generation. Anything
// unreadable, truncated, of another format or another key is a miss, never
// an error.
package parsecache

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"time"

	kproject "github.com/kiln-build/kiln/compiler/project"
)

// Window is how long after a file was written its stamp is trusted alone:
// a file written (or whose status changed) less than Window before it was
// read keeps the hash of its content, checked again on every lookup. File
// systems stamp writes from a coarse clock, so a second write in the same
// tick keeps the stamp.
var Window = 2 * time.Second

// Stamp is what a stat says of a file that changes when it is written,
// renamed over, or has its mode changed.
type Stamp struct {
	Size, ModNs, ChangeNs int64
	Ino, Dev              uint64
	Mode                  uint32
}

// entry is one path the load looked at.
type entry struct {
	path   string // slash path under the project, or an absolute OS path when outside
	out    bool   // outside the project's FS: path is absolute
	exists bool
	read   bool // its content was read
	listed bool // it is a folder whose names were listed
	racy   bool // written within Window of the read: sum holds
	stamp  Stamp
	sum    [32]byte // sha256 of the content read, or of the listing
}

type envValue struct {
	value   string
	present bool
}

// Recorder records what a load reads. Its methods are safe for concurrent
// use (the loader reads files on every core).
type Recorder struct {
	root string // the project's absolute directory
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*entry // by path ("out:" prefix for outside paths)
	env     map[string]envValue
	open    int    // racy files opened and not closed yet
	bad     string // why the load cannot be cached; "" when it can
}

// NewRecorder returns a Recorder for the project in root (absolute).
func NewRecorder(root string) *Recorder {
	return &Recorder{root: root, now: time.Now, entries: map[string]*entry{}, env: map[string]envValue{}}
}

// Refuse marks the load as not cacheable, for why.
func (r *Recorder) Refuse(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bad == "" {
		r.bad = why
	}
}

// Refused returns why the load cannot be cached, "" when it can.
func (r *Recorder) Refused() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open > 0 && r.bad == "" {
		return "a file read while loading was not closed"
	}
	return r.bad
}

// LookupEnv is os.LookupEnv, recording the name and what it returned.
func (r *Recorder) LookupEnv(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	r.mu.Lock()
	r.env[name] = envValue{v, ok}
	r.mu.Unlock()
	return v, ok
}

func (r *Recorder) isRacy(s Stamp, now time.Time) bool {
	return now.UnixNano()-max(s.ModNs, s.ChangeNs) <= int64(Window)
}

// add merges e into the entry of its path; a path seen with two stamps
// changed during the load.
func (r *Recorder) add(e entry) {
	key := e.path
	if e.out {
		key = "out:" + key
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old, ok := r.entries[key]
	if !ok {
		r.entries[key] = &e
		return
	}
	if old.exists != e.exists || old.exists && old.stamp != e.stamp {
		if r.bad == "" {
			r.bad = e.path + " changed while the project was read"
		}
		return
	}
	if e.read {
		if old.read && old.racy && e.racy && old.sum != e.sum {
			if r.bad == "" {
				r.bad = e.path + " changed while the project was read"
			}
		}
		old.read = true
		if e.racy {
			old.racy, old.sum = true, e.sum
		}
	}
	if e.listed {
		old.listed = true
		if e.racy {
			old.racy, old.sum = true, e.sum
		}
	}
}

// StatOutside records path (absolute), a file read outside the project's
// FS, with its stamp or its absence. A file written within Window makes
// the load not cacheable: its content is not hashed here.
func (r *Recorder) StatOutside(p string) {
	e := entry{path: filepath.Clean(p), out: true}
	st, err := os.Stat(p)
	switch {
	case err == nil:
		e.exists, e.stamp = true, stampOf(st)
		if r.isRacy(e.stamp, r.now()) {
			r.Refuse(p + " was written less than " + Window.String() + " ago")
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		r.Refuse("cannot stat " + p + ": " + err.Error())
		return
	}
	r.add(e)
}

// FS returns fsys (the project's directory, os.DirFS(root)) recording every
// file opened, folder listed and path found missing.
func (r *Recorder) FS(fsys fs.FS) fs.FS { return &recFS{r: r, fsys: fsys, root: kproject.OSRoot(fsys)} }

type recFS struct {
	r    *Recorder
	fsys fs.FS
	root string // fsys's directory when it is an os.DirFS: ReadFile reads with plain system calls
}

func (f *recFS) missing(name string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		f.r.add(entry{path: name})
		return
	}
	f.r.Refuse("cannot read " + name + ": " + err.Error())
}

// Open implements fs.FS.
func (f *recFS) Open(name string) (fs.File, error) {
	file, err := f.fsys.Open(name)
	if err != nil {
		f.missing(name, err)
		return nil, err
	}
	st, err := file.Stat()
	if err != nil {
		f.r.Refuse("cannot stat " + name + ": " + err.Error())
		return file, nil
	}
	s := stampOf(st)
	racy := f.r.isRacy(s, f.r.now())
	if st.IsDir() {
		f.r.add(entry{path: name, exists: true, stamp: s})
		return &recDir{File: file, fs: f, name: name, stamp: s, racy: racy}, nil
	}
	if !racy {
		f.r.add(entry{path: name, exists: true, read: true, stamp: s})
		return file, nil
	}
	f.r.mu.Lock()
	f.r.open++
	f.r.mu.Unlock()
	return &recFile{File: file, fs: f, name: name, stamp: s, h: sha256.New()}, nil
}

// ReadFile implements fs.ReadFileFS: the file's stamp is taken before it
// is read (over an os.DirFS, from the fstat of project.ReadFileAt, which
// reads it in 4 system calls, where Open's os.File registers it with the
// runtime's poller).
func (f *recFS) ReadFile(name string) ([]byte, error) {
	if f.root != "" {
		b, st, err := kproject.ReadFileAt(f.root, name)
		if err != nil {
			f.missing(name, err)
			return nil, err
		}
		s := stampOf(st)
		if st.IsDir() || int64(len(b)) != s.Size {
			f.r.Refuse(name + " was read in part, or changed while read")
			return b, nil
		}
		e := entry{path: name, exists: true, read: true, stamp: s}
		if f.r.isRacy(s, f.r.now()) {
			e.racy, e.sum = true, sha256.Sum256(b)
		}
		f.r.add(e)
		return b, nil
	}
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	size := 512
	if st, err := file.Stat(); err == nil && st.Size() > 0 {
		size = int(st.Size()) + 1
	}
	buf := make([]byte, 0, size)
	for {
		n, err := file.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// Stat implements fs.StatFS.
func (f *recFS) Stat(name string) (fs.FileInfo, error) {
	st, err := fs.Stat(f.fsys, name)
	if err != nil {
		f.missing(name, err)
		return nil, err
	}
	f.r.add(entry{path: name, exists: true, stamp: stampOf(st)})
	return st, nil
}

// ReadDir implements fs.ReadDirFS: the folder's stamp is taken before it
// is listed.
func (f *recFS) ReadDir(name string) ([]fs.DirEntry, error) {
	st, err := fs.Stat(f.fsys, name)
	if err != nil {
		f.missing(name, err)
		return nil, err
	}
	s := stampOf(st)
	racy := f.r.isRacy(s, f.r.now())
	list, err := fs.ReadDir(f.fsys, name)
	if err != nil {
		f.r.Refuse("cannot list " + name + ": " + err.Error())
		return list, err
	}
	e := entry{path: name, exists: true, listed: true, stamp: s, racy: racy}
	if racy {
		e.sum = listingSum(list)
	}
	f.r.add(e)
	return list, nil
}

// Sub implements fs.SubFS so that a sub-tree is still recorded under its
// full path.
func (f *recFS) Sub(dir string) (fs.FS, error) {
	return &subFS{f: f, dir: dir}, nil
}

type subFS struct {
	f   *recFS
	dir string
}

func (s *subFS) full(name string) string {
	if name == "." {
		return s.dir
	}
	return path.Join(s.dir, name)
}
func (s *subFS) Open(name string) (fs.File, error)          { return s.f.Open(s.full(name)) }
func (s *subFS) ReadFile(name string) ([]byte, error)       { return s.f.ReadFile(s.full(name)) }
func (s *subFS) Stat(name string) (fs.FileInfo, error)      { return s.f.Stat(s.full(name)) }
func (s *subFS) ReadDir(name string) ([]fs.DirEntry, error) { return s.f.ReadDir(s.full(name)) }

// listingSum hashes a folder's names and kinds, sorted by name.
func listingSum(list []fs.DirEntry) [32]byte {
	names := make([]string, len(list))
	for i, d := range list {
		k := "f"
		if d.IsDir() {
			k = "d"
		}
		names[i] = d.Name() + "\x00" + k
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		io.WriteString(h, n)
		h.Write([]byte{0})
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// recFile is a racily clean file: the bytes read are hashed.
type recFile struct {
	fs.File
	fs     *recFS
	name   string
	stamp  Stamp
	h      hash.Hash
	n      int64
	closed bool
}

func (f *recFile) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	f.h.Write(b[:n])
	f.n += int64(n)
	return n, err
}

func (f *recFile) Close() error {
	err := f.File.Close()
	if f.closed {
		return err
	}
	f.closed = true
	r := f.fs.r
	r.mu.Lock()
	r.open--
	r.mu.Unlock()
	if f.n != f.stamp.Size {
		r.Refuse(f.name + " was read in part, or changed while read")
		return err
	}
	e := entry{path: f.name, exists: true, read: true, racy: true, stamp: f.stamp}
	f.h.Sum(e.sum[:0])
	r.add(e)
	return err
}

// recDir is a folder opened with Open: a listing through it is recorded
// when it lists the whole folder at once.
type recDir struct {
	fs.File
	fs    *recFS
	name  string
	stamp Stamp
	racy  bool
}

func (d *recDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rd, ok := d.File.(fs.ReadDirFile)
	if !ok {
		return nil, errors.New("not a folder")
	}
	list, err := rd.ReadDir(n)
	if n > 0 {
		d.fs.r.Refuse(d.name + " was listed in parts")
		return list, err
	}
	e := entry{path: d.name, exists: true, listed: true, stamp: d.stamp, racy: d.racy}
	if d.racy {
		e.sum = listingSum(list)
	}
	d.fs.r.add(e)
	return list, err
}

// sortedEntries returns the entries sorted by (outside, path).
func (r *Recorder) sortedEntries() []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]entry, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].out != out[j].out {
			return !out[i].out
		}
		return out[i].path < out[j].path
	})
	return out
}

// Read reports whether the load read the content of name (a slash path
// under the project) through the recording FS.
func (r *Recorder) Read(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[name]
	return ok && e.read
}

// Listed reports whether the load listed folder name (a slash path under
// the project) through the recording FS.
func (r *Recorder) Listed(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[name]
	return ok && e.listed
}
