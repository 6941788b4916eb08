package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// xmlScan is a small streaming XML tokenizer for the parts of an xlsx
// package, the worksheet and the shared strings: it reports tags by local
// name (namespace prefixes dropped) with their attributes, and reads the
// character data of the elements the caller asks for. It skips comments,
// processing instructions and DOCTYPE, decodes the predefined and numeric
// entities, and reads CDATA in text. It expects UTF-8, as Excel and the
// other producers of xlsx write it.
//
// It exists because encoding/xml allocates per token and tokenizes about
// 25 MB/s, the bottleneck of loading a large sheet.
type xmlScan struct {
	r   *bufio.Reader
	err error

	// the current tag
	name        []byte
	attrs       []xmlAttr
	end         bool // </name>
	selfClosing bool // <name .../>

	buf     []byte // backing store of name and attrs
	ltTaken bool   // text() consumed the '<' of the next tag
}

type xmlAttr struct{ name, value []byte }

func newXMLScan(r io.Reader) *xmlScan {
	return &xmlScan{r: bufio.NewReaderSize(r, 64<<10)}
}

var errXMLSyntax = errors.New("malformed XML")

// next advances to the next start or end tag, skipping character data. It
// returns false at the end of input or on error (see Err).
func (x *xmlScan) next() bool {
	for x.err == nil {
		if !x.ltTaken {
			if !x.skipPast('<') {
				return false
			}
		}
		x.ltTaken = false
		b, err := x.r.ReadByte()
		if err != nil {
			x.failInside(err)
			return false
		}
		switch b {
		case '?':
			x.skipUntil("?>")
		case '!':
			x.skipMarkup()
		case '/':
			x.end, x.selfClosing = true, false
			x.readTag()
			return x.err == nil
		default:
			_ = x.r.UnreadByte()
			x.end, x.selfClosing = false, false
			x.readTag()
			return x.err == nil
		}
	}
	return false
}

// Err returns the first error met, nil at a clean end of input.
func (x *xmlScan) Err() error {
	if x.err == io.EOF {
		return nil
	}
	return x.err
}

func (x *xmlScan) fail(err error) {
	if x.err == nil {
		x.err = err
	}
}

// failInside records err met inside markup, where the end of input is an
// error.
func (x *xmlScan) failInside(err error) {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	x.fail(err)
}

// is reports whether the current tag has local name n.
func (x *xmlScan) is(n string) bool { return string(x.name) == n }

// attr returns the value of the attribute with local name n, nil if absent.
func (x *xmlScan) attr(n string) []byte {
	for _, a := range x.attrs {
		if string(a.name) == n {
			return a.value
		}
	}
	return nil
}

// skipPast consumes input up to and including the next c.
func (x *xmlScan) skipPast(c byte) bool {
	for {
		_, err := x.r.ReadSlice(c)
		if err == nil {
			return true
		}
		if err != bufio.ErrBufferFull {
			x.fail(err)
			return false
		}
	}
}

// skipUntil consumes input up to and including the string end.
func (x *xmlScan) skipUntil(end string) {
	last := end[len(end)-1]
	var tail []byte
	for x.err == nil {
		chunk, err := x.r.ReadSlice(last)
		tail = append(tail, chunk...)
		if len(tail) > len(end) {
			tail = tail[len(tail)-len(end):]
		}
		if err == nil && bytes.HasSuffix(tail, []byte(end)) {
			return
		}
		if err != nil && err != bufio.ErrBufferFull {
			x.failInside(err)
		}
	}
}

