package project

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamlsrc"
)

// At is the position of a YAML entry, filled in while decoding.
type At struct {
	Line int `yaml:"-"`
	Col  int `yaml:"-"`
	// KeyLine and KeyCol are the position of the entry's key, for the
	// value of a mapping's key (ConfigAt's); 0 when not recorded.
	KeyLine, KeyCol int `yaml:"-"`
	// Items are the positions of the entries of a list value, one by
	// entry (ConfigAt's and a project file's config values, ConstraintsAt's
	// to_columns:); nil when not recorded or the value is not a list.
	Items []At `yaml:"-"`
	// Keys are the positions of the values of a mapping value, by key,
	// one level down (docs: {show: ...}'s show), recorded with Items;
	// nil when not recorded or the value is not a mapping.
	Keys map[string]At `yaml:"-"`
}

// KeyValuePos returns the position in file of the value of key k of the
// entry's value, a mapping (docs.show), when recorded; else the entry's
// position.
func (a At) KeyValuePos(file, k string) diag.Pos {
	if sub, ok := a.Keys[k]; ok {
		return sub.Pos(file)
	}
	return a.Pos(file)
}

// Pos returns the entry's position in file.
func (a At) Pos(file string) diag.Pos { return diag.Pos{File: file, Line: a.Line, Col: a.Col} }

// KeyPos returns the position in file of the key of the entry, where an
// error about the key itself (an unknown key) points; the entry's
// position when no key was recorded.
func (a At) KeyPos(file string) diag.Pos {
	if a.KeyLine == 0 {
		return a.Pos(file)
	}
	return diag.Pos{File: file, Line: a.KeyLine, Col: a.KeyCol}
}

// atKey is the At of value v of the mapping key k.
func atKey(k, v *yaml.Node) At {
	return At{Line: v.Line, Col: v.Column, KeyLine: k.Line, KeyCol: k.Column}
}

func at(n *yaml.Node) At { return At{Line: n.Line, Col: n.Column} }

// withItems returns a with the positions of the entries of n, when n (an
// alias followed) is a list, or of the values of its keys, when n is a
// mapping.
func withItems(a At, n *yaml.Node) At {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case n == nil:
	case n.Kind == yaml.SequenceNode:
		a.Items = make([]At, len(n.Content))
		for i, item := range n.Content {
			a.Items[i] = at(item)
		}
	case n.Kind == yaml.MappingNode:
		a.Keys = make(map[string]At, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			a.Keys[n.Content[i].Value] = atKey(n.Content[i], n.Content[i+1])
		}
	}
	return a
}

// freeForm is implemented by types that check their own keys while decoding.
type freeForm interface{ freeForm() }

var (
	freeFormType = reflect.TypeOf((*freeForm)(nil)).Elem()
	yamlNodeType = reflect.TypeOf(yaml.Node{})
)

// checkKeys reports, at its position, every mapping key of n that the Go
// type t does not declare, with the nearest known key as a hint.
func checkKeys(file string, n *yaml.Node, t reflect.Type, where string, l *diag.List) {
	if n == nil {
		return
	}
	for n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == yamlNodeType || reflect.PointerTo(t).Implements(freeFormType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				known := make([]string, 0, len(fields))
				for name := range fields {
					known = append(known, name)
				}
				sort.Strings(known)
				d := diag.Errorf(diag.Pos{File: file, Line: k.Line, Col: k.Column}, "unknown key %q in %s", k.Value, where)
				switch hint := diag.DidYouMean(k.Value, known); {
				case hint != "":
					d.Hint = hint
				case t == reflect.TypeOf(Config{}) && IsConfig(strings.TrimPrefix(k.Value, "+")):
					// A node config written at the top of the project file.
					name := strings.TrimPrefix(k.Value, "+")
					d.Hint = fmt.Sprintf("%s is a config: set it in a folder tree with a +, as models: {<project name>: {+%s: ...}}, or in the node's config()", name, name)
				case t == reflect.TypeOf(Config{}) && len(NearConfig(strings.TrimPrefix(k.Value, "+"))) > 0:
					// A config misspelt at the top of the project file
					// (materialised): the config, not the nearest
					// top-level key (analyses).
					name := NearConfig(strings.TrimPrefix(k.Value, "+"))[0]
					d.Hint = fmt.Sprintf("did you mean the config %q? a config is set in a folder tree with a +, as models: {<project name>: {+%s: ...}}, or in the node's config()", name, name)
				default:
					// Nothing close: the nearest, not every key.
					d.Hint = fmt.Sprintf("the nearest known key is %q; README.md (Writing a project) lists the keys of each file", diag.Nearest(k.Value, known))
				}
				l.Add(d)
				continue
			}
			if d := fieldDiag(t, k.Value, diag.Pos{File: file, Line: k.Line, Col: k.Column}); d != nil {
				l.Add(*d)
			}
			checkKeys(file, v, f.Type, strconv.Quote(k.Value), l)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(file, n.Content[i+1], t.Elem(), where, l)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for _, item := range n.Content {
			checkKeys(file, item, t.Elem(), where, l)
		}
	}
}

