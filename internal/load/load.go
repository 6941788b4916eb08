// Package load reads sources and seeds from files into tables: Excel
// workbooks with kiln's own streaming xlsx reader (one pass over each
// sheet's XML, the sheets of a split export in parallel, typed from the
// cells' types and number formats), CSV and TSV with kiln's own CSV reader
// (NULL markers, encodings, strict field counts), and Parquet.
//
// A load is a reader and a sink (table.go): the reader streams rows of
// text and infers the column types; the sink stages the rows and makes
// the typed table. The DuckDB sink, and everything else that is specific
// to DuckDB, is in duckdb.go.
//
// Every load replaces its target table atomically: the rows are staged and
// typed inside one transaction on the caller's connection, so a failure
// (an unreadable file, a value that does not cast to a column_types type,
// a limit exceeded, cancellation) leaves the previous table as it was,
// with its rows, and no staging table behind.
package load

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Spec says what to load and how.
type Spec struct {
	Path        string            // file path (already resolved by the caller)
	Format      string            // "xlsx", "csv", "tsv", "parquet"; "" = from the extension (.xlsx, .xlsm, .csv, .tsv, .parquet)
	Sheet       string            // xlsx: sheet name (matched exactly, else ignoring case); "" = first sheet; "*" = every worksheet, each starting with the same header row, into one table
	ColumnTypes map[string]string // column name (matched ignoring case) -> type, overrides inference
	// Inferred are the columns of ColumnTypes whose type the caller
	// inferred as dbt's agate does (a dbt project's seed), not the user's
	// column_types: their numbers are read as agate reads them (currency
	// symbols, % and the group separator "," dropped: "$1,000.50" is
	// 1000.50), and a value that does not cast says the type was inferred.
	Inferred map[string]bool
	// Declared are the columns of ColumnTypes whose type is the data_type
	// a source's YAML declares for them: messages then name the
	// declaration, not column_types.
	Declared  map[string]bool
	Delimiter string // csv: field delimiter, one character; "" = "," ("\t" for .tsv)
	// Encoding is the CSV file's character encoding: "" or "utf-8" (the
	// default), "latin-1" (ISO-8859-1), "windows-1252", or another IANA
	// name that golang.org/x/text knows.
	Encoding string
	// NullValues are the texts read as NULL besides the empty field: an
	// unquoted CSV field, or an xlsx text cell, equal to one of them
	// ignoring case and surrounding spaces. nil means the default,
	// "null"; an empty list, none.
	NullValues []string
	Limits     Limits
	// Progress, if not nil, is called from the loading goroutine as the
	// rows stream, at most every 200 ms, and once at the end with Done.
	Progress func(Progress)
	// Seed marks a project seed (a CSV committed in seeds/) rather than a
	// source: messages then hint at the seeds directory and the seed's
	// config. Seeds and CSV sources share the same inference, which keeps
	// numbers written with leading zeros ("007") as VARCHAR. A seed keeps
	// the records whose fields are all empty, as rows of NULLs (dbt does);
	// a source skips them.
	Seed bool
}

// Result describes the table a load wrote.
type Result struct {
	Rows    int64    // rows written
	Columns []Column // the table's columns and database types, in order
	// Cells is an xlsx workbook's cells digest: "kiln-cells-1:" and the
	// hex SHA-256 of the header and of the values of the rows loaded, with
	// their columns and kinds (text, integer, number, boolean, date,
	// timestamp), sheet by sheet, computed in the load's one pass. Two
	// workbooks with the same cells have the same digest whatever else of
	// the file differs (a workbook opened and saved again); any cell
	// changed changes it. "" for CSV and Parquet files, whose bytes are
	// their content.
	Cells string
	// TextColumns are a workbook's columns that loaded as VARCHAR by
	// inference (not column_types), in table order, each with the kinds
	// of its cells and where the first of each kind are: what names the
	// cell ("Sheet1!C10") of a text among numbers when a model's cast of
	// it fails, or schema_changes sees the column retyped. Recorded in
	// the load's one pass; nil for CSV and Parquet files.
	TextColumns []TextColumn
}

// InputError reports an input that cannot be read or loaded as asked.
type InputError struct {
	Path    string // the input file, as given in Spec.Path
	Sheet   string // the xlsx sheet concerned, "" when none
	Line    int    // the CSV file's physical line concerned (1-based), 0 when none
	Col     int    // the column on Line (1-based, in characters), 0 when none
	Problem string // what is wrong, lowercase
	Hint    string // how to fix it, "" when there is nothing to add
	Err     error  // the underlying error, if any
}

