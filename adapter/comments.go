package adapter

// Commenter is implemented by a dialect that reads the comments of a
// table and of its columns (dbt's persist_docs writes them): the journal
// keeps them with its copy of a table a node changes in place, so that a
// rollback puts them back.
type Commenter interface {
	// Comments is a query of table rel's comments: rows (name, comment),
	// both text, name "" for the table's own comment and a column's name
	// for its column's; a comment may be NULL. No row when rel is not a
	// table.
	Comments(rel Relation) Stmt
}