// fieldsOf caches yamlFields by type: checkKeys and setPositions ask for
// every mapping of every YAML file.
var fieldsOf sync.Map // reflect.Type -> map[string]reflect.StructField

// yamlFields maps the yaml names of t's fields (following inline structs)
// to the fields. The map is shared: callers must not change it.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	if m, ok := fieldsOf.Load(t); ok {
		return m.(map[string]reflect.StructField)
	}
	m := collectFields(t)
	fieldsOf.Store(t, m)
	return m
}

func collectFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") || (f.Anonymous && tag == "") {
			ft := f.Type
			if ft.Kind() == reflect.Struct {
				for k, v := range collectFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

var (
	yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)
	// yamlTypeRE matches yaml.v3's type errors ("cannot unmarshal !!str
	// `four` into int", "cannot unmarshal !!seq into map[string]interface {}").
	yamlTypeRE = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
	// yamlDupRE matches yaml.v3's duplicate key error ("mapping key
	// \"model-paths\" already defined at line 7").
	yamlDupRE = regexp.MustCompile(`^mapping key (.+) already defined at line (\d+)$`)
)

// yamlKinds names the YAML tags of yaml.v3's errors in YAML's words.
var yamlKinds = map[string]string{
	"str": "a string", "int": "a number", "float": "a number", "bool": "a boolean", "null": "null",
	"seq": "a list", "map": "a mapping", "timestamp": "a date", "binary": "binary data",
}

// goTypeWords says what a YAML value decoded into the Go type named t
// (as reflect prints it) must be, in YAML's words: "a list", "a mapping",
// "a whole number"; "" when t says nothing a user wrote (any).
func goTypeWords(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	}
	switch t {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "interface {}", "any":
		return ""
	}
	if kind, ok := namedKinds[t]; ok {
		return kind
	}
	return "a mapping" // a struct: project.ModelProps, ...
}

// namedKinds are the named Go types of the YAML files that are not structs.
var namedKinds = map[string]string{"project.VarMap": "a mapping", "yaml.Node": ""}

// duplicateKeyDiag is the error of key written a second time at pos, in
// a mapping that has it at line first (yamlsrc.Duplicate's words).
func duplicateKeyDiag(pos diag.Pos, key string, first int) diag.Diagnostic {
	d := yamlsrc.Duplicate{Key: key, Line: pos.Line, Col: pos.Col, First: first}
	return diag.Errorf(pos, "%s", d.Msg()).WithHint("%s", d.Hint())
}

// duplicateKeys reports, at the second key's line and column, every
// scalar key written twice in a mapping of n or below it
// (yamlsrc.Duplicates). yaml.v3 reports them only in the mappings it
// decodes into Go maps and structs; the ones kept as nodes (project.yml's
// models:, seeds:, snapshots:, tests: trees, a test's arguments, a
// source's freshness:, a unit test's rows) would otherwise keep the last
// value without a word.
func duplicateKeys(file string, n *yaml.Node, l *diag.List) {
	for _, d := range yamlsrc.Duplicates(n) {
		l.Add(duplicateKeyDiag(diag.Pos{File: file, Line: d.Line, Col: d.Col}, d.Key, d.First))
	}
}

