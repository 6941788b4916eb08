//go:build !unix

package engine

// tryLock does nothing where there is no flock(2).
func tryLock(dir, command string) (release func(), holder string, err error) {
	return func() {}, "", nil
}
