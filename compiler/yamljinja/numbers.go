package yamljinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// WithNumbers returns r rendering the values at the key paths nums
// selects as whole numbers, as dbt's native rendering of a config gives
// them: a value whose Jinja gives a whole number ("{{ var('lookback', 3)
// }}", "{{ 2 + 1 }}") or its text ("{{ env_var('N', '3') }}") is that
// number (an int), one that gives none (none, the empty text) is null,
// any other is an error at the value: `config "lookback" must be a whole
// number: "{{ var('lookback') }}" renders to "three"`.
func (r *Renderer) WithNumbers(nums Skip) *Renderer {
	cp := *r
	cp.nums = nums
	return &cp
}

// Number renders the string scalar n, the value of whole-number config
// key, as WithNumbers says: an int or nil, or a diagnostic at n's
// position.
func (r *Renderer) Number(file string, n *yaml.Node, key string) (any, *diag.Diagnostic) {
	v, bad := r.renderNative(file, n)
	if bad != nil {
		return nil, bad
	}
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), nil
		}
		v = strconv.FormatFloat(x, 'g', -1, 64)
	case nil:
		return nil, nil
	case string:
		text := strings.TrimSpace(x)
		if text == "" || strings.EqualFold(text, "none") {
			return nil, nil
		}
		if i, err := strconv.Atoi(text); err == nil {
			return i, nil
		}
		v = strconv.Quote(x)
	default:
		v = fmt.Sprint(x)
	}
	key = strings.TrimLeft(key, "+ ")
	d := diag.Errorf(pos(file, n), "config %q must be a whole number: %q renders to %v", key, n.Value, v).
		WithHint("write Jinja that gives a number, such as \"{{ var('%s', 3) }}\" with --vars '{%s: 5}'", key, key)
	return nil, &d
}
