//go:build !unix

package project

import "io/fs"

// osRoot returns "": outside unix, files are read through fs.FS.
func osRoot(fs.FS) string { return "" }

func readFileAt(root, name string) ([]byte, error) { panic("unreachable") }
