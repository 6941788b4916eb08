package cli

import (
	"strings"
	"testing"
)

// TestExportKestraImage exports the flow for Kestra's Docker task runner:
// every task runs in the image, a var pointing outside the mounted worker
// directory is noted, and a bad image name stops the export.
func TestExportKestraImage(t *testing.T) {
	dir, _ := newProject(t)
	code, stdout, stderr := kiln(t, dir, "export", "kestra", "--image", "registry.example/kiln:v1", "--worker-dir", "/srv/kiln/bottleneck",
		"--vars", "{raw_dir: /data/bottleneck}")
	if code != 0 {
		t.Fatalf("export kestra --image exited %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "note: var raw_dir is /data/bottleneck, outside /srv/kiln/bottleneck") {
		t.Errorf("no note of raw_dir outside the mount:\n%s", stderr)
	}
	commands := strings.Count(stdout, "type: io.kestra.plugin.scripts.shell.Commands")
	if images := strings.Count(stdout, "containerImage: registry.example/kiln:v1"); commands < 3 || images != commands {
		t.Errorf("%d Commands tasks, %d with the image:\n%s", commands, images, stdout)
	}
	if strings.Contains(stdout, "io.kestra.plugin.core.runner.Process") {
		t.Error("a task still runs on the Process runner")
	}
	code, _, stderr = kiln(t, dir, "export", "kestra", "--image", "kiln v1", "--worker-dir", "/srv/kiln/bottleneck")
	if code != 2 || !strings.Contains(stderr, `image "kiln v1" is not a container image reference`) {
		t.Errorf("a bad image: exit %d:\n%s", code, stderr)
	}
}
