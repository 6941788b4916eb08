package load

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// TextColumn is a column of a workbook that loaded as VARCHAR by
// inference (not by column_types): how many of its cells are of each
// kind, and where the first of each kind are. It is what locates, after
// the load, a cell that made a column text (one "12,50 EUR" among
// numbers), without reading the workbook again: the load records it as
// it infers the column's type.
type TextColumn struct {
	Name   string      // the table's column
	Letter string      // its letters in the sheets ("C")
	Kinds  []KindCells // the kinds of its values, the most frequent first
	// ISODates and ISOStamps count its text cells that hold an ISO date
	// ("2020-08-03"), or a date with a time of day ("2020-08-03 10:00"):
	// dates typed as text (DatesAsText).
	ISODates, ISOStamps int64
}

// DatesAsText reports whether the column is VARCHAR only because dates
// were typed in it as text: it has text cells, each holds an ISO date
// or timestamp, and its other cells are dates. typ is the type it would
// have had from its values, "DATE" or "TIMESTAMP"; text its text cells.
func (t TextColumn) DatesAsText() (typ string, text KindCells, ok bool) {
	for _, k := range t.Kinds {
		switch k.Kind {
		case "date":
		case "text":
			if k.Count != t.ISODates+t.ISOStamps {
				return "", KindCells{}, false
			}
			text = k
		default:
			return "", KindCells{}, false
		}
	}
	if text.Count == 0 {
		return "", KindCells{}, false
	}
	typ = "DATE"
	if t.ISOStamps > 0 {
		typ = "TIMESTAMP"
	}
	for _, k := range t.Kinds {
		for _, c := range k.First {
			if k.Kind == "date" && len(c.Value) > 10 {
				typ = "TIMESTAMP" // a date cell with a time of day
			}
		}
	}
	return typ, text, true
}

// DatesAsTextNote says, for a column that DatesAsText, what it holds and
// what to do, after file (the workbook as the message names it):
// `column D ("ordered_at") of erp.xlsx loaded as VARCHAR, not DATE: its
// 20 text cells hold ISO dates (the first Sheet1!D2 = "2020-08-03"), so
// comparisons and sorts on it are of text; ...`. "" for another column.
func (t TextColumn) DatesAsTextNote(file string) string {
	typ, text, ok := t.DatesAsText()
	if !ok {
		return ""
	}
	cells := "its " + kindCount64(text.Count, "text cell holds an ISO date", "text cells hold ISO dates")
	if len(text.First) > 0 {
		cells += " (the first " + text.First[0].String() + ")"
	}
	for _, k := range t.Kinds {
		if k.Kind == "date" {
			cells += ", beside " + kindCount64(k.Count, "date cell", "date cells")
		}
	}
	return fmt.Sprintf("column %s (%q) of %s loaded as VARCHAR, not %s: %s, so comparisons and sorts on it are of text; declare the column's type in the source's YAML (columns: [{name: %s, data_type: %s}]) to load it as %s (a cell that is not a date is then an error naming it), or cast it in the models that read it",
		t.Letter, t.Name, file, typ, cells, t.Name, strings.ToLower(typ), typ)
}

// kindCount64 is "1 <one>" or "n <many>".
func kindCount64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// KindCells are the cells of one kind of a TextColumn.
type KindCells struct {
	Kind  string // "number", "boolean", "date" (with a time of day or not), "timestamp with time zone" or "text"
	Count int64  // cells of that kind
	First []Cell // the first of them (at most 3), in sheet and row order
}

// Cell is a cell of a workbook that holds a value.
type Cell struct {
	Sheet string // the sheet's name
	Ref   string // the cell's reference, such as "C10"
	Value string // the value as loaded: a number as written in the file, a date as ISO text, a text as it is
	part  int    // the sheet's index in the load, for the order of cells
	row   int
}

// String returns `Sheet1!C10 = "12,50 EUR"`: the sheet quoted as Excel
// quotes it ('Q1 sales'!C10) when it is not a plain name, the value
// quoted and cut after 60 characters.
func (c Cell) String() string {
	v := c.Value
	if r := []rune(v); len(r) > 60 {
		v = string(r[:57]) + "..."
	}
	return fmt.Sprintf("%s = %q", c.Where(), v)
}

// Where returns the cell's reference with its sheet: `Sheet1!C10`.
func (c Cell) Where() string { return sheetRefName(c.Sheet) + "!" + c.Ref }

