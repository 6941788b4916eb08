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
//
// It opens and closes the file: never call it while this process has the
// database open (see Header).
func CheckpointIteration(path string) (uint64, error) {
	h, err := OpenHeader(path)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	return h.Iteration()
}

// Header is a DuckDB database file open to read its header (Iteration)
// while this process has the database open. DuckDB locks the file with a
// POSIX record lock (fcntl F_SETLK), and closing any descriptor of a file
// drops every such lock the process holds on it: a read that opened and
// closed the file would let another process open the database, and write
// it, while this one still writes it (its close's checkpoint). So a Header
// is opened once and closed only after the database is.
type Header struct {
	path string
	f    *os.File
}

// OpenHeader opens the DuckDB database file at path to read its header;
// the caller closes it (Close) after it closed the database.
func OpenHeader(path string) (*Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &Header{path: path, f: f}, nil
}

// Iteration returns the checkpoint iteration of the file's current header
// (see CheckpointIteration), read now; an error when the file is not a
// DuckDB database.
func (h *Header) Iteration() (uint64, error) {
	b := make([]byte, 3*headerSize)
	if _, err := h.f.ReadAt(b, 0); err != nil && err != io.EOF {
		return 0, fmt.Errorf("%s: not a DuckDB database: %w", h.path, err)
	} else if err == io.EOF {
		return 0, fmt.Errorf("%s: not a DuckDB database: %w", h.path, io.ErrUnexpectedEOF)
	}
	if string(b[checksumSz:checksumSz+4]) != "DUCK" {
		return 0, fmt.Errorf("%s: not a DuckDB database (no DUCK magic)", h.path)
	}
	h1 := binary.LittleEndian.Uint64(b[headerSize+checksumSz:])
	h2 := binary.LittleEndian.Uint64(b[2*headerSize+checksumSz:])
	return max(h1, h2), nil
}

// Close closes the file; with the database still open in this process it
// would drop DuckDB's lock (see Header). A nil Header closes nothing.
func (h *Header) Close() error {
	if h == nil {
		return nil
	}
	return h.f.Close()
}
