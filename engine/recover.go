package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/export"
)

// recover finishes what killed kiln processes left, before a run or a
// flow transaction's commit or rollback does anything (see COMMIT.md): the
// exports of runs that committed are renamed into place, the relations of
// runs killed before they committed are restored, the staged and
// temporary files nothing holds are removed, and the runs still recorded
// as running are marked killed. It is not interrupted: it is short, and a
// half-done recovery would be finished by the next start anyway. The
// caller holds the database.
func (p *Project) recover(ctx context.Context, conn adapter.Conn, d adapter.Dialect) error {
	_, err := p.recoverCatalog(ctx, conn, d)
	return err
}

// recoverCatalog is recover, and returns the database's relations
// afterwards when recovery listed them and changed none
// (execute.Recovery.Catalog), else nil.
func (p *Project) recoverCatalog(ctx context.Context, conn adapter.Conn, d adapter.Dialect) (*execute.Catalog, error) {
	ctx = context.WithoutCancel(ctx)
	rec, err := execute.Recover(ctx, conn, d)
	if err != nil {
		return nil, err
	}
	var finals []string
	for _, node := range p.Graph().Nodes() {
		if node.Kind == graph.Export && node.Export != nil {
			finals = append(finals, export.Path(p.Target, node))
		}
	}
	now := time.Now()
	swept := append(execute.SweepFiles(rec.Staged, finals, now), execute.SweepTemps(p.Target, now)...)
	if len(swept) > 0 {
		p.printf(Info, "removed %s that killed runs left in %s", plural(len(swept), "unfinished file"), Rel(p.Dir, p.Target))
	}
	killed, err := conn.Store().MarkKilled(ctx, p.InvocationID(), time.Now())
	if err != nil {
		return nil, err
	}
	// Backups of a kiln older than the journal name their run by its first
	// 8 characters, and such a run has no row of its own: it is recorded
	// now.
	for id := range rec.Restored {
		if !slices.ContainsFunc(killed, func(k string) bool { return strings.HasPrefix(k, id) }) {
			if err := conn.Store().FinishRun(ctx, killedRecord(id, time.Now()), nil); err != nil {
				p.printf(Warn, "warning: cannot record the killed run %s: %v", id, err)
			}
			killed = append(killed, id)
		}
	}
	sort.Strings(killed)
	for _, id := range killed {
		n := 0
		for run, c := range rec.Restored {
			if strings.HasPrefix(id, run) {
				n += c
			}
		}
		if n > 0 {
			p.printf(Warn, "warning: an earlier run (%s) was killed before it committed; the %s it had changed %s restored first, as before that run",
				id, plural(n, "relation"), wereWas(n))
		} else {
			p.printf(Warn, "warning: an earlier run (%s) was killed before it committed; it had changed no relation", id)
		}
	}
	if c := rec.CopiedBack; len(c) > 0 {
		p.printf(Warn, "warning: of the relations restored, %s", copiedBack(c))
	}
	var owners []string
	for o := range rec.Published {
		owners = append(owners, o)
	}
	sort.Strings(owners)
	for _, o := range owners {
		p.printf(Warn, "warning: %s was killed after it committed, before its exports were all in place; they are now (%s)",
			o, plural(rec.Published[o], "file"))
	}
	return rec.Catalog, nil
}

// copiedBack says that the relations c (quoted names) were put back from
// a copy, and what the copy lacks.
func copiedBack(c []string) string {
	return fmt.Sprintf("%s %s put back from a copy (on_schema_change had dropped a column, or an index forbade changing the columns back, and the table's definition could not be read back: a generated column, a partition, an inherited table), with the rows and columns as before, not the constraints, defaults and indexes added outside kiln",
		strings.Join(c, ", "), wereWas(len(c)))
}

func wereWas(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
