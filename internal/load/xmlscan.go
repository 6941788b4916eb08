package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is the small, fast XML tokenizer of worksheet and shared
// string parts: it splits the stream into start tags, end tags and text,
// with names stripped of their namespace prefix, and checks that tags
// match. It reads what SpreadsheetML writes (UTF-8, no DTD) and rejects the
// rest; encoding/xml, at about 20 MB/s, is several times slower than
// inflating the part. Tokens are slices of the scanner's buffer, valid
// until the next call.
type xmlScanner struct {
	r    io.Reader
	part string // the part's name, for messages
	buf  []byte
	pos  int // next byte to scan in buf
	end  int // bytes of buf filled
	eof  bool
	rerr error // the reader's error other than io.EOF

	// The current token.
	kind  tokKind
	name  []byte // local name of a start or end tag
	attrs []byte // a start tag's attributes, raw
	empty bool   // the start tag ends with "/>"
	text  []byte // raw text (entities not decoded), or a CDATA section's content
	cdata bool   // text is a CDATA section: take it as it is

	stack []int32 // the open elements: the start of each one's name in names
	names []byte  // the names of the open elements, one after another
}

type tokKind uint8

const (
	tokEOF   tokKind = iota
	tokStart         // <name ...>, or <name .../> followed by its tokEnd
	tokEnd           // </name>
	tokText
)

// maxToken bounds one token (a tag, or a text between tags): Excel caps a
// cell's text at 32,767 characters; a token of 64 MB is a broken part.
const maxToken = 64 << 20

func newXMLScanner(r io.Reader, part string) *xmlScanner {
	return &xmlScanner{r: r, part: part, buf: make([]byte, 256<<10)}
}

// errorf returns a "malformed <part>: ..." *workbookFault.
func (s *xmlScanner) errorf(format string, args ...any) error {
	return malformed(s.part, fmt.Sprintf(format, args...))
}

// malformed returns the *workbookFault of a part that is not the XML it
// should be: what says how.
func malformed(part, what string) error {
	return &workbookFault{problem: fmt.Sprintf("malformed %s: %s", part, what), hint: hintResave}
}

// fill reads more bytes, keeping buf[from:end]; it returns false at the
// end of the input or on error (s.rerr).
func (s *xmlScanner) fill(from int) bool {
	if s.eof || s.rerr != nil {
		return false
	}
	if from > 0 {
		n := copy(s.buf, s.buf[from:s.end])
		s.pos -= from
		s.end = n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxToken {
			s.rerr = s.errorf("a tag or text longer than %s", formatSize(maxToken))
			return false
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.rerr = err
		}
		if n > 0 || s.eof || s.rerr != nil {
			return n > 0
		}
	}
}

// index returns the position of b in buf at or after s.pos+off, reading
// more as needed (the token from s.pos is kept), or -1 at the end.
func (s *xmlScanner) index(off int, b byte) int {
	for {
		if i := bytes.IndexByte(s.buf[s.pos+off:s.end], b); i >= 0 {
			return s.pos + off + i
		}
		off = s.end - s.pos
		if !s.fill(s.pos) {
			return -1
		}
	}
}

// indexSeq is index for a byte sequence.
func (s *xmlScanner) indexSeq(off int, seq string) int {
	for {
		if i := bytes.Index(s.buf[s.pos+off:s.end], []byte(seq)); i >= 0 {
			return s.pos + off + i
		}
		off = max(0, s.end-s.pos-len(seq)+1)
		if !s.fill(s.pos) {
			return -1
		}
	}
}

// ensure makes n bytes from s.pos available; false at the end.
func (s *xmlScanner) ensure(n int) bool {
	for s.end-s.pos < n {
		if !s.fill(s.pos) {
			return false
		}
	}
	return true
}

// err returns the reader's error, or an unexpected EOF.
func (s *xmlScanner) eofError() error {
	if s.rerr != nil {
		return s.rerr
	}
	return s.errorf("the XML ends early, inside an element")
}