// decodeErr turns a yaml.v3 error into diagnostics at file:line, and for a
// value of the wrong type found in root (nil: unknown), at its column with
// what the value must be.
func decodeErr(file string, err error, root *yaml.Node, l *diag.List) {
	if te, ok := err.(*yaml.TypeError); ok {
		for _, e := range te.Errors {
			addYAMLLine(file, e, root, l)
		}
		return
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	addYAMLLine(file, msg, root, l)
}

// addYAMLLine adds yaml.v3's error msg as a diagnostic; a value of the
// wrong type is said in YAML's words, at the value: "models" must be a
// list, not a number (3).
func addYAMLLine(file, msg string, root *yaml.Node, l *diag.List) {
	pos := diag.Pos{File: file}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if m := yamlDupRE.FindStringSubmatch(msg); m != nil {
		key := m[1]
		if k, err := strconv.Unquote(key); err == nil {
			key = k
		}
		if n := findScalar(root, pos.Line, key); n != nil {
			pos.Col = n.Column
		}
		prefix := fmt.Sprintf("invalid YAML: mapping key %q already defined", key)
		for _, e := range *l {
			if e.Pos.File == pos.File && e.Pos.Line == pos.Line && strings.HasPrefix(e.Msg, prefix) {
				return // duplicateKeys reported it
			}
		}
		first, _ := strconv.Atoi(m[2])
		l.Add(duplicateKeyDiag(pos, key, first))
		return
	}
	m := yamlTypeRE.FindStringSubmatch(msg)
	if m == nil {
		l.Add(diag.Errorf(pos, "invalid YAML: %s", msg))
		return
	}
	tag, value, want := m[1], m[2], goTypeWords(m[3])
	found := yamlKinds[tag]
	if found == "" {
		found = "a " + tag
	}
	var n *yaml.Node
	if m[2] != "" || tag == "str" {
		n = findScalar(root, pos.Line, value)
	} else {
		n = findKind(root, pos.Line, tag)
	}
	if n != nil {
		pos.Col = n.Column
	}
	if tag == "str" {
		found += fmt.Sprintf(" (%q)", value)
	} else if value != "" {
		found += fmt.Sprintf(" (%s)", value)
	}
	what := "this value"
	if k := keyOf(root, n); k != "" {
		what = strconv.Quote(k)
	} else if n != nil && inList(root, n) {
		what = "this list item"
	}
	if want == "" {
		l.Add(diag.Errorf(pos, "%s cannot be %s", what, found))
		return
	}
	l.Add(diag.Errorf(pos, "%s must be %s, not %s", what, want, found).WithHint("write %s here", want))
}

// findKind returns the first list or mapping (tag seq or map) of n's tree
// that starts on line, or nil.
func findKind(n *yaml.Node, line int, tag string) *yaml.Node {
	if n == nil {
		return nil
	}
	kind := map[string]yaml.Kind{"seq": yaml.SequenceNode, "map": yaml.MappingNode}[tag]
	if kind != 0 && n.Kind == kind && n.Line == line {
		return n
	}
	for _, c := range n.Content {
		if f := findKind(c, line, tag); f != nil {
			return f
		}
	}
	return nil
}

// keyOf returns the key whose value is v in root's tree, or "".
func keyOf(root, v *yaml.Node) string {
	if root == nil || v == nil {
		return ""
	}
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i+1] == v {
				return root.Content[i].Value
			}
		}
	}
	for _, c := range root.Content {
		if k := keyOf(c, v); k != "" {
			return k
		}
	}
	return ""
}

// inList reports whether v is an item of a list of root's tree.
func inList(root, v *yaml.Node) bool {
	if root == nil {
		return false
	}
	for _, c := range root.Content {
		if root.Kind == yaml.SequenceNode && c == v || inList(c, v) {
			return true
		}
	}
	return false
}

// findScalar returns the scalar of n's tree on line with value, or nil.
func findScalar(n *yaml.Node, line int, value string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Line == line && n.Value == value {
		return n
	}
	for _, c := range n.Content {
		if f := findScalar(c, line, value); f != nil {
			return f
		}
	}
	return nil
}

// parseYAML parses src (of file) into its root node, reporting syntax errors.
func parseYAML(file string, src []byte, l *diag.List) (*yaml.Node, bool) {
	if d := checkUTF8(file, src); d != nil {
		l.Add(*d) // yaml.v3 says "invalid trailing UTF-8 octet", without a position
		return nil, false
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		e := yamlsrc.Locate(src, err)
		l.Add(diag.Errorf(diag.Pos{File: file, Line: e.Line, Col: e.Col}, "invalid YAML: %s", e.Msg).WithHint("%s", e.Hint))
		return nil, false
	}
	if len(root.Content) == 0 {
		return nil, true
	}
	return root.Content[0], true
}

// decodeStrict checks n's keys against out's type, decodes n into out, and
// records in every At field the position of the YAML entry it was decoded
// from. It reports problems into l and returns whether decoding succeeded.
func decodeStrict(file string, n *yaml.Node, out any, where string, l *diag.List) bool {
	before := len(*l)
	duplicateKeys(file, n, l)
	checkKeys(file, n, reflect.TypeOf(out), where, l)
	defer setPositions(n, reflect.ValueOf(out))
	if err := n.Decode(out); err != nil {
		if pe, ok := err.(*posError); ok {
			l.Add(diag.Errorf(pe.at.Pos(file), "%s", pe.msg).WithHint("%s", pe.hint))
		} else {
			decodeErr(file, err, n, l)
		}
	}
	return len(*l) == before
}

var atType = reflect.TypeOf(At{})

var keyAtType = reflect.TypeOf(map[string]At(nil))

