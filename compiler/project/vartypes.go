package project

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamlsrc"
)

// The var types a project can declare under var-types: in project.yml.
// A var is text in a template whatever its type (as in dbt); the type says
// which values kiln accepts before anything is rendered or run, so that a
// number var cannot carry SQL.
const (
	// VarNumber is a decimal number: a YAML or JSON number, or a string
	// such as "2.5" or "-1e3"; never NaN or infinite.
	VarNumber = "number"
	// VarInteger is a whole number: a YAML or JSON integer, or a string of
	// digits with an optional sign.
	VarInteger = "integer"
	// VarBoolean is true or false (a YAML or JSON boolean, not a string:
	// the string "false" is true in a template's if).
	VarBoolean = "boolean"
	// VarDate is a calendar date written YYYY-MM-DD (ISO 8601).
	VarDate = "date"
	// VarMonth is a calendar month written YYYY-MM (ISO 8601), such as
	// 2026-01: the month a monthly run's input stands for.
	VarMonth = "month"
	// VarTimestamp is a date and a time, YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]
	// with an optional Z or ±HH:MM offset, or a date alone.
	VarTimestamp = "timestamp"
	// VarString is free text (a number or boolean is taken as its text):
	// render it in SQL with the sql_literal filter.
	VarString = "string"
	// VarPath is a file or folder path: text without quotes (' " `) or
	// control characters, so that it stays one path inside a SQL string.
	VarPath = "path"
	// VarIdentifier is a SQL name: a letter or _, then letters, digits
	// and _.
	VarIdentifier = "identifier"
	// VarEnum is a var whose declaration lists its allowed values.
	VarEnum = "enum"
)

// KestraTriggerDate is the kestra: role of a date, month or timestamp var
// that kiln export kestra fills with the Schedule trigger's date (its
// month for a month var), so that a Kestra backfill of a past date
// rebuilds that date.
const KestraTriggerDate = "trigger_date"

var varTypeNames = []string{VarNumber, VarInteger, VarBoolean, VarDate, VarMonth, VarTimestamp, VarString, VarPath, VarIdentifier}

// VarType is the declared type of a project var, from var-types: in
// project.yml, in one of three forms:
//
//	var-types:
//	  raw_dir: path                        # a type name
//	  region: [north, south]               # the allowed values
//	  premium_z_score:                     # a mapping
//	    type: number                       # or values: [...]
//	    min: 0                             # number and integer only
//	    max: 10
//	    description: Price z-score above which a wine is premium.
//	    kestra: trigger_date               # date, month and timestamp only
type VarType struct {
	Name        string
	Type        string // one of the Var* constants
	Values      []any  // the allowed values of a VarEnum
	Min, Max    *float64
	Description string
	Kestra      string // "" or KestraTriggerDate
	At          At     // the declaration in project.yml
}

// String describes the type as error messages and inputs show it:
// "number", "integer from 1 to 100", "one of 'north', 'south'".
func (t *VarType) String() string {
	if t.Type == VarEnum {
		parts := make([]string, len(t.Values))
		for i, v := range t.Values {
			parts[i] = showValue(v)
		}
		return "one of " + strings.Join(parts, ", ")
	}
	s := t.Type
	switch {
	case t.Min != nil && t.Max != nil:
		s += fmt.Sprintf(" from %s to %s", num(*t.Min), num(*t.Max))
	case t.Min != nil:
		s += fmt.Sprintf(" of at least %s", num(*t.Min))
	case t.Max != nil:
		s += fmt.Sprintf(" of at most %s", num(*t.Max))
	}
	return s
}

