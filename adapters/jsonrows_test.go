package adapters

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The scanner reads what encoding/json reads, on random rows of every
// kind of scalar (strings with escapes, quotes, non-ASCII letters and
// control characters; integers, decimals, exponents; null, true, false),
// written compactly and with the white space PostgreSQL puts between
// elements; and it refuses what is not an array of rows of the width.
func TestDecodeJSONRowsMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "Zoë", `"`, `\`, "/", "\n", "\t", "\u0001", "😀", " ", "é", "x y"}
	scalar := func() any {
		switch r.IntN(6) {
		case 0:
			return nil
		case 1:
			return r.IntN(2) == 0
		case 2:
			return json.Number([]string{"0", "-7", "12.50", "1e-5", "-0.25E+3", "123456789012345678901234567890"}[r.IntN(6)])
		default:
			var b strings.Builder
			for n := r.IntN(5); n > 0; n-- {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			return b.String()
		}
	}
	id := func(_ int, x any) (any, error) { return x, nil }
	for n := 0; n < 20000; n++ {
		ncols := 1 + r.IntN(5)
		rows := make([][]any, r.IntN(4))
		for i := range rows {
			rows[i] = make([]any, ncols)
			for j := range rows[i] {
				rows[i][j] = scalar()
			}
		}
		text, _ := json.Marshal(rows)
		if r.IntN(2) == 0 { // PostgreSQL's json_agg layout
			text = bytes.ReplaceAll(text, []byte("],["), []byte("], \n ["))
		}
		var want [][]any
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeJSONRows(string(text), ncols, id)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if len(want) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %#v\nwant %#v", text, got, want)
		}
	}
	for _, bad := range []string{`[[1,2]`, `[[1,2],[3]]`, `[[1,2,3]]`, `[1,2]`, `{"a":1}`, `[[1,2]] x`, `[["a,2]]`, `[[{},2]]`, `[[1 2]]`, `[[1,2] [3,4]]`, `[[1,2],]`} {
		if _, err := DecodeJSONRows(bad, 2, id); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if rows, err := DecodeJSONRows(nil, 2, id); rows != nil || err != nil {
		t.Errorf("nil: %v %v", rows, err)
	}
	if rows, err := DecodeJSONRows("null", 2, id); rows != nil || err != nil {
		t.Errorf("null: %v %v", rows, err)
	}
}
