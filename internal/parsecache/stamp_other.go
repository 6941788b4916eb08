//go:build !linux

package parsecache

import "io/fs"

// stampOf is st's Stamp: size, modification time and mode where the
// system has no inode nor status-change time.
func stampOf(st fs.FileInfo) Stamp {
	return Stamp{Size: st.Size(), ModNs: st.ModTime().UnixNano(), Mode: uint32(st.Mode())}
}
