//go:build linux

package artifact

import (
	"io/fs"
	"syscall"
)

// stampOf returns st's size, modification and change times and inode: a
// write changes the times, a file replaced by another has a new inode.
func stampOf(st fs.FileInfo) stamp {
	s := stamp{size: st.Size(), mtime: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		s.ctime = sys.Ctim.Nano()
		s.ino = uint64(sys.Ino)
	}
	return s
}
