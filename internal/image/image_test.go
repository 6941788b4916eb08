package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/kiln-build/kiln/internal/sample"
)

// moduleRoot is the kiln module, two levels up.
const moduleRoot = "../.."

// TestImage builds the image twice from the same sources and checks that
// the two archives are the same bytes; then reads the archive as a
// container engine would (index.json, manifest.json, validated blobs),
// unpacks its layers into a root filesystem and runs kiln version, and
// kiln build of the BottleNeck project on a generated sample month, from
// that root filesystem: in a chroot as the image's user when the test runs
// as root, else by running the unpacked binaries from the root
// filesystem's path.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kiln statically (tens of seconds once cached)")
	}
	ctx := context.Background()
	var archives [2][]byte
	var digests [2]v1.Hash
	var bins *Binaries
	var img v1.Image
	for i := range archives {
		b, err := BuildBinaries(ctx, moduleRoot, t.TempDir(), testLog{t})
		if err != nil {
			t.Fatal(err)
		}
		if img, err = Image(ctx, b, Options{}); err != nil {
			t.Fatal(err)
		}
		if digests[i], err = img.Digest(); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteArchive(&buf, img, "kiln:test"); err != nil {
			t.Fatal(err)
		}
		archives[i], bins = buf.Bytes(), b
	}
	if digests[0] != digests[1] || !bytes.Equal(archives[0], archives[1]) {
		t.Fatalf("two builds differ: images %s and %s, archives sha256 %x and %x", digests[0], digests[1], sha256.Sum256(archives[0]), sha256.Sum256(archives[1]))
	}
	kilnSize := fileSize(t, bins.Kiln)
	t.Logf("image %s, archive %.1f MB (sha256 %x), kiln %.1f MB", digests[0], float64(len(archives[0]))/1e6, sha256.Sum256(archives[0]), float64(kilnSize)/1e6)

	// Another time gives another image, with that time on every file.
	when := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	later, err := Image(ctx, bins, Options{Created: when, Version: "v9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := later.Digest(); d == digests[0] {
		t.Error("an image with another time has the same digest")
	}
	checkTimes(t, later, when)

	layoutDir := untar(t, bytes.NewReader(archives[0]), t.TempDir(), false)
	got := readLayout(t, layoutDir, digests[0])
	cf := checkConfig(t, got)
	if v := cf.Config.Labels["org.opencontainers.image.version"]; v == "" {
		t.Error("no version label")
	}
	checkTimes(t, got, cf.Created.Time)

	root := t.TempDir()
	untar(t, mutate.Extract(got), root, os.Geteuid() == 0)
	checkRootfs(t, root)
	runInRootfs(t, root, cf)
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) { l.t.Logf("%s", p); return len(p), nil }

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// readLayout reads the OCI layout in dir as podman and containerd do, and
// Docker's manifest.json beside it, and returns the image, checking its
// name, platform and blobs.
func readLayout(t *testing.T, dir string, want v1.Hash) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(im.Manifests))
	}
	d := im.Manifests[0]
	if d.Digest != want {
		t.Errorf("index.json names %s, want %s", d.Digest, want)
	}
	if d.Annotations[AnnotationContainerdName] != "docker.io/library/kiln:test" || d.Annotations[AnnotationRefName] != "test" {
		t.Errorf("index.json annotations %v", d.Annotations)
	}
	if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture == "" {
		t.Errorf("index.json platform %v", d.Platform)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("the image is not valid: %v", err)
	}
	var docker []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &docker); err != nil || len(docker) != 1 {
		t.Fatalf("manifest.json: %v: %s", err, data)
	}
	cfgName, _ := img.ConfigName()
	layers, _ := img.Layers()
	if docker[0].Config != blobPath(cfgName) || strings.Join(docker[0].RepoTags, ",") != "kiln:test" || len(docker[0].Layers) != len(layers) {
		t.Errorf("manifest.json %s does not match the image (config %s, %d layers)", data, cfgName, len(layers))
	}
	for _, l := range docker[0].Layers {
		if _, err := os.Stat(filepath.Join(dir, l)); err != nil {
			t.Errorf("manifest.json names a missing layer: %v", err)
		}
	}
	return img
}

