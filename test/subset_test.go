package test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// stu3Element is a top-level element of a resource as the STU3 definitions
// FHIR.js ships (profiles-resources.json) describe it.
type stu3Element struct {
	name    string // as in the path: "value[x]"
	summary bool   // isSummary
	min     int
}

// stu3Resources reads the top-level elements of every STU3 resource type
// from the definitions in the FHIR.js folder: a reading of the
// specification apart from the facade's own tables.
func stu3Resources(t *testing.T, dir string) map[string][]stu3Element {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "stu3", "profiles-resources.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	out := map[string][]stu3Element{}
	for _, e := range bundle.Entry {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			t.Fatal(err)
		}
		if head.ResourceType != "StructureDefinition" {
			continue
		}
		var sd struct {
			ResourceType string `json:"resourceType"`
			Kind         string `json:"kind"`
			Type         string `json:"type"`
			Derivation   string `json:"derivation"`
			Snapshot     struct {
				Element []struct {
					Path      string `json:"path"`
					Min       int    `json:"min"`
					IsSummary bool   `json:"isSummary"`
				} `json:"element"`
			} `json:"snapshot"`
		}
		if err := json.Unmarshal(e.Resource, &sd); err != nil {
			t.Fatal(err)
		}
		if sd.ResourceType != "StructureDefinition" || sd.Kind != "resource" || sd.Derivation != "specialization" {
			continue
		}
		for _, el := range sd.Snapshot.Element {
			name, ok := strings.CutPrefix(el.Path, sd.Type+".")
			if !ok || strings.Contains(name, ".") {
				continue
			}
			out[sd.Type] = append(out[sd.Type], stu3Element{name: name, summary: el.IsSummary, min: el.Min})
		}
	}
	if len(out["Observation"]) == 0 || len(out["MedicationRequest"]) == 0 {
		t.Fatalf("%s: no resource definitions read", dir)
	}
	return out
}

// stu3ElementOf finds the element a JSON key stands for: "valueQuantity"
// is value[x], "_birthDate" is birthDate's companion.
func stu3ElementOf(els []stu3Element, key string) (stu3Element, bool) {
	key = strings.TrimPrefix(key, "_")
	for _, el := range els {
		if el.name == key {
			return el, true
		}
		if base, ok := strings.CutSuffix(el.name, "[x]"); ok && len(key) > len(base) && strings.HasPrefix(key, base) &&
			key[len(base)] >= 'A' && key[len(base)] <= 'Z' {
			return el, true
		}
	}
	return stu3Element{}, false
}

