//go:build unix

package artifact

import (
	"io/fs"
	"syscall"
)

// writeFile is os.WriteFile(path, data, 0o644) with open, write and close
// alone: os.OpenFile also registers each file with the runtime's poller
// (two fcntl and an epoll_ctl that fails for a regular file), which was
// most of the system calls of writing a compiled file of a hundred bytes.
// Errors are *fs.PathError, as os.WriteFile's.
func writeFile(path string, data []byte) error {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, 0o644)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			return &fs.PathError{Op: "write", Path: path, Err: err}
		}
		data = data[n:]
	}
	if err := syscall.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: path, Err: err}
	}
	return nil
}
