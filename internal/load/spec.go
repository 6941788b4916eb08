// Package load reads sources and seeds from files into DuckDB tables:
// Excel workbooks cell by cell with excelize (streamed, typed from the
// cells' types and number formats; one sheet, or every sheet of an export
// split over several), CSV and TSV through DuckDB's read_csv with kiln's
// own type inference, and Parquet.
//
// Every load replaces its target table atomically: the rows are staged and
// typed inside one transaction on the caller's connection, so a failure
// (an unreadable file, a value that does not cast to a column_types type,
// cancellation) leaves the previous table as it was, with its rows, and no
// staging table behind.
package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Spec says what to load and how.
type Spec struct {
	Path        string            // file path (already resolved by the caller)
	Format      string            // "xlsx", "csv", "tsv", "parquet"; "" = from the extension (.xlsx, .xlsm, .csv, .tsv, .parquet)
	Sheet       string            // xlsx: sheet name (matched exactly, else ignoring case); "" = first sheet; "*" = every worksheet, each starting with the same header row, into one table
	ColumnTypes map[string]string // column name (matched ignoring case) -> DuckDB type, overrides inference
	Delimiter   string            // csv: field delimiter; "" = "," ("\t" for .tsv)
	// Seed marks a project seed (a CSV committed in seeds/) rather than a
	// source: messages then hint at the seeds directory. Seeds and CSV
	// sources share the same inference, which keeps numbers written with
	// leading zeros ("007") as VARCHAR.
	Seed bool
}

// Result describes the table a load wrote.
type Result struct {
	Rows    int64         // rows written
	Columns []duck.Column // the table's columns and DuckDB types, in order
}

// InputError reports an input that cannot be read or loaded as asked.
type InputError struct {
	Path    string // the input file, as given in Spec.Path
	Sheet   string // the xlsx sheet concerned, "" when none
	Problem string // what is wrong, lowercase
	Hint    string // how to fix it, "" when there is nothing to add
	Err     error  // the underlying error, if any
}

// Error returns `cannot read "<path>": <problem>; <hint>` on one line.
func (e *InputError) Error() string {
	msg := fmt.Sprintf("cannot read %q: %s", e.Path, oneLine(e.Problem))
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
	case "csv":
		if delim == "" {
			delim = ","
		}
		return formatCSV, delim, nil
	case "tsv":
		if delim == "" {
			delim = "\t"
		}
		return formatCSV, delim, nil
	case "parquet":
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

// Check verifies, without touching the database, that the input can be
// read: the file exists and is a readable regular file, its format is
// known, and for xlsx it is a workbook holding the sheet. It returns
// *InputError.
func Check(spec Spec) error {
	f, _, err := format(spec)
	if err != nil {
		return err
	}
	if err := checkFile(spec); err != nil {
		return err
	}
	switch f {
	case formatXLSX:
		p, err := checkXLSX(spec)
		if err != nil {
			return err
		}
		defer p.Close()
		_, err = pickSheets(p, spec)
		return err
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

// Load reads the input of spec and atomically replaces table target with
// it, creating target's schema if missing. The rows are staged and typed in
// one transaction on conn (joining the caller's, if conn is in one), so any
// error leaves the previous table exactly as it was, with its rows, and no
// staging table behind. Errors are *InputError for problems of the input,
// *duck.Error for DuckDB failures, or the context's error.
func Load(ctx context.Context, conn *duck.Conn, spec Spec, target sqlq.Relation) (Result, error) {
	f, delim, err := format(spec)
	if err != nil {
		return Result{}, err
	}
	if err := checkFile(spec); err != nil {
		return Result{}, err
	}
	var res Result
	switch f {
	case formatXLSX:
		res, err = loadXLSX(ctx, conn, spec, target)
	case formatCSV:
		res, err = loadCSV(ctx, conn, spec, delim, target)
	case formatParquet:
		res, err = loadParquet(ctx, conn, spec, target)
	}
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// quoteList returns `"a", "b", "c"`.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
