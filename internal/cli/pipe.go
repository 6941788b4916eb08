package cli

import (
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
)

// ExitBrokenPipe is the exit code of a command whose standard output was
// closed by its reader (kiln runs | head -3): 128 + SIGPIPE, the status
// of a Unix tool that SIGPIPE ends, without a message.
const ExitBrokenPipe = 141

// pipeWriter is the command's stdout: it records that a write failed
// because the reader closed the pipe (EPIPE), so that Main ends quietly
// instead of printing "write /dev/stdout: broken pipe".
type pipeWriter struct {
	w      io.Writer
	closed atomic.Bool
}

func (p *pipeWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err != nil && errors.Is(err, syscall.EPIPE) {
		p.closed.Store(true)
	}
	return n, err
}

// brokenPipe reports whether err, possibly turned into text on the way,
// is the failed write of a closed stdout.
func (p *pipeWriter) brokenPipe(err error) bool {
	if !p.closed.Load() || err == nil {
		return false
	}
	return errors.Is(err, syscall.EPIPE) || strings.Contains(err.Error(), syscall.EPIPE.Error())
}

// runsNodes reports whether cmd runs nodes (build, run, test, seed,
// snapshot, retry): its exit code is its run's outcome, whatever became
// of its stdout.
func runsNodes(cmd *cobra.Command) bool {
	if cmd == nil {
		return false
	}
	switch cmd.Name() {
	case "build", "run", "test", "seed", "snapshot", "retry":
		return true
	}
	return false
}
