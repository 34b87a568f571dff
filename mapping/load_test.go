package mapping

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/mappingsets"
)

func TestDemoMappingsLoad(t *testing.T) {
	set := loadShipped(t, mappingsets.Demo, "demo", "Patient", "Practitioner", "Organization")
	p := set.Lookup("Patient")
	if len(p.Children) != 3 {
		t.Errorf("Patient has %d child collections, want 3 (names, telecoms, addresses)", len(p.Children))
	}
	var order []string
	for _, f := range p.Root.Fields {
		order = append(order, f.Name)
	}
	if got := strings.Join(order, ","); got != "extension,identifier,name,telecom,gender,birthDate,deceasedDateTime,address,maritalStatus,generalPractitioner,managingOrganization" {
		t.Errorf("elements not in FHIR order: %s", got)
	}
}

// loadShipped loads the shipped mapping set of the folder name in fsys,
// which must load without a problem and map each of types.
func loadShipped(t *testing.T, fsys fs.FS, name string, types ...string) *Set {
	t.Helper()
	set, err := LoadFS(fsys, name, "mappingsets/"+name, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range types {
		if set.Lookup(r) == nil {
			t.Errorf("%s is not mapped", r)
		}
	}
	return set
}

// Every problem of a broken file is reported, with file:line:col and the
// FHIR path, sorted.
func TestBadMappingErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load([]File{{Name: "testdata/bad.yaml", Data: data}}, time.UTC)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want Errors, got %v", err)
	}
	want := []string{
		`testdata/bad.yaml:6:3: Patient from: unknown key "colour" (expected one of: table, query, key, updated, join, distinct)`,
		`testdata/bad.yaml:8:3: Patient.id: id is set by the facade (from the key and the profile); remove it`,
		`testdata/bad.yaml:11:7: Patient.name: HumanName has no element "famly" (did you mean "family"?)`,
		`testdata/bad.yaml:12:11: Patient.gender: "mail" is not an allowed code (one of: male, female, other, unknown)`,
		`testdata/bad.yaml:13:40: Patient.birthDate: format "dd/MM/yy": unknown pattern letter "y"`,
		`testdata/bad.yaml:15:5: Patient.telecom: telecom repeats (max *): write it as a list`,
		`testdata/bad.yaml:16:46: Patient.maritalStatus: unknown concept map "no-such-map" (no concept maps are defined)`,
		`testdata/bad.yaml:17:40: Patient.active: unknown transform "titlecase" (known: after, before, boolean, compact, date, datetime, lower, nhs-number, not, postcode, replace, title, trim, upper)`,
		`testdata/bad.yaml:19:17: Patient.communication.language: CodeableConcept is a complex type`,
		`testdata/bad.yaml:21:18: Patient.generalPractitioner.reference: references Practitioner, which no mapping serves`,
		`testdata/bad.yaml:23:3: Patient search birthdate: format "dd-MMM-yyyy" does not sort as text`,
		`testdata/bad.yaml:24:19: Patient search gender: unknown search type "colour" (expected one of: string, token, date, reference)`,
		`testdata/bad.yaml:25:3: Patient search _id: _id is provided for every mapping; do not declare it`,
	}
	got := strings.Split(errs.Error(), "\n")
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing error\n  %s\nin\n  %s", w, strings.Join(got, "\n  "))
		}
	}
	for i := 1; i < len(errs); i++ {
		if errs[i].Pos.Line < errs[i-1].Pos.Line {
			t.Errorf("errors not sorted: %s before %s", errs[i-1], errs[i])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d errors, want %d", len(got), len(want))
	}
}

