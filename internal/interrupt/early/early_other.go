//go:build !(unix && cgo)

// Package early catches SIGINT and SIGTERM from the first instant of the
// process, where cgo is available on a unix system; elsewhere it does
// nothing.
package early

// Release reports whether a signal arrived before os/signal listened;
// without cgo it does not know.
func Release() bool { return false }
