// Command kiln-image builds kiln's container image, for Kestra's Docker
// task runner, without a container engine, and writes it as an OCI image
// layout archive that docker load, podman load and skopeo read:
//
//	go run ./cmd/kiln-image                      # target/kiln-image.tar, tagged kiln:VERSION
//	go run ./cmd/kiln-image -o kiln.tar -tag registry.example/kiln:v1.2
//	docker load -i target/kiln-image.tar
//
// It builds a static kiln (cgo, DuckDB included) and the image's shell from
// the kiln module in the current directory with the go command of $PATH,
// then assembles the image (see package internal/image for what it
// holds). The image's time is the commit time of the sources, or
// $SOURCE_DATE_EPOCH (seconds since 1970, as reproducible-builds.org
// defines it): two runs on the same commit give the same digest.
//
// It prints the archive's path, the image's name, digest and size, and
// exits 1 on an error, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/internal/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("kiln-image", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("o", filepath.Join("target", "kiln-image.tar"), "write the archive to `FILE`")
	tag := fl.String("tag", "", "the image's `NAME:TAG` (default kiln:VERSION, VERSION as kiln version prints it)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./cmd/kiln-image [-o FILE] [-tag NAME:TAG]\n\nBuilds kiln's container image from the kiln module in the current directory.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "kiln-image: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	var opt image.Options
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			fmt.Fprintf(stderr, "kiln-image: SOURCE_DATE_EPOCH=%s is not a number of seconds since 1970\n", s)
			return 2
		}
		opt.Created = time.Unix(sec, 0)
	}
	if err := build(ctx, *out, *tag, opt, stderr); err != nil {
		fmt.Fprintf(stderr, "kiln-image: %v\n", err)
		return 1
	}
	return 0
}

func build(ctx context.Context, out, tag string, opt image.Options, stderr io.Writer) error {
	module, err := moduleDir(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "kiln-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Fprintf(stderr, "building a static kiln from %s...\n", module)
	bins, err := image.BuildBinaries(ctx, module, work, stderr)
	if err != nil {
		return err
	}
	img, err := image.Image(ctx, bins, opt)
	if err != nil {
		return err
	}
	if tag == "" {
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		tag = "kiln:" + cf.Config.Labels["org.opencontainers.image.version"]
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".kiln-image-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	werr := image.WriteArchive(tmp, img, tag)
	if err := errors.Join(werr, tmp.Chmod(0o644), tmp.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	kiln, err := os.Stat(bins.Kiln)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%.1f MB): %s, image %s, linux/%s, kiln %.1f MB static\nload it with: docker load -i %s (or podman load -i, or skopeo copy oci-archive:%s ...)\n",
		out, float64(fi.Size())/1e6, tag, digest, bins.Arch, float64(kiln.Size())/1e6, out, out)
	return nil
}

// moduleDir is the directory of the kiln module that holds the current
// directory.
func moduleDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run kiln-image inside the kiln repository (no go.mod here)")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(data), "module github.com/kiln-build/kiln\n") {
		return "", fmt.Errorf("%s is not kiln's go.mod: run kiln-image inside the kiln repository", gomod)
	}
	return filepath.Dir(gomod), nil
}
