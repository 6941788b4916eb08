package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/scrub"
)

// FreshnessResult is one source table's freshness, as dbt's sources.json
// records it.
type FreshnessResult struct {
	Node *graph.Node
	// Status is pass, warn, error (older than error_after) or runtime
	// error (the time could not be read: Err says why).
	Status string
	// MaxLoadedAt is the newest load time (the file's modification time
	// for a file-backed source); NeverLoaded (0001-01-01 UTC, dbt's
	// stand-in) when it is null, as Null says why.
	MaxLoadedAt time.Time
	Snapshotted time.Time // when it was read
	// Age is Snapshotted - MaxLoadedAt, saturated at the largest
	// time.Duration (about 292 years) for a null max_loaded_at.
	Age time.Duration
	// Null, when not "", says why max_loaded_at is null ("no rows
	// matching the filter in "raw"."orders"", "loaded_at is null in every
	// row of ...", "loaded_at_query returned no row", ...): as dbt, the
	// source counts as loaded infinitely long ago, stale past any
	// warn_after or error_after, not a runtime error.
	Null    string
	Err     error
	Elapsed time.Duration
}

// NeverLoaded is the max_loaded_at of a source whose load time is null:
// 0001-01-01T00:00:00Z, as dbt's calculate_freshness ("infinitely long
// ago").
var NeverLoaded = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

