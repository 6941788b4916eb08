//go:build !unix

package project

import "io/fs"

// osRoot returns "": outside unix, files are read through fs.FS.
func osRoot(fs.FS) string { return "" }

// OSRoot returns "": outside unix, files are read through fs.FS.
func OSRoot(fs.FS) string { return "" }

func readFileAt(root, name string) ([]byte, error) { panic("unreachable") }

// ReadFileAt is not called outside unix (OSRoot is "").
func ReadFileAt(root, name string) ([]byte, fs.FileInfo, error) { panic("unreachable") }
