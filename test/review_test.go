package test

import (
	"net/url"
	"testing"
)

// A value copied from a served resource finds that resource again: dates
// and date-times as rendered, on both databases.
func TestRenderedValuesSearchBack(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		o := get(t, e.base+"/Observation/1").json(t)
		eff := o["effectiveDateTime"].(string)
		upd := o["meta"].(map[string]any)["lastUpdated"].(string)
		for _, q := range []string{"date=" + url.QueryEscape(eff), "_lastUpdated=" + url.QueryEscape(upd), "date=eq" + url.QueryEscape(eff[:16]+eff[19:])} {
			b := get(t, e.base+"/Observation?_id=1&"+q).json(t)
			if len(entries(t, b)) != 1 {
				t.Errorf("Observation?_id=1&%s found %d", q, len(entries(t, b)))
			}
		}
		// A constant sort key orders nothing and is accepted everywhere.
		if r := get(t, e.base+"/Condition?_sort=category&_count=3"); r.status != 200 {
			t.Errorf("_sort on a constant parameter: %d %s", r.status, truncate(string(r.body), 200))
		}
	})
}
