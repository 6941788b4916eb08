package artifact

import (
	"encoding/json"
	"sort"

	"github.com/kiln-build/kiln/compiler/graph"
)

// The manifest's hot entries (nodes, sources, parent_map lists) are
// encoded by hand into compact JSON: reflection over 10,000 nodes costs
// more than the whole budget of a manifest write. Every appendJSON method
// writes exactly what json.Marshal writes for the same value (the structs'
// tags remain the definition, and a test compares both encodings on every
// entry, odd strings included). Values of open shape (config, meta,
// kwargs) and strings that need escaping go through encoding/json itself.

// appender is a value that encodes itself as json.Marshal would.
type appender interface {
	appendJSON(b []byte) []byte
}

// appendMarshal appends json.Marshal(v) to b, through appendJSON when v
// has one.
func appendMarshal(b []byte, v any) ([]byte, error) {
	if l, ok := v.(lazyEntry); ok {
		v = l.b.entry(l.n)
	}
	if a, ok := v.(appender); ok {
		return a.appendJSON(b), nil
	}
	data, err := json.Marshal(v)
	return append(b, data...), err
}

// appendString appends s as a JSON string. Plain ASCII without quotes,
// backslashes, control or HTML characters is copied; anything else is
// left to encoding/json, for its exact escaping.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainByte tells the bytes appendString copies as they are.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

func appendNullString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendStrings appends a list of strings; nil is null, as json.Marshal
// writes it.
func appendStrings[S ~string](b []byte, list []S) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, string(s))
	}
	return append(b, ']')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendAny appends an open-shaped value: the shapes the builder makes
// (maps with string keys, lists, strings, booleans, nil) directly, with
// sorted keys as encoding/json writes them; anything else (numbers, for
// their exact formatting) through json.Marshal.
func appendAny(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case bool:
		return appendBool(b, x)
	case *string:
		return appendNullString(b, x)
	case []string:
		return appendStrings(b, x)
	case map[string]any:
		if x == nil {
			return append(b, "null"...)
		}
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendAny(b, x[k])
		}
		return append(b, '}')
	case []any:
		if x == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAny(b, e)
		}
		return append(b, ']')
	}
	data, err := json.Marshal(v)
	if err != nil {
		// Unreachable for the plain values the builder makes; keep the
		// document valid all the same.
		return append(b, "null"...)
	}
	return append(b, data...)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) > 1 {
		sort.Strings(keys)
	}
	return keys
}

func (n *nodeBase) appendFields(b []byte) []byte {
	b = append(b, `"database":`...)
	b = appendNullString(b, n.Database)
	b = append(b, `,"schema":`...)
	b = appendString(b, n.Schema)
	b = append(b, `,"name":`...)
	b = appendString(b, n.Name)
	b = append(b, `,"resource_type":`...)
	b = appendString(b, string(n.ResourceType))
	b = append(b, `,"package_name":`...)
	b = appendString(b, n.PackageName)
	b = append(b, `,"path":`...)
	b = appendString(b, n.Path)
	b = append(b, `,"original_file_path":`...)
	b = appendString(b, n.OriginalFilePath)
	b = append(b, `,"unique_id":`...)
	b = appendString(b, string(n.UniqueID))
	b = append(b, `,"fqn":`...)
	b = appendStrings(b, n.FQN)
	b = append(b, `,"alias":`...)
	b = appendString(b, n.Alias)
	b = append(b, `,"checksum":{"name":`...)
	b = appendString(b, n.Checksum.Name)
	b = append(b, `,"checksum":`...)
	b = appendString(b, n.Checksum.Checksum)
	b = append(b, `},"config":`...)
	b = appendAny(b, n.Config)
	b = append(b, `,"tags":`...)
	b = appendStrings(b, n.Tags)
	b = append(b, `,"description":`...)
	b = appendString(b, n.Description)
	b = append(b, `,"columns":`...)
	b = n.Columns.appendJSON(b)
	b = append(b, `,"meta":`...)
	b = appendAny(b, n.Meta)
	b = append(b, `,"docs":`...)
	b = n.Docs.appendJSON(b)
	b = append(b, `,"patch_path":`...)
	b = appendNullString(b, n.PatchPath)
	b = append(b, `,"relation_name":`...)
	b = appendNullString(b, n.RelationName)
	b = append(b, `,"raw_code":`...)
	return appendString(b, n.RawCode)
}

func (s *seedJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = s.nodeBase.appendFields(b)
	b = append(b, `,"depends_on":{"macros":`...)
	b = appendStrings(b, s.DependsOn.Macros)
	return append(b, "}}"...)
}

