package anomaly

import (
	"fmt"
	"slices"
	"strings"
)

// Column is a column of a relation as the catalog gives it.
type Column struct {
	Name string
	Type string // the database's type name, such as BIGINT or DECIMAL(18,2)
}

// Retyped is a column whose type changed.
type Retyped struct {
	Name     string
	From, To string
}

// SchemaDiff is what changed between the columns of the last accepted run
// and the current ones. Names compare case-insensitively, as SQL
// identifiers; types compare exactly (case-insensitively).
type SchemaDiff struct {
	Added, Removed []Column // in the order of the relation that has them
	Retyped        []Retyped
}

// CompareSchema returns what changed from accepted to current.
func CompareSchema(accepted, current []Column) SchemaDiff {
	key := func(s string) string { return strings.ToLower(s) }
	prev := map[string]Column{}
	for _, c := range accepted {
		prev[key(c.Name)] = c
	}
	cur := map[string]bool{}
	var d SchemaDiff
	for _, c := range current {
		cur[key(c.Name)] = true
		p, ok := prev[key(c.Name)]
		switch {
		case !ok:
			d.Added = append(d.Added, c)
		case !strings.EqualFold(p.Type, c.Type):
			d.Retyped = append(d.Retyped, Retyped{Name: c.Name, From: p.Type, To: c.Type})
		}
	}
	for _, c := range accepted {
		if !cur[key(c.Name)] {
			d.Removed = append(d.Removed, c)
		}
	}
	return d
}

// Empty reports whether nothing changed.
func (d SchemaDiff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Retyped) == 0
}

// String describes the changes in one line, such as `removed "colour"
// VARCHAR, added "color" VARCHAR (renamed?); retyped "vintage" BIGINT ->
// VARCHAR`; "" when nothing changed. A column removed and one added with the
// same type, when they are the only ones, are noted as a possible rename.
func (d SchemaDiff) String() string {
	var parts []string
	for _, c := range d.Removed {
		parts = append(parts, fmt.Sprintf("removed %q %s", c.Name, c.Type))
	}
	for _, c := range d.Added {
		parts = append(parts, fmt.Sprintf("added %q %s", c.Name, c.Type))
	}
	if len(d.Removed) == 1 && len(d.Added) == 1 && strings.EqualFold(d.Removed[0].Type, d.Added[0].Type) {
		parts = []string{fmt.Sprintf("removed %q and added %q, both %s (renamed?)", d.Removed[0].Name, d.Added[0].Name, d.Added[0].Type)}
	}
	for _, r := range d.Retyped {
		parts = append(parts, fmt.Sprintf("retyped %q %s -> %s", r.Name, r.From, r.To))
	}
	return strings.Join(slices.Clip(parts), "; ")
}
