package template

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// PyYAML's implicit resolvers (YAML 1.1, yaml/resolver.py): the plain
// scalars that load as another type than a string.
var (
	pyBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	pyFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	pyInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	pyNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	pyTime  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
	pyOther = regexp.MustCompile(`^(?:<<|=)$`)
)

// pyMatch is Python's re.match of a pattern anchored with $, which also
// matches before a trailing newline.
func pyMatch(re *regexp.Regexp, s string) bool {
	return re.MatchString(s) || strings.HasSuffix(s, "\n") && re.MatchString(s[:len(s)-1])
}

// pyImplicit returns the tag PyYAML resolves the plain scalar s to:
// "bool", "int", "float", "null", "timestamp", "other" (merge, value) or
// "str".
func pyImplicit(s string) string {
	switch {
	case pyMatch(pyBool, s):
		return "bool"
	case pyMatch(pyFloat, s):
		return "float"
	case pyMatch(pyInt, s):
		return "int"
	case pyMatch(pyNull, s):
		return "null"
	case pyMatch(pyTime, s):
		return "timestamp"
	case pyMatch(pyOther, s):
		return "other"
	}
	return "str"
}

// pyPlainValue is the value of the plain scalar s as PyYAML's safe_load
// constructs it (yaml/constructor.py): bool, int (with _, 0b, 0x, octal
// 0..., base 60 a:b), float (.inf, .nan, base 60), None, a date or
// datetime (pyTimestamp), or the text.
func pyPlainValue(s string) (any, error) {
	s = strings.TrimSuffix(s, "\n")
	switch pyImplicit(s) {
	case "bool":
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			return true, nil
		}
		return false, nil
	case "null":
		return nil, nil
	case "int":
		return pyInteger(s)
	case "float":
		return pyFloatValue(s)
	case "timestamp":
		return pyTimestamp(s)
	}
	return s, nil
}

// pyTimeParts is PyYAML's SafeConstructor.timestamp_regexp: year, month,
// day, then hour, minute, second, fraction, and the zone (Z, or a sign,
// hours and minutes).
var pyTimeParts = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$`)

// pyTimestamp is PyYAML's construct_yaml_timestamp of s (PyYAML 5.3 and
// later): a date when s has no time; else a datetime, its fraction cut
// or padded to microseconds, aware when s gives a zone (Z is UTC), naive
// otherwise. A field out of range is an error, as Python's ValueError
// (which dbt's fromyaml turns into its default).
func pyTimestamp(s string) (any, error) {
	m := pyTimeParts.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("%q is not a timestamp", s)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	y, mo, d := n(1), n(2), n(3)
	if mo < 1 || mo > 12 || d < 1 || d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return nil, fmt.Errorf("%q: day is out of range for month", s)
	}
	if m[4] == "" {
		return YAMLTime(time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), true, false), nil
	}
	h, mi, sec := n(4), n(5), n(6)
	if h > 23 || mi > 59 || sec > 59 {
		return nil, fmt.Errorf("%q: a time field is out of range", s)
	}
	frac := (m[7] + "000000")[:6]
	us, _ := strconv.Atoi(frac)
	loc := time.UTC
	switch {
	case m[8] == "":
		return YAMLTime(time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC), false, false), nil
	case m[8] != "Z":
		off := n(10)*3600 + n(11)*60
		if off >= 24*3600 {
			return nil, fmt.Errorf("%q: the offset is out of range", s)
		}
		if m[9] == "-" {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	return YAMLTime(time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, loc), false, true), nil
}

func pySign(s string) (string, int) {
	sign := 1
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	return s, sign
}

func pyInteger(text string) (any, error) {
	s, sign := pySign(strings.ReplaceAll(text, "_", ""))
	var n int64
	var err error
	switch {
	case s == "0":
		return 0, nil
	case strings.HasPrefix(s, "0b"):
		n, err = strconv.ParseInt(s[2:], 2, 64)
	case strings.HasPrefix(s, "0x"):
		n, err = strconv.ParseInt(s[2:], 16, 64)
	case s[0] == '0':
		n, err = strconv.ParseInt(s[1:], 8, 64)
	case strings.Contains(s, ":"):
		for _, d := range strings.Split(s, ":") {
			v, _ := strconv.ParseInt(d, 10, 64)
			n = n*60 + v
		}
	default:
		n, err = strconv.ParseInt(s, 10, 64)
	}
	if err != nil {
		return nil, fmt.Errorf("the integer %s does not fit 64 bits", text)
	}
	return int(n) * sign, nil
}

func pyFloatValue(text string) (any, error) {
	s, sign := pySign(strings.ToLower(strings.ReplaceAll(text, "_", "")))
	f := 0.0
	switch {
	case s == ".inf":
		f = math.Inf(1)
	case s == ".nan":
		return math.NaN(), nil
	case strings.Contains(s, ":"):
		parts := strings.Split(s, ":")
		for _, d := range parts {
			v, _ := strconv.ParseFloat(d, 64)
			f = f*60 + v
		}
	default:
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, err
		}
	}
	return f * float64(sign), nil
}
