package adapter

import "context"

// CatalogReader is a Conn to a database that attaches other databases
// beside its own under catalog names (DuckDB's ATTACH, Target.Attach),
// and reads their catalogs: kiln's --defer attaches the state's database
// so and checks the names its views use.
type CatalogReader interface {
	// Catalogs returns the names of the catalogs the connection sees,
	// sorted: its own database's, the attached ones', and the database's
	// own (DuckDB: "system", "temp", "memory" for an in-memory
	// database).
	Catalogs(ctx context.Context) ([]string, error)
	// Schemas returns the names of the schemas of the connection's own
	// database (its current catalog), sorted.
	Schemas(ctx context.Context) ([]string, error)
	// CatalogViews returns the user views of the attached catalog
	// (system views left out), sorted by schema and name, each with its
	// Relation (Database is catalog) and its SQL text as the database
	// keeps it; none when catalog has no view or is not attached.
	CatalogViews(ctx context.Context, catalog string) ([]ViewText, error)
}

// ViewText is a view and the SQL text that defines it.
type ViewText struct {
	Relation Relation
	SQL      string
}
