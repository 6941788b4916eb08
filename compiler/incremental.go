package compiler

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// The incremental strategies kiln runs, as dbt-duckdb names them.
var strategies = []string{"append", "delete+insert", "merge", "microbatch"}

// DefaultStrategy is dbt-duckdb's strategy when incremental_strategy is
// not set (duckdb__get_incremental_default_sql): delete+insert, which
// appends every new row when there is no unique_key.
const DefaultStrategy = "delete+insert"

// keyName matches a unique_key that is a column name, unquoted or
// quoted: what merge and a unique_key list can qualify with a relation.
var keyName = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$`)

var schemaChanges = []string{"ignore", "fail", "append_new_columns", "sync_all_columns"}

var batchSizes = []string{"hour", "day", "month", "year"}

// eventTime returns the event_time config of a model, seed or source.
func eventTime(n *graph.Node) string {
	s, _ := n.Config.Extra["event_time"].(string)
	return strings.TrimSpace(s)
}

// compileIncremental resolves the incremental config of model n, rendered
// as r, and renders the variants of its SQL: with is_incremental() true
// and, for microbatch, with its event-time inputs marked.
func (c *compiler) compileIncremental(n *graph.Node, r *rendered) {
	x := n.Config.Extra
	pos := n.Pos
	if r.config != nil {
		pos = r.configPos
	}
	inc := &graph.IncrementalInfo{Strategy: DefaultStrategy, OnSchemaChange: "ignore"}
	explicit := false
	if s, ok := x["incremental_strategy"].(string); ok && s != "" {
		inc.Strategy, explicit = strings.ToLower(s), true
	}
	inc.UniqueKey = columnList(x["unique_key"])
	switch x["unique_key"].(type) {
	case []any, []string:
		inc.UniqueKeyList = len(inc.UniqueKey) > 0
	}
	if len(inc.UniqueKey) > 0 {
		inc.UniqueKeyAt, inc.UniqueKeyItemsAt = c.columnListPos(n, r, "unique_key", pos)
	}
	if s, ok := x["on_schema_change"].(string); ok && s != "" {
		inc.OnSchemaChange = s
	}
	inc.Predicates = toStrings(x["incremental_predicates"])
	if p := toStrings(x["predicates"]); len(p) > 0 {
		// dbt's older name, read first, as dbt-duckdb's and
		// dbt-adapters' incremental materializations do:
		// config.get('predicates') or config.get('incremental_predicates').
		if len(inc.Predicates) > 0 && !slices.Equal(p, inc.Predicates) {
			at, _ := c.configValuePos(n, r, "incremental_predicates", pos)
			c.diags.Warnf(at, "model %q sets both predicates and incremental_predicates: predicates are used, as dbt reads predicates first; incremental_predicates are ignored", n.Name).Hint =
				"keep one: predicates is dbt's older name of incremental_predicates"
		}
		inc.Predicates = p
	}
	inc.UpdateColumns = columnList(x["merge_update_columns"])
	inc.ExcludeColumns = columnList(x["merge_exclude_columns"])
	if b, ok := x["full_refresh"].(bool); ok {
		inc.FullRefresh = &b
	}
	db, dbt := c.targetNames()
	if !explicit && len(inc.UniqueKey) == 0 && db == "PostgreSQL" {
		// dbt-postgres's default strategy (postgres__get_incremental_default_sql)
		// is delete+insert with a unique_key, append without one.
		inc.Strategy = "append"
	}
	switch inc.Strategy {
	case "append":
		if len(inc.UniqueKey) > 0 {
			c.diags.Warnf(pos, "model %q: the append strategy does not use unique_key: rows with a key already in the table are added again", n.Name).Hint = "use incremental_strategy: merge or delete+insert to replace them"
		}
		if len(inc.Predicates) > 0 {
			c.diags.Warnf(pos, "model %q: the append strategy does not use incremental_predicates", n.Name).Hint = "remove them, or use merge or delete+insert"
		}
	case "delete+insert", "merge":
		switch {
		case len(inc.UniqueKey) > 0:
		case inc.Strategy == "delete+insert" && len(inc.Predicates) > 0 && db == "PostgreSQL":
			// dbt-adapters' delete+insert without unique_key deletes the
			// rows that meet incremental_predicates, then inserts.
		case inc.Strategy == "delete+insert" && len(inc.Predicates) > 0:
			c.diags.Warnf(pos, "model %q: delete+insert without unique_key does not use incremental_predicates on %s (%s deletes by unique_key only): every new row is appended", n.Name, db, dbt).Hint =
				"set unique_key to the columns that identify a row, or use incremental_strategy: microbatch to replace a time range"
		case explicit:
			d := c.diags.Warnf(pos, "model %q: %s without unique_key appends every new row", n.Name, inc.Strategy)
			d.Hint = "set unique_key to the columns that identify a row"
			if inc.Strategy == "delete+insert" && db == "PostgreSQL" {
				d.Hint += ", or incremental_predicates to delete the rows they meet first (dbt-adapters' delete+insert refuses neither being set)"
			}
		}
	case "microbatch":
		switch {
		case db == "PostgreSQL" && len(inc.UniqueKey) == 0:
			// dbt-postgres's postgres__get_incremental_microbatch_sql
			// merges each batch on unique_key and raises without one.
			c.diags.Errorf(pos, "model %q: the microbatch strategy on PostgreSQL requires unique_key, as dbt-postgres does: each batch's rows are merged into the table on it", n.Name).Hint =
				"set unique_key to the columns that identify a row: a batch's rows then update the table's rows of the same key and add the others"
		case db != "PostgreSQL" && len(inc.UniqueKey) > 0:
			c.diags.Errorf(pos, "model %q: the microbatch strategy on %s does not take unique_key, as in %s: it replaces each batch's rows by their event_time", n.Name, db, dbt).Hint = "remove unique_key, or use incremental_strategy: merge"
		}
	}
	mergesBatches := inc.Strategy == "microbatch" && db == "PostgreSQL"
	if inc.Strategy == "merge" || mergesBatches || (inc.Strategy == "delete+insert" && inc.UniqueKeyList) {
		for i, k := range inc.UniqueKey {
			if keyName.MatchString(k) {
				continue
			}
			at := inc.UniqueKeyAt
			if len(inc.UniqueKeyItemsAt) == len(inc.UniqueKey) {
				at = inc.UniqueKeyItemsAt[i]
			}
			how := inc.Strategy + " writes DBT_INTERNAL_SOURCE.<key> = DBT_INTERNAL_DEST.<key>"
			if inc.Strategy == "delete+insert" {
				how = "delete+insert with a unique_key list writes <new rows>.<key> = <table>.<key>"
			}
			c.diags.Errorf(at, "model %q: unique_key %q is not a column name: %s, as dbt does, which needs one", n.Name, k, how).Hint =
				"add the expression to the model's columns and key on that column, or use incremental_strategy: delete+insert with unique_key written as a string, which takes an expression"
		}
	}
	if inc.Strategy != "merge" && !mergesBatches && len(inc.UpdateColumns)+len(inc.ExcludeColumns) > 0 {
		what := "the merge strategy"
		if db == "PostgreSQL" {
			what += " and microbatch (which merges on PostgreSQL)"
		}
		c.diags.Errorf(pos, "model %q: merge_update_columns and merge_exclude_columns apply to %s, not to %s", n.Name, what, inc.Strategy).Hint = "remove them, or use incremental_strategy: merge"
	}
	if len(inc.UpdateColumns) > 0 && len(inc.ExcludeColumns) > 0 {
		c.diags.Errorf(pos, "model %q: merge_update_columns and merge_exclude_columns cannot both be set", n.Name).Hint = "keep one of them"
	}
	n.Incremental = inc

	again := c.renderNode(n, renderMode{final: true, incremental: true})
	c.diags.Append(again.diags)
	inc.Code = c.statement(n, again.out)
	n.DependsOn = append(n.DependsOn, again.deps...)
	if inc.Strategy != "microbatch" {
		return
	}
	inc.Batch = c.batchInfo(n, pos)
	if inc.Batch == nil {
		return
	}
	inc.Batch.Merge = mergesBatches
	plain := c.renderNode(n, renderMode{final: true, batch: true})
	incr := c.renderNode(n, renderMode{final: true, batch: true, incremental: true})
	inc.Batch.Code, _ = oneStatement(plain.out)
	inc.Batch.IncrementalCode, _ = oneStatement(incr.out)
	inc.Batch.ReadsBatch = plain.readsBatch || incr.readsBatch
	inputs := map[graph.ID]bool{}
	for _, out := range []string{inc.Batch.Code, inc.Batch.IncrementalCode} {
		for _, id := range batchInputs(out) {
			inputs[id] = true
		}
	}
	for id := range inputs {
		inc.Batch.Inputs = append(inc.Batch.Inputs, id)
	}
	sort.Slice(inc.Batch.Inputs, func(i, j int) bool { return inc.Batch.Inputs[i] < inc.Batch.Inputs[j] })
}

// batchInputs returns the inputs marked in code, in order of appearance.
func batchInputs(code string) []graph.ID {
	var out []graph.ID
	for {
		i := strings.Index(code, graph.BatchMarkerPrefix)
		if i < 0 {
			return out
		}
		code = code[i+len(graph.BatchMarkerPrefix):]
		j := strings.Index(code, graph.BatchMarkerSuffix)
		if j < 0 {
			return out
		}
		out = append(out, graph.ID(code[:j]))
		code = code[j:]
	}
}

// batchInfo reads the microbatch configs of model n: event_time,
// batch_size and begin are required, as in dbt.
func (c *compiler) batchInfo(n *graph.Node, pos diag.Pos) *graph.BatchInfo {
	x := n.Config.Extra
	b := &graph.BatchInfo{EventTime: eventTime(n), Lookback: 1, Location: time.UTC, TimeZone: "UTC"}
	ok := true
	if b.EventTime == "" {
		c.diags.Errorf(pos, "model %q: the microbatch strategy needs event_time, the column that dates each row", n.Name).Hint = "set event_time: <column> in its config"
		ok = false
	}
	b.Size, _ = x["batch_size"].(string)
	if b.Size == "" {
		c.diags.Errorf(pos, "model %q: the microbatch strategy needs batch_size", n.Name).Hint = "set batch_size to one of " + quoteList(batchSizes)
		ok = false
	}
	if tz, has := x["batch_timezone"].(string); has && tz != "" {
		loc, err := time.LoadLocation(tz)
		if err == nil {
			b.Location, b.TimeZone = loc, tz
		}
	}
	switch v := x["begin"].(type) {
	case nil:
		c.diags.Errorf(pos, "model %q: the microbatch strategy needs begin, the start of its first batch", n.Name).Hint = "set begin: \"2024-01-01\" in its config"
		ok = false
	default:
		t, err := parseBegin(v, b.Location)
		if err != nil {
			ok = false // reported by checkValue
		}
		b.Begin = t
	}
	if v, has := x["lookback"]; has {
		if l, isNum := wholeNumber(v); isNum {
			b.Lookback = int(l)
		}
	}
	if !ok {
		return nil
	}
	return b
}

// parseBegin reads begin: a date, or a date and time (ISO 8601, with a
// space or T, with or without seconds and an offset), in loc when it has
// no offset. YAML gives an unquoted date as a time.Time.
func parseBegin(v any, loc *time.Location) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		if x.Location() == time.UTC && x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, loc), nil
		}
		return x.In(loc), nil
	case string:
		s := strings.TrimSpace(x)
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05-07"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.In(loc), nil
			}
		}
		for _, layout := range []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("begin must be a date or a date and time such as \"2024-01-01\" or \"2024-01-01 06:00:00\", not %v", v)
}

// columnList reads unique_key or a list of columns: one name (or SQL
// expression, which dbt writes as given), names separated by commas, or
// a list of names. Only the commas outside parentheses and quotes
// separate names: unique_key: "concat(a, '-', b)" is one expression.
func columnList(v any) []string {
	var out []string
	for _, s := range toStrings(v) {
		for _, part := range splitTopLevel(s) {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// splitTopLevel splits s at its commas outside parentheses, brackets
// and quotes ('...', "...").
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '(' || ch == '[':
			depth++
		case ch == ')' || ch == ']':
			depth--
		case ch == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// targetNames returns the name of the target's database and of the
// dbt adapter kiln follows on it: "PostgreSQL" and "dbt-postgres", else
// (DuckDB, and no target) "DuckDB" and "dbt-duckdb".
func (c *compiler) targetNames() (db, dbt string) {
	if c.p.Target != nil && c.p.Target.Type == "postgres" {
		return "PostgreSQL", "dbt-postgres"
	}
	return "DuckDB", "dbt-duckdb"
}

// checkIncrementalValue validates the value of incremental config k
// written at pos; it reports whether k is one of them.
func (c *compiler) checkIncrementalValue(k string, v any, pos diag.Pos) bool {
	bad := func(format string, args ...any) *diag.Diagnostic { return c.diags.Errorf(pos, format, args...) }
	oneOf := func(what string, allowed []string, hint string) {
		s, ok := v.(string)
		if ok && contains(allowed, strings.ToLower(s)) {
			return
		}
		d := bad("%s must be one of %s, not %q", what, quoteList(allowed), fmt.Sprint(v))
		if h := diag.DidYouMean(fmt.Sprint(v), allowed); h != "" {
			d.Hint = h
		} else {
			d.Hint = hint
		}
	}
	switch k {
	case "incremental_strategy":
		db, dbt := c.targetNames()
		if s, _ := v.(string); strings.EqualFold(s, "insert_overwrite") {
			bad("incremental_strategy \"insert_overwrite\" is not supported on %s (nor by %s)", db, dbt).Hint = "use delete+insert with unique_key, or microbatch"
			return true
		}
		oneOf(k, strategies, dbt+"'s strategies are append, delete+insert, merge and microbatch")
	case "on_schema_change":
		oneOf(k, schemaChanges, "ignore is the default")
	case "batch_size":
		oneOf(k, batchSizes, "a batch is an hour, a day, a month or a year")
	case "unique_key", "merge_update_columns", "merge_exclude_columns":
		if !isNames(v) {
			bad("%s must be a column name or a list of column names, not %v", k, v)
		}
	case "incremental_predicates", "predicates":
		if !isNames(v) {
			bad("%s must be a list of SQL conditions, not %v", k, v).Hint = "write " + k + ": [\"DBT_INTERNAL_DEST.updated_at > current_date - 7\"]"
		}
	case "event_time":
		if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
			bad("event_time must be a column name, not %v", v)
		}
	case "begin":
		if _, err := parseBegin(v, time.UTC); err != nil {
			bad("%v", err)
		}
	case "lookback":
		if _, ok := wholeNumber(v); !ok {
			bad("lookback must be a whole number of 0 or more, not %v", v)
		}
	case "batch_timezone":
		s, ok := v.(string)
		if !ok || s == "" {
			bad("batch_timezone must be a time zone name such as \"Europe/Paris\", not %v", v)
		} else if _, err := time.LoadLocation(s); err != nil {
			bad("unknown time zone %q in batch_timezone", s).Hint = "use an IANA name such as \"UTC\" or \"Europe/Paris\""
		}
	default:
		return false
	}
	return true
}

func isNames(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x) != ""
	case []string:
		return len(x) > 0
	case []any:
		if len(x) == 0 {
			return false
		}
		for _, e := range x {
			if s, ok := e.(string); !ok || strings.TrimSpace(s) == "" {
				return false
			}
		}
		return true
	}
	return false
}

// configValuePos returns where the value of config key of node n (a
// model or a snapshot, rendered as r) is written: in its config() call,
// else in its property file, else in the project file's models: or
// snapshots: tree; def when none of them sets it (a package's project
// file, a key set by a macro). items are the positions of the value's
// entries when it is a list whose entries' positions are known: a YAML
// list, or a config() call's [...] of quoted names (each position is
// then after its quote, as the value's is after a scalar's); else nil.
func (c *compiler) configValuePos(n *graph.Node, r *rendered, key string, def diag.Pos) (pos diag.Pos, items []diag.Pos) {
	if r != nil && r.config != nil && r.configPos.File == n.Path {
		if _, ok := r.config[key]; ok {
			j := -1
			if a, ok := r.configAt[key]; ok && a.Value.File == n.Path {
				// Where the template engine read the value (a key's
				// name inside a list before it, tags=['unique_key'], is
				// not taken for the key).
				if off, ok := diag.ByteOffset(n.RawCode, a.Value.Line, a.Value.Col); ok {
					j = off + len(n.RawCode[off:]) - len(strings.TrimLeft(n.RawCode[off:], "'\""))
				}
			}
			from, _ := diag.ByteOffset(n.RawCode, r.configPos.Line, max(r.configPos.Col, 1))
			if i := strings.Index(n.RawCode[from:], key); j < 0 && i >= 0 {
				// The value: after "key=" (or "'key':") and the spaces.
				j = from + i + len(key)
				j += len(n.RawCode[j:]) - len(strings.TrimLeft(n.RawCode[j:], "'\" \t\r\n:="))
			}
			if j >= 0 {
				line, col := diag.Offset(n.RawCode, j)
				for _, k := range quotedItems(n.RawCode, j) {
					line, col := diag.Offset(n.RawCode, k)
					items = append(items, diag.Pos{File: n.Path, Line: line, Col: col})
				}
				return diag.Pos{File: n.Path, Line: line, Col: col}, items
			}
		}
	}
	yamlPos := func(a project.At, file string) (diag.Pos, []diag.Pos) {
		for _, item := range a.Items {
			items = append(items, item.Pos(file))
		}
		return a.Pos(file), items
	}
	if mp, file := c.nodeProps(n); mp != nil && file != "" {
		if at, ok := mp.ConfigAt[key]; ok {
			return yamlPos(at, file)
		}
	}
	if n.Package == c.rootName() && c.root != nil {
		tree, path := c.root.ModelConfig, append(folders(n.Path, c.root.Config.ModelPaths), baseName(n.Path))
		if n.Kind == graph.Snapshot {
			tree, path = c.root.SnapshotConfig, append(folders(n.Path, c.root.Config.SnapshotPaths), n.Name)
		}
		if tree != nil {
			if at, ok := tree.Where(path)[key]; ok {
				return yamlPos(at, c.root.File)
			}
		}
	}
	return def, nil
}

// quotedItems returns the offsets in code, just after their opening
// quote, of the quoted strings of the list literal [...] starting at
// offset j ('a', "b"); nil when code has no list literal at j, or it holds
// anything but quoted strings, commas and spaces.
func quotedItems(code string, j int) []int {
	if j >= len(code) || code[j] != '[' {
		return nil
	}
	var out []int
	for i := j + 1; i < len(code); i++ {
		switch ch := code[i]; ch {
		case ' ', '\t', '\r', '\n', ',':
		case ']':
			return out
		case '\'', '"':
			end := strings.IndexByte(code[i+1:], ch)
			if end < 0 {
				return nil
			}
			out = append(out, i+1)
			i += end + 1
		default:
			return nil
		}
	}
	return nil
}

// columnListPos returns where the value of config key of node n, a
// column list (columnList), is written (configValuePos), and where each of
// its columns is, one by column, when the value is a list whose entries'
// positions are known; nil otherwise. An entry naming several columns
// ("a, b") gives its position to each.
func (c *compiler) columnListPos(n *graph.Node, r *rendered, key string, def diag.Pos) (diag.Pos, []diag.Pos) {
	pos, items := c.configValuePos(n, r, key, def)
	list, ok := n.Config.Extra[key].([]any)
	if !ok || len(list) != len(items) {
		return pos, nil
	}
	var out []diag.Pos
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			return pos, nil
		}
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) != "" {
				out = append(out, items[i])
			}
		}
	}
	if len(out) != len(columnList(list)) {
		return pos, nil
	}
	return pos, out
}