var seqKeyAtType = reflect.TypeOf([]map[string]At(nil))

// posInfo is what setPositions needs of a struct type, found once per type
// (reflect's FieldByName, per struct decoded, was a twentieth of loading a
// project of trivial models).
type posInfo struct {
	at     []int               // index of the At field; nil: none
	fields map[string]posField // by yaml name
}

// posField is one yaml field of a struct and its positions' map, the
// map[string]At field named after it (ConfigAt beside Config).
type posField struct {
	index []int
	keyAt []int // nil: none
	// seqKeyAt is the []map[string]At field beside a list of mappings
	// (ConstraintsAt beside Constraints); nil: none.
	seqKeyAt []int
}

var posInfoOf sync.Map // reflect.Type -> *posInfo

func posInfoFor(t reflect.Type) *posInfo {
	if pi, ok := posInfoOf.Load(t); ok {
		return pi.(*posInfo)
	}
	pi := &posInfo{fields: map[string]posField{}}
	if f, ok := t.FieldByName("At"); ok && f.Type == atType && settable(t, f.Index) {
		pi.at = f.Index
	}
	for name, sf := range yamlFields(t) {
		pf := posField{index: sf.Index}
		if f, ok := t.FieldByName(sf.Name + "At"); ok && f.Type == keyAtType && settable(t, f.Index) {
			pf.keyAt = f.Index
		} else if ok && f.Type == seqKeyAtType && settable(t, f.Index) {
			pf.seqKeyAt = f.Index
		}
		pi.fields[name] = pf
	}
	posInfoOf.Store(t, pi)
	return pi
}

// settable says whether the field of t at index can be set through an
// addressable value of t: every field on the way is exported, and no
// embedded pointer is crossed (FieldByIndex would panic on a nil one).
func settable(t reflect.Type, index []int) bool {
	for i, x := range index {
		f := t.Field(x)
		if !f.IsExported() {
			return false
		}
		t = f.Type
		if i < len(index)-1 && t.Kind() != reflect.Struct {
			return false
		}
	}
	return true
}

// setKeyPositions fills f, the map[string]At beside a map field (ConfigAt
// beside Config), with the position of each value of the mapping n.
func setKeyPositions(n *yaml.Node, f reflect.Value) {
	if n.Kind != yaml.MappingNode {
		return
	}
	m := make(map[string]At, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = withItems(atKey(n.Content[i], n.Content[i+1]), n.Content[i+1])
	}
	f.Set(reflect.ValueOf(m))
}

// setSeqKeyPositions fills f, the []map[string]At beside a list of
// mappings (ConstraintsAt beside Constraints), with the position of each
// value of each mapping of the sequence n (and of each entry of a value
// that is a list), nil for an entry that is not a mapping.
func setSeqKeyPositions(n *yaml.Node, f reflect.Value) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		return
	}
	out := make([]map[string]At, len(n.Content))
	for i, e := range n.Content {
		for e != nil && e.Kind == yaml.AliasNode {
			e = e.Alias
		}
		if e == nil || e.Kind != yaml.MappingNode {
			continue
		}
		m := make(map[string]At, len(e.Content)/2)
		for j := 0; j+1 < len(e.Content); j += 2 {
			m[e.Content[j].Value] = withItems(atKey(e.Content[j], e.Content[j+1]), e.Content[j+1])
		}
		out[i] = m
	}
	f.Set(reflect.ValueOf(out))
}

// setPositions walks n alongside the value v it was decoded into and sets
// the At field of every struct to the position of its YAML node.
func setPositions(n *yaml.Node, v reflect.Value) {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return
		}
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if n == nil {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == yamlNodeType {
			return
		}
		pi := posInfoFor(v.Type())
		if pi.at != nil && v.CanSet() {
			*v.FieldByIndex(pi.at).Addr().Interface().(*At) = at(n)
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if pf, ok := pi.fields[n.Content[i].Value]; ok {
				setPositions(n.Content[i+1], v.FieldByIndex(pf.index))
				if pf.keyAt != nil && v.CanSet() {
					setKeyPositions(n.Content[i+1], v.FieldByIndex(pf.keyAt))
				}
				if pf.seqKeyAt != nil && v.CanSet() {
					setSeqKeyPositions(n.Content[i+1], v.FieldByIndex(pf.seqKeyAt))
				}
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i := 0; i < v.Len() && i < len(n.Content); i++ {
			setPositions(n.Content[i], v.Index(i))
		}
	}
}

// posError is returned by custom decoders to report at a position.
type posError struct {
	at   At
	msg  string
	hint string
}

func (e *posError) Error() string { return fmt.Sprintf("line %d: %s", e.at.Line, e.msg) }
