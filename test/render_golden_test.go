package test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/mapping"
)

// Every resource the shipped sets serve, rendered in every form, is held
// byte for byte to a committed digest: the demo set (on SQLite), the
// legacy set and the OMOP set (on SQLite). Each resource of each type is
// paged through by search and digested as compact JSON (rendered straight
// to JSON), as XML (from the value tree), with _summary=true and with
// _elements (both subsets of the tree); the first resources of each type
// are read by id too, in JSON and XML. One line a resource and form,
// "Type/id form sha256", in testdata/render/<set>.txt; -update (make
// golden) rewrites the files.
//
// The legacy rows hold dates relative to today: they are written as
// today's offset (TODAY-30) before they are digested, so the digests do
// not change with the day.
func TestGoldenRender(t *testing.T) {
	t.Parallel()
	opts := engine.Options{DefaultCount: 20, MaxCount: 1000, PagingSecret: []byte("test secret"), Logger: demotest.Silent()}
	t.Run("demo", func(t *testing.T) {
		e := demotest.SQLite(t, demotest.Config{Engine: opts})
		checkRenderDigests(t, "demo", e.Base, mustDemoSet(t), nil)
	})
	t.Run("legacy", func(t *testing.T) {
		now := time.Now().UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		e := legacyEnv(t, legacySQLite(t, legacySchema+legacyRows(today)))
		checkRenderDigests(t, "legacy", e.base, legacySet(t), relativeDates(today))
	})
	t.Run("omop", func(t *testing.T) {
		e, _ := omopSQLiteEnv(t)
		checkRenderDigests(t, "omop", e.base, omopSet(t), nil)
	})
}

// checkRenderDigests digests every resource of the set served at base
// and compares the lines with testdata/render/<name>.txt (or writes them
// with -update). mask, when set, rewrites a body before it is digested.
func checkRenderDigests(t *testing.T, name, base string, set *mapping.Set, mask func([]byte) []byte) {
	t.Helper()
	var order []string               // Type/id, as first seen
	digests := map[string][]string{} // Type/id: form:digest, in form order
	add := func(typ, id, form string, b []byte) {
		if mask != nil {
			b = mask(b)
		}
		sum := sha256.Sum256(b)
		key := typ + "/" + id
		if _, ok := digests[key]; !ok {
			order = append(order, key)
		}
		digests[key] = append(digests[key], form+":"+hex.EncodeToString(sum[:digestBytes]))
	}
	for _, m := range set.Mappings {
		typ := m.Resource
		// _elements asks for the first and last elements the mapping
		// builds (the mandatory ones come too), meta apart (always sent).
		var elems []string
		fields := slices.DeleteFunc(slices.Clone(m.Root.Fields), func(f *mapping.Node) bool { return f.Name == "meta" })
		if n := len(fields); n > 0 {
			elems = append(elems, fields[0].Name, fields[n-1].Name)
		}
		forms := []struct{ form, query string }{
			{"json", ""},
			{"xml", "&_format=xml"},
			{"summary", "&_summary=true"},
			{"elements", "&_elements=" + url.QueryEscape(strings.Join(elems, ","))},
		}
		var first []string // the ids of the type's first resources
		for _, f := range forms {
			n := 0
			next := base + "/" + typ + "?_count=1000" + f.query
			for pages := 0; next != ""; pages++ {
				if pages > 100 {
					t.Fatalf("%s: more than 100 pages", typ)
				}
				r := get(t, next)
				if r.status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", next, r.status, truncate(string(r.body), 300))
				}
				var entries []bundleEntry
				if f.form == "xml" {
					entries, next = xmlEntries(t, r.body)
				} else {
					entries, next = jsonEntries(t, r.body)
				}
				for _, en := range entries {
					if en.typ != typ {
						t.Fatalf("%s search returned a %s/%s", typ, en.typ, en.id)
					}
					add(typ, en.id, f.form, en.raw)
					if f.form == "json" && len(first) < 3 {
						first = append(first, en.id)
					}
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: no resources in form %s", typ, f.form)
			}
		}
		for _, id := range first {
			for _, form := range []string{"json", "xml"} {
				r := get(t, base+"/"+typ+"/"+id+"?_format="+form)
				if r.status != http.StatusOK {
					t.Fatalf("GET %s/%s: %d %s", typ, id, r.status, truncate(string(r.body), 300))
				}
				add(typ, id, "read."+form, r.body)
			}
		}
	}
	lines := make([]string, len(order))
	for i, key := range order {
		lines[i] = key + " " + strings.Join(digests[key], " ")
	}
	got := []byte(renderDigestsHeader + strings.Join(lines, "\n") + "\n")
	file := filepath.Join("testdata", "render", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run make golden to create it)", err)
	}
	if bytes.Equal(got, want) {
		t.Logf("%d resources, each in every form, as digested", len(lines))
		return
	}
	wantLines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(want), renderDigestsHeader), "\n"), "\n") {
		key, rest, _ := strings.Cut(l, " ")
		wantLines[key] = rest
	}
	bad := 0
	for _, l := range lines {
		key, rest, _ := strings.Cut(l, " ")
		if wantLines[key] == rest {
			continue
		}
		if bad < 20 {
			var forms []string
			wantForms := strings.Fields(wantLines[key])
			for _, f := range strings.Fields(rest) {
				if !slices.Contains(wantForms, f) {
					forms = append(forms, f[:strings.IndexByte(f, ':')])
				}
			}
			t.Errorf("%s: not as committed in %s (%s; run make golden if the change is intended)", key, strings.Join(forms, ", "), file)
		}
		bad++
	}
	t.Errorf("%s: %d of %d resources differ, %d committed", file, bad, len(lines), len(wantLines))
}

