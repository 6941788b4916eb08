package compiler

import (
	"fmt"
	"path"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// dbt-duckdb's external_location: a source table read from a file where
// it is used, not loaded. dbt-duckdb (DuckDBRelation.create_from_source,
// utils.SourceConfig) takes the setting from the table's meta, else the
// source's meta (a table's config extras too), formats it with the
// table's name, identifier, schema, database and every meta key
// (formatter: newstyle "{name}", the default; oldstyle "%(name)s";
// template "$name"), and reads it as written when it is a function call
// or a quoted string, else as the quoted path. kiln writes the read of a
// path by its extension (read_csv_auto, read_parquet, read_json_auto),
// as DuckDB's replacement scan would pick it.

// extSetting is one value of the merged meta, with where it is written.
type extSetting struct {
	value any
	pos   diag.Pos
}

// externalLocation returns the SQL a source table with an
// external_location reads, or "" when it has none.
func (c *compiler) externalLocation(file string, s *project.SourceProps, t *project.SourceTableProps, rel sqlq.Relation) string {
	merged := map[string]extSetting{}
	add := func(m map[string]any, pos func(string) diag.Pos) {
		for k, v := range m {
			merged[k] = extSetting{v, pos(k)}
		}
	}
	spos, tpos := s.Pos(file), t.Pos(file)
	// dbt-duckdb: the source's meta, then the table's meta, then the
	// table's config (dbt passes the source's config down to it).
	add(s.Meta, keyPos(s.MetaAt, file, spos))
	add(asMap(s.Config["meta"]), func(string) diag.Pos { return keyPos(s.ConfigAt, file, spos)("meta") })
	add(t.Meta, keyPos(t.MetaAt, file, tpos))
	add(asMap(t.Config["meta"]), func(string) diag.Pos { return keyPos(t.ConfigAt, file, tpos)("meta") })
	for _, cfg := range []struct {
		m   map[string]any
		pos func(string) diag.Pos
	}{{s.Config, keyPos(s.ConfigAt, file, spos)}, {t.Config, keyPos(t.ConfigAt, file, tpos)}} {
		for _, k := range []string{"external_location", "formatter"} {
			if v, ok := cfg.m[k]; ok {
				merged[k] = extSetting{v, cfg.pos(k)}
			}
		}
	}
	loc, ok := merged["external_location"]
	if !ok {
		return ""
	}
	name := s.Name + "." + t.Name
	text, isText := loc.value.(string)
	if !isText || strings.TrimSpace(text) == "" {
		c.diags.Errorf(loc.pos, "external_location of source %q must be a text: a path or a function call", name).Hint = "write external_location: \"data/{name}.csv\""
		return ""
	}
	if t.External != nil {
		c.diags.Errorf(loc.pos, "source %q has both external: and external_location", name).Hint = "keep one: external: loads the file into the database, external_location reads it where it is used"
		return ""
	}
	values := map[string]string{"name": t.Name, "identifier": rel.Name, "schema": rel.Schema, "database": rel.Database}
	for k, v := range merged {
		if _, fixed := values[k]; !fixed {
			values[k] = fmt.Sprint(v.value)
		}
	}
	formatter := "newstyle"
	if f, ok := merged["formatter"]; ok {
		formatter, _ = f.value.(string)
	}
	var out string
	var err error
	switch formatter {
	case "newstyle":
		out, err = formatNewStyle(text, values)
	case "oldstyle":
		out, err = formatOldStyle(text, values)
	case "template":
		out, err = formatTemplate(text, values)
	default:
		c.diags.Errorf(merged["formatter"].pos, "formatter %q of source %q is not one of newstyle, oldstyle, template", formatter, name).Hint = "dbt-duckdb's formatters: newstyle ({name}), oldstyle (%(name)s), template ($name)"
		return ""
	}
	if err != nil {
		d := diag.Errorf(loc.pos, "external_location of source %q: %v", name, err)
		d.Hint = "the " + formatter + " formatter knows " + strings.Join(sortedKeys(values), ", ")
		if formatter == "newstyle" {
			d.Hint += "; write {{ and }} for braces, or set formatter: oldstyle"
		}
		c.diags.Add(d)
		return ""
	}
	return readSQL(out)
}

// readSQL is what a source with the formatted external_location loc
// reads: loc itself when it is a function call or a quoted string (as
// dbt-duckdb), else the read of the path by its extension, or the quoted
// path (DuckDB's replacement scan decides).
func readSQL(loc string) string {
	if strings.Contains(loc, "(") || strings.HasPrefix(loc, "'") {
		return loc
	}
	lit := sqlq.Literal(loc)
	ext := strings.ToLower(loc)
	for _, z := range []string{".gz", ".zst"} {
		ext = strings.TrimSuffix(ext, z)
	}
	switch path.Ext(ext) {
	case ".csv", ".tsv":
		return "read_csv_auto(" + lit + ")"
	case ".parquet":
		return "read_parquet(" + lit + ")"
	case ".json", ".jsonl", ".ndjson":
		return "read_json_auto(" + lit + ")"
	}
	return lit
}

// formatNewStyle is Python's str.format with keyword fields only: {key},
// {{ and }} for braces.
func formatNewStyle(s string, values map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '{' && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte('{')
			i++
		case ch == '}' && i+1 < len(s) && s[i+1] == '}':
			b.WriteByte('}')
			i++
		case ch == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return "", fmt.Errorf("%q has a { without its }", s)
			}
			key := s[i+1 : i+j]
			v, ok := values[key]
			if !ok {
				return "", fmt.Errorf("%q names {%s}, which is not a field", s, key)
			}
			b.WriteString(v)
			i += j
		case ch == '}':
			return "", fmt.Errorf("%q has a } without its {", s)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// formatOldStyle is Python's "%" formatting with a mapping: %(key)s, %%.
func formatOldStyle(s string, values map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "%%"):
			b.WriteByte('%')
			i++
		case strings.HasPrefix(s[i:], "%("):
			j := strings.Index(s[i:], ")s")
			if j < 0 {
				return "", fmt.Errorf("%q has a %%( without its )s", s)
			}
			key := s[i+2 : i+j]
			v, ok := values[key]
			if !ok {
				return "", fmt.Errorf("%q names %%(%s)s, which is not a field", s, key)
			}
			b.WriteString(v)
			i += j + 1
		default:
			return "", fmt.Errorf("%q has a %% that is neither %%%% nor %%(key)s", s)
		}
	}
	return b.String(), nil
}

// formatTemplate is Python's string.Template.substitute: $key, ${key}, $$.
func formatTemplate(s string, values map[string]string) (string, error) {
	isID := func(c byte, first bool) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		var key string
		switch {
		case strings.HasPrefix(s[i:], "$$"):
			b.WriteByte('$')
			i++
			continue
		case strings.HasPrefix(s[i:], "${"):
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return "", fmt.Errorf("%q has a ${ without its }", s)
			}
			key = s[i+2 : i+j]
			i += j
		default:
			j := i + 1
			for j < len(s) && isID(s[j], j == i+1) {
				j++
			}
			if j == i+1 {
				return "", fmt.Errorf("%q has a $ that is neither $$ nor $key", s)
			}
			key = s[i+1 : j]
			i = j - 1
		}
		v, ok := values[key]
		if !ok {
			return "", fmt.Errorf("%q names $%s, which is not a field", s, key)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
