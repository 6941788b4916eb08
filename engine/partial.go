package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/parsecache"
)

// Partial is partial parsing (dbt's target/partial_parse.msgpack) for one
// command: the output of kiln ls and the artifacts of kiln compile are
// served from the cache under the target folder while nothing the load
// read changed (internal/parsecache says what is recorded), and recorded
// after a load that did not hit. Results that depend on anything else (the
// database, a previous run's files, the clock or the invocation, which a
// template reads through run_started_at, invocation_id or
// modules.datetime: compiler.ClockReads) are not cached; a load that
// reported anything (warnings) is not either, so a hit prints exactly what
// the full path prints.
type Partial struct {
	cache parsecache.Cache
	key   string
	gen   parsecache.Gen
	valid bool // the main file matched
	rec   *parsecache.Recorder
	// events counts what the load and the command reported.
	events int
	// clock is compiler.ClockReads when the recording started.
	clock int64
}

// PartialHits counts the results served from the partial parse cache in
// this process (ls outputs and compiles), for tests.
var PartialHits atomic.Int64

// OpenPartial returns the partial parse cache of cfg's project, with the
// main file checked; nil when none can apply: the target folder cannot be
// known before loading (a templated target-path), the project turns it
// off (flags: {partial_parse: false}), or kiln's program cannot be
// stamped, or the environment is not the process's (Config.LookupEnv).
// args are the command's options that change what the load
// gives (all of Config's are keyed already).
func OpenPartial(cfg Config, args ...string) *Partial {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil || cfg.Render != nil || cfg.InvocationID != "" || cfg.Deps || cfg.LookupEnv != nil {
		return nil
	}
	target := cfg.TargetPath
	if target == "" {
		target = projectTargetPath(dir)
		if target == "" {
			return nil
		}
	}
	exe := parsecache.Executable()
	if exe == "" {
		return nil
	}
	// Relative paths in options and environment variables
	// (--profiles-dir, DBT_PROFILES_DIR) are read from the working folder.
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	tdir := AbsUnder(dir, target)
	pp := &Partial{cache: parsecache.Cache{Root: dir, Dir: tdir}}
	pp.key = parsecache.Key(append([]string{"kiln partial parse 1", cfg.Version, exe, wd, dir, tdir, cfg.TargetPath, cfg.VarsText,
		cfg.ProfilesDir, cfg.Profile, cfg.Target, cfg.Inline, fmt.Sprint(cfg.FullRefresh, cfg.StoreFailures), cfg.Which}, args...)...)
	pp.gen, pp.valid = pp.cache.Lookup(pp.key)
	return pp
}

// projectTargetPath reads target-path from the project file, "target"
// when it has none, "" when it cannot be read or is templated, or when
// the project turns partial parsing off (flags: {partial_parse: false}).
func projectTargetPath(dir string) string {
	src, err := os.ReadFile(filepath.Join(dir, project.FileName))
	if errors.Is(err, os.ErrNotExist) {
		src, err = os.ReadFile(filepath.Join(dir, project.DBTFileName))
	}
	if err != nil {
		return ""
	}
	var c struct {
		TargetPath any `yaml:"target-path"`
		Flags      struct {
			PartialParse any `yaml:"partial_parse"`
		} `yaml:"flags"`
	}
	if yaml.Unmarshal(src, &c) != nil {
		return ""
	}
	if on, ok := c.Flags.PartialParse.(bool); c.Flags.PartialParse != nil && (!ok || !on) {
		return "" // flags: {partial_parse: false}, as dbt's
	}
	switch t := c.TargetPath.(type) {
	case nil:
		return "target"
	case string:
		if t == "" || strings.Contains(t, "{") {
			return ""
		}
		return t
	}
	return ""
}

// slot is the name of the result file of command name with args: one per
// set of options, so that ls --output json and ls --output name both stay.
func slot(name, args string) string {
	if args == "" {
		return name
	}
	sum := sha256.Sum256([]byte(args))
	return name + "-" + hex.EncodeToString(sum[:6])
}

// Output returns the output of result name (such as "ls") for args, when
// the main file and the result's own files are unchanged.
func (pp *Partial) Output(name, args string) ([]byte, bool) {
	if pp == nil || !pp.valid {
		return nil, false
	}
	out, ok := pp.cache.Result(pp.gen, slot(name, args), args)
	if ok && name != "compile" {
		PartialHits.Add(1)
	}
	return out, ok
}

// Record makes cfg's load record what it reads, and count what it
// reports, for Save.
func (pp *Partial) Record(cfg *Config) {
	if pp == nil {
		return
	}
	pp.rec = parsecache.NewRecorder(pp.cache.Root)
	pp.clock = compiler.ClockReads()
	cfg.Record = pp.rec
	listen := cfg.Listener
	cfg.Listener = func(ev Event) {
		pp.events++
		if listen != nil {
			listen(ev)
		}
	}
}

