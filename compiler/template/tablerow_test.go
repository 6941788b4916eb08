package template

import (
	"testing"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// A run_query row prints as agate's Row repr, its values as Python
// reprs, not as a Go pointer (the final trial's finding 2).
func TestTableRowPrints(t *testing.T) {
	tb := NewTable([]string{"n", "s", "d"}, []string{"INTEGER", "VARCHAR", "DECIMAL(3,2)"},
		[][]any{{int64(1), "a", nil}})
	row := tb.Items()[0]
	if got, want := jinja.Str(row), "<agate.Row: (1, 'a', None)>"; got != want {
		t.Errorf("row prints %q, want %q", got, want)
	}
}
