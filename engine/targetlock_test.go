//go:build unix

package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// A run holds its target folder from start to end (issue 11, failure 8):
// while its nodes run, LockTarget (what kiln compile and kiln clean take)
// is refused with the run's command and PID; after the run it is free.
func TestARunHoldsTheTargetFolder(t *testing.T) {
	dir := newProject(t)
	var during error
	asked := false
	var p *Project
	var err error
	p, err = Load(Config{Dir: dir, Listener: func(ev Event) {
		if _, ok := ev.(NodeStarted); ok && !asked {
			asked = true
			release, err := LockTarget(p.Target, "compile")
			if err == nil {
				release()
			}
			during = err
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := p.Select(Selection{Kinds: BuildKinds})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), p.Plan(ids), RunOptions{Command: "build"}); err != nil {
		t.Fatal(err)
	}
	var busy *TargetBusyError
	if !errors.As(during, &busy) || busy.Holder != fmt.Sprintf("build (PID %d)", os.Getpid()) ||
		!strings.Contains(during.Error(), "kiln compile would overwrite its manifest.json and compiled SQL") {
		t.Fatalf("LockTarget during the run: %v", during)
	}
	release, err := LockTarget(p.Target, "compile")
	if err != nil {
		t.Fatalf("LockTarget after the run: %v", err)
	}
	release()
}
