package template

import (
	"strings"
	"testing"
)

// incorporate(path=...) returns another relation (a hook that makes a
// backup with this.incorporate(path={'identifier': ...}) replaced the
// model itself when incorporate ignored path), and the other relation
// methods build the name from the parts as dbt's BaseRelation does.
func TestRelationMethods(t *testing.T) {
	e, _ := NewEngine(nil)
	this := Relation{Database: "db", Schema: "main", Identifier: "orders", Quoted: `"db"."main"."orders"`}
	cases := map[string]string{
		`{% set bak = this.incorporate(path={'identifier': this.identifier ~ '_bak'}) %}{{ bak }} {{ bak.identifier }} {{ this }}`:               `"db"."main"."orders_bak" orders_bak "db"."main"."orders"`,
		`{{ this.incorporate(path={'schema': 'snap', 'database': 'other'}, type='view') }} {{ this.incorporate(path={'schema': 'snap'}).type }}`: `"other"."snap"."orders" None`,
		`{{ this.incorporate(type='table').type }} {{ this.incorporate(type='table') }}`:                                                         `table "db"."main"."orders"`,
		`{{ this.incorporate(path={'database': none}) }}`:                                                                                        `"main"."orders"`,
		`{{ this.replace_path(identifier='x') }}|{{ this.without_identifier() }}|{{ this.without_identifier().identifier }}`:                     `"db"."main"."x"|"db"."main"|None`, // dbt: replace_path(identifier=None)
		`{{ this.include(database=false) }}|{{ this.include(database=none) }}|{{ this.include(false, false) }}`:                                  `"main"."orders"|"db"."main"."orders"|"orders"`,
		`{{ this.quote(identifier=false) }}|{{ this.incorporate(quote_policy={'schema': false}) }}`:                                              `"db"."main".orders|"db".main."orders"`,
		`{{ this.incorporate(include_policy={'database': false}).render() }}|{{ this.path.identifier }}`:                                         `"main"."orders"|orders`,
		`{{ api.Relation.create(database='d', schema='s', identifier='t', quote_policy={'identifier': false}) }}`:                                `"d"."s".t`,
		`{{ api.Relation.create(schema='s', identifier='t', include_policy={'schema': false}) }}`:                                                `"t"`,
	}
	for src, want := range cases {
		out, l := e.Render("m.sql", src, &Context{This: this})
		if l != nil || out != want {
			t.Errorf("%s\ngot  %q %v\nwant %q", src, out, l, want)
		}
	}
}

// An argument the relation methods do not know is an error, never
// ignored.
func TestRelationMethodUnknownArgument(t *testing.T) {
	e, _ := NewEngine(nil)
	this := Relation{Schema: "main", Identifier: "orders", Quoted: `"main"."orders"`}
	cases := map[string]string{
		`{{ this.incorporate(path={'identifer': 'x'}) }}`:                         `a relation's path has no part "identifer"`,
		`{{ this.incorporate(pth={'identifier': 'x'}) }}`:                         `Relation.incorporate() takes no argument "pth"`,
		`{{ this.incorporate(path='x') }}`:                                        `path is a dict`,
		`{{ this.replace_path(table='x') }}`:                                      `a relation's path has no part "table"`,
		`{{ this.include(identifer=false) }}`:                                     `Relation.include() takes no argument "identifer"`,
		`{{ this.quote(ident=false) }}`:                                           `Relation.quote() takes no argument "ident"`,
		`{{ this.without_identifier(true) }}`:                                     `takes no arguments`,
		`{{ api.Relation.create(identifier='t', quote_policy={'name': false}) }}`: `takes no argument "name"`,
	}
	for src, want := range cases {
		_, l := e.Render("m.sql", src, &Context{This: this})
		if len(l) != 1 || !strings.Contains(l[0].Error(), want) {
			t.Errorf("%s: got %v, want %q", src, l, want)
		}
	}
}
