package duckdb

import "encoding/binary"

// DuckDB's WAL (1.5.x) is a sequence of entries, each a little-endian
// uint64 payload size, a uint64 checksum and the payload, a binary
// serialization whose first field (id 100, two bytes) is the entry's type
// as a varint. A checkpoint, once it wrote the database's blocks, appends
// a CHECKPOINT entry (the new meta block) and a WAL_FLUSH, then updates
// the file's header and removes the WAL.
const (
	walCheckpoint = 99
	walFlush      = 100
)

// CheckpointTail reports whether tail, the bytes appended to a WAL file
// since it was last read, holds only what a checkpoint appends (whole
// CHECKPOINT and WAL_FLUSH entries, at least one): then no transaction
// committed in between, and the database holds the same data. An empty or
// torn tail, or one with any other entry, is not.
func CheckpointTail(tail []byte) bool {
	if len(tail) == 0 {
		return false
	}
	for len(tail) > 0 {
		if len(tail) < 16 {
			return false
		}
		size := binary.LittleEndian.Uint64(tail)
		if size < 3 || size > uint64(len(tail)-16) {
			return false
		}
		payload := tail[16 : 16+size]
		if payload[0] != 100 || payload[1] != 0 || (payload[2] != walCheckpoint && payload[2] != walFlush) {
			return false
		}
		tail = tail[16+size:]
	}
	return true
}