// A search that subsets its resources keeps what STU3 asks for, for every
// resource type the demo maps, as JSON (compact and pretty) and as XML:
// _summary=true keeps every summary element (isSummary) the full resource
// has, a choice element such as MedicationRequest.medication[x] included,
// and both _summary=true and _elements keep every mandatory element
// (min 1), as servers should; whatever else they keep is the resource's
// id and meta and the reference to its patient. Each subsetted page is
// valid STU3.
func TestSubsetKeepsSummaryAndMandatoryElements(t *testing.T) {
	t.Parallel()
	dir := fhirJS(t)
	defs := stu3Resources(t, dir)
	e := sqliteEnv(t)
	caps := get(t, e.base+"/metadata").json(t)
	var types []string
	for _, rr := range caps["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		types = append(types, rr.(map[string]any)["type"].(string))
	}
	if len(types) < 5 {
		t.Fatalf("the demo maps only %v", types)
	}
	type subsetting struct {
		query string
		keeps func(stu3Element) bool // what must stay when the full resource has it
	}
	subsettings := []subsetting{
		{"_summary=true", func(el stu3Element) bool { return el.summary || el.min > 0 }},
		{"_elements=id", func(el stu3Element) bool { return el.min > 0 }},
	}
	var urls []string
	var jsonDocs []map[string]any
	var xmlDocs [][]byte
	var fulls []map[string]map[string]any
	var subs []subsetting
	var typeOf []string
	checked := map[string]int{} // resource types with entries to compare
	for _, typ := range types {
		if defs[typ] == nil {
			t.Errorf("%s: no STU3 definition", typ)
			continue
		}
		page := "/" + typ + "?_count=50"
		full := map[string]map[string]any{}
		for _, r := range entries(t, get(t, e.base+page).json(t)) {
			full[r["id"].(string)] = r
		}
		if len(full) == 0 {
			continue
		}
		checked[typ] = len(full)
		for _, s := range subsettings {
			u := e.base + page + "&" + s.query
			r := get(t, u)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", u, r.status, truncate(string(r.body), 500))
			}
			validate(t, u, r.body)
			var compact, pretty map[string]any
			compact = r.json(t)
			pretty = get(t, u+"&_pretty=true").json(t)
			if !reflect.DeepEqual(entries(t, compact), entries(t, pretty)) {
				t.Errorf("%s: the resources differ as compact and as pretty JSON", u)
			}
			x := get(t, u, "Accept", "application/fhir+xml")
			if x.status != 200 {
				t.Fatalf("%s as XML: %d", u, x.status)
			}
			urls = append(urls, u)
			jsonDocs = append(jsonDocs, compact)
			xmlDocs = append(xmlDocs, x.body)
			fulls = append(fulls, full)
			subs = append(subs, s)
			typeOf = append(typeOf, typ)
		}
	}
	for _, typ := range []string{"Patient", "Observation", "Encounter", "AllergyIntolerance", "Immunization", "MedicationRequest", "MedicationStatement"} {
		if checked[typ] == 0 {
			t.Errorf("the demo has no %s to subset", typ)
		}
	}
	fromXML := parseXML(t, xmlDocs)

	check := func(how string, i int, bundle map[string]any) {
		typ, s, full := typeOf[i], subs[i], fulls[i]
		got := entries(t, bundle)
		if len(got) != len(full) {
			t.Errorf("%s %s: %d entries, the full page has %d", how, urls[i], len(got), len(full))
		}
		for _, sub := range got {
			id, _ := sub["id"].(string)
			whole, ok := full[id]
			if !ok {
				t.Errorf("%s %s: %s/%s is not on the full page", how, urls[i], typ, id)
				continue
			}
			for k, v := range whole {
				el, ok := stu3ElementOf(defs[typ], k)
				if !ok {
					if k != "resourceType" {
						t.Errorf("%s/%s: %s is no element of STU3 %s", typ, id, k, typ)
					}
					continue
				}
				have := sub[k]
				if k == "meta" { // the same but for the SUBSETTED tag
					v, have = withoutTag(v), withoutTag(have)
				}
				if s.keeps(el) && !reflect.DeepEqual(canon(v), canon(have)) {
					t.Errorf("%s %s: %s/%s lost %s (%s: summary %v, min %d)", how, s.query, typ, id, k, el.name, el.summary, el.min)
				}
			}
			for k := range sub {
				switch k {
				case "resourceType", "id", "meta", "subject", "patient":
					continue
				}
				if el, ok := stu3ElementOf(defs[typ], k); !ok || !s.keeps(el) {
					t.Errorf("%s %s: %s/%s kept %s", how, s.query, typ, id, k)
				}
			}
			if tags, _ := sub["meta"].(map[string]any)["tag"].([]any); len(tags) == 0 {
				t.Errorf("%s %s: %s/%s has no SUBSETTED tag", how, s.query, typ, id)
			}
		}
	}
	for i := range urls {
		check("JSON", i, jsonDocs[i])
		b, ok := fromXML[i].(map[string]any)
		if !ok || b["error"] != nil {
			t.Errorf("%s as XML does not parse: %v", urls[i], fromXML[i])
			continue
		}
		check("XML", i, b)
		// The XML holds the very resources of the JSON, which validates.
		if !reflect.DeepEqual(canon(jsonDocs[i]["entry"]), canon(b["entry"])) {
			t.Errorf("%s: the resources differ as JSON and as XML", urls[i])
		}
	}
	t.Logf("%d pages of %d resource types checked", len(urls), len(checked))
}