func checkConfig(t *testing.T, img v1.Image) *v1.ConfigFile {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || c.WorkingDir != "/work" || strings.Join(c.Entrypoint, " ") != "/usr/local/bin/kiln" || cf.OS != "linux" {
		t.Errorf("config: user %q, working dir %q, entrypoint %q, os %q", c.User, c.WorkingDir, c.Entrypoint, cf.OS)
	}
	if strings.Join(c.Env, " ") != "PATH=/usr/local/bin:/bin HOME=/home/kiln SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("env %q", c.Env)
	}
	layers, _ := img.Layers()
	if len(cf.History) != len(layers) || len(cf.RootFS.DiffIDs) != len(layers) {
		t.Errorf("%d history entries and %d diff ids for %d layers", len(cf.History), len(cf.RootFS.DiffIDs), len(layers))
	}
	return cf
}

// checkTimes checks that the image and every entry of its layers have time
// when.
func checkTimes(t *testing.T, img v1.Image, when time.Time) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Time.Equal(when) || cf.Config.Labels["org.opencontainers.image.created"] != when.UTC().Format(time.RFC3339) {
		t.Errorf("created %v, label %q, want %v", cf.Created.Time, cf.Config.Labels["org.opencontainers.image.created"], when)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !h.ModTime.Equal(when) {
				t.Errorf("%s has time %v, want %v", h.Name, h.ModTime, when)
			}
		}
		rc.Close()
	}
}

// untar writes the tar stream r under dir: directories, regular files and
// nothing else, with their modes, and their owners when chown is set.
func untar(t *testing.T, r io.Reader, dir string, chown bool) string {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			t.Fatalf("entry %q leaves the root", h.Name)
		}
		p := filepath.Join(dir, name)
		mode := os.FileMode(h.Mode & 0o777)
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("entry %q of type %c: the image has only directories and files", h.Name, h.Typeflag)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if chown {
			if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkRootfs checks the files of the unpacked image.
func checkRootfs(t *testing.T, root string) {
	t.Helper()
	for _, p := range []string{KilnPath, ShellPath} {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o755 {
			t.Errorf("%s has mode %v", p, fi.Mode())
		}
		if err := CheckStatic(filepath.Join(root, p)); err != nil {
			t.Error(err)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, "tmp")); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("/tmp: %v %v, want drwxrwxrwt", fi.Mode(), err)
	}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	group, _ := os.ReadFile(filepath.Join(root, "etc/group"))
	if !strings.Contains(string(passwd), "\nkiln:x:65532:65532:kiln:/home/kiln:") || !strings.Contains(string(group), "\nkiln:x:65532:") {
		t.Errorf("/etc/passwd:\n%s/etc/group:\n%s", passwd, group)
	}
	certs, err := os.ReadFile(filepath.Join(root, CertsPath))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rest := certs; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Errorf("certificate %d: %v", n, err)
		}
		n++
	}
	if n < 100 {
		t.Errorf("%s holds %d certificates, want the NSS roots (over 100)", CertsPath, n)
	}
}

