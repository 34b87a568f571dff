package test

import (
	"context"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/textfn"
)

// _sort orders in the database, pages by keyset under any order, and every
// match appears exactly once, on every backend; previous links walk back.
func TestSortAndPaging(t *testing.T) {
	t.Parallel()
	patients := demoRows(t, "PATIENT")
	type pr struct{ id, family, dob, updated string }
	var rows []pr
	for _, p := range patients {
		rows = append(rows, pr{str(p["PATIENT_ID"]), strings.TrimRight(str(p["SURNAME"]), " "), str(p["DATE_OF_BIRTH"]), str(p["LAST_UPDATED"])})
	}
	num := func(s string) int {
		n := 0
		for _, c := range s {
			n = n*10 + int(c-'0')
		}
		return n
	}
	expect := func(less func(a, b pr) int) []string {
		sorted := append([]pr(nil), rows...)
		sort.SliceStable(sorted, func(i, j int) bool {
			if c := less(sorted[i], sorted[j]); c != 0 {
				return c < 0
			}
			return num(sorted[i].id) < num(sorted[j].id)
		})
		out := make([]string, len(sorted))
		for i, r := range sorted {
			out[i] = r.id
		}
		return out
	}
	type sortCase struct {
		sort string
		want []string
	}
	// Text sorts as the database orders it: by code point in SQLite and
	// the test's PostgreSQL (C collation), under the column's collation in
	// MySQL (utf8mb4_general_ci: case and accents ignored).
	casesFor := func(family func(a, b string) int) []sortCase {
		cmp := func(a, b string) int { return strings.Compare(a, b) }
		return []sortCase{
			{"family,-birthdate", expect(func(a, b pr) int {
				if c := family(a.family, b.family); c != 0 {
					return c
				}
				return -cmp(a.dob, b.dob)
			})},
			{"-birthdate", expect(func(a, b pr) int { return -cmp(a.dob, b.dob) })},
			{"_lastUpdated", expect(func(a, b pr) int { return cmp(a.updated, b.updated) })},
			{"-_id", expect(func(a, b pr) int { return num(b.id) - num(a.id) })},
			{"gender,family", nil},
		}
	}
	binary := casesFor(strings.Compare)
	folded := casesFor(func(a, b string) int { return strings.Compare(textfn.Fold(a), textfn.Fold(b)) })
	forEachBackend(t, func(t *testing.T, e *env) {
		cases := binary
		if e.name == "mysql" {
			cases = folded
		}
		for _, c := range cases {
			res := walk(t, e.base+"/Patient?_count=9&_sort="+url.QueryEscape(c.sort))
			var got []string
			seen := map[string]bool{}
			for _, r := range res {
				id := r["id"].(string)
				if seen[id] {
					t.Errorf("_sort=%s: %s twice", c.sort, id)
				}
				seen[id] = true
				got = append(got, id)
			}
			if len(got) != len(rows) {
				t.Errorf("_sort=%s: %d of %d", c.sort, len(got), len(rows))
			}
			if c.want != nil && strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("_sort=%s: order differs\n got %v\nwant %v", c.sort, got[:min(20, len(got))], c.want[:20])
			}
		}
		// Forward two pages, then back: the first page again.
		first := get(t, e.base+"/Patient?_count=9&_sort=family,-birthdate").json(t)
		second := get(t, link(first, "next")).json(t)
		third := get(t, link(second, "next")).json(t)
		back := get(t, link(third, "previous")).json(t)
		if got, want := ids(t, back, "Patient"), ids(t, second, "Patient"); !slices.Equal(got, want) {
			t.Errorf("previous of page 3 is %v, page 2 is %v", got, want)
		}
		// A second instance with the same paging secret serves the next page.
		other := sqliteEnv(t)
		if e.name == "sqlite" {
			u, _ := url.Parse(link(first, "next"))
			r := get(t, other.base+"/Patient?"+u.RawQuery)
			if r.status != 200 || !slices.Equal(ids(t, r.json(t), "Patient"), ids(t, second, "Patient")) {
				t.Errorf("the next page from another instance: %d", r.status)
			}
		}
	})
}

// A paging link stops working after the cursor's lifetime.
func TestExpiredCursor(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), sqliteDSN(t), adapters.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	e := serveDB(t, db, engine.Options{CursorTTL: time.Hour, PagingSecret: []byte("s"), Now: func() time.Time { return now },
		Logger: demotest.Silent()})
	next := link(get(t, e.base+"/Patient?_count=5").json(t), "next")
	if r := get(t, next); r.status != 200 {
		t.Fatalf("fresh cursor: %d", r.status)
	}
	now = now.Add(61 * time.Minute)
	r := get(t, next)
	if r.status != 400 || !strings.Contains(issueText(t, r), "expired") {
		t.Errorf("expired cursor: %d %s", r.status, r.body)
	}
}