// phrase is String with an article: "a number", "an integer from 1 to 9",
// "one of ...".
func (t *VarType) phrase() string {
	s := t.String()
	switch {
	case t.Type == VarEnum:
		return s
	case strings.ContainsRune("aeiou", rune(s[0])):
		return "an " + s
	}
	return "a " + s
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// showValue writes a value as a message shows it: strings quoted.
func showValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

var (
	numberText  = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	integerText = regexp.MustCompile(`^[+-]?[0-9]+$`)
	identText   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Layouts of a timestamp; time.Parse also reads a fraction after the
	// seconds.
	timestampLayouts = []string{
		"2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05",
		"2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly,
	}
)

// Check returns nil when v is a value of t, else an error saying what v
// should be ("is not a number"); the caller names the var and its origin.
func (t *VarType) Check(v any) error {
	if v == nil {
		return fmt.Errorf("is null; give it %s", t.phrase())
	}
	switch v.(type) {
	case []any, map[string]any, map[any]any:
		return fmt.Errorf("is a list or mapping, not %s", t.phrase())
	}
	s, isString := v.(string)
	if ts, ok := v.(yamlsrc.Time); ok && (t.Type == VarDate || t.Type == VarTimestamp) {
		s, isString = ts.String(), true // a YAML date: checked as its text
	}
	switch t.Type {
	case VarNumber, VarInteger:
		f, ok := t.number(v)
		if !ok {
			if t.Type == VarInteger {
				return fmt.Errorf("is not an integer (a whole number such as 42)")
			}
			return fmt.Errorf("is not a number (such as 2 or 2.5)")
		}
		if t.Min != nil && f < *t.Min || t.Max != nil && f > *t.Max {
			return fmt.Errorf("is out of range: it must be %s", t.phrase())
		}
	case VarBoolean:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("is not a boolean: write true or false, without quotes")
		}
	case VarDate:
		if !isString || !validDate(s) {
			return fmt.Errorf("is not a date: write YYYY-MM-DD, such as 2026-01-31")
		}
	case VarMonth:
		if !isString || !validMonth(s) {
			return fmt.Errorf("is not a month: write YYYY-MM, such as 2026-01")
		}
	case VarTimestamp:
		if !isString || !validTimestamp(s) {
			return fmt.Errorf("is not a timestamp: write YYYY-MM-DD HH:MM:SS, optionally with T between them and a Z or +01:00 offset")
		}
	case VarString:
		switch v.(type) {
		case string, bool, int, int64, uint64, float64:
		default:
			return fmt.Errorf("is not text")
		}
	case VarPath:
		if !isString || s == "" {
			return fmt.Errorf("is not a path (text such as data/2026-01)")
		}
		if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\'' || r == '"' || r == '`' }); i >= 0 {
			return fmt.Errorf("is not a path kiln accepts: it holds %q; a path may not hold quotes or control characters", s[i:i+1])
		}
	case VarIdentifier:
		if !isString || !identText.MatchString(s) {
			return fmt.Errorf("is not an identifier: a letter or _, then letters, digits and _")
		}
	case VarEnum:
		for _, a := range t.Values {
			if fmt.Sprint(a) == fmt.Sprint(v) {
				return nil
			}
		}
		return fmt.Errorf("is not allowed: it must be %s", t)
	}
	return nil
}

// number returns v as a float when it is a number of t's kind.
func (t *VarType) number(v any) (float64, bool) {
	var f float64
	switch v := v.(type) {
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint64:
		f = float64(v)
	case float64:
		if t.Type == VarInteger {
			return 0, false
		}
		f = v
	case string:
		re := numberText
		if t.Type == VarInteger {
			re = integerText
		}
		if !re.MatchString(v) {
			return 0, false
		}
		var err error
		if f, err = strconv.ParseFloat(v, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func validMonth(s string) bool {
	_, err := time.Parse("2006-01", s)
	return err == nil && len(s) == len("2006-01")
}

func validTimestamp(s string) bool {
	for _, l := range timestampLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}

// CheckVars checks the vars given to a compilation (--vars) against the
// declared types of project.yml, and returns one error per value that is
// not of its var's type: "--vars: var premium_z_score is \"(select 1)\",
// which is not a number (such as 2 or 2.5)", with the declaration's
// position as hint. Vars without a declared type are not checked, as in
// dbt.
func (p *Project) CheckVars(vars map[string]any) diag.List {
	var l diag.List
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t := p.VarTypes[k]
		if t == nil {
			continue
		}
		if err := t.Check(vars[k]); err != nil {
			l.Add(diag.Errorf(diag.Pos{File: "--vars"}, "var %s is %s, which %v", k, showValue(vars[k]), err).
				WithHint("%s declares %s as %s; nothing was run", t.At.Pos(p.File), k, t.phrase()))
		}
	}
	return l
}

// parseVarTypes reads var-types: (n) and checks the defaults of vars: in
// root against the declared types.
func parseVarTypes(file string, n *yaml.Node, root *yaml.Node, vars map[string]any, l *diag.List) map[string]*VarType {
	out := map[string]*VarType{}
	if n == nil || n.Kind == 0 {
		return out
	}
	if n.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: n.Line, Col: n.Column}, "var-types must be a mapping of var names to types").
			WithHint("write var-types: {premium_z_score: number, raw_dir: path}"))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if t := parseVarType(file, k.Value, v, l); t != nil {
			out[k.Value] = t
		}
	}
	varsNode := findKey(root, "vars")
	for name, t := range out {
		def, ok := vars[name]
		if !ok || varsNode == nil {
			continue
		}
		if def == nil {
			continue // "name:" with no value declares the var without a default
		}
		if err := t.Check(def); err != nil {
			l.Add(diag.Errorf(posOfKey(varsNode, name, file), "the default of var %s is %s, which %v", name, showValue(def), err).
				WithHint("var-types declares %s as %s at %s", name, t.phrase(), t.At.Pos(file)))
		}
	}
	return out
}

var varTypeKeys = []string{"type", "values", "min", "max", "description", "kestra"}

