package jinja

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

func filterTojson(c *Call, v any) (any, error) {
	a, err := c.bind("tojson", "indent?")
	if err != nil {
		return nil, err
	}
	ind, _ := toInt(or(a[0], 0))
	s, err := toJSON(v, ind)
	if err != nil {
		return nil, err
	}
	r := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)
	return r.Replace(s), nil
}

// toJSON dumps v as Python's json.dumps(v, sort_keys=True) does.
func toJSON(v any, indent int) (string, error) { return dumpJSON(v, indent, true) }

// dumpJSON dumps v as Python's json.dumps(v, sort_keys=sortKeys) does.
func dumpJSON(v any, indent int, sortKeys bool) (string, error) {
	var b strings.Builder
	if err := writeJSON(&b, v, indent, 0, sortKeys); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any, indent, depth int, sortKeys bool) error {
	nl := func(d int) {
		if indent > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*d))
		}
	}
	sep := ", "
	if indent > 0 {
		sep = ","
	}
	seq := func(items []any) error {
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			if err := writeJSON(b, it, indent, depth+1, sortKeys); err != nil {
				return err
			}
		}
		if len(items) > 0 {
			nl(depth)
		}
		b.WriteByte(']')
		return nil
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(map[bool]string{true: "true", false: "false"}[x])
	case int:
		b.WriteString(strconv.Itoa(x))
	case *big.Int:
		b.WriteString(x.String())
	case Decimal:
		b.WriteString(x.String())
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(floatRepr(x))
		}
	case string:
		b.WriteString(jsonQuote(x))
	case *List:
		return seq(x.Items)
	case Tuple:
		return seq(x)
	case *Dict:
		keys := make([]string, len(x.keys))
		byKey := map[string]any{}
		for i, k := range x.keys {
			ks, ok := k.(string)
			if !ok {
				switch k.(type) {
				case int, float64, bool, nil:
					var kb strings.Builder
					_ = writeJSON(&kb, k, 0, 0, false)
					ks = kb.String()
				default:
					return errf("keys must be str, int, float, bool or None, not %s", typeName(k))
				}
			}
			keys[i] = ks
			byKey[ks] = x.vals[i]
		}
		if sortKeys {
			sortStrings(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			b.WriteString(jsonQuote(k))
			b.WriteString(": ")
			if err := writeJSON(b, byKey[k], indent, depth+1, sortKeys); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			nl(depth)
		}
		b.WriteByte('}')
	case Undefined:
		return errf("an undefined value is not JSON serializable")
	default:
		return errf("%s is not JSON serializable", aType(v))
	}
	return nil
}

// jsonQuote quotes s as Python's json.dumps does with ensure_ascii.
func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e && r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x10000:
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// ToJSON dumps v as Python's json.dumps(v, sort_keys=sortKeys) does
// (dbt's tojson; the tojson filter sorts); indent > 0 pretty-prints. A
// value json.dumps cannot serialize (an undefined, a Relation) is an
// error.
func ToJSON(v any, indent int, sortKeys bool) (string, error) { return dumpJSON(v, indent, sortKeys) }
