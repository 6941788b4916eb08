package load

import (
	"bytes"
	"context"
	"io"
	"os"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// loadParquet copies a Parquet file into target, keeping its column types
// (column_types may override them), in one CREATE OR REPLACE TABLE inside
// the load's transaction.
func loadParquet(ctx context.Context, conn *duck.Conn, spec Spec, target sqlq.Relation) (Result, error) {
	if err := checkParquet(spec); err != nil {
		return Result{}, err
	}
	path := sqlq.Literal(spec.Path)
	_, rows, err := conn.QueryRows(ctx, "DESCRIBE SELECT * FROM read_parquet("+path+")")
	if err != nil {
		return Result{}, duckInputError(ctx, spec, err)
	}
	st := staged{from: "read_parquet(" + path + ", file_row_number = true)", rowExpr: "file_row_number + 1"}
	for _, r := range rows {
		name, _ := r[0].(string)
		if name == "file_row_number" {
			st.from, st.rowExpr = "read_parquet("+path+")", ""
		}
		st.cols = append(st.cols, stagedCol{name: name, expr: sqlq.Ident(name)})
	}
	if err := applyOverrides(spec, st.cols); err != nil {
		return Result{}, err
	}
	var res Result
	err = conn.Tx(ctx, func() error {
		var err error
		res, err = swap(ctx, conn, spec, st, target)
		return duckInputError(ctx, spec, err)
	})
	return res, err
}

// checkParquet checks the magic number that starts a Parquet file.
func checkParquet(spec Spec) error {
	f, err := os.Open(spec.Path)
	if err != nil {
		return &InputError{Path: spec.Path, Problem: unwrapPathError(err), Err: err}
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte("PAR1")) {
		return &InputError{Path: spec.Path, Problem: "not a Parquet file", Hint: "check the file, or set its format"}
	}
	return nil
}
