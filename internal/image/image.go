// Package image builds kiln's container image without a container engine:
// a static kiln binary and a small root filesystem, assembled with
// go-containerregistry and written as an OCI image layout archive that
// docker load, podman load and skopeo read (cmd/kiln-image).
//
// The image is made for Kestra's Docker task runner, which runs a task's
// commands with /bin/sh -c in the image. It holds:
//
//	/usr/local/bin/kiln                 kiln, linked statically (DuckDB included)
//	/bin/sh                             a POSIX shell (internal/image/sh)
//	/etc/passwd, /etc/group             root, and the user kiln (uid and gid 65532)
//	/etc/ssl/certs/ca-certificates.crt  the Mozilla roots of golang.org/x/crypto/x509roots/fallback
//	/home/kiln, /work                   owned by kiln; /work is the working directory
//	/tmp                                mode 1777
//
// and runs as kiln (65532:65532), with the entrypoint kiln: `docker run
// kiln:TAG version`. The build is reproducible: every file and the image
// have one fixed time, entries are sorted, owners are numeric, and the
// binaries are built with -trimpath, so that the same commit and toolchains
// give the same image digest and the same archive bytes.
package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"debug/buildinfo"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The image's user, paths and environment.
const (
	UID        = 65532
	User       = "kiln"
	KilnPath   = "/usr/local/bin/kiln"
	ShellPath  = "/bin/sh"
	WorkingDir = "/work"
	Home       = "/home/kiln"
	CertsPath  = "/etc/ssl/certs/ca-certificates.crt"
)

// Env is the image's environment.
var Env = []string{"PATH=/usr/local/bin:/bin", "HOME=" + Home, "SSL_CERT_FILE=" + CertsPath}

// Options are the choices of Image besides the binaries.
type Options struct {
	// Created is the image's creation time and the modification time of
	// every file in it; zero means the commit time of kiln's sources (the
	// vcs.time of its build information), or 1970-01-01 without one.
	Created time.Time
	// Version labels the image (org.opencontainers.image.version); ""
	// means what `kiln version` prints.
	Version string
}

// file is an entry of a layer.
type file struct {
	name string // without a leading slash; a directory's ends in "/"
	mode int64  // permission bits, and sticky
	uid  int
	data []byte
}

// Image assembles the image of b: a base layer (shell, users, CA
// certificates, directories) and a layer with kiln, gzip-compressed, with
// OCI media types. It runs `kiln version` to label the image, so b must be
// built for this machine.
func Image(ctx context.Context, b *Binaries, opt Options) (v1.Image, error) {
	kiln, err := os.ReadFile(b.Kiln)
	if err != nil {
		return nil, err
	}
	shell, err := os.ReadFile(b.Shell)
	if err != nil {
		return nil, err
	}
	info, err := buildinfo.ReadFile(b.Kiln)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Kiln, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	created := opt.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
		if t, err := time.Parse(time.RFC3339, settings["vcs.time"]); err == nil {
			created = t
		}
	}
	created = created.UTC().Truncate(time.Second)
	version := opt.Version
	if version == "" {
		if version, err = kilnVersion(ctx, b.Kiln); err != nil {
			return nil, err
		}
	}
	base := []file{
		{name: "bin/", mode: 0o755},
		{name: "bin/sh", mode: 0o755, data: shell},
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: fmt.Appendf(nil, "root:x:0:\n%s:x:%d:\n", User, UID)},
		{name: "etc/passwd", mode: 0o644, data: fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", User, UID, UID, User, Home)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(CertsPath, "/"), mode: 0o644, data: caBundle()},
		{name: "home/", mode: 0o755},
		{name: strings.TrimPrefix(Home, "/") + "/", mode: 0o755, uid: UID},
		{name: "root/", mode: 0o700},
		{name: "tmp/", mode: 0o1777},
		{name: "usr/", mode: 0o755},
		{name: "usr/local/", mode: 0o755},
		{name: "usr/local/bin/", mode: 0o755},
		{name: strings.TrimPrefix(WorkingDir, "/") + "/", mode: 0o755, uid: UID},
	}
	top := []file{{name: strings.TrimPrefix(KilnPath, "/"), mode: 0o755, data: kiln}}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for _, l := range []struct {
		files []file
		what  string
	}{{base, "base: /bin/sh, users root and kiln, CA certificates, /home/kiln, /tmp, /work"}, {top, "kiln " + version}} {
		layer, err := newLayer(l.files, created)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
			History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "kiln-image", Comment: l.what}})
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = b.Arch, "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", UID, UID),
		WorkingDir: WorkingDir,
		Entrypoint: []string{KilnPath},
		Env:        Env,
		Labels: map[string]string{
			"org.opencontainers.image.title":       "kiln",
			"org.opencontainers.image.description": "kiln, a declarative SQL-model build tool on DuckDB, for Kestra's Docker task runner",
			"org.opencontainers.image.version":     version,
			"org.opencontainers.image.created":     created.Format(time.RFC3339),
		},
	}
	if rev := settings["vcs.revision"]; rev != "" {
		cf.Config.Labels["org.opencontainers.image.revision"] = rev
	}
	return mutate.ConfigFile(img, cf)
}

// kilnVersion runs kiln version and returns the version it prints
// ("kiln dev-0123456789ab (DuckDB ...)" gives "dev-0123456789ab").
func kilnVersion(ctx context.Context, kiln string) (string, error) {
	out, err := exec.CommandContext(ctx, kiln, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %v", kiln, err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 || f[0] != "kiln" {
		return "", fmt.Errorf("%s version printed %q, not \"kiln VERSION ...\"", kiln, out)
	}
	return f[1], nil
}

// caBundle is the PEM file of the roots of the NSS trust store that have
// no constraint beyond what X.509 says (a PEM file cannot carry the
// others' distrust dates, so they are left out), in the bundle's order.
func caBundle() []byte {
	var b bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint == nil {
			pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
		}
	}
	return b.Bytes()
}

// newLayer writes files, sorted by name, as a tar archive with fixed
// times and numeric owners (USTAR, so no access or change times), and
// returns it as a gzip-compressed layer (level 6: level 9 takes twice as
// long for 0.4% less on kiln; compress/gzip writes no time or name in its
// header).
func newLayer(files []file, mtime time.Time) (v1.Layer, error) {
	sorted := append([]file(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range sorted {
		h := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.uid, ModTime: mtime, Format: tar.FormatUSTAR}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if path.Clean(f.name) == "." || strings.HasPrefix(f.name, "/") {
			return nil, fmt.Errorf("bad layer entry %q", f.name)
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.DefaultCompression), tarball.WithCompressedCaching)
}
