package adapter

import (
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
)

// SnapshotColumns are the names of the columns a snapshot adds to its
// source's (dbt's snapshot_meta_column_names).
type SnapshotColumns = graph.SnapshotColumns

// DefaultSnapshotColumns are dbt's names of a snapshot's columns.
var DefaultSnapshotColumns = graph.DefaultSnapshotColumns

// SnapshotSpec is one run of a snapshot (dbt's snapshot materialization,
// type 2 slowly changing dimension): what the Dialect's snapshot
// statements need.
type SnapshotSpec struct {
	Target Relation // the snapshot's table
	Source Relation // the source's rows now (a temporary table)
	// Columns are the source's columns written to the table.
	Columns []string
	Keys    []string // unique_key
	// Strategy is "timestamp" (a version is newer when UpdatedAt is
	// greater) or "check" (a version is new when a column of CheckCols
	// differs, NULL-safe).
	Strategy  string
	UpdatedAt string   // a column of Source; "" for check without updated_at
	CheckCols []string // check: the compared columns
	// CheckColumnAdded is set when a column of CheckCols is new in the
	// table this run: every key of the source then gets a new version, as
	// dbt's check strategy does when a checked column is added.
	CheckColumnAdded bool
	// HardDeletes is ignore, invalidate (a key gone from the source gets
	// its current version closed at Now) or new_record (also a deletion
	// record from Now, IsDeleted 'True').
	HardDeletes string
	// Now is the run's clock: the one instant written for check versions
	// and deletions, in UTC.
	Now time.Time
	// TimeType is the type of the validity columns: UpdatedAt's type
	// when it is set, TIMESTAMP otherwise (check without updated_at).
	TimeType string
	// ValidToCurrent is dbt_valid_to_current, a SQL expression written in
	// ValidTo of current versions instead of NULL ("" for NULL).
	ValidToCurrent string
	Meta           SnapshotColumns
}
