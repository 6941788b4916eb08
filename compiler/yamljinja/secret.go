package yamljinja

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// SecretPrefix is dbt's prefix of secret environment variables
// (dbt-core's SECRET_ENV_PREFIX): env_var() reads them only in
// profiles.yml and packages.yml, and their values are scrubbed from
// dbt's logs.
const SecretPrefix = "DBT_ENV_SECRET_"

// SecretError is env_var() of a secret environment variable (name starts
// with SecretPrefix) outside profiles.yml and packages.yml: dbt's
// SecretEnvVarLocationError (dbt-core core/dbt/exceptions.py, raised by
// every context's env_var but the SecretContext of profiles.yml and
// packages.yml). It is a diagnostic without a position, placed at the
// env_var() call by the template engine.
func SecretError(name string) error {
	return diag.Diagnostic{
		Msg: fmt.Sprintf("secret env vars are allowed only in profiles.yml or packages.yml; found %q referenced elsewhere", name),
		Hint: fmt.Sprintf("a %s variable is kept out of the artifacts, the compiled SQL and the logs: read it in profiles.yml (a password, a token); for a value the models may see, use a variable without the %s prefix",
			SecretPrefix, SecretPrefix),
	}
}

// IsSecret reports whether the environment variable name is a secret one.
func IsSecret(name string) bool { return strings.HasPrefix(name, SecretPrefix) }

// Secrets returns the values of the secret environment variables of
// environ (KEY=value entries; nil: the process's), those that are not blank,
// longest first, as dbt's env_secrets() lists them for scrub_secrets.
func Secrets(environ []string) []string {
	if environ == nil {
		environ = os.Environ()
	}
	var out []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && IsSecret(k) && strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// Scrub returns s with every secret replaced by "*****", as dbt's
// scrub_secrets does to its log messages.
func Scrub(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "*****")
	}
	return s
}
