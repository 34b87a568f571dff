package sqlgen

import (
	"fmt"
	"strings"
	"testing"
)

// Many alternatives nest only logarithmically deep, and keep every
// predicate once, in order.
func TestAnyOfNestsShallowly(t *testing.T) {
	for _, n := range []int{1, 2, 32, 33, 1000, 5000} {
		parts := make([]string, n)
		preds := make([]Pred, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("x = %d", i)
			preds[i] = Cmp("x", "=", fmt.Sprint(i))
		}
		got := (&Builder{}).Spell(AnyOf(preds...))
		depth, most := 0, 0
		for _, r := range got {
			switch r {
			case '(':
				depth++
				most = max(most, depth)
			case ')':
				depth--
			}
		}
		if depth != 0 || most > 4 {
			t.Errorf("%d parts: nesting %d, balance %d", n, most, depth)
		}
		flat := strings.NewReplacer("(", "", ")", "").Replace(got)
		if flat != strings.Join(parts, " OR ") {
			t.Errorf("%d parts: predicates lost or reordered", n)
		}
	}
}