// sheetRefName returns a sheet's name as a cell reference writes it.
func sheetRefName(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Main returns the column's most frequent kind of cells.
func (t TextColumn) Main() KindCells {
	if len(t.Kinds) == 0 {
		return KindCells{}
	}
	return t.Kinds[0]
}

// Others returns the first cells (at most 3, in sheet and row order) that
// are not of the column's main kind, and how many such cells there are;
// none when all its cells are of one kind.
func (t TextColumn) Others() ([]Cell, int64) {
	var cells []Cell
	var n int64
	for _, k := range t.Kinds[min(1, len(t.Kinds)):] {
		cells = append(cells, k.First...)
		n += k.Count
	}
	slices.SortFunc(cells, cellOrder)
	return cells[:min(len(cells), firstCells)], n
}

// Find returns a cell of the column that holds value, among the cells the
// load kept (the first of each kind), and its kind's cells.
func (t TextColumn) Find(value string) (Cell, KindCells, bool) {
	for _, k := range t.Kinds {
		for _, c := range k.First {
			if c.Value == value {
				return c, k, true
			}
		}
	}
	return Cell{}, KindCells{}, false
}

// Describe says in one line where the cells that are not of the column's
// main kind are, the first cell after file (the workbook as the message
// names it): `erp.xlsx Sheet1!C10 = "12,50 EUR" is text, where the other
// 59 values of column C ("price") are numbers`; with more such cells,
// the first three and how many more. A column whose cells are all text
// is described as `the 60 values of column C ("price") of erp.xlsx are
// all text cells, the first Sheet1!C2 = "10.5"`. "" for a column without
// values.
func (t TextColumn) Describe(file string) string {
	if len(t.Kinds) == 0 {
		return ""
	}
	col := fmt.Sprintf("column %s (%q)", t.Letter, t.Name)
	main := t.Kinds[0]
	if len(t.Kinds) == 1 {
		s := fmt.Sprintf("the %d values of %s of %s are all %s cells", main.Count, col, file, main.Kind)
		if main.Count == 1 {
			s = fmt.Sprintf("the one value of %s of %s is a %s cell", col, file, main.Kind)
		}
		if len(main.First) > 0 {
			s += ", the first " + main.First[0].String()
		}
		return s
	}
	cells, n := t.Others()
	refs := make([]string, len(cells))
	for i, c := range cells {
		refs[i] = c.String()
	}
	list := strings.Join(refs, ", ")
	if more := n - int64(len(cells)); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	var what string
	if len(t.Kinds) == 2 {
		what = kindNoun(t.Kinds[1].Kind, n)
	} else {
		parts := make([]string, 0, len(t.Kinds)-1)
		for _, k := range t.Kinds[1:] {
			parts = append(parts, fmt.Sprintf("%d %s", k.Count, kindPlural(k.Kind)))
		}
		what = "not " + kindPlural(main.Kind) + " (" + strings.Join(parts, ", ") + ")"
	}
	verb := "is"
	if n > 1 {
		verb = "are"
	}
	other := fmt.Sprintf("the other %d values", main.Count)
	if main.Count == 1 {
		other = "the other value"
	}
	are := "are"
	if main.Count == 1 {
		are = "is"
	}
	return fmt.Sprintf("%s %s %s %s, where %s of %s %s %s", file, list, verb, what, other, col, are, kindNoun(main.Kind, main.Count))
}

// kindNoun is "a number" (n 1) or "numbers"; "text" either way.
func kindNoun(kind string, n int64) string {
	if n != 1 {
		return kindPlural(kind)
	}
	if kind == "text" {
		return kind
	}
	return "a " + kind
}

func kindPlural(kind string) string {
	switch kind {
	case "text":
		return kind
	case "timestamp with time zone":
		return "timestamps with time zone"
	}
	return kind + "s"
}

// kindFamilies are the kinds of cells a TextColumn tells apart (a
// column of one family only is not text), in the order that breaks a tie
// of counts: the text is the odd one out of as many numbers.
var kindFamilies = []struct {
	name  string
	kinds valueKind
}{
	{"number", kindInt | kindFloat},
	{"date", kindDate | kindStamp},
	{"boolean", kindBool},
	{"timestamp with time zone", kindStampTZ},
	{"text", kindText},
}

// textColumns returns the TextColumn of each column of cols that loaded
// as VARCHAR by inference and holds a value, from its kinds (recorded by
// addAt); parts are the load's sheets.
func textColumns(cols []tableCol, kinds []colInfer, parts []string) []TextColumn {
	var out []TextColumn
	for i, c := range cols {
		if c.override != "" || c.typ != typeText || i >= len(kinds) {
			continue
		}
		k := &kinds[i]
		at := slices.Clone(k.at)
		slices.SortStableFunc(at, func(a, b valueAt) int {
			return cmp.Or(cmp.Compare(a.part, b.part), cmp.Compare(a.row, b.row))
		})
		tc := TextColumn{Name: c.name, Letter: c.letter, ISODates: k.isoDates, ISOStamps: k.isoStamps}
		for _, f := range kindFamilies {
			kc := KindCells{Kind: f.name}
			for b := range kindCount {
				if valueKind(1)<<b&f.kinds != 0 {
					kc.Count += k.n[b]
				}
			}
			if kc.Count == 0 {
				continue
			}
			for _, v := range at {
				if v.kind&f.kinds != 0 && len(kc.First) < firstCells {
					sheet := ""
					if v.part < len(parts) {
						sheet = parts[v.part]
					}
					kc.First = append(kc.First, Cell{Sheet: sheet, Ref: fmt.Sprintf("%s%d", c.letter, v.row), Value: v.val, part: v.part, row: v.row})
				}
			}
			tc.Kinds = append(tc.Kinds, kc)
		}
		if len(tc.Kinds) == 0 {
			continue
		}
		slices.SortStableFunc(tc.Kinds, func(a, b KindCells) int { return cmp.Compare(b.Count, a.Count) })
		out = append(out, tc)
	}
	return out
}

func cellOrder(a, b Cell) int {
	return cmp.Or(cmp.Compare(a.part, b.part), cmp.Compare(a.row, b.row))
}