func TestYAMLSyntaxError(t *testing.T) {
	_, err := Load([]File{{Name: "x.yaml", Data: []byte("resource: Patient\nfrom: [\n")}}, time.UTC)
	if err == nil || !strings.HasPrefix(err.Error(), "x.yaml:") || !strings.Contains(err.Error(), "invalid YAML") {
		t.Errorf("got %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	concepts := []byte("concepts:\n  sex: {system: s, map: {M: male, F: {code: female, display: Female}}}\n")
	f.Add([]byte("resource: Patient\nfrom: {table: T, key: K}\nelement: {gender: {column: SEX, concept: sex}}"))
	f.Add([]byte("resource: Patient\nfrom: {table: T, key: K}\nelement: {name: [{family: {first: [{column: A}, x]}}]}"))
	f.Add([]byte("resource: Patient\nfrom: {query: SELECT 1, key: [A, B]}\nelement: {telecom: [{rows: {table: C, link: {X: A}}, value: {column: V}}]}\nsearch: {phone: {type: token, column: V}}"))
	f.Add([]byte("resource: Observation\nfrom: {table: O, key: ID}\nelement: {valueQuantity: {value: {column: V}}, status: final}"))
	f.Add([]byte("resource: Observation\nfrom: {table: O, key: ID}\nelement: {code: {coding: [{system: {column: V, concept: sex}, code: {column: C}}]}, _status: {extension: [{url: u, valueCode: x}]}}\nsearch: {code: {type: token, column: C, system: {column: V, concept: sex}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		set, err := Load([]File{{Name: "f.yaml", Data: data}, {Name: "c.yaml", Data: concepts}}, time.UTC)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("loading %d bytes took %s", len(data), d)
		}
		if err == nil {
			if set == nil {
				t.Fatal("no set and no error")
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is not a list of mapping errors: %v", err)
		}
		for _, e := range errs {
			if e.Pos.File == "" {
				t.Fatalf("error without a file: %v", e)
			}
		}
	})
}

func TestConceptReverseAcceptsOlderSpellings(t *testing.T) {
	c := &ConceptMap{}
	c.SetEntries([]string{"A1"}, []Coding{{System: "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1", Code: "H"}})
	for _, sys := range []string{"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1", "https://fhir.hl7.org.uk/STU3/CareConnect-EthnicCategory-1", "https://fhir.hl7.org.uk/CareConnect-EthnicCategory-1"} {
		if got := c.Reverse(sys, true, "H"); len(got) != 1 {
			t.Errorf("%s: %v", sys, got)
		}
	}
	if got := c.Reverse("http://snomed.info/sct", true, "H"); len(got) != 0 {
		t.Errorf("another system matched: %v", got)
	}
}

func TestReferenceWithSeveralTargetsOnColumns(t *testing.T) {
	for _, cols := range []string{"column: GP", "columns: [GP, PRACTICE]"} {
		_, err := Load([]File{
			{Name: "p.yaml", Data: []byte("resource: Patient\nfrom: {table: P, key: ID}\nelement: {active: true}\nsearch: {gp: {type: reference, " + cols + ", target: [Practitioner, Organization]}}\n")},
			{Name: "o.yaml", Data: []byte("resource: Organization\nfrom: {table: O, key: ID}\nelement: {active: true}\n")},
			{Name: "r.yaml", Data: []byte("resource: Practitioner\nfrom: {table: R, key: ID}\nelement: {active: true}\n")},
		}, time.UTC)
		if err == nil || !strings.Contains(err.Error(), "a parameter bound to columns points to one resource type") {
			t.Errorf("%s: got %v", cols, err)
		}
	}
	// Derived from the element, each reference keeps its type.
	set, err := Load([]File{
		{Name: "p.yaml", Data: []byte("resource: Patient\nfrom: {table: P, key: ID}\nelement:\n  generalPractitioner:\n    - reference: {resource: Practitioner, key: GP}\n    - reference: {resource: Organization, key: PRACTICE}\nsearch: {general-practitioner: {}}\n")},
		{Name: "o.yaml", Data: []byte("resource: Organization\nfrom: {table: O, key: ID}\nelement: {active: true}\n")},
		{Name: "r.yaml", Data: []byte("resource: Practitioner\nfrom: {table: R, key: ID}\nelement: {active: true}\n")},
	}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	sp := set.Lookup("Patient").SearchParam("general-practitioner")
	if len(sp.Branches) != 2 || sp.Branches[0].Columns[0] != "GP" || sp.Branches[0].Target[0] != "Practitioner" || sp.Branches[1].Columns[0] != "PRACTICE" || sp.Branches[1].Target[0] != "Organization" {
		t.Errorf("branches %+v", sp.Branches)
	}
}

// A query that is not one SELECT says why: an SQL comment, a ';', or not
// a SELECT at all.
func TestQueryMessages(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT a FROM t -- the patients": "it holds an SQL comment (-- or /* */)",
		"SELECT a FROM t /* note */":      "it holds an SQL comment",
		"SELECT a FROM t;":                "it holds a ';'",
		"DELETE FROM t":                   "it must start with SELECT or WITH",
	} {
		_, err := Load([]File{{Name: "p.yaml", Data: []byte("resource: Patient\nfrom:\n  query: \"" + q + "\"\n  key: a\nelement: {active: true}\n")}}, time.UTC)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", q, err)
		}
	}
}

// A concept map's table source is checked for what it needs.
func TestConceptSourceErrors(t *testing.T) {
	for _, c := range []struct{ concept, want string }{
		{`{ from: { table: T } }`, `needs "table", "local" (the column of local codes) and "code"`},
		{`{ from: { table: T, local: L, code: C }, refresh: 10s }`, `refresh is a duration of a minute or more`},
		{`{ map: { A: b }, refresh: 1h }`, `"refresh" is for a map read "from" a table`},
		{`{ map: { A: b }, from: { table: T, local: L, code: C } }`, `give "map" or "from", not both`},
		{`{ system: s }`, `a concept map needs "map" (local code → code) or "from" (a table of them)`},
	} {
		src := "concepts:\n  c: " + c.concept + "\n"
		_, err := Load([]File{{Name: "c.yaml", Data: []byte(src)}}, time.UTC)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.concept, err, c.want)
		}
	}
}

