package cli

import "errors"

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
