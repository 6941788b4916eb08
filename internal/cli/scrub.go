package cli

import (
	"io"
	"strings"

	"github.com/kiln-build/kiln/compiler/yamljinja"
)

// scrubWriter writes to w with the values of the secret environment
// variables (DBT_ENV_SECRET_*, yamljinja.Secrets) replaced by "*****", as
// dbt scrubs its log messages (dbt_common's scrub_secrets(msg,
// env_secrets())): a password read in profiles.yml stays out of an error
// that quotes a connection's settings, the progress lines and kiln.log.
// Each Write is scrubbed on its own; kiln writes a message in one Write.
type scrubWriter struct {
	w       io.Writer
	secrets []string
}

// scrubbed returns w, wrapped in a scrubWriter when secrets are set.
func scrubbed(w io.Writer, secrets []string) io.Writer {
	if len(secrets) == 0 || w == nil {
		return w
	}
	return &scrubWriter{w: w, secrets: secrets}
}

// Write implements io.Writer; it reports len(b) when the scrubbed text is
// written whole.
func (s *scrubWriter) Write(b []byte) (int, error) {
	text := string(b)
	found := false
	for _, v := range s.secrets {
		if strings.Contains(text, v) {
			found = true
			break
		}
	}
	if !found {
		return s.w.Write(b)
	}
	if _, err := io.WriteString(s.w, yamljinja.Scrub(text, s.secrets)); err != nil {
		return 0, err
	}
	return len(b), nil
}
