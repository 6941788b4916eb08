package execute

import (
	"context"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// persistDocs writes model or seed n's descriptions into the database's
// comments,
// as dbt's persist_docs config asks
// (https://docs.getdbt.com/reference/resource-configs/persist_docs):
// relation: true comments the table or view, columns: true each column
// that the YAML describes and the relation has (as dbt-postgres, which
// skips the others). It runs in the node's transaction, after the build
// (for a seed, after its rows are loaded, as dbt's seed materialization
// calls persist_docs).
func persistDocs(ctx context.Context, conn adapter.Conn, d adapter.Dialect, n *graph.Node) error {
	relation, columns := n.PersistDocs()
	if !relation && !columns {
		return nil
	}
	kind := "table"
	if n.Config.Materialized == graph.View {
		kind = "view"
	}
	rel := d.QuoteRelation(n.Relation)
	if relation && n.Description != "" {
		if _, err := conn.Run(ctx, adapter.Plain("comment on "+kind+" "+rel+" is "+d.Literal(n.Description))); err != nil {
			return err
		}
	}
	if !columns {
		return nil
	}
	have, err := conn.Columns(ctx, n.Relation)
	if err != nil {
		return err
	}
	exists := map[string]string{}
	for _, c := range have {
		exists[strings.ToLower(c.Name)] = c.Name
	}
	for _, col := range n.Columns {
		name, ok := exists[strings.ToLower(col.Name)]
		if !ok || col.Description == "" {
			continue
		}
		if _, err := conn.Run(ctx, adapter.Plain("comment on column "+rel+"."+d.Quote(name)+" is "+d.Literal(col.Description))); err != nil {
			return err
		}
	}
	return nil
}

// persistsDocs reports whether building n runs statements after its
// relation's (persistDocs), which must be in the same transaction.
func persistsDocs(n *graph.Node) bool {
	relation, columns := n.PersistDocs()
	return relation || columns
}
