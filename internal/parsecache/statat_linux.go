//go:build linux

package parsecache

import (
	"golang.org/x/sys/unix"
)

// statter stats files folder by folder: it keeps the last folder open
// (O_PATH) and stats the names in it with fstatat, sparing the kernel the
// walk of the folder's path for every file (a quarter of a stat's cost
// for files four folders down).
type statter struct {
	dir string
	fd  int
}

func newStatter() *statter { return &statter{fd: -1} }

// stat returns the stamp of dir/name, following symbolic links as os.Stat.
func (s *statter) stat(dir, name string) (Stamp, error) {
	if dir != s.dir || s.fd < 0 {
		s.close()
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return Stamp{}, err
		}
		s.dir, s.fd = dir, fd
	}
	var st unix.Stat_t
	for {
		err := unix.Fstatat(s.fd, name, &st, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Stamp{}, err
		}
		break
	}
	return Stamp{Size: st.Size, ModNs: st.Mtim.Nano(), ChangeNs: st.Ctim.Nano(), Ino: st.Ino, Dev: uint64(st.Dev), Mode: st.Mode}, nil
}

func (s *statter) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd, s.dir = -1, ""
	}
}