// Readers see one whole version of a concept map while another replaces
// its entries (run under the race detector in make test).
func TestConceptEntriesSwapWhole(t *testing.T) {
	c := &ConceptMap{}
	c.SetEntries([]string{"A", "B"}, []Coding{{Code: "1"}, {Code: "1"}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			code := "1"
			if i%2 == 1 {
				code = "2"
			}
			c.SetEntries([]string{"A", "B"}, []Coding{{Code: code}, {Code: code}})
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		// Both locals of one version translate to the same code.
		if got := c.Reverse("", false, "1"); len(got) != 0 && len(got) != 2 {
			t.Fatalf("half a version: %v", got)
		}
	}
}

// The STU3 parameters of every resource type are known, not only those of
// the types the shipped sets map: FamilyMemberHistory's date follows its
// element; a parameter STU3 does not define for the type is an error, and
// so is one of a type the facade does not search.
func TestParametersOfEveryType(t *testing.T) {
	load := func(search string) (*Set, error) {
		return Load([]File{{Name: "f.yaml", Data: []byte("resource: FamilyMemberHistory\nfrom: {table: F, key: ID}\nelement:\n  status: partial\n  date: {column: RECORDED}\nsearch:\n" + search)}}, time.UTC)
	}
	set, err := load("  date: {}\n  relationship:\n    type: token\n    column: REL\n")
	if err != nil {
		t.Fatal(err)
	}
	sp := set.Lookup("FamilyMemberHistory").SearchParam("date")
	if sp == nil || sp.Type != "date" || len(sp.Columns) != 1 || sp.Columns[0] != "RECORDED" || sp.Path != "FamilyMemberHistory.date" {
		t.Errorf("date: %+v", sp)
	}
	for search, want := range map[string]string{
		"  onset: {}\n":           "f.yaml:7:3: FamilyMemberHistory search onset: onset is not an STU3 search parameter of FamilyMemberHistory",
		"  date: {type: token}\n": "date is a date parameter in STU3, not token",
		"  code: {}\n":            "the mapping shows nothing at FamilyMemberHistory.condition.code",
	} {
		if _, err := load(search); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", search, err, want)
		}
	}
	// A quantity, number or uri parameter cannot be searched.
	_, err = Load([]File{{Name: "o.yaml", Data: []byte("resource: Observation\nfrom: {table: O, key: ID}\nelement:\n  status: final\n  code: {text: {column: C}}\n  valueQuantity: {value: {column: V}}\nsearch:\n  value-quantity: {}\n")}}, time.UTC)
	if want := "value-quantity is a quantity parameter in STU3, a type the facade does not search"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("value-quantity: %v, want %q", err, want)
	}
}

