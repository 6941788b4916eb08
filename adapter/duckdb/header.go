package duckdb

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// A DuckDB database file (1.5.x) begins with a main header block (a
// checksum, then the magic "DUCK") and two database headers, at 4096 and
// 8192 bytes, each a checksum (8 bytes) followed by its iteration (a
// little-endian uint64): a checkpoint writes the older of the two with the
// next iteration, so the larger is the database's.
const (
	headerSize = 4096
	checksumSz = 8
)

// CheckpointIteration returns the number of checkpoints the DuckDB
// database file at path went through (the iteration of its current
// header): each checkpoint, DuckDB's on close or a CHECKPOINT statement,
// adds 1; opening, reading and closing the file without a write leave it.
// It returns an error when the file cannot be read or is not a DuckDB
// database.
func CheckpointIteration(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b := make([]byte, 3*headerSize)
	if _, err := io.ReadFull(f, b); err != nil {
		return 0, fmt.Errorf("%s: not a DuckDB database: %w", path, err)
	}
	if string(b[checksumSz:checksumSz+4]) != "DUCK" {
		return 0, fmt.Errorf("%s: not a DuckDB database (no DUCK magic)", path)
	}
	h1 := binary.LittleEndian.Uint64(b[headerSize+checksumSz:])
	h2 := binary.LittleEndian.Uint64(b[2*headerSize+checksumSz:])
	return max(h1, h2), nil
}
