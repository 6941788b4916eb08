package compiler

import (
	"testing"
	"unicode/utf16"
)

// TestDecodedSeedTypes: a dbt project's seed saved as UTF-16 (the
// encoding its config names) gets its column types from its text; read
// as raw bytes, its column names held NUL bytes and the seed failed to
// load ("column_types names \x00n\x00a...": the trial's F4).
func TestDecodedSeedTypes(t *testing.T) {
	text := "id,name\n1,alpha\n2,beta\n"
	var le []byte
	for _, u := range utf16.Encode([]rune(text)) {
		le = append(le, byte(u), byte(u>>8))
	}
	got := dbtSeedTypes(decodedSeed(le, "utf-16le"), "")
	if got["id"] != "INTEGER" || got["name"] != "VARCHAR" || len(got) != 2 {
		t.Errorf("types %v, want id INTEGER, name VARCHAR", got)
	}
	bom := append([]byte{0xff, 0xfe}, le...)
	if got := dbtSeedTypes(decodedSeed(bom, "utf-16"), ""); got["id"] != "INTEGER" || len(got) != 2 {
		t.Errorf("with a byte order mark: types %v, want id INTEGER, name VARCHAR", got)
	}
	if got := dbtSeedTypes(decodedSeed([]byte(text), ""), ""); got["id"] != "INTEGER" {
		t.Errorf("UTF-8: types %v", got)
	}
}