// Every text field of a concept map's entries and of its table source is
// read into its place; a field that is not text is an error.
func TestConceptTextFields(t *testing.T) {
	src := "concepts:\n" +
		"  m: {system: s, map: {A: {system: t, code: a, display: Ay}, B: b}}\n" +
		"  f: {from: {table: T, local: L, code: C, display: D, system: S}}\n"
	set, err := Load([]File{{Name: "c.yaml", Data: []byte(src)}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := set.Concepts["m"].Lookup("A"); got != (Coding{System: "t", Code: "a", Display: "Ay"}) {
		t.Errorf("A: %+v", got)
	}
	if got, _ := set.Concepts["m"].Lookup("B"); got != (Coding{System: "s", Code: "b"}) {
		t.Errorf("B: %+v", got)
	}
	f := set.Concepts["f"].From
	if f == nil || [5]string{f.Table, f.Local, f.Code, f.Display, f.System} != [5]string{"T", "L", "C", "D", "S"} {
		t.Errorf("from: %+v", f)
	}
	for _, bad := range []string{
		"  m: {map: {A: {code: [a]}}}\n",
		"  f: {from: {table: T, local: L, code: {c: 1}}}\n",
	} {
		_, err := Load([]File{{Name: "c.yaml", Data: []byte("concepts:\n" + bad)}}, time.UTC)
		if err == nil || !strings.Contains(err.Error(), "expected a text value") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// A profile is checked when the mapping is loaded, with no database: it
// must be one the registry holds, of the mapping's resource type; a
// mistyped one offers the nearest names. A mistyped resource type too.
func TestProfileAndResourceNames(t *testing.T) {
	load := func(doc string) string {
		t.Helper()
		_, err := Load([]File{{Name: "m.yaml", Data: []byte(doc)}}, time.UTC)
		if err == nil {
			return ""
		}
		return err.Error()
	}
	const body = "\nfrom: {table: T, key: ID}\nelement: {status: final, code: {text: x}}\n"
	cases := []struct{ doc, want string }{
		{"resource: Observation\nprofile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observaton-1" + body,
			"m.yaml:2:10: Observation: profile https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observaton-1 is not a known profile (did you mean https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1?)"},
		{"resource: Observation\nprofile: CareConnect-Observaton-1" + body,
			"m.yaml:2:10: Observation: profile CareConnect-Observaton-1 is not a known profile (did you mean https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1?)"},
		{"resource: Observation\nprofile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Condition-1" + body,
			"m.yaml:2:10: Observation: profile https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Condition-1 is a profile of Condition, not Observation"},
		{"resource: Observation\nprofile: http://hl7.org/fhir/StructureDefinition/SimpleQuantity" + body,
			"m.yaml:2:10: Observation: profile http://hl7.org/fhir/StructureDefinition/SimpleQuantity defines the data type Quantity, not a resource"},
		{"resource: Observaton\nprofile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1" + body,
			`m.yaml:1:11: Observaton: unknown FHIR STU3 resource type "Observaton" (did you mean "Observation"?)`},
		{"resource: Observation\nprofile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1" + body, ""},
		{"resource: Observation\nprofile: http://hl7.org/fhir/StructureDefinition/vitalsigns" + body, ""},
		{"resource: FamilyMemberHistory\nprofile: http://hl7.org/fhir/StructureDefinition/FamilyMemberHistory\nfrom: {table: T, key: ID}\nelement: {status: completed}\n", ""},
	}
	for _, c := range cases {
		if got := load(c.doc); !strings.HasPrefix(got, c.want) || c.want == "" && got != "" {
			t.Errorf("%s\n got %s\nwant %s", c.doc, got, c.want)
		}
	}
}

// A reference parameter bound to a column takes its target from its STU3
// definition where that allows one type, and may not name a type the
// definition does not allow.
func TestReferenceTargetsFromTheDefinition(t *testing.T) {
	load := func(typ, search string) (*Set, error) {
		return Load([]File{{Name: "f.yaml", Data: []byte("resource: " + typ + "\nfrom: {table: F, key: ID}\nelement:\n  language: en\nsearch:\n" + search)}}, time.UTC)
	}
	set, err := load("FamilyMemberHistory", "  patient: {type: reference, column: PAT}\n")
	if err != nil {
		t.Fatal(err)
	}
	if sp := set.Lookup("FamilyMemberHistory").SearchParam("patient"); sp == nil || strings.Join(sp.Target, ",") != "Patient" || sp.Col < 0 {
		t.Errorf("patient: %+v", sp)
	}
	for _, c := range []struct{ typ, search, want string }{
		{"FamilyMemberHistory", "  patient: {type: reference, column: PAT, target: [Practitioner]}\n",
			"f.yaml:6:3: FamilyMemberHistory search patient: STU3's patient of FamilyMemberHistory points to Patient, not Practitioner"},
		{"ProcedureRequest", "  subject: {type: reference, column: PAT}\n",
			`f.yaml:6:3: ProcedureRequest search subject: a reference parameter needs "target": the resource type(s) it points to (STU3's subject points to Patient, Group, Location, Device)`},
		{"ProcedureRequest", "  relative: {type: reference, column: PAT}\n",
			`f.yaml:6:3: ProcedureRequest search relative: a reference parameter needs "target": the resource type(s) it points to`},
	} {
		if _, err := load(c.typ, c.search); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.search, err, c.want)
		}
	}
}
