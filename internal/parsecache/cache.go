package parsecache

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kiln-build/kiln/internal/scrub"
)

// MainFile is the cache's main file under the target folder: the key and
// what the load read. Result files sit beside it as
// partial_parse.<name>.kiln.
const MainFile = "partial_parse.kiln"

const (
	mainMagic   = "KILNPP2\n" // 2: environment values kept as envDigest
	resultMagic = "KILNPR1\n"
)

// Gen identifies one main file: results name the generation they were
// computed under.
type Gen [16]byte

// Cache is the partial parse cache of the project in Root (absolute),
// kept in Dir (its target folder, absolute).
type Cache struct {
	Root, Dir string
}

// Key returns the canonical text of fields, for Lookup and Save: each
// field length-prefixed, so that no two lists give the same key.
func Key(fields ...string) string {
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "%d:%s;", len(f), f)
	}
	return b.String()
}

// Executable returns the stamp of the running program as text, for keys:
// a kiln built again is another program, whose compilation may differ.
// "" when it cannot be found (the caller should then not cache).
func Executable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	s := stampOf(st)
	return fmt.Sprintf("%s %d %d %d %d %d", exe, s.Size, s.ModNs, s.ChangeNs, s.Ino, s.Dev)
}

// Lookup returns the generation of the main file when its key is key and
// nothing it recorded changed: every environment variable has the value
// read then, every path its stamp (and, for a racily clean one, its
// content or listing). Any other case, a damaged file included, is a miss.
func (c Cache) Lookup(key string) (Gen, bool) {
	data, err := os.ReadFile(filepath.Join(c.Dir, MainFile))
	if err != nil {
		return Gen{}, false
	}
	m, ok := decodeMain(data)
	if !ok || m.key != key {
		return Gen{}, false
	}
	for _, e := range m.env {
		v, ok := os.LookupEnv(e.name)
		if ok != e.present || envDigest(key, e.name, v) != e.value {
			return Gen{}, false
		}
	}
	if !c.unchanged(m.entries) {
		return Gen{}, false
	}
	return m.gen, true
}

// Save writes the main file for key and what rec recorded, and returns
// its generation. When the main file in place has the same key and
// entries, it is kept with its generation (the results computed under it
// stay valid); otherwise the result files are removed. A recorder that
// refused (Recorder.Refused) is an error, and nothing is written.
func (c Cache) Save(key string, rec *Recorder) (Gen, error) {
	if why := rec.Refused(); why != "" {
		return Gen{}, errors.New(why)
	}
	m := &mainFile{key: key, entries: rec.sortedEntries()}
	rec.mu.Lock()
	for name, v := range rec.env {
		m.env = append(m.env, envEntry{name, envDigest(key, name, v.value), v.present})
	}
	rec.mu.Unlock()
	sortEnv(m.env)
	body := m.encodeBody()
	if old, err := os.ReadFile(filepath.Join(c.Dir, MainFile)); err == nil {
		if om, ok := decodeMain(old); ok && bytes.Equal(om.encodeBody(), body) {
			return om.gen, nil
		}
	}
	c.removeResults()
	if _, err := rand.Read(m.gen[:]); err != nil {
		return Gen{}, err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return Gen{}, err
	}
	return m.gen, writeAtomic(filepath.Join(c.Dir, MainFile), seal(mainMagic, append(m.gen[:], body...)))
}

// Result returns the payload of result name saved under gen for args, when
// the files it recorded besides the main file's are unchanged.
func (c Cache) Result(gen Gen, name, args string) ([]byte, bool) {
	data, err := os.ReadFile(c.resultPath(name))
	if err != nil {
		return nil, false
	}
	body, ok := unseal(resultMagic, data)
	if !ok || len(body) < len(gen) || !bytes.Equal(body[:len(gen)], gen[:]) {
		return nil, false
	}
	d := &decoder{b: body[len(gen):]}
	if d.str() != name || d.str() != args {
		return nil, false
	}
	entries := d.entries()
	payload := d.bytes()
	if d.err || len(d.b) != 0 || !c.unchanged(entries) {
		return nil, false
	}
	return payload, true
}

// SaveResult writes result name for args under gen: payload, and the
// files extra recorded (read besides the load's, such as selectors.yml or
// the input files). A refused extra is an error, and nothing is written.
func (c Cache) SaveResult(gen Gen, name, args string, extra *Recorder, payload []byte) error {
	var entries []entry
	if extra != nil {
		if why := extra.Refused(); why != "" {
			return errors.New(why)
		}
		entries = extra.sortedEntries()
	}
	e := &encoder{}
	e.b = append(e.b, gen[:]...)
	e.str(name)
	e.str(args)
	e.entries(entries)
	e.bytes(payload)
	return writeAtomic(c.resultPath(name), seal(resultMagic, e.b))
}

