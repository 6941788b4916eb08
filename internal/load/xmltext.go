package load

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// unescape appends s to dst with XML entity references decoded (an
// unknown or malformed reference is kept as written) and line ends
// normalized as XML prescribes: "\r\n" and a lone "\r" read as "\n"
// (a "&#13;" reference stays a carriage return).
func unescape(dst, s []byte) []byte {
	for {
		i := bytes.IndexAny(s, "&\r")
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		if s[i] == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			s = s[i+1:]
			continue
		}
		s = s[i:]
		j := bytes.IndexByte(s, ';')
		if j < 0 || j > 12 {
			dst = append(dst, '&')
			s = s[1:]
			continue
		}
		ref := s[1:j]
		switch string(ref) {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			r, ok := charRef(ref)
			if !ok {
				dst = append(dst, s[:j+1]...)
				s = s[j+1:]
				continue
			}
			dst = utf8.AppendRune(dst, r)
		}
		s = s[j+1:]
	}
}

func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if ref[1] == 'x' || ref[1] == 'X' {
		n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
	}
	if err != nil || !utf8.ValidRune(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// decodeEscapes decodes the _xHHHH_ escapes OOXML uses for characters XML
// cannot hold (and _x005F_ for a literal underscore).
func decodeEscapes(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 || i+7 > len(s) || s[i+6] != '_' {
			if i < 0 {
				b.WriteString(s)
				return b.String()
			}
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		n, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		if err != nil {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(n))
		s = s[i+7:]
	}
}
