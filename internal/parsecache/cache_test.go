package parsecache

import (
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// project writes files under a new folder and returns it.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		write(t, filepath.Join(dir, name), body)
	}
	return dir
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// load reads dir as a loader does (a walk, each file read, a missing
// file probed, an environment variable) through a recorder, and saves
// the cache.
func load(t *testing.T, dir string) (Cache, Gen) {
	t.Helper()
	rec := NewRecorder(dir)
	fsys := rec.FS(os.DirFS(dir))
	if _, err := fs.Stat(fsys, "absent.yml"); err == nil {
		t.Fatal("absent.yml exists")
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == MainFile || filepath.Ext(p) == ".kiln" {
			return err
		}
		_, err = fs.ReadFile(fsys, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rec.LookupEnv("PARSECACHE_TEST")
	c := Cache{Root: dir, Dir: t.TempDir()} // beside: a target folder created in dir changes its listing
	gen, err := c.Save("key", rec)
	if err != nil {
		t.Fatal(err)
	}
	return c, gen
}

func TestLookupMissesEveryChange(t *testing.T) {
	window := Window
	Window = 0 // stamps alone: the racy case is TestRacyFileIsHashed
	defer func() { Window = window }()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"edit", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "models/a.sql"), "select 22") }},
		{"add a file", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "models/b.sql"), "select 2") }},
		{"add a folder", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "models/sub/c.sql"), "select 3") }},
		{"delete", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "models/a.sql")) }},
		{"rename", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "models/a.sql"), filepath.Join(dir, "models/z.sql"))
		}},
		{"create a missing file", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "absent.yml"), "x: 1") }},
		{"touch", func(t *testing.T, dir string) {
			later := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(dir, "models/a.sql"), later, later)
		}},
		{"chmod", func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "models/a.sql"), 0o600) }},
		{"set the environment variable", func(t *testing.T, dir string) { t.Setenv("PARSECACHE_TEST", "") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, map[string]string{"project.yml": "name: p\n", "models/a.sql": "select 1"})
			c, gen := load(t, dir)
			if got, ok := c.Lookup("key"); !ok || got != gen {
				t.Fatal("no hit on an unchanged project")
			}
			if _, ok := c.Lookup("other key"); ok {
				t.Fatal("a hit with another key")
			}
			tc.change(t, dir)
			if _, ok := c.Lookup("key"); ok {
				t.Fatal("a hit after the change")
			}
		})
	}
}

func TestRacyFileIsHashed(t *testing.T) {
	dir := project(t, map[string]string{"models/a.sql": "select 1", "models/b.sql": "select 2"})
	rec := NewRecorder(dir) // the files were just written: racy
	fsys := rec.FS(os.DirFS(dir))
	if _, err := fs.ReadFile(fsys, "models/a.sql"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadDir(fsys, "models"); err != nil {
		t.Fatal(err)
	}
	c := Cache{Root: dir}
	st := newStatter()
	defer st.close()
	for _, e := range rec.sortedEntries() {
		if !e.racy {
			t.Fatalf("%s is not racy", e.path)
		}
		if !c.same(st, e) {
			t.Fatalf("%s: not the same, unchanged", e.path)
		}
		// A write within the same clock tick keeps the stamp: the
		// content (or listing) tells.
		p := filepath.Join(dir, e.path)
		if e.read {
			write(t, p, "select 9")
		} else {
			write(t, filepath.Join(p, "c.sql"), "x")
		}
		if s, err := st.stat(filepath.Split(p)); err == nil {
			e.stamp = s
		}
		if c.same(st, e) {
			t.Fatalf("%s: the same after a write that kept its stamp", e.path)
		}
	}
}

func TestDamagedCacheIsAMiss(t *testing.T) {
	dir := project(t, map[string]string{"a.sql": "select 1"})
	c, gen := load(t, dir)
	if err := c.SaveResult(gen, "ls", "args", nil, []byte("out")); err != nil {
		t.Fatal(err)
	}
	if out, ok := c.Result(gen, "ls", "args"); !ok || string(out) != "out" {
		t.Fatalf("result %q, %v", out, ok)
	}
	if _, ok := c.Result(gen, "ls", "other args"); ok {
		t.Fatal("a result for other args")
	}
	if _, ok := c.Result(Gen{1}, "ls", "args"); ok {
		t.Fatal("a result of another generation")
	}
	main := filepath.Join(c.Dir, MainFile)
	data, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-1] ^= 1
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)-3], "flipped": flipped, "empty": nil,
		"other format": append([]byte("KILNPP9\n"), data[8:]...), "foreign": []byte("\x82\xa4msgpack"),
	} {
		if err := os.WriteFile(main, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Lookup("key"); ok {
			t.Errorf("%s: a hit", name)
		}
	}
	c.Clear()
	if _, err := os.Stat(main); err == nil {
		t.Fatal("Clear left the main file")
	}
}

// TestEntryEncodingKeepsEveryField fills every field of an entry and
// checks that the encoding gives it back: a field added to entry and not
// encoded fails here.
func TestEntryEncodingKeepsEveryField(t *testing.T) {
	var e entry
	fill(reflect.ValueOf(&e).Elem())
	var enc encoder
	enc.entries([]entry{e})
	d := &decoder{b: enc.b}
	got := d.entries()
	if d.err || len(d.b) != 0 || len(got) != 1 || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("decoded %+v\nwant    %+v", got, e)
	}
}

// fill sets every field of v, exported or not, to a value other than its
// zero.
func fill(v reflect.Value) {
	if !v.CanSet() {
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i))
		}
	case reflect.String:
		v.SetString("x/" + v.Type().String())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	default:
		panic("fill: no value for " + v.Type().String())
	}
}

// Signed integers read back as written, the extremes and negatives too
// (encoding/binary's zigzag varints).
func TestVarintRoundTrip(t *testing.T) {
	vals := []int64{0, 1, -1, 63, -64, 64, -65, 1 << 40, -(1 << 40), math.MaxInt64, math.MinInt64}
	var e encoder
	for _, v := range vals {
		e.varint(v)
	}
	d := decoder{b: e.b}
	for _, want := range vals {
		if got := d.varint(); got != want || d.err {
			t.Fatalf("varint read %d (err %v), want %d", got, d.err, want)
		}
	}
	if len(d.b) != 0 {
		t.Errorf("%d bytes left", len(d.b))
	}
	if d.varint(); !d.err {
		t.Error("reading past the end is not an error")
	}
}
