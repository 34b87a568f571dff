package adapters

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DecodeTypedJSONRows is DecodeJSONRows by the columns' database types:
// integers as int64, the types isFloat names as float64, other numbers
// as their exact text (a DECIMAL's digits), dates and date-times (text in
// JSON) through parseTime with their kind, anything else as it came.
func DecodeTypedJSONRows(v any, types []string, kindOf func(string) Kind, isFloat func(string) bool, parseTime func(k Kind, s string) (any, error)) ([][]any, error) {
	kinds := make([]Kind, len(types))
	floats := make([]bool, len(types))
	for i, t := range types {
		kinds[i], floats[i] = kindOf(t), isFloat(strings.ToUpper(t))
	}
	return DecodeJSONRows(v, len(types), func(i int, x any) (any, error) {
		n, isNum := x.(json.Number)
		s, isStr := x.(string)
		switch k := kinds[i]; {
		case isNum && k == KindInteger:
			return n.Int64()
		case isNum && floats[i]:
			return n.Float64()
		case isNum:
			return n.String(), nil
		case isStr && (k == KindDate || k.DateTime()):
			return parseTime(k, s)
		}
		return x, nil
	})
}

// DecodeJSONRows reads a JSON array of arrays of scalars (or null) into
// rows, passing each value (nil, bool, json.Number or string) through conv
// with its column's index; for ChildAggregator implementations. It is a
// scanner of its own (encoding/json would allocate several times a value);
// a string with escapes is unquoted by encoding/json.
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
	sc := &rowScanner{s: data}
	rows, err := sc.rows(ncols, conv)
	if err != nil {
		return nil, fmt.Errorf("aggregated rows: %w (at byte %d)", err, sc.i)
	}
	return rows, nil
}

type rowScanner struct {
	s []byte
	i int
}

func (sc *rowScanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (sc *rowScanner) peek() byte {
	sc.ws()
	if sc.i == len(sc.s) {
		return 0
	}
	return sc.s[sc.i]
}

func (sc *rowScanner) expect(c byte) error {
	if sc.peek() != c {
		return fmt.Errorf("expected %q", c)
	}
	sc.i++
	return nil
}

func (sc *rowScanner) word(w string) bool {
	if len(sc.s)-sc.i >= len(w) && string(sc.s[sc.i:sc.i+len(w)]) == w {
		sc.i += len(w)
		return true
	}
	return false
}

func (sc *rowScanner) rows(ncols int, conv func(int, any) (any, error)) ([][]any, error) {
	if sc.peek() == 'n' && sc.word("null") {
		return nil, sc.end()
	}
	if err := sc.expect('['); err != nil {
		return nil, err
	}
	var out [][]any
	if sc.peek() == ']' {
		sc.i++
		return out, sc.end()
	}
	for {
		if err := sc.expect('['); err != nil {
			return nil, err
		}
		row := make([]any, 0, ncols)
		if sc.peek() == ']' {
			sc.i++
		} else {
			for more := true; more; {
				x, err := sc.value()
				if err != nil {
					return nil, err
				}
				if len(row) == ncols {
					return nil, fmt.Errorf("more than %d values in a row", ncols)
				}
				if x, err = conv(len(row), x); err != nil {
					return nil, fmt.Errorf("column %d: %w", len(row)+1, err)
				}
				row = append(row, x)
				if more, err = sc.more(); err != nil {
					return nil, err
				}
			}
		}
		if len(row) != ncols {
			return nil, fmt.Errorf("%d values in a row of %d columns", len(row), ncols)
		}
		out = append(out, row)
		more, err := sc.more()
		if err != nil {
			return nil, err
		}
		if !more {
			return out, sc.end()
		}
	}
}

// more reads what follows an element of an array: a ',' (more elements
// follow) or the array's closing ']'.
func (sc *rowScanner) more() (bool, error) {
	if sc.peek() == ',' {
		sc.i++
		return true, nil
	}
	return false, sc.expect(']')
}

func (sc *rowScanner) end() error {
	if sc.peek() != 0 {
		return errors.New("text after the rows")
	}
	return nil
}

// value reads a scalar: null, true, false, a number or a string.
func (sc *rowScanner) value() (any, error) {
	switch c := sc.peek(); {
	case c == 'n' && sc.word("null"):
		return nil, nil
	case c == 't' && sc.word("true"):
		return true, nil
	case c == 'f' && sc.word("false"):
		return false, nil
	case c == '"':
		start := sc.i
		escaped := false
		for sc.i++; sc.i < len(sc.s); sc.i++ {
			switch sc.s[sc.i] {
			case '\\':
				escaped = true
				sc.i++
			case '"':
				sc.i++
				if !escaped {
					return string(sc.s[start+1 : sc.i-1]), nil
				}
				var s string
				if err := json.Unmarshal(sc.s[start:sc.i], &s); err != nil {
					return nil, err
				}
				return s, nil
			}
		}
		return nil, errors.New("unterminated string")
	case c == '-' || (c >= '0' && c <= '9'):
		start := sc.i
		for sc.i < len(sc.s) && strings.IndexByte("+-.eE0123456789", sc.s[sc.i]) >= 0 {
			sc.i++
		}
		return json.Number(sc.s[start:sc.i]), nil
	}
	return nil, errors.New("expected a value")
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
