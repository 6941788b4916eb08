package cli

import (
	"errors"
	"strconv"
)

// onceString is a string flag that may be given once: a second --vars
// would replace the first whole (a pflag string keeps the last), so that
// --vars '{a: 1}' --vars '{b: 2}' would build without a, silently.
type onceString string

func (s *onceString) String() string { return string(*s) }

// Set sets the flag's value, or fails when it was set before.
func (s *onceString) Set(v string) error {
	if *s != "" {
		return errors.New("given twice: write every var in one mapping, --vars '{a: 1, b: 2}' (a second one would replace the first)")
	}
	*s = onceString(v)
	return nil
}

func (s *onceString) Type() string { return "string" }

// pairedBool is one of a pair of flags, --name and --no-name, that write
// one bool *v: given true, the flag sets *v to set (false: to !set), and
// *given records that one of the pair was given. Of the two, the last
// given wins, as with dbt's paired flags.
type pairedBool struct {
	v     *bool
	set   bool
	given *bool
}

func (p pairedBool) String() string {
	if p.v == nil {
		return "false"
	}
	return strconv.FormatBool(*p.v == p.set)
}

// Set sets *v from s, a bool ("true" when the flag has no value).
func (p pairedBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*p.v = b == p.set
	*p.given = true
	return nil
}

func (p pairedBool) Type() string { return "bool" }

// IsBoolFlag lets the flag go without a value.
func (p pairedBool) IsBoolFlag() bool { return true }
