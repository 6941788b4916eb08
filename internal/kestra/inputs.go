package kestra

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/project"
)

// Validators of STRING inputs, Java regular expressions that accept what
// kiln's var types accept (compiler/project/vartypes.go), so Kestra refuses
// a bad value before kiln runs.
const (
	pathValidator       = "^[^'\"`\\x00-\\x1F\\x7F]+$"
	identifierValidator = "^[A-Za-z_][A-Za-z0-9_]*$"
	monthValidator      = `^\d{4}-(0[1-9]|1[0-2])$`
	timestampValidator  = `^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$`
)

// flowInputs returns one input per var (the vars with a value and the
// declared ones), sorted by name, and the JSON object, as a Pebble
// template, that passes them all to --vars. A declared var gets the input
// type of its var type, with its bounds, values or a validator; an
// undeclared one a type from its value. The var of the trigger date
// (trigger, "" for none) takes the Schedule's date, or the input on a
// manual execution, or the execution's start; a month var (YYYY-MM, no
// default) takes a manual run's input as it is, else the month before the
// Schedule's date or the execution's start.
func flowInputs(vars map[string]any, types map[string]*project.VarType, trigger, timezone string) ([]input, string, error) {
	seen := map[string]bool{}
	var names []string
	for k := range vars {
		seen[k] = true
		names = append(names, k)
	}
	for k := range types {
		if !seen[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var inputs []input
	var fields []string
	for _, k := range names {
		if !validInputID.MatchString(k) {
			return nil, "", fmt.Errorf("var %q cannot be a Kestra input: input ids are letters, digits, dots, _ and -", k)
		}
		v, has := vars[k]
		in, err := varInput(k, v, has, types[k])
		if err != nil {
			return nil, "", err
		}
		ref := "inputs." + k
		if !identifier.MatchString(k) {
			ref = `inputs["` + k + `"]`
		}
		value := ref + " | toJson"
		if k == trigger {
			t := types[k]
			format := "yyyy-MM-dd"
			in.Type = "DATE"
			switch {
			case t != nil && t.Type == project.VarTimestamp:
				format, in.Type, in.Validator = "yyyy-MM-dd'T'HH:mm:ssXXX", "DATETIME", ""
			case t != nil && t.Type == project.VarMonth:
				// Kestra has no month input: a string of the month,
				// and the trigger's date formatted as one.
				format, in.Type, in.Validator = "yyyy-MM", "STRING", monthValidator
			}
			in.Required, in.Defaults = new(false), nil
			if s, ok := v.(string); ok {
				in.Defaults = literal(s)
			} else if has && v != nil {
				in.Defaults = v
			}
			if s, ok := in.Defaults.(string); ok && in.Type == "DATETIME" {
				// A DATETIME input holds an instant: a default without
				// an offset names none, and a manual run falls back on
				// the execution's start.
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					in.Defaults = nil
				}
			}
			in.Description += " On a scheduled run or a backfill, the Schedule's date; on a manual run this input, else the execution's start."
			value = fmt.Sprintf(`(trigger.date ?? %s ?? execution.startDate) | date("%s", timeZone="%s") | toJson`, ref, format, timezone)
			if in.Type == "STRING" {
				// Kestra's date filter parses a string with
				// ZonedDateTime.parse (AbstractDate.convert), which
				// refuses "2020-10": the input, validated as YYYY-MM,
				// passes through unchanged. The month built is the one
				// before the trigger's date (the files that arrive on
				// 2 October are September's), with no default, so that a
				// manual run without it builds the month before its start.
				in.Defaults = nil
				in.Description = strings.TrimSuffix(in.Description, " On a scheduled run or a backfill, the Schedule's date; on a manual run this input, else the execution's start.") +
					" On a scheduled run, the month before the Schedule's date (the run of 2 October builds September); on a manual run this input (YYYY-MM), else the month before the execution's start."
				value = fmt.Sprintf(`(%s ?? ((trigger.date ?? execution.startDate) | dateAdd(-1, "MONTHS", format="yyyy-MM", timeZone="%s"))) | toJson`, ref, timezone)
			}
		}
		in.Description = literal(in.Description)
		inputs = append(inputs, in)
		fields = append(fields, fmt.Sprintf("%q: {{ %s }}", k, value))
	}
	if len(fields) == 0 {
		return inputs, "", nil
	}
	return inputs, "{" + strings.Join(fields, ", ") + "}", nil
}

// varInput is the input of var k, whose value is v (when has).
func varInput(k string, v any, has bool, t *project.VarType) (input, error) {
	in := input{ID: k, Description: fmt.Sprintf("The project var %s (--vars).", k)}
	if !has || v == nil {
		in.Required = new(false)
	}
	if t == nil {
		switch v := v.(type) {
		case nil:
			in.Type = "STRING"
		case string:
			in.Type, in.Defaults = "STRING", literal(v)
		case bool:
			in.Type, in.Defaults = "BOOLEAN", v
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			in.Type, in.Defaults = "INT", v
		case float32, float64:
			in.Type, in.Defaults = "FLOAT", v
		default:
			js, err := jsonText(v)
			if err != nil {
				return in, fmt.Errorf("var %q: %v", k, err)
			}
			in.Type, in.Defaults = "JSON", literal(js)
		}
		return in, nil
	}
	if t.Description != "" {
		in.Description = strings.TrimRight(t.Description, ".") + fmt.Sprintf(". The project var %s (--vars).", k)
	}
	in.Description += " Its type: " + t.String() + "."
	switch t.Type {
	case project.VarNumber:
		in.Type, in.Min, in.Max = "FLOAT", bound(t.Min, false), bound(t.Max, false)
	case project.VarInteger:
		in.Type, in.Min, in.Max = "INT", bound(t.Min, true), bound(t.Max, true)
	case project.VarBoolean:
		in.Type = "BOOLEAN"
	case project.VarDate:
		in.Type = "DATE"
	case project.VarMonth:
		in.Type, in.Validator = "STRING", monthValidator
	case project.VarTimestamp:
		in.Type, in.Validator = "STRING", timestampValidator
	case project.VarPath:
		in.Type, in.Validator = "STRING", pathValidator
	case project.VarIdentifier:
		in.Type, in.Validator = "STRING", identifierValidator
	case project.VarEnum:
		in.Type = "SELECT"
		for _, x := range t.Values {
			in.Values = append(in.Values, literal(fmt.Sprint(x)))
		}
	default:
		in.Type = "STRING"
	}
	if has && v != nil {
		switch d := v.(type) {
		case string:
			in.Defaults = literal(d)
		default:
			if t.Type == project.VarEnum || t.Type == project.VarString {
				in.Defaults = literal(fmt.Sprint(d))
			} else {
				in.Defaults = d
			}
		}
	}
	return in, nil
}

// bound is an input's min or max: nil when unset, a whole number for INT
// (nil when outside Kestra's 32-bit Integer).
func bound(b *float64, integer bool) any {
	if b == nil {
		return nil
	}
	if !integer {
		return *b
	}
	if *b < math.MinInt32 || *b > math.MaxInt32 {
		return nil
	}
	return int(*b)
}
