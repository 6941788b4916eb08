package adapter

// Granter is implemented by a dialect whose database has roles to grant
// privileges on relations to, for dbt's grants config
// (https://docs.getdbt.com/reference/resource-configs/grants): PostgreSQL.
// It is apart from Dialect: on a database without it (a DuckDB file has
// no users), grants have no effect, and the engine says so.
type Granter interface {
	// ShowGrants is a query of the privileges that the current role has
	// granted on rel to other roles, one row per grantee and privilege:
	// (grantee text, privilege_type text), privilege_type upper-case as
	// the database reports it ("SELECT"). It is dbt's get_show_grant_sql.
	ShowGrants(rel Relation) Stmt
	// Grant grants privilege (as written in the config: "select") on rel
	// to grantees, in one statement; grantees is not empty.
	Grant(rel Relation, privilege string, grantees []string) Stmt
	// Revoke revokes privilege on rel from grantees, in one statement;
	// grantees is not empty.
	Revoke(rel Relation, privilege string, grantees []string) Stmt
}
