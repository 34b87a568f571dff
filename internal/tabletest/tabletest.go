package tabletest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// Load decodes the JSON file at path into v, failing the test where the
// file is missing, is not JSON, or has a member v has no field for.
func Load(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Rows reads a table whose rows are each n strings (a JSON list of lists),
// failing the test where it is empty or a row is not n long.
func Rows(t testing.TB, path string, n int) [][]string {
	t.Helper()
	var rows [][]string
	Load(t, path, &rows)
	if len(rows) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	for i, r := range rows {
		if len(r) != n {
			t.Fatalf("%s: row %d has %d values, want %d: %q", path, i+1, len(r), n, r)
		}
	}
	return rows
}

// CheckFunc checks a function of one string against a table of [input,
// want] rows (see Rows), reporting each row where f answers otherwise
// under the function's name.
func CheckFunc(t *testing.T, path, name string, f func(string) string) {
	t.Helper()
	for _, c := range Rows(t, path, 2) {
		if got := f(c[0]); got != c[1] {
			t.Errorf("%s(%q) = %q, want %q", name, c[0], got, c[1])
		}
	}
}

// Row2, Row3 and Row4 are rows of a table of 2, 3 and 4 strings: as JSON,
// a list of exactly that many strings (a row of another length is an
// error, not a row cut short or padded).
type (
	Row2 [2]string
	Row3 [3]string
	Row4 [4]string
)

func (r *Row2) UnmarshalJSON(b []byte) error { return exactRow(b, r[:]) }
func (r *Row3) UnmarshalJSON(b []byte) error { return exactRow(b, r[:]) }
func (r *Row4) UnmarshalJSON(b []byte) error { return exactRow(b, r[:]) }

// exactRow decodes a JSON list of len(dst) strings into dst.
func exactRow(b []byte, dst []string) error {
	var row []string
	if err := json.Unmarshal(b, &row); err != nil {
		return err
	}
	if len(row) != len(dst) {
		return fmt.Errorf("a row of %d values, want %d: %q", len(row), len(dst), row)
	}
	copy(dst, row)
	return nil
}
