package artifact

import (
	"bufio"
	"bytes"
	"io"
	"runtime"
	"sort"
	"sync"
)

// The manifest of a large project is tens of megabytes of JSON.
// json.MarshalIndent would encode it on one core, then indent the whole
// text in a second pass over ever-growing buffers. Instead each entry of
// the big objects (nodes, sources, parent_map, ...) is marshalled (by hand
// for the hot entries, see fastjson.go) and indented on its own, in
// parallel, and the pieces are written in order: the bytes are exactly
// those of json.MarshalIndent(v, "", "  ") plus a newline (a test holds
// this).

// field is one field of a top-level object: a value encoded whole, or an
// object whose entries are encoded one by one.
type field struct {
	name  string
	value any // when !isMap
	isMap bool
	keys  []string // sorted, as encoding/json sorts map keys
	vals  []any
}

// mapField is a field holding m, encoded entry by entry.
func mapField[K ~string, V any](name string, m map[K]V) field {
	f := field{name: name, isMap: true, keys: make([]string, 0, len(m))}
	for k := range m {
		f.keys = append(f.keys, string(k))
	}
	sort.Strings(f.keys)
	f.vals = make([]any, len(f.keys))
	for i, k := range f.keys {
		f.vals[i] = m[K(k)]
	}
	return f
}

// encodeObject returns the object of fields as JSON indented with two
// spaces, ending with a newline.
func encodeObject(fields []field) ([]byte, error) {
	var b bytes.Buffer
	err := writeObject(&b, fields)
	return b.Bytes(), err
}

// writeObject writes the object of fields to w as JSON indented with two
// spaces, ending with a newline. The members of a map are encoded in
// parallel, a chunk at a time, and written in order: the memory held is
// a chunk's, not the whole manifest's (hundreds of megabytes for 100,000
// models).
func writeObject(w io.Writer, fields []field) error {
	const chunk = 2048
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("{\n")
	pieces := make([][]byte, chunk)
	for fi, f := range fields {
		bw.WriteString("  ")
		switch {
		case !f.isMap:
			p, err := member(nil, f.name, f.value, "  ")
			if err != nil {
				return err
			}
			bw.Write(p)
		case len(f.keys) == 0:
			bw.Write(appendString(nil, f.name))
			bw.WriteString(": {}")
		default:
			bw.Write(appendString(nil, f.name))
			bw.WriteString(": {\n")
			for lo := 0; lo < len(f.keys); lo += chunk {
				hi := min(lo+chunk, len(f.keys))
				err := parallel(hi-lo, func(i int) error {
					var err error
					pieces[i], err = member(pieces[i][:0], f.keys[lo+i], f.vals[lo+i], "    ")
					return err
				})
				if err != nil {
					return err
				}
				for i, p := range pieces[:hi-lo] {
					bw.WriteString("    ")
					bw.Write(p)
					if lo+i < len(f.keys)-1 {
						bw.WriteByte(',')
					}
					bw.WriteByte('\n')
				}
			}
			bw.WriteString("  }")
		}
		if fi < len(fields)-1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// scratch holds buffers for the compact encoding of one member.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// member appends `"key": value` to dst, the value indented for lines
// starting with prefix. writeObject passes each slot's buffer of the
// previous chunk as dst: a fresh buffer per entry was a tenth of the CPU
// of kiln compile on trivial models (clearing new memory).
func member(dst []byte, key string, v any, prefix string) ([]byte, error) {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	data, err := appendMarshal((*buf)[:0], v)
	if err != nil {
		return nil, err
	}
	*buf = data
	out := dst
	if need := len(key) + len(data) + len(data)/2 + 8; cap(out)-len(out) < need {
		out = make([]byte, len(out), len(out)+need)
		copy(out, dst)
	}
	out = appendString(out, key)
	out = append(out, ':', ' ')
	return appendIndent(out, data, prefix), nil
}

// appendIndent appends src, compact JSON as json.Marshal writes it, to
// dst, indented as json.Indent(dst, src, prefix, "  ") would: a newline,
// prefix and two spaces per level after each opening bracket and comma,
// ": " after keys, empty objects and arrays kept as {} and []. It is
// several times faster than json.Indent, which runs its full validating
// scanner over every byte: strings are copied whole.
func appendIndent(dst, src []byte, prefix string) []byte {
	// pad[:1+len(prefix)+2*depth] is the line break before a line at depth.
	pad := make([]byte, 0, 1+len(prefix)+2*16)
	pad = append(append(pad, '\n'), prefix...)
	pad = append(pad, "                                "...)
	depth := 0
	newline := func() {
		if n := 1 + len(prefix) + 2*depth; n <= len(pad) {
			dst = append(dst, pad[:n]...)
			return
		}
		dst = append(dst, pad[:1+len(prefix)]...)
		for range depth {
			dst = append(dst, ' ', ' ')
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			end := i + 1
			for {
				k := bytes.IndexByte(src[end:], '"')
				if k < 0 {
					return append(dst, src[i:]...) // not reached on valid input
				}
				end += k
				bs := 0
				for j := end - 1; j > i && src[j] == '\\'; j-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				end++
			}
			dst = append(dst, src[i:end+1]...)
			i = end
		case '{', '[':
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, c, src[i+1])
				i++
				continue
			}
			dst = append(dst, c)
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, ',')
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// parallel calls fn(i) for every i in [0, n) on GOMAXPROCS goroutines, in
// batches, and returns the first error.
func parallel(n int, fn func(i int) error) error {
	return parallelOn(runtime.GOMAXPROCS(0), n, fn)
}

// parallelOn is parallel on at most workers goroutines.
func parallelOn(workers, n int, fn func(i int) error) error {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	const batch = 64
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n {
					mu.Unlock()
					return
				}
				lo, hi := next, min(next+batch, n)
				next = hi
				mu.Unlock()
				for i := lo; i < hi; i++ {
					if err := fn(i); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	return first
}