func parseVarType(file, name string, n *yaml.Node, l *diag.List) *VarType {
	pos := func(n *yaml.Node) diag.Pos { return diag.Pos{File: file, Line: n.Line, Col: n.Column} }
	t := &VarType{Name: name, At: at(n)}
	typeHint := "use " + strings.Join(varTypeNames, ", ") + ", or a list of the allowed values"
	switch n.Kind {
	case yaml.ScalarNode:
		t.Type = n.Value
	case yaml.SequenceNode:
		if !parseValues(file, name, n, t, l) {
			return nil
		}
	case yaml.MappingNode:
		var typeNode, valuesNode *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch k.Value {
			case "type":
				typeNode = v
				t.Type = v.Value
			case "values":
				valuesNode = v
			case "min", "max":
				f, err := strconv.ParseFloat(v.Value, 64)
				if v.Kind != yaml.ScalarNode || err != nil || v.Tag != "!!int" && v.Tag != "!!float" {
					l.Add(diag.Errorf(pos(v), "%s of var %s must be a number, not %q", k.Value, name, v.Value))
					return nil
				}
				if k.Value == "min" {
					t.Min = &f
				} else {
					t.Max = &f
				}
			case "description":
				t.Description = v.Value
			case "kestra":
				if v.Value != KestraTriggerDate {
					l.Add(diag.Errorf(pos(v), "unknown kestra role %q of var %s", v.Value, name).
						WithHint("kestra: trigger_date fills the var with the date of the Kestra Schedule trigger"))
					return nil
				}
				t.Kestra = v.Value
			default:
				d := diag.Errorf(pos(k), "unknown key %q in the type of var %s", k.Value, name)
				if h := diag.DidYouMean(k.Value, varTypeKeys); h != "" {
					d = d.WithHint("%s", h)
				} else {
					d = d.WithHint("the keys are %s", strings.Join(varTypeKeys, ", "))
				}
				l.Add(d)
				return nil
			}
		}
		switch {
		case typeNode != nil && valuesNode != nil:
			l.Add(diag.Errorf(pos(valuesNode), "var %s has both a type and values", name).
				WithHint("values: lists the allowed values and needs no type"))
			return nil
		case valuesNode != nil:
			if !parseValues(file, name, valuesNode, t, l) {
				return nil
			}
		case typeNode == nil:
			l.Add(diag.Errorf(pos(n), "the declaration of var %s has no type", name).WithHint("add type: (%s)", typeHint))
			return nil
		}
	default:
		l.Add(diag.Errorf(pos(n), "the type of var %s must be a type name, a list of allowed values or a mapping", name).WithHint("%s", typeHint))
		return nil
	}
	if t.Type != VarEnum && !contains(varTypeNames, t.Type) {
		d := diag.Errorf(pos(n), "unknown var type %q for var %s", t.Type, name)
		if h := diag.DidYouMean(t.Type, varTypeNames); h != "" {
			d = d.WithHint("%s", h)
		} else {
			d = d.WithHint("%s", typeHint)
		}
		l.Add(d)
		return nil
	}
	if (t.Min != nil || t.Max != nil) && t.Type != VarNumber && t.Type != VarInteger {
		l.Add(diag.Errorf(pos(n), "min and max apply to number and integer vars, not to %s var %s", t.Type, name))
		return nil
	}
	if t.Type == VarInteger {
		for _, b := range []*float64{t.Min, t.Max} {
			if b != nil && *b != math.Trunc(*b) {
				l.Add(diag.Errorf(pos(n), "the bounds of integer var %s must be whole numbers, not %s", name, num(*b)))
				return nil
			}
		}
	}
	if t.Min != nil && t.Max != nil && *t.Min > *t.Max {
		l.Add(diag.Errorf(pos(n), "var %s has min %s above max %s", name, num(*t.Min), num(*t.Max)))
		return nil
	}
	if t.Kestra != "" && t.Type != VarDate && t.Type != VarMonth && t.Type != VarTimestamp {
		l.Add(diag.Errorf(pos(n), "kestra: %s needs a date, month or timestamp var, and %s is %s", t.Kestra, name, t.Type))
		return nil
	}
	return t
}

// parseValues reads the allowed values of an enumeration: scalars, at
// least one.
func parseValues(file, name string, n *yaml.Node, t *VarType, l *diag.List) bool {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: n.Line, Col: n.Column}, "the allowed values of var %s must be a non-empty list", name))
		return false
	}
	t.Type = VarEnum
	for _, c := range n.Content {
		var v any
		if c.Kind != yaml.ScalarNode || c.Decode(&v) != nil || v == nil {
			l.Add(diag.Errorf(diag.Pos{File: file, Line: c.Line, Col: c.Column}, "an allowed value of var %s must be a string, number or boolean", name))
			return false
		}
		t.Values = append(t.Values, v)
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// VarMap is project.yml's vars: (and --vars): var names to values, decoded
// as yaml.v3 decodes into an any except that a timestamp is a
// yamlsrc.Time, a date or datetime as PyYAML reads it (so that
// {month: 2020-09-01} prints 2020-09-01, as in dbt, not Go's time).
type VarMap map[string]any

// UnmarshalYAML decodes n, a mapping, with yamlsrc.Value.
func (m *VarMap) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		*m = nil
		return nil
	}
	if n.Kind != yaml.MappingNode {
		var v map[string]any
		return n.Decode(&v) // yaml.v3's error
	}
	v, err := yamlsrc.Value(n)
	if err != nil {
		return err
	}
	*m = v.(map[string]any)
	return nil
}
