package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kiln-build/kiln/internal/scrub"
)

// WriteFileAtomic writes data to path so that readers see either the old
// file or the new one, never a part: it writes a temporary file in path's
// directory, sets its mode to perm (umask is not applied), fsyncs it,
// renames it over path, then fsyncs the directory where the system allows.
// On error the temporary file is removed and path is left as it was. The
// directory must exist. The values of the DBT_ENV_SECRET_ environment
// variables are masked in what is written (internal/scrub).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic is WriteFileAtomic with the content written by write.
func writeAtomic(path string, perm os.FileMode, write func(io.Writer) error) error {
	finish, err := startAtomic(path, perm)
	if err != nil {
		return err
	}
	return finish(write)
}

// startAtomic creates the temporary file of an atomic write of path (see
// WriteFileAtomic), so that a folder that cannot be written fails at once;
// finish writes the content with write, syncs and renames it into place,
// or removes the temporary file on error. Call finish exactly once.
func startAtomic(path string, perm os.FileMode) (finish func(write func(io.Writer) error) error, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	return func(write func(io.Writer) error) (err error) {
		defer func() {
			if err != nil {
				f.Close()
				os.Remove(tmp)
				err = fmt.Errorf("cannot write %s: %w", path, err)
			}
		}()
		// The secrets are masked here, for every file written whole
		// (scrub.Writer: also a secret split across two writes).
		w := scrub.NewWriter(f, scrub.FromEnv())
		if err = write(w); err != nil {
			return err
		}
		if err = scrub.FlushOf(w); err != nil {
			return err
		}
		if err = f.Chmod(perm); err != nil {
			return err
		}
		if err = f.Sync(); err != nil {
			return err
		}
		if err = f.Close(); err != nil {
			return err
		}
		if err = os.Rename(tmp, path); err != nil {
			return err
		}
		syncDir(dir)
		return nil
	}, nil
}

// syncDir makes a rename in dir durable. Some systems cannot open or fsync
// a directory; the rename is still atomic there, so errors are ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// writeJSON writes v to dir/name atomically as JSON indented with two
// spaces and ending with a newline, creating dir if needed.
func writeJSON(dir, name string, v any) error {
	data, err := marshalIndent(v)
	if err != nil {
		return fmt.Errorf("cannot encode %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, name), data, 0o644)
}

// marshalIndent is json.MarshalIndent with two spaces, plus a final
// newline.
func marshalIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
