package sqlgen

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
)

// plain is a dialect with only the required methods.
type plain struct{}

func (plain) Name() string                              { return "plain" }
func (plain) Placeholder(n int) string                  { return "?" + strconv.Itoa(n) }
func (plain) Quote(ident string) string                 { return ident }
func (plain) Limit(n int) string                        { return "LIMIT " + strconv.Itoa(n) }
func (plain) ILike(x, ph string) string                 { return x + " ILIKE " + ph }
func (plain) Like(x, ph string) string                  { return x + " LIKE " + ph }
func (plain) TimeArg(t time.Time) any                   { return t }
func (plain) Kind(string) adapters.Kind                 { return adapters.KindOther }
func (plain) CastText(x string, _ adapters.Kind) string { return "CAST(" + x + " AS TEXT)" }

// rich binds lists as arrays and compares text exactly in a way of its own.
type rich struct{ plain }

func (rich) BindArray(vals []any) (any, bool)      { return fmt.Sprint(vals), true }
func (rich) AnyOf(x, ph string) string             { return x + " = ANY(" + ph + ")" }
func (rich) Exact(x, ph string) string             { return "BIN(" + x + ") = " + ph }
func (rich) ExactIn(x string, phs []string) string { return fmt.Sprintf("BIN(%s) IN %v", x, phs) }

// Each kind of node is spelled as the statements have it, with its values
// bound when the node was built, in that order.
func TestSpell(t *testing.T) {
	for _, c := range []struct {
		name  string
		d     adapters.Dialect
		build func(b *Builder) Pred
		sql   string
		args  []any
	}{
		{"constants", plain{}, func(*Builder) Pred { return And(True, False) }, "(1 = 1 AND 1 = 0)", nil},
		{"and of one", plain{}, func(*Builder) Pred { return And(Cmp("x", "=", "1")) }, "x = 1", nil},
		{"group of one", plain{}, func(*Builder) Pred { return Group(Cmp("x", "=", "1")) }, "(x = 1)", nil},
		{"bare and", plain{}, func(*Builder) Pred { return AndAll([]Pred{IsNull("x"), NotNull("y")}) }, "x IS NULL AND y IS NOT NULL", nil},
		{"or of one", plain{}, func(*Builder) Pred { return Or(NotBlank("x")) }, "(x IS NOT NULL AND x <> '')", nil},
		{"any of one", plain{}, func(*Builder) Pred { return AnyOf(Raw("r")) }, "(r)", nil},
		{"not", plain{}, func(*Builder) Pred { return Not(Or(Raw("a"), Raw("b"))) }, "NOT (a OR b)", nil},
		{"not group", plain{}, func(*Builder) Pred { return NotGroup(AndAll([]Pred{Raw("a"), Raw("b")})) }, "NOT (a AND b)", nil},
		{"otherwise", plain{}, func(*Builder) Pred { return Otherwise(Cond("x > 1")) }, "CASE WHEN (x > 1) THEN 0 ELSE 1 END = 1", nil},
		{"in", plain{}, func(b *Builder) Pred { return b.In("x", []any{"a", "b"}) }, "x IN (?1, ?2)", []any{"a", "b"}},
		{"in none", plain{}, func(b *Builder) Pred { return b.In("x", nil) }, "1 = 0", nil},
		{"in array", rich{}, func(b *Builder) Pred { return b.In("x", []any{"a", "b"}) }, "x = ANY(?1)", []any{"[a b]"}},
		{"exact", plain{}, func(b *Builder) Pred { return b.Exact("x", b.Arg("A")) }, "x = ?1", []any{"A"}},
		{"exact dialect", rich{}, func(b *Builder) Pred { return b.Exact("x", b.Arg("A")) }, "BIN(x) = ?1", []any{"A"}},
		{"code", rich{}, func(b *Builder) Pred { return b.CodeIn("x", []string{b.Arg("c")}, false) }, "BIN(x) = ?1", []any{"c"}},
		{"codes", rich{}, func(b *Builder) Pred { return b.CodeIn("x", []string{b.Arg("c"), b.Arg("d")}, false) }, "BIN(x) IN [?1 ?2]", []any{"c", "d"}},
		{"numeric codes", rich{}, func(b *Builder) Pred { return b.CodeIn("x", []string{b.Arg(1), b.Arg(2)}, true) }, "x IN (?1, ?2)", []any{1, 2}},
		{"ilike", plain{}, func(b *Builder) Pred { return b.ILike("x", b.Arg("a%")) }, "x ILIKE ?1", []any{"a%"}},
		{"exists", plain{}, func(b *Builder) Pred {
			return b.Exists("CHILD", "t0c", []Pred{Cmp("t0c.P", "=", "t0.ID")}, "KIND = 'x'", Cmp("t0c.V", "=", b.Arg(1)))
		}, "EXISTS (SELECT 1 FROM CHILD t0c WHERE t0c.P = t0.ID AND (KIND = 'x') AND t0c.V = ?1)", []any{1}},
		{"in select", plain{}, func(b *Builder) Pred {
			return InSelect("t0.P", "s1.ID", "PATIENT s1", AndAll([]Pred{b.ILike("s1.N", b.Arg("a%")), True}))
		}, "t0.P IN (SELECT s1.ID FROM PATIENT s1 WHERE s1.N ILIKE ?1 AND 1 = 1)", []any{"a%"}},
		{"beyond", plain{}, func(*Builder) Pred {
			return Beyond([]Pred{Cmp("a", "=", "?1"), Cmp("b", "=", "?2")}, []Pred{Cmp("a", ">", "?1"), Cmp("b", ">", "?2")})
		}, "((a > ?1) OR (a = ?1 AND b > ?2))", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := New(c.d)
			p := c.build(b)
			if got := b.Spell(p); got != c.sql {
				t.Errorf("got %s, want %s", got, c.sql)
			}
			if got := b.Args(); !reflect.DeepEqual(got, c.args) {
				t.Errorf("args %v, want %v", got, c.args)
			}
		})
	}
	if p := New(plain{}).In("x", nil); p != False {
		t.Errorf("an empty list is %v, not False", p)
	}
}