// runInRootfs runs kiln version, the shell, and kiln build of the
// BottleNeck project copied to /work, from the root filesystem root.
func runInRootfs(t *testing.T, root string, cf *v1.ConfigFile) {
	t.Helper()
	work := filepath.Join(root, WorkingDir)
	exp := copyProject(t, work)
	chroot := os.Geteuid() == 0
	if chroot {
		filepath.WalkDir(work, func(p string, _ os.DirEntry, err error) error {
			if err == nil {
				err = os.Lchown(p, UID, UID)
			}
			return err
		})
		t.Logf("running kiln in a chroot of %s as uid %d", root, UID)
	} else {
		t.Logf("not root: running %s directly (no chroot)", filepath.Join(root, KilnPath))
	}
	run := func(args ...string) (int, string) {
		t.Helper()
		var cmd *exec.Cmd
		if chroot {
			cmd = exec.Command(args[0], args[1:]...)
			cmd.Dir = WorkingDir
			cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: UID, Gid: UID}}
			cmd.Env = cf.Config.Env
		} else {
			cmd = exec.Command(filepath.Join(root, args[0]), args[1:]...)
			cmd.Dir = work
			cmd.Env = []string{"HOME=" + filepath.Join(root, Home), "PATH=" + filepath.Join(root, "usr/local/bin") + ":" + filepath.Join(root, "bin")}
		}
		out, err := cmd.CombinedOutput()
		code := 0
		if x, ok := err.(*exec.ExitError); ok {
			code = x.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return code, string(out)
	}
	version := cf.Config.Labels["org.opencontainers.image.version"]
	code, out := run(KilnPath, "version")
	if code != 0 || !strings.HasPrefix(out, "kiln "+version+" (DuckDB v") {
		t.Fatalf("kiln version exited %d: %q, want kiln %s (DuckDB v...", code, out, version)
	}
	// As Kestra's Docker task runner runs a task: /bin/sh -c COMMANDS.
	// (The chroot has no /dev: /tmp is where the output goes.)
	code, out = run(ShellPath, "-c", `set -e; kiln version > /tmp/version.txt; echo "shell ok: $HOME"`)
	if want := "shell ok: /home/kiln\n"; code != 0 || (chroot && out != want) {
		t.Errorf("sh -c exited %d: %q, want %q", code, out, want)
	}
	if chroot {
		if v, err := os.ReadFile(filepath.Join(root, "tmp", "version.txt")); err != nil || !strings.HasPrefix(string(v), "kiln "+version) {
			t.Errorf("/tmp/version.txt: %q, %v", v, err)
		}
	}
	code, out = run(KilnPath, "build")
	if code != 0 || !strings.Contains(out, "ERROR=0") {
		t.Fatalf("kiln build exited %d:\n%s", code, out)
	}
	exports := filepath.Join(work, "target", "exports")
	for f, want := range map[string]int{"revenue_by_product.csv": exp.Joined, "premium_wines.csv": exp.PremiumCount, "ordinary_wines.csv": exp.OrdinaryCount} {
		data, err := os.ReadFile(filepath.Join(exports, f))
		if err != nil {
			t.Fatal(err)
		}
		if rows := strings.Count(strings.TrimSpace(string(data)), "\n"); rows != want {
			t.Errorf("%s has %d rows, want %d", f, rows, want)
		}
	}
	if chroot {
		fi, err := os.Stat(filepath.Join(work, "target", "bottleneck.duckdb"))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != UID {
			t.Errorf("the database belongs to uid %d, want %d", uid, UID)
		}
	}
}

// copyProject copies the BottleNeck project to dir with a generated sample
// month, and returns the month's figures.
func copyProject(t *testing.T, dir string) sample.Expected {
	t.Helper()
	for _, sub := range []string{"project.yml", "selectors.yml", "models", "snapshots", "tests", "macros", "seeds"} {
		from := filepath.Join(moduleRoot, sub)
		err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(moduleRoot, p)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	exp, err := sample.Generate(filepath.Join(dir, "data", "sample", sample.DefaultMonth), sample.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func TestWithoutStaticWarnings(t *testing.T) {
	out := "# github.com/kiln-build/kiln/cmd/kiln\n" +
		"/usr/bin/ld: /x/libduckdb_static.a(extension_load.cpp.o): in function `duckdb::Load(int)':\n" +
		"extension_load.cpp:(.text+0x5394): warning: Using 'dlopen' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking\n"
	if got := withoutStaticWarnings(out); got != "" {
		t.Errorf("the expected warnings left %q", got)
	}
	other := out + "/usr/bin/ld: cannot find -lfoo\n"
	if got := withoutStaticWarnings(other); got != "# github.com/kiln-build/kiln/cmd/kiln\n/usr/bin/ld: cannot find -lfoo\n" {
		t.Errorf("another message became %q", got)
	}
}

// TestCheckStatic checks a C program linked as usual (dynamically) and
// statically.
func TestCheckStatic(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.c")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags []string
		err   string
	}{{nil, "dynamically linked (interpreter /"}, {[]string{"-static"}, ""}} {
		bin := filepath.Join(dir, fmt.Sprint("main", len(c.flags)))
		if out, err := exec.Command("gcc", append(c.flags, "-o", bin, src)...).CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", c.flags, err, out)
		}
		err := CheckStatic(bin)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("gcc %v: CheckStatic = %v, want %q", c.flags, err, c.err)
		}
	}
	if err := CheckStatic(src); err == nil {
		t.Error("CheckStatic of a C source file passed")
	}
}
