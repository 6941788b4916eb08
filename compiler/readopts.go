package compiler

import (
	"fmt"
	"math"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/readopt"
)

// The reading options of file-backed sources (keys of external:) and of
// seeds (config keys): how a file is decoded and what it may cost. Their
// effect is internal/load's; the compiler checks their values, so that a
// typo stops the compile at its position rather than a run.

// readOptionFormats lists the formats each option applies to.
var readOptionFormats = map[string][]string{
	readopt.KeyEncoding:        {"csv"},
	readopt.KeyNullValues:      {"csv", "xlsx"},
	readopt.KeyMaxLineSize:     {"csv"},
	readopt.KeyMaxUnzippedSize: {"xlsx"},
	readopt.KeyMaxUnzipRatio:   {"xlsx"},
	readopt.KeyMaxCells:        {"xlsx"},
}

// setReadOption sets option key of o from its YAML value v (nil: not
// set). It returns the problem with v and how to fix it, "" when v is
// valid.
func setReadOption(o *graph.ReadOptions, key string, v any) (problem, hint string) {
	if v == nil {
		return "", ""
	}
	size := func(dst *int64) (string, string) {
		var n int64
		var err error
		switch x := v.(type) {
		case int:
			n = int64(x)
			if n < 1 {
				err = fmt.Errorf("%d is not a size", x)
			}
		case string:
			n, err = readopt.ParseSize(x)
		default:
			err = fmt.Errorf("%v is not a size", v)
		}
		if err != nil {
			return fmt.Sprintf("%s: %v", key, err), "write a number of bytes or a size such as 500MB or 8GB"
		}
		*dst = n
		return "", ""
	}
	switch key {
	case readopt.KeyEncoding:
		s, ok := v.(string)
		if _, known := readopt.Encoding(s); !ok || !known {
			return fmt.Sprintf("unknown encoding %q", fmt.Sprint(v)), "use utf-8, latin-1, windows-1252 or another IANA encoding name"
		}
		o.Encoding = s
	case readopt.KeyNullValues:
		list, ok := v.([]any)
		if !ok {
			return fmt.Sprintf("%s must be a list of texts, not %v", key, v), `write null_values: ["null", "NA"]`
		}
		o.NullValues = []string{}
		for _, e := range list {
			s, ok := e.(string)
			switch {
			case e == nil:
				return fmt.Sprintf("%s holds a bare null, which YAML reads as nothing, not the text \"null\"", key), `quote every entry: write ["null", "NA"]`
			case !ok || s == "":
				return fmt.Sprintf("%s holds %q, not a text to read as NULL", key, fmt.Sprint(e)), `quote every entry: write ["null", "NA"] (an empty field is always NULL)`
			}
			o.NullValues = append(o.NullValues, s)
		}
	case readopt.KeyMaxUnzippedSize:
		return size(&o.MaxUnzippedSize)
	case readopt.KeyMaxLineSize:
		return size(&o.MaxLineSize)
	case readopt.KeyMaxUnzipRatio:
		var f float64
		switch x := v.(type) {
		case int:
			f = float64(x)
		case float64:
			f = x
		}
		if !(f >= 1) || math.IsInf(f, 0) {
			return fmt.Sprintf("%s must be a number of 1 or more, not %v", key, v), "the default is 100"
		}
		o.MaxUnzipRatio = f
	case readopt.KeyMaxCells:
		n, ok := v.(int)
		if !ok || n < 1 {
			return fmt.Sprintf("%s must be a whole number of 1 or more, not %v", key, v), "the default is 500000000"
		}
		o.MaxCells = int64(n)
	}
	return "", ""
}

// externalReadOptions checks the reading options of a source table's
// external block, for a file of format, and returns them.
func (c *compiler) externalReadOptions(pos diag.Pos, source, format string, e *project.ExternalProps) graph.ReadOptions {
	var o graph.ReadOptions
	var enc any
	if e.Encoding != "" {
		enc = e.Encoding
	}
	for _, kv := range []struct {
		key string
		v   any
	}{
		{readopt.KeyEncoding, enc}, {readopt.KeyNullValues, e.NullValues}, {readopt.KeyMaxLineSize, e.MaxLineSize},
		{readopt.KeyMaxUnzippedSize, e.MaxUnzippedSize}, {readopt.KeyMaxUnzipRatio, e.MaxUnzipRatio}, {readopt.KeyMaxCells, e.MaxCells},
	} {
		if kv.v == nil {
			continue
		}
		if problem, hint := setReadOption(&o, kv.key, kv.v); problem != "" {
			c.diags.Errorf(pos, "source %q: %s", source, problem).Hint = hint
			continue
		}
		if format != "" && !contains(readOptionFormats[kv.key], format) {
			c.diags.Errorf(pos, "source %q: %s applies to %s files, and its file is %s", source, kv.key, quoteList(readOptionFormats[kv.key]), format).Hint = "remove " + kv.key
		}
	}
	return o
}

// checkReadOption checks the value of a seed's reading option at pos.
func (c *compiler) checkReadOption(key string, v any, pos diag.Pos) {
	var o graph.ReadOptions
	if problem, hint := setReadOption(&o, key, v); problem != "" {
		c.diags.Errorf(pos, "%s", problem).Hint = hint
	}
}

// seedReadOptions returns the reading options of a seed's config (values
// already checked by checkReadOption).
func seedReadOptions(extra map[string]any) graph.ReadOptions {
	var o graph.ReadOptions
	for _, key := range []string{readopt.KeyEncoding, readopt.KeyNullValues, readopt.KeyMaxLineSize} {
		setReadOption(&o, key, extra[key])
	}
	return o
}