// digestBytes is how much of each SHA-256 a line keeps: 48 bits tell a
// changed rendering from the committed one with certainty enough, at a
// sixth of the file's size.
const digestBytes = 6

const renderDigestsHeader = "# Type/id, then form:digest for each form the resource was served in (the first 6 bytes of the SHA-256 of its bytes).\n" +
	"# Written by TestGoldenRender (test/render_golden_test.go) with -update (make golden).\n"

// bundleEntry is one search-mode entry's resource, as the bytes the
// response holds.
type bundleEntry struct {
	typ, id string
	raw     []byte
}

// jsonEntries returns a JSON searchset's match entries and its next link.
func jsonEntries(t *testing.T, body []byte) ([]bundleEntry, string) {
	t.Helper()
	var page struct {
		Entry []struct {
			Resource json.RawMessage
			Search   struct{ Mode string }
		}
		Link []struct{ Relation, URL string }
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("searchset: %v", err)
	}
	var out []bundleEntry
	for _, en := range page.Entry {
		if en.Search.Mode != "match" {
			continue
		}
		var head struct{ ResourceType, ID string }
		if err := json.Unmarshal(en.Resource, &head); err != nil {
			t.Fatal(err)
		}
		out = append(out, bundleEntry{head.ResourceType, head.ID, en.Resource})
	}
	next := ""
	for _, l := range page.Link {
		if l.Relation == "next" {
			next = l.URL
		}
	}
	return out, next
}

// xmlEntries returns an XML searchset's entries (the bytes of each
// Bundle.entry.resource) and its next link.
func xmlEntries(t *testing.T, body []byte) ([]bundleEntry, string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	var out []bundleEntry
	var stack []string
	var cur *bundleEntry
	start, next, relation := int64(0), "", ""
	for {
		before := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("XML searchset: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			stack = append(stack, el.Name.Local)
			path := strings.Join(stack, "/")
			value := ""
			for _, a := range el.Attr {
				if a.Name.Local == "value" {
					value = a.Value
				}
			}
			switch {
			case path == "Bundle/entry/resource":
				start, cur = d.InputOffset(), &bundleEntry{}
			case len(stack) == 4 && cur != nil && stack[2] == "resource":
				cur.typ = el.Name.Local
			case len(stack) == 5 && cur != nil && stack[2] == "resource" && el.Name.Local == "id" && cur.id == "":
				cur.id = value
			case path == "Bundle/link/relation":
				relation = value
			case path == "Bundle/link/url" && relation == "next":
				next = value
			}
		case xml.EndElement:
			if strings.Join(stack, "/") == "Bundle/entry/resource" {
				cur.raw = body[start:before]
				out = append(out, *cur)
				cur = nil
			}
			stack = stack[:len(stack)-1]
		}
	}
	return out, next
}

// relativeDates writes every date within a year of today (2006-01-02 or
// 20060102) as its offset from today: TODAY+0, TODAY-30.
func relativeDates(today time.Time) func([]byte) []byte {
	var pairs []string
	for d := -366; d <= 366; d++ {
		day := today.AddDate(0, 0, d)
		rel := fmt.Sprintf("TODAY%+d", d)
		pairs = append(pairs, day.Format("2006-01-02"), rel, day.Format("20060102"), rel)
	}
	r := strings.NewReplacer(pairs...)
	return func(b []byte) []byte { return []byte(r.Replace(string(b))) }
}

// legacySet loads the legacy mapping set.
func legacySet(t *testing.T) *mapping.Set {
	t.Helper()
	set, err := mapping.LoadDir(filepath.Join("testdata", "legacy"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
