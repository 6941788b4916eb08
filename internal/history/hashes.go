package history

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Stamp recognises a file's content without reading it, as git's index
// does: its size and modification time in nanoseconds, and where the
// platform has them its inode and status-change time, which any write,
// rename or copy over the file moves and no tool can set back.
type Stamp struct {
	Size, ModNs, ChangeNs, Inode int64
}

// Hashed is a file's sha256 (hex) when it had Stamp.
type Hashed struct {
	Stamp  Stamp
	SHA256 string
}

// LoadHashes returns the cached sha256 of input files by absolute path.
// Hashing the inputs is the only part of a run's start that grows with
// their size (0.3 s for the 300 MB of W3's month): a file whose Stamp is
// unchanged is not read again.
func LoadHashes(ctx context.Context, c *duck.Conn) (map[string]Hashed, error) {
	if err := Ensure(ctx, c); err != nil {
		return nil, err
	}
	_, rows, err := c.QueryRows(ctx, "select path, size, mod_ns, change_ns, inode, sha256 from kiln_history.file_hashes")
	if err != nil {
		return nil, err
	}
	out := make(map[string]Hashed, len(rows))
	for _, r := range rows {
		var h Hashed
		for i, dst := range []*int64{&h.Stamp.Size, &h.Stamp.ModNs, &h.Stamp.ChangeNs, &h.Stamp.Inode} {
			v, ok := r[i+1].(int64)
			if !ok {
				return nil, fmt.Errorf("history: file_hashes: column %d of %v is %T", i+1, r[0], r[i+1])
			}
			*dst = v
		}
		h.SHA256 = fmt.Sprint(r[5])
		out[fmt.Sprint(r[0])] = h
	}
	return out, nil
}

// SaveHashes records the hashes of files (by absolute path), replacing
// what was cached for those paths.
func SaveHashes(ctx context.Context, c *duck.Conn, files map[string]Hashed) error {
	if len(files) == 0 {
		return nil
	}
	if err := Ensure(ctx, c); err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	b.WriteString("insert or replace into kiln_history.file_hashes values ")
	for i, p := range paths {
		if i > 0 {
			b.WriteString(", ")
		}
		h := files[p]
		fmt.Fprintf(&b, "(%s, %d, %d, %d, %d, %s)", sqlq.Literal(p), h.Stamp.Size, h.Stamp.ModNs, h.Stamp.ChangeNs, h.Stamp.Inode, sqlq.Literal(h.SHA256))
	}
	_, err := c.Exec(ctx, b.String())
	return err
}
