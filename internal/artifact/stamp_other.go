//go:build !linux

package artifact

import (
	"io/fs"
	"os"
	"path/filepath"
)

// stampOf returns st's size and modification time.
func stampOf(st fs.FileInfo) stamp {
	return stamp{size: st.Size(), mtime: st.ModTime().UnixNano()}
}

// lstatIn returns the stamp of name in folder dir, without following a
// symbolic link, and whether it is a regular file.
func lstatIn(d *os.File, dir, name string) (stamp, bool, error) {
	st, err := os.Lstat(filepath.Join(dir, name))
	if err != nil {
		return stamp{}, false, err
	}
	return stampOf(st), st.Mode().IsRegular(), nil
}
