package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/mapping"
)

// loadConcepts checks the table of every concept map read from one and
// reads its entries, then checks them against the required value sets of
// the elements the map translates into.
func loadConcepts(ctx context.Context, c *collector, db adapters.Adapter, set *mapping.Set) {
	for _, name := range sortedConcepts(set) {
		cm := set.Concepts[name]
		src := cm.From
		if src == nil {
			continue
		}
		path := "concepts." + name + " from"
		cols, found := c.columns(ctx, db, src.Pos, path, src.Table)
		if !found {
			continue
		}
		ok := true
		for _, col := range []string{src.Local, src.Code, src.Display, src.System} {
			if col != "" && !hasColumn(cols, col) {
				c.add(src.Pos, path, "column %q not in %s", col, src.Table)
				ok = false
			}
		}
		if !ok {
			continue
		}
		// At start the entries are read whatever they hold, and each
		// problem is reported where the map is used.
		if err := RefreshConcepts(ctx, db, cm); err != nil && cm.Len() == 0 {
			c.add(src.Pos, path, "%v", err)
			continue
		}
		for _, e := range cm.Disallowed() {
			c.add(e.Pos, e.Path, "%s (read from %s)", e.Msg, src.Table)
		}
	}
}

// RefreshConcepts reads a concept map's entries from its table again and
// puts them in place at once; on an error, or when the table has become
// empty while the map has entries, the map keeps the entries it had. Rows
// with no local or no target code are left out; of two rows with the same
// local code, the one with the lesser target code is kept.
func RefreshConcepts(ctx context.Context, db adapters.Adapter, cm *mapping.ConceptMap) error {
	src := cm.From
	if src == nil {
		return nil
	}
	b := sqlgen.New(db)
	cols := []string{b.Col("c", src.Local), b.Col("c", src.Code)}
	for _, o := range []string{src.Display, src.System} {
		if o != "" {
			cols = append(cols, b.Col("c", o))
		}
	}
	q := b.Select(sqlgen.Select{Cols: cols, From: b.Table(src.Table, "c"),
		Where: b.SpellAll([]sqlgen.Pred{sqlgen.NotNull(cols[0]), sqlgen.NotNull(cols[1])}),
		Order: []sqlgen.Order{{Expr: cols[0]}, {Expr: cols[1]}}})
	rows, err := db.DB().QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("reading concept map %q from %s: %w", cm.Name, src.Table, err)
	}
	defer rows.Close()
	var locals []string
	var targets []mapping.Coding
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("reading concept map %q from %s: %w", cm.Name, src.Table, err)
		}
		local, code := strings.TrimSpace(vals[0].String), strings.TrimSpace(vals[1].String)
		if local == "" || code == "" {
			continue
		}
		t := mapping.Coding{System: cm.System, Code: code}
		i := 2
		if src.Display != "" {
			t.Display = strings.TrimSpace(vals[i].String)
			i++
		}
		if src.System != "" {
			if s := strings.TrimSpace(vals[i].String); s != "" {
				t.System = s
			}
		}
		locals, targets = append(locals, local), append(targets, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading concept map %q from %s: %w", cm.Name, src.Table, err)
	}
	if len(locals) == 0 && cm.Len() > 0 {
		return fmt.Errorf("concept map %q: %s has no entries now; the map keeps its %d", cm.Name, src.Table, cm.Len())
	}
	if bad := cm.TrySetEntries(locals, targets); len(bad) > 0 {
		return fmt.Errorf("concept map %q from %s keeps its entries: %s (and %d more)", cm.Name, src.Table, bad[0].Msg, len(bad)-1)
	}
	return nil
}

func hasColumn(cols []Column, name string) bool {
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

func sortedConcepts(set *mapping.Set) []string {
	names := make([]string, 0, len(set.Concepts))
	for n := range set.Concepts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
