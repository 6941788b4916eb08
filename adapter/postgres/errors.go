package postgres

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kiln-build/kiln/adapter"
)

// wrapError turns a pgx error for query into *adapter.Error: its class
// from the SQLSTATE (PostgreSQL's Appendix A, "PostgreSQL Error Codes"),
// its condition name, and the position of the failing token as a line and
// a byte column of query (PostgreSQL reports a 1-based character offset).
// An error of a statement whose context ended is Interrupted and matches
// ctx.Err() with errors.Is. nil stays nil.
func wrapError(ctx context.Context, err error, query string) error {
	if err == nil {
		return nil
	}
	var ae *adapter.Error
	if errors.As(err, &ae) {
		return err
	}
	e := &adapter.Error{Class: adapter.Other, Err: err}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		e.Code = pe.Code
		e.Type = conditionName(pe.Code)
		e.Class = classOf(pe.Code)
		e.Msg = nearFirstLine(pe.Message)
		var detail []string
		for _, s := range []string{pe.Detail, pe.Hint, pe.Where} {
			if s = strings.TrimSpace(s); s != "" {
				detail = append(detail, s)
			}
		}
		if h := timeoutHint(pe); h != "" {
			detail = append(detail, h)
		}
		e.Detail = strings.Join(detail, "\n")
		if pe.Position > 0 {
			e.Line, e.Col = position(query, int(pe.Position))
		}
	} else {
		e.Msg = oneLine(err.Error())
		if pgconn.SafeToRetry(err) || isConnErr(err) {
			e.Class = adapter.Transient
			e.Type = "connection_exception"
		}
	}
	if ctx.Err() != nil {
		e.Class, e.Ctx = adapter.Interrupted, ctx.Err()
		if e.Msg == "" || pe == nil {
			e.Msg = "interrupted: " + ctx.Err().Error()
		}
	}
	return e
}

// isConnErr reports a lost or broken connection (not an error of the
// statement).
func isConnErr(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "unexpected EOF")
}

// position returns the 1-based line and byte column of the pos-th
// character (1-based) of query.
func position(query string, pos int) (line, col int) {
	line, col = 1, 1
	n := 1
	for i := 0; i < len(query) && n < pos; {
		r, size := utf8.DecodeRuneInString(query[i:])
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col += size
		}
		i += size
		n++
	}
	return line, col
}

// classOf returns what SQLSTATE code means for a run.
func classOf(code string) adapter.Class {
	switch code {
	case "42601": // syntax_error
		return adapter.Syntax
	case "40001", "40P01", "55P03", "55006", "57P01", "57P02", "57P03", "53300":
		// serialization_failure, deadlock_detected, lock_not_available,
		// object_in_use, the server shutting down or starting,
		// too_many_connections.
		return adapter.Transient
	case "57014": // query_canceled
		return adapter.Interrupted
	}
	if len(code) < 2 {
		return adapter.Other
	}
	switch code[:2] {
	case "42", "2B", "3D", "3F", "0A": // names, dependencies, features
		return adapter.Semantic
	case "22", "23", "P0": // data exceptions, integrity constraints, RAISE
		return adapter.Data
	case "08", "53", "58", "40": // connection, resources, system (I/O), rollback
		return adapter.Transient
	}
	return adapter.Other
}

// conditionNames are PostgreSQL's condition names of the SQLSTATE codes
// kiln meets most (Appendix A of PostgreSQL's manual).
var conditionNames = map[string]string{
	"42601": "syntax_error", "42703": "undefined_column", "42P01": "undefined_table", "42883": "undefined_function",
	"42704": "undefined_object", "3F000": "invalid_schema_name", "42P06": "duplicate_schema", "42P07": "duplicate_table",
	"42701": "duplicate_column", "42702": "ambiguous_column", "42725": "ambiguous_function", "42804": "datatype_mismatch",
	"42803": "grouping_error", "42P10": "invalid_column_reference", "42809": "wrong_object_type", "42501": "insufficient_privilege",
	"42P18": "indeterminate_datatype", "42846": "cannot_coerce", "2BP01": "dependent_objects_still_exist",
	"22P02": "invalid_text_representation", "22003": "numeric_value_out_of_range", "22012": "division_by_zero",
	"22007": "invalid_datetime_format", "22008": "datetime_field_overflow", "22001": "string_data_right_truncation",
	"22004": "null_value_not_allowed", "21000": "cardinality_violation",
	"23505": "unique_violation", "23502": "not_null_violation", "23503": "foreign_key_violation", "23514": "check_violation",
	"40001": "serialization_failure", "40P01": "deadlock_detected", "55P03": "lock_not_available", "55006": "object_in_use",
	"57014": "query_canceled", "57P01": "admin_shutdown", "57P02": "crash_shutdown", "57P03": "cannot_connect_now",
	"53300": "too_many_connections", "53100": "disk_full", "53200": "out_of_memory", "25P02": "in_failed_sql_transaction",
	"25001": "active_sql_transaction", "0A000": "feature_not_supported", "P0001": "raise_exception", "XX000": "internal_error",
	"58030": "io_error", "08006": "connection_failure", "08003": "connection_does_not_exist", "3D000": "invalid_catalog_name",
}

// classNames name the classes (the code's first two characters) of the
// codes without a name above.
var classNames = map[string]string{
	"08": "connection_exception", "0A": "feature_not_supported", "21": "cardinality_violation", "22": "data_exception",
	"23": "integrity_constraint_violation", "25": "invalid_transaction_state", "2B": "dependent_privilege_descriptors_still_exist",
	"3D": "invalid_catalog_name", "3F": "invalid_schema_name", "40": "transaction_rollback",
	"42": "syntax_error_or_access_rule_violation", "53": "insufficient_resources", "54": "program_limit_exceeded",
	"55": "object_not_in_prerequisite_state", "57": "operator_intervention", "58": "system_error", "P0": "plpgsql_error",
	"XX": "internal_error",
}

// conditionName returns PostgreSQL's name of code, or of its class.
func conditionName(code string) string {
	if n, ok := conditionNames[code]; ok {
		return n
	}
	if len(code) >= 2 {
		if n, ok := classNames[code[:2]]; ok {
			return n
		}
	}
	return "sqlstate " + code
}

// nearFirstLine returns msg on one line: a token quoted over several lines
// (`unterminated quoted string at or near "'a<newline>);...`, which quotes
// the rest of the statement) cut to its first line, ending with ...".
func nearFirstLine(msg string) string {
	if i := strings.IndexByte(msg, '\n'); i >= 0 && strings.Contains(msg[:i], ` at or near "`) {
		return msg[:i] + `..."`
	}
	return msg
}

// timeoutHint says what stopped a statement cancelled by one of the
// session's timeouts, and how to find or change it; "" for other errors.
func timeoutHint(pe *pgconn.PgError) string {
	switch {
	case pe.Code == "55P03" && strings.Contains(pe.Message, "lock timeout"):
		return "another session holds a lock on a relation this statement replaces (often a reader's open transaction: a BI tool idle in transaction), and the target's lock_timeout ended the wait; find it with select pid, usename, application_name, state, query_start, query from pg_stat_activity where state like 'idle in transaction%', end it (select pg_terminate_backend(pid)) or wait for it, then run again"
	case pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout"):
		return "the statement ran longer than the session's statement_timeout, set on the role or the database (show statement_timeout; alter role ... reset statement_timeout), not by kiln"
	}
	return ""
}
