//go:build !linux

package artifact

import "io/fs"

// stampOf returns st's size and modification time.
func stampOf(st fs.FileInfo) stamp {
	return stamp{size: st.Size(), mtime: st.ModTime().UnixNano()}
}
