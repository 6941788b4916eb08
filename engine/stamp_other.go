//go:build !linux

package engine

import (
	"os"

	"github.com/kiln-build/kiln/internal/history"
)

// stampOf is fi's history.Stamp: size and modification time only.
func stampOf(fi os.FileInfo) history.Stamp {
	return history.Stamp{Size: fi.Size(), ModNs: fi.ModTime().UnixNano()}
}
