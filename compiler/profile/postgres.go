package profile

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
)

// postgres is dbt-postgres's target
// (https://docs.getdbt.com/docs/core/connect-data-platform/postgres-setup):
//
//	dev:
//	  type: postgres
//	  host: db.internal        # PGHOST when left out
//	  port: 5432               # PGPORT, else 5432
//	  user: kiln               # PGUSER, else the system user
//	  password: "{{ env_var('KILN_PG_PASSWORD') }}"
//	  dbname: analytics        # or database:; PGDATABASE, else the user
//	  schema: public           # the schema of models that name none
//	  sslmode: require
//	  threads: 8               # parallel connections
//
// A field left out is libpq's: its environment variable (PGHOST, PGPORT,
// PGUSER, PGPASSWORD or ~/.pgpass, PGDATABASE, PGSSLMODE) or its default.
var postgres = &Adapter{
	Type: "postgres",
	Fields: []Field{
		{Name: "host", Support: project.Applied},
		{Name: "port", Support: project.Applied},
		{Name: "user", Support: project.Applied},
		{Name: "password", Support: project.Applied, Secret: true},
		{Name: "pass", Support: project.Applied, Secret: true}, // dbt-postgres's alias of password
		{Name: "dbname", Support: project.Applied},
		{Name: "database", Support: project.Applied},
		{Name: "schema", Support: project.Applied},
		{Name: "sslmode", Support: project.Applied},
		{Name: "sslcert", Support: project.Applied},
		{Name: "sslkey", Support: project.Applied},
		{Name: "sslrootcert", Support: project.Applied},
		{Name: "connect_timeout", Support: project.Applied},
		{Name: "keepalives_idle", Support: project.Applied},
		{Name: "target_session_attrs", Support: project.Applied},
		// kiln's own key: how long a statement of the build waits for a
		// lock (PostgreSQL's lock_timeout: "30s", "2min", or milliseconds)
		// before the node fails and the run rolls back; left out, it waits
		// as long as the lock is held (a reader's open transaction on a
		// table the build replaces).
		{Name: "lock_timeout", Support: project.Applied},
		{Name: "search_path", Support: project.NotYet, Note: "kiln puts the target's schema first on the search path; name the schema with schema:, or qualify the relations"},
		{Name: "role", Support: project.NotYet, Note: "connect as the user that should own the relations"},
		{Name: "retries", Support: project.Documents, Note: "retries is not read: pass kiln's --retries N"},
		{Name: "application_name", Support: project.Documents, Note: "application_name is not read: kiln's sessions call themselves \"kiln <pid>@<host>\", so that a refused run can name the process holding the database"},
	},
	Complete: completePostgres,
}

// lockTimeoutRE is a lock_timeout value: milliseconds, or a number with
// one of PostgreSQL's time units.
var lockTimeoutRE = regexp.MustCompile(`^[0-9]+ ?(ms|s|min|h|d)?$`)

// sslModes are libpq's sslmode values.
var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// dsnKeys are the fields that go into the connection string, in its
// order, with libpq's name for each.
var dsnKeys = [][2]string{
	{"host", "host"}, {"port", "port"}, {"user", "user"}, {"password", "password"}, {"pass", "password"},
	{"dbname", "dbname"}, {"database", "dbname"}, {"sslmode", "sslmode"}, {"sslcert", "sslcert"},
	{"sslkey", "sslkey"}, {"sslrootcert", "sslrootcert"}, {"connect_timeout", "connect_timeout"},
	{"keepalives_idle", "keepalives_idle"}, {"target_session_attrs", "target_session_attrs"},
}

// completePostgres checks a postgres target and sets its Schema ("public"
// when left out), Database (dbname or database, else PGDATABASE, else
// the user) and DSN, a libpq key='value' connection string of the fields
// given.
func completePostgres(t *Target, o Options, keyAt map[string]diag.Pos) diag.List {
	var l diag.List
	str := func(k string) string {
		v, ok := t.Fields[k]
		if !ok || v == nil {
			return ""
		}
		switch x := v.(type) {
		case string:
			return x
		case int:
			return strconv.Itoa(x)
		}
		l.Add(diag.Errorf(keyAt[k], "%s must be a text, not %v", k, v))
		return ""
	}
	if p := str("port"); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			l.Add(diag.Errorf(keyAt["port"], "port %q is not a port number", p).WithHint("write a number such as 5432"))
		}
	}
	if m := str("sslmode"); m != "" && !slices.Contains(sslModes, m) {
		d := diag.Errorf(keyAt["sslmode"], "sslmode %q is not one of %s", m, strings.Join(sslModes, ", "))
		d.Hint = diag.DidYouMean(m, sslModes)
		l.Add(d)
	}
	db, alias := str("dbname"), str("database")
	if db != "" && alias != "" && db != alias {
		l.Add(diag.Errorf(keyAt["database"], "database %q and dbname %q differ", alias, db).WithHint("dbt-postgres reads either: keep one"))
	}
	if _, both := t.Fields["pass"]; both {
		if _, ok := t.Fields["password"]; ok {
			l.Add(diag.Errorf(keyAt["pass"], "pass and password both give the password").WithHint("keep password"))
		}
	}
	t.Schema = str("schema")
	if t.Schema == "" {
		t.Schema = "public"
	}
	if db == "" {
		db = alias
	}
	if db == "" {
		db, _ = o.lookupEnv()("PGDATABASE")
	}
	if db == "" {
		if db = str("user"); db == "" {
			db, _ = o.lookupEnv()("PGUSER")
		}
	}
	t.Database = db
	var parts []string
	for _, kv := range dsnKeys {
		v := str(kv[0])
		if v == "" {
			continue
		}
		v = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `'`, `\'`)
		parts = append(parts, fmt.Sprintf("%s='%s'", kv[1], v))
	}
	if lt := str("lock_timeout"); lt != "" {
		if !lockTimeoutRE.MatchString(lt) {
			l.Add(diag.Errorf(keyAt["lock_timeout"], "lock_timeout %q is not a duration", lt).
				WithHint("write milliseconds (5000) or a number with a unit: 30s, 2min, 1h"))
		} else {
			// A startup option: every session of the run has it.
			parts = append(parts, fmt.Sprintf("options='-c lock_timeout=%s'", strings.ReplaceAll(lt, " ", "")))
		}
	}
	t.DSN = strings.Join(parts, " ")
	return l
}