// Freshness checks the freshness of the sources among ids that declare
// one (the others are left out), as dbt source freshness: the newest
// value of loaded_at_field (max over the rows matching filter), or the
// modification time of a file-backed source's file when it has no
// loaded_at_field, against warn_after and error_after. A null newest
// value (no rows, or null in every row) is stale as in dbt: error with
// error_after, warn with only warn_after (FreshnessResult.Null says
// why). The database is opened only when a source needs it
// (*adapter.LockError while a build holds it).
func (p *Project) Freshness(ctx context.Context, ids []graph.ID) ([]FreshnessResult, error) {
	var db adapter.Adapter
	var conn adapter.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
		if db != nil {
			db.Close()
		}
	}()
	var out []FreshnessResult
	for _, id := range ids {
		n := p.Graph().Node(id)
		if n.Kind != graph.Source || n.Source == nil || n.Source.Freshness == nil {
			continue
		}
		f := n.Source.Freshness
		start := time.Now()
		r := FreshnessResult{Node: n}
		switch {
		case f.LoadedAtField == "" && f.LoadedAtQuery == "" && n.Source.External != nil:
			st, err := os.Stat(n.Source.External.Path)
			if err != nil {
				r.Err = fmt.Errorf("cannot read the modification time of %s: %v", n.Source.External.Path, err)
				break
			}
			r.MaxLoadedAt = st.ModTime().UTC()
		default:
			if conn == nil {
				if p.DBPath != ":memory:" && !p.DatabaseExists() {
					return nil, fmt.Errorf("%w: %s; run kiln build first", ErrNoDatabase, Rel(p.Dir, p.DBPath))
				}
				var err error
				if db, err = p.openDB(ctx, 0, 0); err != nil {
					return nil, err
				}
				if conn, err = db.Conn(ctx); err != nil {
					return nil, err
				}
			}
			if f.LoadedAtQuery != "" {
				r.MaxLoadedAt, r.Null, r.Err = queryLoadedAt(ctx, conn, db.Dialect(), f.LoadedAtQuery)
				break
			}
			q := db.Dialect().MaxLoadedAt(n.Relation, f.LoadedAtField, f.Filter)
			_, rows, err := conn.QueryRows(ctx, q)
			switch {
			case err != nil:
				r.Err = err
			case len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] == nil:
				r.MaxLoadedAt, r.Null = NeverLoaded, loadedAtFieldNull(ctx, conn, db.Dialect(), n.Relation, f.LoadedAtField, f.Filter)
			default:
				t, ok := rows[0][0].(time.Time)
				if !ok {
					r.Err = fmt.Errorf("loaded_at_field %s is %s (its max: %v), not a date or timestamp; make it one in SQL, "+
						"as loaded_at_field: \"to_timestamp(%s)\" for seconds since 1970 or \"cast(%s as timestamp)\" for text",
						f.LoadedAtField, loadedAtType(ctx, conn, q, rows[0][0]), rows[0][0], f.LoadedAtField, f.LoadedAtField)
					break
				}
				r.MaxLoadedAt = t.UTC()
			}
		}
		r.Snapshotted = time.Now().UTC()
		r.Elapsed = time.Since(start)
		if r.Err != nil {
			r.Status = "runtime error"
		} else {
			r.Age = r.Snapshotted.Sub(r.MaxLoadedAt)
			r.Status = "pass"
			if f.WarnAfter != nil && r.Age > f.WarnAfter.Duration() {
				r.Status = "warn"
			}
			if f.ErrorAfter != nil && r.Age > f.ErrorAfter.Duration() {
				r.Status = "error"
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// queryLoadedAt runs a source's loaded_at_query, query, as dbt's
// collect_freshness_custom_sql, and returns the time it gives, in UTC.
// No row, or a row whose value is null, gives NeverLoaded and why
// (null, saying which of the two). A query the database refuses (or that
// gives more than one row), or a value that is not a date or timestamp,
// is an error that says which; the caller names the query's position.
func queryLoadedAt(ctx context.Context, conn adapter.Conn, d adapter.Dialect, query string) (t time.Time, null string, err error) {
	q := d.MaxLoadedAtQuery(query)
	_, rows, err := conn.QueryRows(ctx, q)
	switch {
	case err != nil:
		return time.Time{}, "", fmt.Errorf("loaded_at_query failed: %w", err)
	case len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] == nil:
		return NeverLoaded, loadedAtNull(ctx, conn, d, query), nil
	}
	t, ok := rows[0][0].(time.Time)
	if !ok {
		return time.Time{}, "", fmt.Errorf("loaded_at_query gave %v, %s, not a date or timestamp; make it one in SQL, as to_timestamp(...) for seconds since 1970 or cast(... as timestamp) for text",
			rows[0][0], loadedAtType(ctx, conn, q, rows[0][0]))
	}
	return t.UTC(), "", nil
}

// loadedAtFieldNull says why a loaded_at_field, field, has a null max
// over the rows of rel matching filter ("" all): no such row, or rows
// whose field is null in every one; max(1) over the same rows says which
// (on this path only).
func loadedAtFieldNull(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel adapter.Relation, field, filter string) string {
	matching := map[bool]string{true: " matching the filter", false: ""}[filter != ""]
	_, rows, err := conn.QueryRows(ctx, d.MaxLoadedAt(rel, "1", filter))
	some := err == nil && len(rows) == 1 && len(rows[0]) == 1 && rows[0][0] != nil
	switch {
	case some:
		return fmt.Sprintf("%s is null in every row%s of %s", field, matching, d.QuoteRelation(rel))
	case err == nil:
		return fmt.Sprintf("no rows%s in %s", matching, d.QuoteRelation(rel))
	}
	return fmt.Sprintf("no rows%s in %s, or %s null in every one", matching, d.QuoteRelation(rel), field)
}

// loadedAtNull says why a loaded_at_query, query, gave null, which the
// scalar subquery of dbt's collect_freshness_custom_sql gives for no row
// as for a null value: it counts the query's rows to say which (on this
// path only).
func loadedAtNull(ctx context.Context, conn adapter.Conn, d adapter.Dialect, query string) string {
	from := "(\n" + strings.TrimRight(strings.TrimSpace(query), ";") + "\n) as source_query"
	n, err := conn.QueryInt(ctx, d.CountRows(from))
	switch {
	case err == nil && n == 0:
		return "loaded_at_query returned no row"
	case err == nil && n == 1:
		return "loaded_at_query returned one row, whose value is null (a max() over no rows, or over load times that are all null)"
	}
	return "loaded_at_query returned null or no row"
}

// loadedAtType names the type of the load time that query q read, v, as
// the database names it ("of type INTEGER"), or in words when the database
// cannot describe q ("a whole number").
func loadedAtType(ctx context.Context, conn adapter.Conn, q string, v any) string {
	if cols, err := conn.DescribeQuery(ctx, q); err == nil && len(cols) == 1 && cols[0].Type != "" {
		return "of type " + cols[0].Type
	}
	switch v.(type) {
	case int64, *big.Int:
		return "a whole number"
	case float64:
		return "a number"
	case string:
		return "text"
	case bool:
		return "a boolean"
	case []byte:
		return "binary data"
	}
	return "not a time"
}

// WriteSources writes results to path (default <target>/sources.json) in
// dbt's sources.json format (schema v3): metadata, one result per source
// with max_loaded_at, snapshotted_at, max_loaded_at_time_ago_in_s, status
// and criteria, and elapsed_time in seconds. A null max_loaded_at is
// written as dbt writes it, "0001-01-01T00:00:00.000000Z" with its age in
// seconds since then (about 6.4e10), and a message saying why. It returns
// the path written.
func (p *Project) WriteSources(path string, results []FreshnessResult, elapsed time.Duration) (string, error) {
	if path == "" {
		path = filepath.Join(p.Target, "sources.json")
	} else {
		path = AbsUnder(p.Dir, path)
	}
	type after struct {
		Count  *int    `json:"count"`
		Period *string `json:"period"`
	}
	crit := func(a *graph.FreshnessAfter) after {
		if a == nil {
			return after{}
		}
		return after{&a.Count, &a.Period}
	}
	type timing struct {
		Name        string `json:"name"`
		StartedAt   string `json:"started_at"`
		CompletedAt string `json:"completed_at"`
	}
	type result struct {
		UniqueID    string         `json:"unique_id"`
		MaxLoadedAt string         `json:"max_loaded_at,omitempty"`
		Snapshotted string         `json:"snapshotted_at,omitempty"`
		AgeSeconds  *float64       `json:"max_loaded_at_time_ago_in_s,omitempty"`
		Status      string         `json:"status"`
		Criteria    map[string]any `json:"criteria"`
		Message     *string        `json:"message,omitempty"`
		Adapter     map[string]any `json:"adapter_response"`
		Timing      []timing       `json:"timing"`
		ThreadID    string         `json:"thread_id"`
		Execution   float64        `json:"execution_time"`
	}
	const ts = "2006-01-02T15:04:05.000000Z"
	doc := struct {
		Metadata map[string]any `json:"metadata"`
		Results  []result       `json:"results"`
		Elapsed  float64        `json:"elapsed_time"`
	}{
		Metadata: map[string]any{"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
			"dbt_version": p.cfg.Version, "generated_at": time.Now().UTC().Format(ts), "invocation_id": p.InvocationID(), "env": map[string]any{}},
		Results: []result{}, Elapsed: elapsed.Seconds(),
	}
	for _, r := range results {
		f := r.Node.Source.Freshness
		var filter any
		if f.Filter != "" {
			filter = f.Filter
		}
		x := result{UniqueID: string(r.Node.ID), Status: r.Status, Adapter: map[string]any{}, ThreadID: "Thread-1",
			Execution: r.Elapsed.Seconds(),
			Criteria:  map[string]any{"warn_after": crit(f.WarnAfter), "error_after": crit(f.ErrorAfter), "filter": filter},
			Timing:    []timing{{Name: "execute", StartedAt: r.Snapshotted.Add(-r.Elapsed).Format(ts), CompletedAt: r.Snapshotted.Format(ts)}}}
		if r.Err != nil {
			msg := r.Err.Error()
			x.Message = &msg
		} else {
			if r.Null != "" {
				// dbt writes no message here; kiln says why the time is 0001-01-01.
				msg := "max_loaded_at is null: " + r.Null + "; counted as loaded infinitely long ago, as dbt does"
				x.Message = &msg
			}
			// In seconds from the times themselves: a time.Duration
			// saturates past 292 years (a load time of 2999, or
			// NeverLoaded, whose age is dbt's: seconds since year 1).
			age := float64(r.Snapshotted.Unix()-r.MaxLoadedAt.Unix()) + float64(r.Snapshotted.Nanosecond()-r.MaxLoadedAt.Nanosecond())/1e9
			x.MaxLoadedAt, x.Snapshotted, x.AgeSeconds = r.MaxLoadedAt.Format(ts), r.Snapshotted.Format(ts), &age
		}
		doc.Results = append(doc.Results, x)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	f, err := writeAtomic(path, append(scrub.FromEnv().Bytes(b), '\n'))
	if err != nil {
		return "", err
	}
	return path, f.Close()
}