// Extra returns a recorder for the files a command reads besides the
// load's (selectors.yml, input files), saved with its result.
func (pp *Partial) Extra() *parsecache.Recorder {
	if pp == nil {
		return nil
	}
	return parsecache.NewRecorder(pp.cache.Root)
}

// StatSelectors records selectors.yml, which Select reads, in extra.
func (p *Project) StatSelectors(extra *parsecache.Recorder) {
	if extra != nil {
		extra.StatOutside(filepath.Join(p.Dir, "selectors.yml"))
	}
}

// saveMain saves the main file after p's load; it returns false when the
// load cannot be cached.
func (pp *Partial) saveMain(p *Project) bool {
	if pp == nil || pp.rec == nil || pp.events > 0 || len(p.held) > 0 || p.Target != pp.cache.Dir {
		return false
	}
	if compiler.ClockReads() != pp.clock {
		return false // a template read the clock or the invocation
	}
	for _, n := range p.Graph().Nodes() {
		if len(n.Logs) > 0 {
			return false // compile shows them each time: it must render
		}
	}
	// Every file the project holds must have been read through the
	// recording FS: a loader that reads around it would leave a change
	// unseen.
	// And every file below a project's (or package's) own folder was
	// found by listing its folder through it: a loader that lists around
	// it would leave a new file unseen.
	all := []*project.Project{p.Project}
	all = append(all, p.Project.Packages...)
	for _, q := range all {
		for name := range q.Files {
			full := name
			if !pp.rec.Read(full) {
				full = path.Join(q.Dir, name)
				if !pp.rec.Read(full) {
					return false
				}
			}
			if d := path.Dir(full); d != "." && d != q.Dir && !pp.rec.Listed(d) {
				return false
			}
		}
	}
	gen, err := pp.cache.Save(pp.key, pp.rec)
	if err != nil {
		return false
	}
	pp.gen, pp.valid = gen, true
	return true
}

// Save records the output of result name for args after p's load and the
// command's run (extra: the files it read besides the load's). Nothing is
// saved when the load or the command reported anything, or read something
// that cannot be stamped; errors writing the cache are ignored (the next
// command takes the full path).
func (pp *Partial) Save(p *Project, name, args string, extra *parsecache.Recorder, output []byte) {
	if !pp.saveMain(p) {
		return
	}
	_ = pp.cache.SaveResult(pp.gen, slot(name, args), args, extra, output) // a result not written is a miss
}

// Valid reports whether the main file matched: a result may be served.
func (pp *Partial) Valid() bool { return pp != nil && pp.valid }

// Target returns the target folder the cache is in (absolute), and the
// same relative to the project's folder.
func (pp *Partial) Target() (abs, rel string) {
	return pp.cache.Dir, Rel(pp.cache.Root, pp.cache.Dir)
}

// ClearPartial removes the partial parse cache of target folder dir
// (kiln clean).
func ClearPartial(dir string) { parsecache.Cache{Dir: dir}.Clear() }

// inputPaths returns the files Inputs hashes, absolute, in graph order.
func (p *Project) inputPaths() []string {
	var out []string
	for _, n := range p.Graph().Nodes() {
		switch {
		case n.Kind == graph.Source && n.Source.External != nil:
			out = append(out, n.Source.External.Path)
		case n.Kind == graph.Seed:
			out = append(out, filepath.Join(p.Dir, filepath.FromSlash(n.Path)))
		default:
			continue
		}
		abs, err := filepath.Abs(out[len(out)-1])
		if err != nil {
			return nil
		}
		out[len(out)-1] = abs
	}
	return out
}

// compileResult is what a compile saves: the manifest it wrote (its stamp,
// its metadata's bytes and their times and id) and its compiled tree (the
// index's sha256).
type compileResult struct {
	nodes                   int64
	manifest                parsecache.Stamp
	header, generated, invo string
	index                   string
}

func (r *compileResult) encode() []byte {
	var e parsecache.Encoder
	e.Int(r.nodes)
	e.Stamp(r.manifest)
	e.Str(r.header)
	e.Str(r.generated)
	e.Str(r.invo)
	e.Str(r.index)
	return e.Bytes()
}

func decodeCompile(b []byte) (*compileResult, bool) {
	d := parsecache.NewDecoder(b)
	r := &compileResult{nodes: d.Int(), manifest: d.Stamp(), header: d.Str(), generated: d.Str(), invo: d.Str(), index: d.Str()}
	return r, d.Done()
}