// next reads the next token. At the end of the input it returns tokEOF,
// or an error when elements are still open. A self-closing tag gives its
// start, and its end on the following call.
func (s *xmlScanner) next() error {
	if s.kind == tokStart && s.selfClosing() {
		s.kind = tokEnd
		return s.pop()
	}
	if s.pos == s.end && !s.fill(s.pos) {
		if s.rerr != nil {
			return s.rerr
		}
		if len(s.stack) > 0 {
			return s.eofError()
		}
		s.kind = tokEOF
		return nil
	}
	if s.buf[s.pos] != '<' {
		i := s.index(0, '<')
		if i < 0 {
			if s.rerr != nil {
				return s.rerr
			}
			i = s.end
		}
		s.kind, s.text, s.cdata = tokText, s.buf[s.pos:i], false
		s.pos = i
		return nil
	}
	if !s.ensure(2) {
		return s.eofError()
	}
	switch s.buf[s.pos+1] {
	case '/':
		i := s.index(2, '>')
		if i < 0 {
			return s.eofError()
		}
		s.kind, s.name = tokEnd, localName(trimRightSpace(s.buf[s.pos+2:i]))
		s.pos = i + 1
		return s.pop()
	case '?':
		i := s.indexSeq(2, "?>")
		if i < 0 {
			return s.eofError()
		}
		if s.pos == 0 && bytes.HasPrefix(s.buf, []byte("<?xml")) {
			if err := s.checkDecl(s.buf[:i]); err != nil {
				return err
			}
		}
		s.pos = i + 2
		return s.next()
	case '!':
		if !s.ensure(4) {
			return s.eofError()
		}
		if s.buf[s.pos+2] == '[' && !s.ensure(9) {
			return s.eofError()
		}
		rest := s.buf[s.pos:s.end]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i := s.indexSeq(4, "-->")
			if i < 0 {
				return s.eofError()
			}
			s.pos = i + 3
			return s.next()
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i := s.indexSeq(9, "]]>")
			if i < 0 {
				return s.eofError()
			}
			s.kind, s.text, s.cdata = tokText, s.buf[s.pos+9:i], true
			s.pos = i + 3
			return nil
		}
		return s.errorf("a DTD or declaration (<!...) where SpreadsheetML has none")
	}
	// A start tag: up to the '>' outside quoted attribute values.
	off, quote := 1, byte(0)
	for {
		if s.pos+off >= s.end {
			if !s.fill(s.pos) {
				return s.eofError()
			}
			continue
		}
		c := s.buf[s.pos+off]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if j := bytes.IndexByte(s.buf[s.pos+off:s.end], quote); j > 0 {
				off += j
				continue
			} else if j < 0 {
				off = s.end - s.pos
				continue
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			tag := s.buf[s.pos+1 : s.pos+off]
			s.pos += off + 1
			n := 0
			for n < len(tag) && !isSpace(tag[n]) && tag[n] != '/' {
				n++
			}
			if n == 0 {
				return s.errorf("a tag without a name")
			}
			s.kind, s.name, s.attrs = tokStart, localName(tag[:n]), tag[n:]
			a := trimRightSpace(s.attrs)
			s.empty = len(a) > 0 && a[len(a)-1] == '/'
			s.push(tag[:n])
			return nil
		case c == '<':
			return s.errorf("'<' inside a tag")
		}
		off++
	}
}

// selfClosing reports whether the current start tag ends with "/>".
func (s *xmlScanner) selfClosing() bool { return s.empty }

func trimRightSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// push records an open element.
func (s *xmlScanner) push(name []byte) {
	s.stack = append(s.stack, int32(len(s.names)))
	s.names = append(s.names, name...)
}

