package graph

// Hook is one pre- or post-hook of a node's config: its SQL and whether
// it runs inside the node's transaction (dbt's Hook: transaction true
// unless the hook is written {sql: ..., transaction: false}).
type Hook struct {
	SQL         string
	Transaction bool
}

// ConfigHooks returns the hooks of phase ("pre" or "post") that a node's
// config extra keys hold, in the order they run: the hyphenated key's
// (pre-hook), then the underscored one's (pre_hook); each key holds a
// hook or a list of them, a hook being a text (in the transaction) or a
// mapping {sql, transaction}. Other values are skipped.
func ConfigHooks(extra map[string]any, phase string) []Hook {
	var out []Hook
	add := func(h any) {
		switch v := h.(type) {
		case string:
			out = append(out, Hook{SQL: v, Transaction: true})
		case map[string]any:
			sql, _ := v["sql"].(string)
			tx, set := v["transaction"].(bool)
			out = append(out, Hook{SQL: sql, Transaction: !set || tx})
		}
	}
	for _, key := range []string{phase + "-hook", phase + "_hook"} {
		switch v := extra[key].(type) {
		case []any:
			for _, h := range v {
				add(h)
			}
		case []string:
			for _, h := range v {
				add(h)
			}
		default:
			add(v)
		}
	}
	return out
}
