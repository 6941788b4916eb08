package execute

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// HookHint returns what to do about he, the error of a hook of node n (nil
// for on-run-start and on-run-end) in graph g, in the style of a model's
// SQL errors: for a syntax error, the cause seen in the hook's SQL (an
// unclosed quote or parenthesis, a misspelled keyword...) or where to
// look, at the hook's line and column in its project file (or in the hook
// as rendered, when Jinja wrote that part); for a column or relation
// that is not found, the nearest name. It is "" when there is nothing to
// add.
func HookHint(g *graph.Graph, n *graph.Node, he *compiler.HookError) string {
	var de *adapter.Error
	if he == nil || !errors.As(he.Err, &de) {
		return ""
	}
	if de.Class != adapter.Syntax {
		if n != nil && g != nil {
			return sqlHint(g, n, de)
		}
		return ""
	}
	off := he.Off
	if off < 0 {
		if de.Line != 0 || !strings.Contains(de.Msg, "end of input") {
			return ""
		}
		off = len(he.SQL)
	}
	in := syntaxInput{sql: he.SQL, off: off}
	in.at = func(i int) string {
		if p, ok := he.At(i); ok {
			return p.String()
		}
		l, c := diag.Offset(he.SQL, i)
		return fmt.Sprintf("line %d, column %d of the %s as rendered", l, c, he.What)
	}
	return syntaxHint(de, in)
}
