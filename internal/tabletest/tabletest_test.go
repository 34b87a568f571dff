package tabletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fails reports whether f fails the test it is given.
func fails(f func(t testing.TB)) bool {
	t := &testing.T{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(t)
	}()
	<-done
	return t.Failed()
}

func TestRows(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `[["a", "b"], ["c", ""]]`)
	if fails(func(t testing.TB) {
		rows := Rows(t, good, 2)
		if len(rows) != 2 || rows[1][0] != "c" || rows[1][1] != "" {
			t.Errorf("rows %q", rows)
		}
	}) {
		t.Error("a good table failed")
	}
	for name, text := range map[string]string{
		"short.json": `[["a", "b"], ["c"]]`,
		"empty.json": `[]`,
		"bad.json":   `[["a", "b"]`,
	} {
		p := write(name, text)
		if !fails(func(t testing.TB) { Rows(t, p, 2) }) {
			t.Errorf("%s did not fail", name)
		}
	}
	if !fails(func(t testing.TB) { Rows(t, filepath.Join(dir, "none.json"), 2) }) {
		t.Error("a missing file did not fail")
	}
	var v struct{ A int }
	if !fails(func(t testing.TB) { Load(t, write("extra.json", `{"a": 1, "b": 2}`), &v) }) {
		t.Error("an unknown member did not fail")
	}
}

func TestCheckFunc(t *testing.T) {
	p := filepath.Join(t.TempDir(), "upper.json")
	if err := os.WriteFile(p, []byte(`[["a", "A"], ["b", "B"]]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if fails(func(t testing.TB) { CheckFunc(t.(*testing.T), p, "Upper", strings.ToUpper) }) {
		t.Error("a function that answers as the table says failed")
	}
	if !fails(func(t testing.TB) { CheckFunc(t.(*testing.T), p, "Lower", strings.ToLower) }) {
		t.Error("a function that answers otherwise passed")
	}
}

// A row of the wrong length fails Load, whatever its place.
func TestRowLength(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rows.json")
	for text, ok := range map[string]bool{
		`{"a": [["x", "y", "z"]]}`:      true,
		`{"a": [["x", "y"]]}`:           false,
		`{"a": [["x", "y", "z", "w"]]}`: false,
		`{"a": [["x", "y", 3]]}`:        false,
	} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		var v struct{ A []Row3 }
		if failed := fails(func(t testing.TB) { Load(t, p, &v) }); failed == ok {
			t.Errorf("%s: failed %v", text, failed)
		}
	}
}
