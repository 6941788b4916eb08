package sqlq

import "testing"

func TestQuoting(t *testing.T) {
	cases := []struct{ got, want string }{
		{Ident("a"), `"a"`},
		{Ident(`a"b`), `"a""b"`},
		{Ident(""), `""`},
		{Literal("x"), `'x'`},
		{Literal("it's"), `'it''s'`},
		{Relation{Schema: "s", Name: "t"}.String(), `"s"."t"`},
		{Relation{Database: "d", Schema: "s", Name: "t"}.String(), `"d"."s"."t"`},
		{Relation{Name: "t"}.String(), `"t"`},
		{Relation{Schema: "s", Name: "t"}.Display(), `s.t`},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %s, want %s", i, c.got, c.want)
		}
	}
}