// withoutTag is a meta without its tags.
func withoutTag(meta any) any {
	m, ok := meta.(map[string]any)
	if !ok {
		return meta
	}
	out := map[string]any{}
	for k, v := range m {
		if k != "tag" {
			out[k] = v
		}
	}
	return out
}

// A single element asked for keeps the mandatory ones besides it.
func TestElementsKeepsMandatoryElements(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	for _, c := range []struct {
		typ, elements string
		want          []string // each must be there when the full resource has it
	}{
		{"Observation", "id", []string{"status", "code"}},
		{"Encounter", "id", []string{"status"}},
		{"AllergyIntolerance", "id", []string{"verificationStatus", "patient"}},
		{"Immunization", "id", []string{"status", "notGiven", "vaccineCode", "patient", "primarySource"}},
		{"MedicationRequest", "subject", []string{"intent", "medication"}},
		{"MedicationStatement", "id", []string{"status", "medication", "taken"}},
	} {
		q := url.Values{"_count": {"5"}, "_elements": {c.elements}}
		b := get(t, e.base+"/"+c.typ+"?"+q.Encode())
		validate(t, c.typ+" _elements="+c.elements, b.body)
		full := map[string]map[string]any{}
		for _, r := range entries(t, get(t, e.base+"/"+c.typ+"?_count=5").json(t)) {
			full[r["id"].(string)] = r
		}
		got := entries(t, b.json(t))
		if len(got) == 0 {
			t.Errorf("no %s", c.typ)
		}
		for _, r := range got {
			whole := full[r["id"].(string)]
			for _, w := range c.want {
				for k := range whole {
					if k == w || strings.HasPrefix(k, w) && len(k) > len(w) && k[len(w)] >= 'A' && k[len(w)] <= 'Z' {
						if _, ok := r[k]; !ok {
							t.Errorf("%s?_elements=%s left out %s", c.typ, c.elements, k)
						}
					}
				}
			}
		}
	}
}

// A read takes _summary and _elements as a search does: Type/id with them
// is the entry a search by _id with them finds, in JSON and in XML, on
// every type the demo serves. _summary=count is a search's alone.
func TestReadTakesSummaryAndElements(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	for _, typ := range []string{"Patient", "Observation", "MedicationRequest", "AllergyIntolerance", "Condition", "Encounter", "Organization"} {
		b := get(t, e.base+"/"+typ+"?_count=1").json(t)
		es := entries(t, b)
		if len(es) == 0 {
			t.Fatalf("%s: no resource to read", typ)
		}
		id := es[0]["id"].(string)
		for _, q := range []string{"_summary=true", "_summary=text", "_summary=data", "_elements=id", "_elements=meta,id&_summary=true"} {
			for _, f := range []string{"json", "xml"} {
				read := get(t, e.base+"/"+typ+"/"+id+"?_format="+f+"&"+q)
				search := get(t, e.base+"/"+typ+"?_id="+id+"&_format="+f+"&"+q)
				if read.status != 200 || search.status != 200 {
					t.Fatalf("%s/%s?%s (%s): read %d, search %d", typ, id, q, f, read.status, search.status)
				}
				if !strings.Contains(string(read.body), "SUBSETTED") {
					t.Errorf("%s/%s?%s (%s): not marked SUBSETTED", typ, id, q, f)
				}
				if f == "json" {
					got, want := read.json(t), entries(t, search.json(t))[0]
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s/%s?%s: the read\n%v\nis not the search's entry\n%v", typ, id, q, got, want)
					}
				}
			}
		}
		if full, sf := get(t, e.base+"/"+typ+"/"+id), get(t, e.base+"/"+typ+"/"+id+"?_summary=false"); string(full.body) != string(sf.body) {
			t.Errorf("%s/%s?_summary=false is not the whole resource", typ, id)
		}
	}
	for _, q := range []string{"_summary=count", "_summary=maybe", "_elements=colour"} {
		if r := get(t, e.base+"/Patient/3?"+q); r.status != 400 || !strings.Contains(issueText(t, r), q[:strings.IndexByte(q, '=')]) {
			t.Errorf("Patient/3?%s: %d %s, want 400", q, r.status, truncate(string(r.body), 200))
		}
	}
}
