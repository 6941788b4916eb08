package engine

import (
	"os"
	"syscall"

	"github.com/kiln-build/kiln/internal/history"
)

// stampOf is fi's history.Stamp, with the inode and status-change time.
func stampOf(fi os.FileInfo) history.Stamp {
	s := history.Stamp{Size: fi.Size(), ModNs: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.Inode = int64(st.Ino)
		s.ChangeNs = st.Ctim.Nano()
	}
	return s
}
