package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Why a timed run's previous target folder is set aside, not removed:
// on an ext4 file system without a journal (this benchmark host's root:
// /proc/fs/ext4/<dev>/options shows no journal), allocating an inode
// skips the inodes deleted in the last minutes (the kernel's
// recently_deleted() in fs/ext4/ialloc.c, which reads each candidate's
// inode table entry). A build that creates its compiled tree (2,500 files
// for W1 1,000) seconds after the harness removed the previous build's
// 2,500 files pays for that scan: 2,500 files created after five such
// deletions took 0.59 s of system time against 0.085 s in a quiet folder
// (a stand-alone Go program, BENCHMARKS.md, seventeenth session), and the
// kernel's share of a W1 1,000 build's profile sat in recently_deleted
// and find_get_block_common. That cost is the harness's, not the build's:
// a nightly build updates its tree in place. So the previous target's
// many small files are renamed into the suite's trash folder (a rename
// deletes no inode), its top-level files (the database, a few logs) are
// removed, and the trash is removed once, when the suite ends.

// trashDir is the folder, under the suite's work folder, that holds the
// set-aside target folders until the suite ends.
func (s *suite) trashDir() string { return filepath.Join(s.cfg.Work, "trash") }

var trashSeq atomic.Int64

// setAside empties target for a timed run: its sub-folders (the compiled
// SQL tree) are renamed into the trash folder, its top-level files are
// removed, and target itself is removed. A missing target is not an
// error.
func (s *suite) setAside(target string) error {
	entries, err := os.ReadDir(target)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	trash := s.trashDir()
	for _, e := range entries {
		p := filepath.Join(target, e.Name())
		if !e.IsDir() {
			if err := os.Remove(p); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(trash, 0o755); err != nil {
			return err
		}
		if err := os.Rename(p, filepath.Join(trash, fmt.Sprintf("%d-%s", trashSeq.Add(1), e.Name()))); err != nil {
			return err
		}
	}
	return os.RemoveAll(target)
}

// emptyTrash removes the trash folder: at the suite's start (a suite
// interrupted earlier left one) and end, outside every timed run.
func (s *suite) emptyTrash() error { return os.RemoveAll(s.trashDir()) }
