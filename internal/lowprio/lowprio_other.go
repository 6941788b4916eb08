//go:build !linux

package lowprio

import "errors"

// lower does nothing: kiln lowers a thread's priority on Linux only.
func lower() {}

func nice() (int, error) { return 0, errors.ErrUnsupported }
