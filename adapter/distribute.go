package adapter

// Distributor is implemented by a dialect whose database can spread a
// table's rows over the machines of a cluster: PostgreSQL with the Citus
// extension (https://docs.citusdata.com/en/stable/develop/api_udf.html).
// It is apart from Dialect: a database without it cannot distribute
// tables, and a model that asks it to (distributed_by) is refused.
type Distributor interface {
	// CanDistribute is a query whose one value is true when the database
	// can distribute tables (the extension is installed in it).
	CanDistribute() Stmt
	// DistributeTable returns the statement that distributes table rel by
	// column (hash-distributed), in the colocation group of table
	// colocateWith when it is not zero, and does nothing when rel is
	// distributed already.
	DistributeTable(rel Relation, column string, colocateWith Relation) Stmt
}