// ReplacePayload rewrites result name's payload under gen for args,
// keeping the files it recorded: for a result whose output the command
// itself rewrote (compile's manifest.json metadata).
func (c Cache) ReplacePayload(gen Gen, name, args string, payload []byte) error {
	data, err := os.ReadFile(c.resultPath(name))
	if err != nil {
		return err
	}
	body, ok := unseal(resultMagic, data)
	if !ok || len(body) < len(gen) || !bytes.Equal(body[:len(gen)], gen[:]) {
		return errors.New("the result changed")
	}
	d := &decoder{b: body[len(gen):]}
	if d.str() != name || d.str() != args {
		return errors.New("the result changed")
	}
	entries := d.entries()
	d.bytes()
	if d.err || len(d.b) != 0 {
		return errors.New("the result is damaged")
	}
	e := &encoder{}
	e.b = append(e.b, gen[:]...)
	e.str(name)
	e.str(args)
	e.entries(entries)
	e.bytes(payload)
	return writeAtomic(c.resultPath(name), seal(resultMagic, e.b))
}

func (c Cache) resultPath(name string) string {
	return filepath.Join(c.Dir, "partial_parse."+name+".kiln")
}

// removeResults removes the result files.
func (c Cache) removeResults() {
	list, _ := filepath.Glob(filepath.Join(c.Dir, "partial_parse.*.kiln"))
	for _, p := range list {
		os.Remove(p)
	}
}

// Clear removes the cache: kiln clean, and --no-partial-parse, which
// must not leave a cache that an older state of the project wrote.
func (c Cache) Clear() {
	c.removeResults()
	os.Remove(filepath.Join(c.Dir, MainFile))
}

