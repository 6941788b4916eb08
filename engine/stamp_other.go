//go:build !linux

package engine

import (
	"os"

	"github.com/kiln-build/kiln/adapter"
)

// stampOf is fi's adapter.FileStamp: size and modification time only.
func stampOf(fi os.FileInfo) adapter.FileStamp {
	return adapter.FileStamp{Size: fi.Size(), ModNs: fi.ModTime().UnixNano()}
}
