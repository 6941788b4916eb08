//go:build linux

package artifact

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
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

// lstatIn returns the stamp of name in the open folder d (at path dir),
// without following a symbolic link, and whether it is a regular file:
// fstatat on the folder, sparing the kernel the walk of its path.
func lstatIn(d *os.File, dir, name string) (stamp, bool, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return stamp{}, false, err
		}
		break
	}
	return stamp{size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino}, st.Mode&unix.S_IFMT == unix.S_IFREG, nil
}
