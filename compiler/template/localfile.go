package template

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// localFileSHA256 is kiln's local_file_sha256(path): the SHA-256 (64 hex
// digits, lowercase) of the bytes of the file at path, read by kiln on
// the machine it runs on (whatever the target's database: a PostgreSQL
// server cannot read the client's files), or none when no file is there.
// A relative path is relative to the project's directory
// (flags.PROJECT_DIR). Any other read error (a folder, no permission) is
// an error of the template, naming the path.
func (g *globals) localFileSHA256(call *jinja.Call) (any, error) {
	v, ok := arg(call, 0, "path")
	if !ok {
		return nil, errors.New("local_file_sha256() takes the path of a file")
	}
	path := jinja.Str(v)
	if !filepath.IsAbs(path) && g.e.run.ProjectDir != "" {
		path = filepath.Join(g.e.run.ProjectDir, path)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("local_file_sha256(%q): %v", jinja.Str(v), err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("local_file_sha256(%q): %v", jinja.Str(v), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
