package yamljinja

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/internal/scrub"
)

// SecretPrefix is dbt's prefix of secret environment variables
// (dbt-core's SECRET_ENV_PREFIX): env_var() reads them only in
// profiles.yml and packages.yml, and their values are scrubbed from
// dbt's logs, and kiln's (internal/scrub).
const SecretPrefix = scrub.Prefix

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
