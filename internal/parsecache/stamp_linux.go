//go:build linux

package parsecache

import (
	"io/fs"
	"syscall"
)

// stampOf is st's Stamp, with the inode, device and status-change time.
func stampOf(st fs.FileInfo) Stamp {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		// The system's own mode bits, as statter reads them.
		return Stamp{Size: sys.Size, ModNs: sys.Mtim.Nano(), ChangeNs: sys.Ctim.Nano(), Ino: uint64(sys.Ino), Dev: uint64(sys.Dev), Mode: sys.Mode}
	}
	return Stamp{Size: st.Size(), ModNs: st.ModTime().UnixNano(), Mode: uint32(st.Mode())}
}
