package adapters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DecodeJSONRows reads a JSON array of arrays (or null) into rows, passing
// each value (nil, bool, json.Number or string) through conv with its
// column's index; for ChildAggregator implementations.
func DecodeJSONRows(v any, ncols int, conv func(col int, x any) (any, error)) ([][]any, error) {
	var data []byte
	switch t := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		data = t
	case string:
		data = []byte(t)
	default:
		return nil, fmt.Errorf("aggregated rows: unexpected %T", v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw [][]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("aggregated rows: %w", err)
	}
	out := make([][]any, 0, len(raw))
	for _, r := range raw {
		if len(r) != ncols {
			return nil, fmt.Errorf("aggregated rows: %d values in a row of %d columns", len(r), ncols)
		}
		for i, x := range r {
			y, err := conv(i, x)
			if err != nil {
				return nil, fmt.Errorf("aggregated rows: column %d: %w", i+1, err)
			}
			r[i] = y
		}
		out = append(out, r)
	}
	return out, nil
}

// AggregateJSONRows writes a correlated aggregate of rows as JSON: agg
// (json_agg, json_group_array) over row (json_build_array, json_array) of
// cols, in order, from the rows of from that meet where.
func AggregateJSONRows(agg, row string, cols []string, from, where string, order []string) string {
	var b strings.Builder
	b.WriteString("(SELECT " + agg + "(" + row + "(")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(")")
	if len(order) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(order, ", "))
	}
	b.WriteString(") FROM " + from + " WHERE " + where + ")")
	return b.String()
}

// KnownKinds tells whether every type has a kind other than KindOther.
func KnownKinds(kind func(string) Kind, types []string) bool {
	for _, t := range types {
		if kind(t) == KindOther {
			return false
		}
	}
	return true
}