func (s *sqlJSON) appendFields(b []byte) []byte {
	b = s.nodeBase.appendFields(b)
	b = append(b, `,"language":`...)
	b = appendString(b, s.Language)
	b = append(b, `,"refs":`...)
	if s.Refs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range s.Refs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, r.Name)
			b = append(b, `,"package":`...)
			b = appendNullString(b, r.Package)
			b = append(b, `,"version":`...)
			b = appendNullString(b, r.Version)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"sources":`...)
	if s.Sources == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, src := range s.Sources {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStrings(b, src[:])
		}
		b = append(b, ']')
	}
	b = append(b, `,"depends_on":`...)
	b = s.DependsOn.appendJSON(b)
	b = append(b, `,"compiled":`...)
	b = appendBool(b, s.Compiled)
	b = append(b, `,"compiled_code":`...)
	return appendString(b, s.CompiledCode)
}

func (s *sqlJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = s.appendFields(b)
	return append(b, '}')
}

func (m *modelJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = m.sqlJSON.appendFields(b)
	b = append(b, `,"access":`...)
	b = appendString(b, m.Access)
	b = append(b, `,"group":`...)
	b = appendNullString(b, m.Group)
	b = append(b, `,"version":`...)
	b, _ = appendMarshal(b, m.Version) // nil, a float64 or a string: always encodes
	b = append(b, `,"latest_version":`...)
	b, _ = appendMarshal(b, m.LatestVersion)
	b = append(b, `,"deprecation_date":`...)
	b = appendNullString(b, m.DeprecationDate)
	b = append(b, `,"constraints":`...)
	b = appendAny(b, m.Constraints)
	return append(b, '}')
}

func (g *genericTestJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = g.sqlJSON.appendFields(b)
	b = append(b, `,"column_name":`...)
	b = appendNullString(b, g.ColumnName)
	b = append(b, `,"attached_node":`...)
	if g.AttachedNode == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, string(*g.AttachedNode))
	}
	b = append(b, `,"test_metadata":{"name":`...)
	b = appendString(b, g.TestMetadata.Name)
	b = append(b, `,"kwargs":`...)
	b = appendAny(b, g.TestMetadata.Kwargs)
	b = append(b, `,"namespace":`...)
	b = appendNullString(b, g.TestMetadata.Namespace)
	return append(b, "}}"...)
}

func (d dependsOn) appendJSON(b []byte) []byte {
	b = append(b, `{"macros":`...)
	b = appendStrings(b, d.Macros)
	b = append(b, `,"nodes":`...)
	b = appendStrings(b, d.Nodes)
	return append(b, '}')
}

func (c columnsJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	seen := make(map[string]bool, len(c))
	first := true
	for _, col := range c {
		if seen[col.Name] {
			continue
		}
		seen[col.Name] = true
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, col.Name)
		b = append(b, `:{"name":`...)
		b = appendString(b, col.Name)
		b = append(b, `,"description":`...)
		b = appendString(b, col.Description)
		b = append(b, `,"meta":`...)
		b = appendAny(b, col.Meta)
		b = append(b, `,"data_type":`...)
		b = appendNullString(b, col.DataType)
		b = append(b, `,"constraints":`...)
		b = appendAny(b, col.Constraints)
		b = append(b, `,"quote":`...)
		if col.Quote == nil {
			b = append(b, "null"...)
		} else {
			b = appendBool(b, *col.Quote)
		}
		b = append(b, `,"tags":`...)
		b = appendStrings(b, col.Tags)
		b = append(b, '}')
	}
	return append(b, '}')
}

func (s *sourceJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"database":`...)
	b = appendNullString(b, s.Database)
	for _, f := range [...]struct{ key, val string }{
		{`,"schema":`, s.Schema}, {`,"name":`, s.Name}, {`,"resource_type":`, string(s.ResourceType)},
		{`,"package_name":`, s.PackageName}, {`,"path":`, s.Path}, {`,"original_file_path":`, s.OriginalFilePath},
		{`,"unique_id":`, string(s.UniqueID)},
	} {
		b = append(b, f.key...)
		b = appendString(b, f.val)
	}
	b = append(b, `,"fqn":`...)
	b = appendStrings(b, s.FQN)
	for _, f := range [...]struct{ key, val string }{
		{`,"source_name":`, s.SourceName}, {`,"source_description":`, s.SourceDescription},
		{`,"loader":`, s.Loader}, {`,"identifier":`, s.Identifier},
	} {
		b = append(b, f.key...)
		b = appendString(b, f.val)
	}
	b = append(b, `,"loaded_at_field":`...)
	b = appendNullString(b, s.LoadedAtField)
	b = append(b, `,"loaded_at_query":`...)
	b = appendNullString(b, s.LoadedAtQuery)
	b = append(b, `,"freshness":`...)
	b = s.Freshness.appendJSON(b)
	b = append(b, `,"external":`...)
	if s.External == nil {
		b = append(b, "null"...)
	} else {
		b = appendAny(b, s.External)
	}
	b = append(b, `,"description":`...)
	b = appendString(b, s.Description)
	b = append(b, `,"columns":`...)
	b = s.Columns.appendJSON(b)
	b = append(b, `,"meta":`...)
	b = appendAny(b, s.Meta)
	b = append(b, `,"source_meta":{},"tags":`...)
	b = appendStrings(b, s.Tags)
	b = append(b, `,"config":`...)
	b = appendAny(b, s.Config)
	b = append(b, `,"relation_name":`...)
	b = appendNullString(b, s.RelationName)
	return append(b, '}')
}

// idList values (parent_map, child_map) encode as string lists.
type idsJSON []graph.ID

func (ids idsJSON) appendJSON(b []byte) []byte { return appendStrings(b, ids) }
