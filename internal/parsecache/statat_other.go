//go:build !linux

package parsecache

import (
	"os"
	"path/filepath"
)

// statter stats files with os.Stat.
type statter struct{}

func newStatter() *statter { return &statter{} }

func (s *statter) stat(dir, name string) (Stamp, error) {
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return Stamp{}, err
	}
	return stampOf(st), nil
}

func (s *statter) close() {}
