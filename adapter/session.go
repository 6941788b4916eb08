package adapter

import "time"

// Session is a worker's view of the database while a node runs: its
// connection, the dialect and the adapter's type. A template that renders
// again at run time goes through it: dbt's adapter object
// (get_relation: Conn.RelationKind; get_columns_in_relation:
// Conn.Columns; quote: Dialect.Quote; drop_relation:
// Conn.Run(Dialect.DropRelation); dispatch: Type) and run_query or
// statement (Conn.QueryRows, Conn.Exec). They run on the node's
// connection before its materialization, outside its transaction, as in
// dbt's execute phase.
type Session struct {
	Conn    Conn
	Dialect Dialect
	Type    string // the adapter's type, "duckdb"
	// Incremental is is_incremental() of the node's rendering: the node
	// is an incremental model whose table exists and is not rebuilt (no
	// full refresh), which its run applies to the table, as the executor
	// decided before rendering it.
	Incremental bool
	// Batch, when set, is the batch of a microbatch model being rendered
	// (dbt renders such a model once per batch, model.batch set), or the
	// one its hooks run with (the first batch its run builds for the
	// pre-hooks, the last for the post-hooks, as in dbt); nil for any
	// other rendering.
	Batch *Batch
}

// Batch is one batch of a microbatch model as its rendering sees it:
// dbt's model.batch.
type Batch struct {
	// ID is model.batch.id: the start as "20240917", or "20240917T16"
	// for hours (graph.BatchID).
	ID string
	// Start and End are model.batch.event_time_start (inclusive) and
	// event_time_end (exclusive): instants in the batches' time zone
	// (UTC unless batch_timezone names another).
	Start, End time.Time
}
