package load

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// loadCSV stages the file with read_csv, every field as text and the
// header as the first row (so kiln, not DuckDB's sniffer, names and types
// the columns), then infers each column's type with one query over the
// staging table.
func loadCSV(ctx context.Context, conn *duck.Conn, spec Spec, delim string, target sqlq.Relation) (Result, error) {
	var res Result
	err := conn.Tx(ctx, func() error {
		read := fmt.Sprintf(`read_csv(%s, header = false, all_varchar = true, delim = %s, quote = '"', escape = '"', null_padding = true)`,
			sqlq.Literal(spec.Path), sqlq.Literal(delim))
		// WITH ORDINALITY numbers the records from 1, the header; rowid
		// would not do: inside a transaction it starts at 2^55.
		if _, err := conn.Exec(ctx, "CREATE OR REPLACE TEMP TABLE "+stageTable+" AS SELECT * FROM "+read+" WITH ORDINALITY"); err != nil {
			return duckInputError(ctx, spec, err)
		}
		cols, rows, err := conn.QueryRows(ctx, "SELECT * EXCLUDE (ordinality) FROM temp."+stageTable+" WHERE ordinality = 1")
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return &InputError{Path: spec.Path, Problem: "the file is empty: no header row", Hint: "put the column names in the first line"}
		}
		header := make([]string, len(cols))
		for i, v := range rows[0] {
			header[i], _ = v.(string)
		}
		st := staged{from: "temp." + stageTable, rowExpr: "ordinality"}
		var keep []string
		for i, name := range columnNames(header) {
			q := sqlq.Ident(cols[i])
			keep = append(keep, "NULLIF(trim("+q+"), '') IS NOT NULL")
			st.cols = append(st.cols, stagedCol{name: name, expr: "NULLIF(" + q + ", '')"})
		}
		st.where = "ordinality > 1 AND (" + strings.Join(keep, " OR ") + ")"
		if err := inferCSV(ctx, conn, &st, cols); err != nil {
			return err
		}
		if err := applyOverrides(spec, st.cols); err != nil {
			return err
		}
		if res, err = swap(ctx, conn, spec, st, target); err != nil {
			return err
		}
		_, err = conn.Exec(ctx, "DROP TABLE temp."+stageTable)
		return err
	})
	return res, err
}

// Patterns of the CSV inference, over trimmed non-empty values.
const (
	reInt     = `[+-]?[0-9]+`
	reNumber  = `[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?`
	reLead0   = `[+-]?0[0-9].*`
	reDate    = `[0-9]{4}-[0-9]{2}-[0-9]{2}`
	reStamp   = `[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?`
	csvChecks = 7
)

// inferCSV sets the type of each column of st from its values, with the
// rules of xlsx cells read as text: all integers in range -> BIGINT;
// numbers -> DOUBLE; true/false -> BOOLEAN; yyyy-mm-dd -> DATE; with a time
// of day -> TIMESTAMP; else VARCHAR. Numbers written with a leading zero
// ("007", "0123"; not "0" or "0.5") keep the column VARCHAR: they are
// codes.
func inferCSV(ctx context.Context, conn *duck.Conn, st *staged, cols []string) error {
	var sel []string
	for _, c := range cols {
		v := "NULLIF(trim(" + sqlq.Ident(c) + "), '')"
		all := func(pred string) string {
			return "coalesce(bool_and(" + pred + ") FILTER (WHERE " + v + " IS NOT NULL), false)"
		}
		sel = append(sel,
			"count("+v+")",
			all(fmt.Sprintf("regexp_full_match(%s, '%s') AND TRY_CAST(%s AS BIGINT) IS NOT NULL", v, reInt, v)),
			all(fmt.Sprintf("regexp_full_match(%s, '%s')", v, reNumber)),
			fmt.Sprintf("coalesce(bool_or(regexp_full_match(%s, '%s')), false)", v, reLead0),
			all("lower("+v+") IN ('true', 'false')"),
			all(fmt.Sprintf("regexp_full_match(%s, '%s') AND TRY_CAST(%s AS DATE) IS NOT NULL", v, reDate, v)),
			all(fmt.Sprintf("regexp_full_match(%s, '%s') AND TRY_CAST(%s AS TIMESTAMP) IS NOT NULL", v, reStamp, v)),
		)
	}
	_, rows, err := conn.QueryRows(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+st.from+" WHERE "+st.where)
	if err != nil {
		return err
	}
	if len(rows) != 1 || len(rows[0]) != csvChecks*len(cols) {
		return errors.New("csv inference: unexpected result shape")
	}
	r := rows[0]
	for i := range st.cols {
		get := func(j int) bool { b, _ := r[i*csvChecks+j].(bool); return b }
		n, _ := r[i*csvChecks].(int64)
		typ := ""
		switch {
		case n == 0:
		case (get(1) || get(2)) && get(3):
		case get(1):
			typ = typeBigint
		case get(2):
			typ = typeDouble
		case get(4):
			typ = typeBoolean
		case get(5):
			typ = typeDate
		case get(6):
			typ = typeTimestamp
		}
		if typ != "" {
			st.cols[i].typ = typ
			st.cols[i].expr = "NULLIF(trim(" + sqlq.Ident(cols[i]) + "), '')"
		}
	}
	return nil
}

// duckInputError turns DuckDB's failure to read a file into *InputError.
func duckInputError(ctx context.Context, spec Spec, err error) error {
	if ctx.Err() != nil {
		return err
	}
	var de *duck.Error
	if !errors.As(err, &de) {
		return err
	}
	problem := strings.TrimSuffix(lowerFirst(de.Msg), ".")
	for line := range strings.SplitSeq(de.Detail, "\n") {
		// The first line that explains, not the echo of the input line.
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "Original Line") {
			problem += ": " + strings.TrimSuffix(lowerFirst(line), ".")
			break
		}
	}
	ie := &InputError{Path: spec.Path, Sheet: spec.Sheet, Problem: problem, Err: err}
	if f, _, _ := format(spec); f == formatCSV {
		ie.Hint = "check the delimiter, the quoting and that the file is UTF-8"
	}
	return ie
}

func lowerFirst(s string) string {
	if s == "" || strings.ToUpper(s[:1]) != s[:1] || (len(s) > 1 && strings.ToUpper(s[1:2]) == s[1:2]) {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