// skipMarkup skips what follows "<!": a comment, a CDATA section outside
// text, or a declaration such as DOCTYPE.
func (x *xmlScan) skipMarkup() {
	p, _ := x.r.Peek(7)
	switch {
	case bytes.HasPrefix(p, []byte("--")):
		x.skipUntil("-->")
	case bytes.HasPrefix(p, []byte("[CDATA[")):
		x.skipUntil("]]>")
	default:
		if !x.skipPast('>') && x.err == io.EOF {
			x.err = io.ErrUnexpectedEOF
		}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// readTag parses a tag after its '<' (and '/'): name, attributes, '>' or
// "/>".
func (x *xmlScan) readTag() {
	x.buf = x.buf[:0]
	var spans [16]attrSpan
	ss := spans[:0]
	// name
	n0 := len(x.buf)
	b := x.readName()
	n1 := len(x.buf)
	for x.err == nil {
		for isSpace(b) {
			b = x.readByte()
		}
		switch b {
		case '>':
			x.finishTag(n0, n1, ss)
			return
		case '/':
			if x.readByte() != '>' {
				x.failInside(errXMLSyntax)
				return
			}
			x.selfClosing = true
			x.finishTag(n0, n1, ss)
			return
		}
		// attribute name
		_ = x.r.UnreadByte()
		a0 := len(x.buf)
		b = x.readName()
		a1 := len(x.buf)
		for isSpace(b) {
			b = x.readByte()
		}
		if b != '=' {
			x.failInside(errXMLSyntax)
			return
		}
		b = x.readByte()
		for isSpace(b) {
			b = x.readByte()
		}
		if b != '"' && b != '\'' {
			x.failInside(errXMLSyntax)
			return
		}
		v0 := len(x.buf)
		for {
			chunk, err := x.r.ReadSlice(b)
			if err == nil {
				x.buf = append(x.buf, chunk[:len(chunk)-1]...)
				break
			}
			if err != bufio.ErrBufferFull {
				x.failInside(err)
				return
			}
			x.buf = append(x.buf, chunk...)
		}
		if i := bytes.IndexAny(x.buf[v0:], "&\r"); i >= 0 {
			val := unescape(nil, x.buf[v0:])
			x.buf = append(x.buf[:v0], val...)
		}
		ss = append(ss, attrSpan{a0, a1, v0, len(x.buf)})
		b = x.readByte()
	}
}

// attrSpan locates an attribute's name and value in xmlScan.buf.
type attrSpan struct{ n0, n1, v0, v1 int }

func (x *xmlScan) finishTag(n0, n1 int, ss []attrSpan) {
	x.name = localName(x.buf[n0:n1])
	x.attrs = x.attrs[:0]
	for _, s := range ss {
		x.attrs = append(x.attrs, xmlAttr{localName(x.buf[s.n0:s.n1]), x.buf[s.v0:s.v1]})
	}
}

func localName(n []byte) []byte {
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

// readName appends a name to x.buf and returns the byte that ended it.
func (x *xmlScan) readName() byte {
	for {
		b := x.readByte()
		if x.err != nil || isSpace(b) || b == '>' || b == '/' || b == '=' {
			return b
		}
		x.buf = append(x.buf, b)
	}
}

func (x *xmlScan) readByte() byte {
	b, err := x.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		x.failInside(err)
		return 0
	}
	return b
}

// text appends to dst the character data that follows the current tag up
// to the next tag, entities decoded and CDATA sections included, and
// returns it. Call it after a start tag; the next call to next reads the
// tag that ended the text.
func (x *xmlScan) text(dst []byte) []byte {
	if x.selfClosing || x.end {
		return dst
	}
	for x.err == nil {
		raw, ok := x.readUntilLT()
		dst = unescape(dst, raw)
		if !ok {
			return dst
		}
		if p, _ := x.r.Peek(8); bytes.Equal(p, []byte("![CDATA[")) {
			_, _ = x.r.Discard(8)
			dst = x.readCDATA(dst)
			continue
		}
		x.ltTaken = true
		return dst
	}
	return dst
}

// readUntilLT returns the input up to the next '<' (consumed).
func (x *xmlScan) readUntilLT() ([]byte, bool) {
	chunk, err := x.r.ReadSlice('<')
	if err == nil {
		return chunk[:len(chunk)-1], true
	}
	if err != bufio.ErrBufferFull {
		x.failInside(err)
		return chunk, false
	}
	long := append([]byte(nil), chunk...)
	for {
		chunk, err = x.r.ReadSlice('<')
		if err == nil {
			return append(long, chunk[:len(chunk)-1]...), true
		}
		long = append(long, chunk...)
		if err != bufio.ErrBufferFull {
			x.failInside(err)
			return long, false
		}
	}
}

func (x *xmlScan) readCDATA(dst []byte) []byte {
	start := len(dst)
	for x.err == nil {
		chunk, err := x.r.ReadSlice('>')
		dst = append(dst, chunk...)
		if err == nil && bytes.HasSuffix(dst[start:], []byte("]]>")) {
			return dst[:len(dst)-3]
		}
		if err != nil && err != bufio.ErrBufferFull {
			x.failInside(err)
		}
	}
	return dst
}

// syntaxError describes a malformed part.
func syntaxError(part string, err error) error {
	return fmt.Errorf("malformed %s: %w", part, err)
}
