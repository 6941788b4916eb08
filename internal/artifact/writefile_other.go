//go:build !unix

package artifact

import "os"

// writeFile is os.WriteFile(path, data, 0o644).
func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