var (
	generatedRe  = regexp.MustCompile(`"generated_at": "([0-9T:.Z-]+)"`)
	invocationRe = regexp.MustCompile(`"invocation_id": "([0-9a-f-]+)"`)
)

// CompileWithPartial writes manifest.json and the compiled SQL tree, as
// WriteManifest, and records them as result "compile" for the next
// compile (CompileAgain). It returns the number of nodes compiled.
func (p *Project) CompileWithPartial(pp *Partial, args string) (int, error) {
	var extra *parsecache.Recorder
	var inputs []string
	if pp != nil {
		extra = pp.Extra()
		inputs = p.inputPaths()
		for _, f := range inputs {
			extra.StatOutside(f) // before they are hashed
		}
	}
	if err := p.WriteManifest(); err != nil {
		return 0, err
	}
	n := p.Graph().Len()
	if pp == nil {
		return n, nil
	}
	have := map[string]bool{}
	for _, f := range inputs {
		extra.StatOutside(f) // a change while hashed is refused
		have[Rel(p.Dir, f)] = true
	}
	for _, in := range p.Inputs() {
		if !have[in.Path] {
			return n, nil
		}
	}
	r, ok := p.compileResult()
	if !ok {
		return n, nil
	}
	r.nodes = int64(n)
	pp.Save(p, "compile", args, extra, r.encode())
	return n, nil
}

// compileResult reads back what WriteManifest and WriteCompiled wrote.
func (p *Project) compileResult() (*compileResult, bool) {
	path := filepath.Join(p.Target, artifact.ManifestFile)
	st, err := parsecache.FileStamp(path)
	if err != nil {
		return nil, false
	}
	head, ok := manifestHeader(path)
	if !ok {
		return nil, false
	}
	g, inv := generatedRe.FindStringSubmatch(head), invocationRe.FindStringSubmatch(head)
	if g == nil || inv == nil || inv[1] != p.InvocationID() {
		return nil, false
	}
	sum, ok := artifact.CompiledIntact(p.Target)
	if !ok {
		return nil, false
	}
	if st2, err := parsecache.FileStamp(path); err != nil || st2 != st {
		return nil, false
	}
	return &compileResult{manifest: st, header: head, generated: g[1], invo: inv[1], index: string(sum[:])}, true
}

// manifestHeader returns the start of manifest.json up to the end of its
// metadata object.
func manifestHeader(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := f.ReadAt(buf, 0)
	buf = buf[:n]
	i := bytes.Index(buf, []byte(`"metadata": {`))
	if i < 0 {
		return "", false
	}
	j := bytes.IndexByte(buf[i:], '}')
	if j < 0 {
		return "", false
	}
	return string(buf[:i+j+1]), true
}

// CompileAgain is kiln compile from the cache: when the last compile's
// result is valid and its manifest.json and compiled tree are as it left
// them, it rewrites manifest.json's metadata (generated_at, invocation_id:
// the only bytes a compile of the same project changes) in place and
// returns the number of nodes; ok is false when the
// full compile must run. The caller holds the target's lock.
func (pp *Partial) CompileAgain(args string) (nodes int, ok bool) {
	b, ok := pp.Output("compile", args)
	if !ok {
		return 0, false
	}
	r, ok := decodeCompile(b)
	if !ok {
		return 0, false
	}
	path := filepath.Join(pp.cache.Dir, artifact.ManifestFile)
	if st, err := parsecache.FileStamp(path); err != nil || st != r.manifest {
		return 0, false
	}
	if head, ok := manifestHeader(path); !ok || head != r.header {
		return 0, false
	}
	if sum, ok := artifact.CompiledIntact(pp.cache.Dir); !ok || string(sum[:]) != r.index {
		return 0, false
	}
	gen, inv := artifact.TimeText(time.Now()), uuid.NewString()
	head := strings.Replace(r.header, `"generated_at": "`+r.generated+`"`, `"generated_at": "`+gen+`"`, 1)
	head = strings.Replace(head, `"invocation_id": "`+r.invo+`"`, `"invocation_id": "`+inv+`"`, 1)
	if len(head) != len(r.header) {
		return 0, false
	}
	if err := patchFile(path, head); err != nil {
		pp.cache.Clear()
		return 0, false
	}
	st, err := parsecache.FileStamp(path)
	if err != nil {
		pp.cache.Clear()
		return 0, false
	}
	r.manifest, r.header, r.generated, r.invo = st, head, gen, inv
	if err := pp.cache.ReplacePayload(pp.gen, slot("compile", args), args, r.encode()); err != nil {
		pp.cache.Clear()
	}
	PartialHits.Add(1)
	return int(r.nodes), true
}

// patchFile writes head over the start of the file at path, of the same
// length, and syncs it: one write within the file's first page.
func patchFile(path, head string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(head), 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return f.Close()
}
