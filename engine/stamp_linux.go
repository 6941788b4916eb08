package engine

import (
	"os"
	"syscall"

	"github.com/kiln-build/kiln/adapter"
)

// stampOf is fi's adapter.FileStamp, with the inode and status-change
// time.
func stampOf(fi os.FileInfo) adapter.FileStamp {
	s := adapter.FileStamp{Size: fi.Size(), ModNs: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.Inode = int64(st.Ino)
		s.ChangeNs = st.Ctim.Nano()
	}
	return s
}
