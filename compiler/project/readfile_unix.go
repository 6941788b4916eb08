//go:build unix

package project

import (
	"io/fs"
	"os"
	"path"
	"reflect"
	"syscall"
	"time"
)

// dirFSType is the type of os.DirFS's file systems, whose files
// readFileAt reads with plain system calls.
var dirFSType = reflect.TypeOf(os.DirFS("."))

// OSRoot returns the directory of fsys when it is an os.DirFS, whose files
// ReadFileAt reads, or "".
func OSRoot(fsys fs.FS) string { return osRoot(fsys) }

// osRoot returns the directory of fsys when it is an os.DirFS, or "".
func osRoot(fsys fs.FS) string {
	if reflect.TypeOf(fsys) != dirFSType {
		return ""
	}
	return reflect.ValueOf(fsys).String()
}

// readFileAt reads the file name (slash-separated, valid for fs.FS) under
// the directory root with open, fstat, read and close, into a buffer of the
// file's size. os.Open would also register every file with the runtime's
// poller (two fcntl and an epoll_ctl that fails for a regular file): half
// the system calls of reading a model file of a hundred bytes. Errors are
// *fs.PathError naming name, as os.DirFS's.
func readFileAt(root, name string) ([]byte, error) {
	b, _, err := ReadFileAt(root, name)
	return b, err
}

// ReadFileAt is readFileAt that also returns the file's fstat, taken
// before it was read: a fs.FileInfo whose Sys is a *syscall.Stat_t, as
// os.Stat's (partial parsing stamps files with it).
func ReadFileAt(root, name string) ([]byte, fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	var fd int
	var err error
	full := path.Join(root, name)
	for {
		fd, err = syscall.Open(full, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	// One byte more than the size, so that a single read of a regular file
	// that did not change returns its size, less than asked: its end,
	// without a second read. Anything else reads on until read returns 0.
	buf := make([]byte, 0, st.Size+1)
	for {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return buf, info(name, &st), nil
		}
		buf = buf[:len(buf)+n]
		if int64(len(buf)) == st.Size && st.Mode&syscall.S_IFMT == syscall.S_IFREG {
			return buf, info(name, &st), nil // asked for one byte more than it holds: its end
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grew since fstat: make room
		}
	}
}

// statInfo is an fstat's result as a fs.FileInfo, as os.Stat gives it.
type statInfo struct {
	name string
	st   syscall.Stat_t
}

func info(name string, st *syscall.Stat_t) fs.FileInfo {
	return &statInfo{name: path.Base(name), st: *st}
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.st.Mode&syscall.S_IFMT == syscall.S_IFDIR }
func (s *statInfo) Sys() any           { return &s.st }
func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	}
	return m
}