// unchanged checks entries against the disk, on a few goroutines (stat
// calls wait on the file system more than they use a core).
func (c Cache) unchanged(entries []entry) bool {
	workers := min(max(2*runtime.GOMAXPROCS(0), 4), 16)
	if len(entries) < 256 {
		workers = 1
	}
	var next atomic.Int64
	var bad atomic.Bool
	const chunk = 256
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := newStatter()
			defer st.close()
			for !bad.Load() {
				i := int(next.Add(chunk)) - chunk
				if i >= len(entries) {
					return
				}
				for _, e := range entries[i:min(i+chunk, len(entries))] {
					if !c.same(st, e) {
						bad.Store(true)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	return !bad.Load()
}

// same reports whether e still holds on disk.
func (c Cache) same(st *statter, e entry) bool {
	p := e.path
	if !e.out {
		p = filepath.Join(c.Root, filepath.FromSlash(e.path))
	}
	s, err := st.stat(filepath.Split(p))
	if !e.exists {
		return errors.Is(err, fs.ErrNotExist)
	}
	if err != nil || s != e.stamp {
		return false
	}
	if !e.racy {
		return true
	}
	switch {
	case e.read:
		data, err := os.ReadFile(p)
		return err == nil && sha256.Sum256(data) == e.sum
	case e.listed:
		list, err := os.ReadDir(p)
		return err == nil && listingSum(list) == e.sum
	}
	return true
}

// envDigest is what the main file keeps of the value v of environment
// variable name: a SHA-256 salted with the cache's key (which names this
// kiln executable) and the name, so that a password or a token read by
// profiles.yml is not written in the target folder.
func envDigest(key, name, v string) string {
	sum := sha256.Sum256([]byte(key + "\x00" + name + "\x00" + v))
	return hex.EncodeToString(sum[:])
}

// errSecret refuses a cache file that would hold a secret.
var errSecret = errors.New("the cache would hold the value of a DBT_ENV_SECRET_ variable")

// writeAtomic writes data to path through a temporary file in its folder
// renamed into place. Data that holds the value of a DBT_ENV_SECRET_
// variable is not written (errSecret, and the file in place is removed):
// kiln writes no secret, and a cached output masked would not be the
// output.
func writeAtomic(path string, data []byte) error {
	if scrub.FromEnv().Contains(data) {
		os.Remove(path)
		return errSecret
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// seal is magic, the sha256 of body, then body.
func seal(magic string, body []byte) []byte {
	sum := sha256.Sum256(body)
	out := make([]byte, 0, len(magic)+len(sum)+len(body))
	out = append(append(append(out, magic...), sum[:]...), body...)
	return out
}

// unseal returns the body of a sealed file, false when the magic or the
// checksum is wrong (another format, a truncated or damaged file).
func unseal(magic string, data []byte) ([]byte, bool) {
	if len(data) < len(magic)+32 || string(data[:len(magic)]) != magic {
		return nil, false
	}
	body := data[len(magic)+32:]
	if sha256.Sum256(body) != [32]byte(data[len(magic):len(magic)+32]) {
		return nil, false
	}
	return body, true
}

type envEntry struct {
	name, value string
	present     bool
}

func sortEnv(env []envEntry) {
	for i := 1; i < len(env); i++ {
		for j := i; j > 0 && env[j].name < env[j-1].name; j-- {
			env[j], env[j-1] = env[j-1], env[j]
		}
	}
}

type mainFile struct {
	gen     Gen
	key     string
	env     []envEntry
	entries []entry
}

func (m *mainFile) encodeBody() []byte {
	e := &encoder{}
	e.str(m.key)
	e.uvarint(uint64(len(m.env)))
	for _, v := range m.env {
		e.str(v.name)
		e.bool(v.present)
		e.str(v.value)
	}
	e.entries(m.entries)
	return e.b
}

func decodeMain(data []byte) (*mainFile, bool) {
	body, ok := unseal(mainMagic, data)
	if !ok || len(body) < 16 {
		return nil, false
	}
	m := &mainFile{}
	copy(m.gen[:], body)
	d := &decoder{b: body[16:]}
	m.key = d.str()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, false
	}
	for range n {
		name := d.str()
		present := d.bool()
		m.env = append(m.env, envEntry{name, d.str(), present})
	}
	m.entries = d.entries()
	if d.err || len(d.b) != 0 {
		return nil, false
	}
	return m, true
}

const (
	flagOut = 1 << iota
	flagExists
	flagRead
	flagListed
	flagRacy
)

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(s []byte)   { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) stamp(s Stamp) {
	e.varint(s.Size)
	e.varint(s.ModNs)
	e.varint(s.ChangeNs)
	e.uvarint(s.Ino)
	e.uvarint(s.Dev)
	e.uvarint(uint64(s.Mode))
}

func (e *encoder) entries(list []entry) {
	e.uvarint(uint64(len(list)))
	for _, x := range list {
		e.str(x.path)
		var f byte
		for _, b := range []struct {
			on  bool
			bit byte
		}{{x.out, flagOut}, {x.exists, flagExists}, {x.read, flagRead}, {x.listed, flagListed}, {x.racy, flagRacy}} {
			if b.on {
				f |= b.bit
			}
		}
		e.b = append(e.b, f)
		if x.exists {
			e.stamp(x.stamp)
		}
		if x.racy {
			e.b = append(e.b, x.sum[:]...)
		}
	}
}

// decoder reads what encoder wrote; a short or malformed input sets err
// and returns zero values.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint reads what binary.AppendVarint wrote: a uvarint of the value
// zigzag-encoded (encoding/binary's format).
func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) take(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) str() string   { return string(d.take(d.uvarint())) }
func (d *decoder) bytes() []byte { return d.take(d.uvarint()) }
func (d *decoder) bool() bool {
	b := d.take(1)
	return len(b) == 1 && b[0] == 1
}

func (d *decoder) stamp() Stamp {
	return Stamp{Size: d.varint(), ModNs: d.varint(), ChangeNs: d.varint(), Ino: d.uvarint(), Dev: d.uvarint(), Mode: uint32(d.uvarint())}
}

func (d *decoder) entries() []entry {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return nil
	}
	list := make([]entry, 0, n)
	for range n {
		var x entry
		x.path = d.str()
		f := d.take(1)
		if len(f) != 1 {
			return nil
		}
		x.out, x.exists, x.read, x.listed, x.racy = f[0]&flagOut != 0, f[0]&flagExists != 0, f[0]&flagRead != 0, f[0]&flagListed != 0, f[0]&flagRacy != 0
		if x.exists {
			x.stamp = d.stamp()
		}
		if x.racy {
			copy(x.sum[:], d.take(32))
		}
		if d.err {
			return nil
		}
		list = append(list, x)
	}
	return list
}

// Encoder and Decoder are the cache's binary encoding, for callers'
// payloads: length-prefixed strings and varints.
type Encoder struct{ e encoder }

// Str appends s; Int appends v; Bytes returns the encoding.
func (e *Encoder) Str(s string)  { e.e.str(s) }
func (e *Encoder) Int(v int64)   { e.e.varint(v) }
func (e *Encoder) Bytes() []byte { return e.e.b }

// Decoder reads what an Encoder wrote. Err reports a short or malformed
// input (all reads after it return zero values).
type Decoder struct{ d decoder }

// NewDecoder reads b.
func NewDecoder(b []byte) *Decoder { return &Decoder{decoder{b: b}} }
func (d *Decoder) Str() string     { return d.d.str() }
func (d *Decoder) Int() int64      { return d.d.varint() }

// Stamp appends s.
func (e *Encoder) Stamp(s Stamp) { e.e.stamp(s) }

// Stamp reads a Stamp.
func (d *Decoder) Stamp() Stamp { return d.d.stamp() }

// FileStamp returns the stamp of the file at path.
func FileStamp(path string) (Stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Stamp{}, err
	}
	return stampOf(st), nil
}

// Done reports whether every byte was read without error.
func (d *Decoder) Done() bool { return !d.d.err && len(d.d.b) == 0 }