// pop closes the current end tag's element, which must be the last open.
func (s *xmlScanner) pop() error {
	if len(s.stack) == 0 {
		return s.errorf("closing tag </%s> without an opening tag", s.name)
	}
	start := s.stack[len(s.stack)-1]
	top := s.names[start:]
	if !bytes.Equal(localName(top), s.name) {
		return s.errorf("element <%s> closed by </%s>", top, s.name)
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.names = s.names[:start]
	return nil
}

// depth returns the number of open elements.
func (s *xmlScanner) depth() int { return len(s.stack) }

// skip reads to the end of the element just started.
func (s *xmlScanner) skip() error {
	d := s.depth()
	for {
		if err := s.next(); err != nil {
			return err
		}
		if s.kind == tokEnd && s.depth() < d {
			return nil
		}
		if s.kind == tokEOF {
			return s.eofError()
		}
	}
}

// checkDecl rejects an XML declaration of another encoding than UTF-8.
func (s *xmlScanner) checkDecl(decl []byte) error {
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return nil
	}
	v, _ := attrValue(decl[i:], "encoding")
	if v != nil && !bytes.EqualFold(v, []byte("UTF-8")) && !bytes.EqualFold(v, []byte("UTF8")) {
		return s.errorf("encoding %q (kiln reads UTF-8 parts, as Excel writes them)", v)
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName strips a namespace prefix: "x:row" -> "row".
func localName(n []byte) []byte {
	for i := len(n) - 1; i >= 0; i-- {
		if n[i] == ':' {
			return n[i+1:]
		}
	}
	return n
}

// nextAttr splits the first attribute off a start tag's attributes: its
// local name, its raw value, and the rest; ok is false when the text is
// not name="value" pairs. A trailing "/" and spaces give an empty key.
func nextAttr(a []byte) (key, val, rest []byte, ok bool) {
	i := 0
	for i < len(a) && (isSpace(a[i]) || a[i] == '/') {
		i++
	}
	if i == len(a) {
		return nil, nil, nil, true
	}
	start := i
	for i < len(a) && a[i] != '=' && !isSpace(a[i]) {
		i++
	}
	key = localName(a[start:i])
	for i < len(a) && isSpace(a[i]) {
		i++
	}
	if i >= len(a) || a[i] != '=' {
		return nil, nil, nil, false
	}
	i++
	for i < len(a) && isSpace(a[i]) {
		i++
	}
	if i >= len(a) || (a[i] != '"' && a[i] != '\'') {
		return nil, nil, nil, false
	}
	q := a[i]
	i++
	j := bytes.IndexByte(a[i:], q)
	if j < 0 {
		return nil, nil, nil, false
	}
	return key, a[i : i+j], a[i+j+1:], true
}

// attrValue returns the raw value of the attribute with local name in a
// start tag's attributes, nil when absent.
func attrValue(attrs []byte, name string) ([]byte, bool) {
	i := 0
	for i < len(attrs) {
		for i < len(attrs) && (isSpace(attrs[i]) || attrs[i] == '/') {
			i++
		}
		start := i
		for i < len(attrs) && attrs[i] != '=' && !isSpace(attrs[i]) {
			i++
		}
		key := attrs[start:i]
		for i < len(attrs) && isSpace(attrs[i]) {
			i++
		}
		if i >= len(attrs) || attrs[i] != '=' {
			return nil, len(key) == 0
		}
		i++
		for i < len(attrs) && isSpace(attrs[i]) {
			i++
		}
		if i >= len(attrs) || (attrs[i] != '"' && attrs[i] != '\'') {
			return nil, false
		}
		q := attrs[i]
		i++
		j := bytes.IndexByte(attrs[i:], q)
		if j < 0 {
			return nil, false
		}
		val := attrs[i : i+j]
		i += j + 1
		if string(localName(key)) == name {
			return val, true
		}
	}
	return nil, true
}

var errEntity = errors.New("bad character reference")

// appendText appends raw XML text to dst, decoded as encoding/xml decodes
// character data: the five predefined entities and character references
// replaced, and line ends normalized ("\r\n" and "\r" to "\n", XML 1.0
// section 2.11). It fails on an unknown entity or invalid UTF-8.
func appendText(dst, raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		if !utf8.Valid(raw) {
			return dst, errors.New("invalid UTF-8")
		}
		return append(dst, raw...), nil
	}
	start := len(dst)
	for len(raw) > 0 {
		i := bytes.IndexAny(raw, "&\r")
		if i < 0 {
			dst = append(dst, raw...)
			break
		}
		dst = append(dst, raw[:i]...)
		raw = raw[i:]
		if raw[0] == '\r' {
			dst = append(dst, '\n')
			raw = raw[1:]
			if len(raw) > 0 && raw[0] == '\n' {
				raw = raw[1:]
			}
			continue
		}
		j := bytes.IndexByte(raw, ';')
		if j < 0 {
			return dst, errEntity
		}
		ent := raw[1:j]
		raw = raw[j+1:]
		switch string(ent) {
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
			if len(ent) < 2 || ent[0] != '#' {
				return dst, fmt.Errorf("unknown entity &%s;", ent)
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			}
			if err != nil || !isXMLChar(rune(n)) {
				return dst, fmt.Errorf("%w &%s;", errEntity, ent)
			}
			dst = utf8.AppendRune(dst, rune(n))
		}
	}
	if !utf8.Valid(dst[start:]) {
		return dst, errors.New("invalid UTF-8")
	}
	return dst, nil
}

// isXMLChar reports whether r is a character XML 1.0 allows.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
