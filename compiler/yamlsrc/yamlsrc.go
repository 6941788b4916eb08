// Package yamlsrc locates YAML syntax errors in the source text.
//
// gopkg.in/yaml.v3 reports a syntax error at the line of its "context
// mark" when it has one: the start of the enclosing block ("line 3: did
// not find expected key" for a bad indent at line 7), not at the faulty
// line. The faulty line is the first one whose prefix of the document
// already fails with the same message: every line before it parses, so
// the problem is on it. Line finds it by bisection over prefixes, on the
// error path only (O(log n) parses).
package yamlsrc

import (
	"bytes"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Line returns the 1-based line of src that holds the syntax error err
// (returned by yaml.Unmarshal of src), and err's message without its
// "yaml: line N:" prefix. When err carries no line, or no prefix of src
// fails the same way, it returns yaml.v3's line (0 when none) and message.
func Line(src []byte, err error) (int, string) {
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, trimPrefix(err.Error())
	}
	reported, _ := strconv.Atoi(m[1])
	msg := m[2]
	starts := lineStarts(src)
	fails := func(k int) bool { // the first k lines fail with msg
		end := len(src)
		if k < len(starts) {
			end = starts[k]
		}
		var n yaml.Node
		e := yaml.Unmarshal(src[:end], &n)
		if e == nil {
			return false
		}
		mm := lineRE.FindStringSubmatch(e.Error())
		return mm != nil && mm[2] == msg
	}
	// The faulty line is at or after the block yaml.v3 names (a scanner
	// error may name the line before it).
	lo, hi := max(reported-1, 1), len(starts)
	if !fails(hi) {
		return reported, msg
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, msg
}

// lineStarts returns the offset of each line's start in src.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i := bytes.IndexByte(src, '\n'); i >= 0; {
		if i+1 < len(src) {
			starts = append(starts, i+1)
		}
		j := bytes.IndexByte(src[i+1:], '\n')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return starts
}

func trimPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}