// Error returns `cannot read "<path>": <problem>; <hint>` on one line, or
// `cannot read "<path>" at line <n>: ...` for a CSV line.
func (e *InputError) Error() string {
	where := fmt.Sprintf("%q", e.Path)
	if e.Line > 0 {
		where += fmt.Sprintf(" at line %d", e.Line)
	}
	msg := "cannot read " + where + ": " + oneLine(e.Problem)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// Input formats.
const (
	formatXLSX    = "xlsx"
	formatCSV     = "csv"
	formatParquet = "parquet"
)

// format returns the format of spec and the CSV delimiter.
func format(spec Spec) (string, string, error) {
	f := strings.ToLower(strings.TrimPrefix(spec.Format, "."))
	if f == "" {
		f = strings.ToLower(strings.TrimPrefix(filepath.Ext(spec.Path), "."))
	}
	delim := spec.Delimiter
	switch f {
	case "xlsx", "xlsm":
		return formatXLSX, "", nil
	case "csv", "txt":
		if delim == "" {
			delim = ","
		}
		return formatCSV, delim, nil
	case "tsv":
		if delim == "" {
			delim = "\t"
		}
		return formatCSV, delim, nil
	case "parquet", "pq":
		return formatParquet, "", nil
	case "xls":
		return "", "", &InputError{Path: spec.Path, Problem: "Excel 97-2003 (.xls) workbooks are not supported", Hint: "save the file as .xlsx"}
	}
	problem := fmt.Sprintf("unknown format %q", f)
	if f == "" {
		problem = "cannot tell the format from the file name"
	}
	return "", "", &InputError{Path: spec.Path, Problem: problem, Hint: "name the file .xlsx, .csv, .tsv or .parquet, or set its format"}
}

// checkOptions returns *InputError for an option of spec that does not
// apply to format f: an option is never silently ignored.
func checkOptions(spec Spec, f string) error {
	csvOnly := map[string]bool{"delimiter": spec.Delimiter != "", KeyEncoding: spec.Encoding != "", KeyMaxLineSize: spec.Limits.MaxLineSize != 0}
	xlsxOnly := map[string]bool{"sheet": spec.Sheet != "", KeyMaxUnzippedSize: spec.Limits.MaxUnzippedSize != 0,
		KeyMaxUnzipRatio: spec.Limits.MaxUnzipRatio != 0, KeyMaxCells: spec.Limits.MaxCells != 0}
	for _, key := range slices.Sorted(maps.Keys(csvOnly)) {
		if csvOnly[key] && f != formatCSV {
			return &InputError{Path: spec.Path, Problem: fmt.Sprintf("%s applies to CSV files, and this file is %s", key, f), Hint: "remove " + key}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(xlsxOnly)) {
		if xlsxOnly[key] && f != formatXLSX {
			return &InputError{Path: spec.Path, Problem: fmt.Sprintf("%s applies to xlsx workbooks, and this file is %s", key, f), Hint: "remove " + key}
		}
	}
	if spec.NullValues != nil && f == formatParquet {
		return &InputError{Path: spec.Path, Problem: KeyNullValues + " applies to CSV files and xlsx workbooks, and this file is parquet", Hint: "remove " + KeyNullValues}
	}
	return nil
}

// Check verifies, without touching the database, that the input can be
// read, so that a run can refuse to start: the file exists and is a
// readable regular file of a known format; a CSV file is read whole and
// must decode in its encoding, with as many fields on every line as in its
// header, within max_line_size; an xlsx workbook must hold the sheet(s),
// with a header row (the same on every sheet with "*"), within the unzip
// limits as the zip declares them (its cells are checked as they load); a
// Parquet file must start as one. It returns *InputError.
func Check(spec Spec) error {
	f, delim, err := format(spec)
	if err != nil {
		return err
	}
	if err := checkOptions(spec, f); err != nil {
		return err
	}
	if err := checkFile(spec); err != nil {
		return err
	}
	switch f {
	case formatXLSX:
		in, err := openXLSX(spec, false)
		if err != nil {
			return err
		}
		return in.Close()
	case formatCSV:
		return checkCSV(spec, delim)
	case formatParquet:
		return checkParquet(spec)
	}
	return nil
}

// checkFile checks that spec.Path is a readable regular file.
func checkFile(spec Spec) error {
	fi, err := os.Stat(spec.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			hint := "check the path, or the raw_dir var if the path uses it"
			if spec.Seed {
				hint = "check the seed's file name in the seeds directory"
			}
			return &InputError{Path: spec.Path, Problem: "file not found", Hint: hint, Err: err}
		}
		return &InputError{Path: spec.Path, Problem: unwrapPathError(err), Err: err}
	}
	if fi.IsDir() {
		return &InputError{Path: spec.Path, Problem: "is a directory, not a file", Hint: "point the path at a file"}
	}
	f, err := os.Open(spec.Path)
	if err != nil {
		return &InputError{Path: spec.Path, Problem: unwrapPathError(err), Hint: "check the file's permissions", Err: err}
	}
	return f.Close()
}

// unwrapPathError returns the reason of an *fs.PathError without the path,
// which InputError already names.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// quoteList returns `"a", "b", "c"`.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
