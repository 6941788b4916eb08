// Command kiln-xlsx-floor decodes the sheets of xlsx workbooks as kiln's
// loader does (shared strings, then the sheets in parallel, inflated and
// parsed into cell values) and drops the values: the floor under the time
// of loading the same workbooks, which the benchmark harness times beside
// the loads.
//
//	kiln-xlsx-floor [-sheet NAME] file.xlsx...
//
// It prints the rows and cells decoded per file, and exits 1 on an
// unreadable workbook.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kiln-build/kiln/internal/load"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kiln-xlsx-floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sheet := fs.String("sheet", "*", `the sheet to decode ("*": every worksheet)`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: kiln-xlsx-floor [-sheet NAME] file.xlsx...")
		return 2
	}
	for _, path := range fs.Args() {
		st, err := load.Decode(context.Background(), load.Spec{Path: path, Sheet: *sheet})
		if err != nil {
			fmt.Fprintln(stderr, "kiln-xlsx-floor:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: %d rows, %d cells\n", path, st.Rows, st.Cells)
	}
	return 0
}
