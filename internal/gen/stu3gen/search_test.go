package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A translation is a definition's expression on a base, with the paths
// and targets it gives (space-separated).
type translation struct {
	def                 searchDef
	base, paths, target string
}

// An untranslatable definition on a base fails with an error holding why.
type untranslatable struct {
	def       searchDef
	base, why string
}

// checkTranslations translates each of ok and bad on its base, and
// checks what comes of it.
func checkTranslations(t *testing.T, g *gen, ok []translation, bad []untranslatable) {
	t.Helper()
	for _, c := range ok {
		p, err := g.translate(c.def, c.base)
		if err != nil {
			t.Errorf("%s on %s: %v", c.def.Expression, c.base, err)
			continue
		}
		if got := strings.Join(p.Paths, " "); got != c.paths {
			t.Errorf("%s on %s: paths %q, want %q", c.def.Expression, c.base, got, c.paths)
		}
		if got := strings.Join(p.Target, " "); got != c.target {
			t.Errorf("%s on %s: target %q, want %q", c.def.Expression, c.base, got, c.target)
		}
	}
	for _, c := range bad {
		_, err := g.translate(c.def, c.base)
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s on %s: %v, want %q", c.def.Expression, c.base, err, c.why)
		}
	}
}

// Expressions become paths of JSON names against the element table: a
// choice element without as is x[x], with as(T) or "as T" x[T] (T matched
// without regard to case); a ContactPoint's where(system='v') a filter, a
// Reference's where(resolve() is T) a limit on the targets; the paths of
// other base types are passed over; targets are kept only where they
// leave out some of what the elements point to.
func TestTranslate(t *testing.T) {
	checkTranslations(t, generated(t, "stu3").g, []translation{
		{searchDef{Code: "date", Type: "date", Expression: "Observation.effective | Procedure.performed"}, "Procedure", "performed[x]", ""},
		{searchDef{Code: "date", Type: "date", Expression: "Observation.effective | Procedure.performed"}, "Observation", "effective[x]", ""},
		{searchDef{Code: "v", Type: "date", Expression: "Observation.value.as(DateTime) | Observation.value.as(Period)"}, "Observation", "value[dateTime] value[Period]", ""},
		{searchDef{Code: "m", Type: "reference", Target: []string{"Medication"}, Expression: "(MedicationRequest.medication as Reference)"}, "MedicationRequest", "medication[Reference]", ""},
		{searchDef{Code: "email", Type: "token", Expression: "Patient.telecom.where(system='email')"}, "Patient", "telecom|system=email", ""},
		{searchDef{Code: "code", Type: "token", Expression: "AllergyIntolerance.code | AllergyIntolerance.reaction.substance"}, "AllergyIntolerance", "code reaction.substance", ""},
		{searchDef{Code: "patient", Type: "reference", Target: []string{"Patient", "Group"}, Expression: "Observation.subject"}, "Observation", "subject", "Patient"},
		{searchDef{Code: "patient", Type: "reference", Target: []string{"Patient", "Group"}, Expression: "Condition.subject"}, "Condition", "subject", "Patient"},
		{searchDef{Code: "patient", Type: "reference", Target: []string{"Patient", "Group"}, Expression: "Condition.subject.where(resolve() is Patient)"}, "Condition", "subject", "Patient"},
		{searchDef{Code: "who", Type: "reference", Expression: "Observation.subject.where(resolve() is Patient or resolve() is Device)"}, "Observation", "subject", "Patient Device"},
		{searchDef{Code: "target", Type: "reference", Target: []string{"Patient"}, Expression: "Provenance.target"}, "Provenance", "target", "Patient"},
		{searchDef{Code: "ident", Type: "token", Expression: "Patient.identifier.as(Identifier)"}, "Patient", "identifier", ""},
	}, []untranslatable{
		{searchDef{Type: "token", Expression: "Patient.deceased.exists()"}, "Patient", "exists() cannot be written as a path"},
		{searchDef{Type: "token", Expression: "Condition.abatement.as(boolean) | Condition.abatement.is(dateTime)"}, "Condition", "is(dateTime) cannot be written"},
		{searchDef{Type: "reference", Expression: "Bundle.entry[0].resource"}, "Bundle", "entry[0] cannot be written"},
		{searchDef{Type: "reference", Expression: "Library.relatedArtifact.where(type='composed-of').resource"}, "Library", "where(type='composed-of') cannot be written"},
		{searchDef{Type: "token", Expression: "Patient.telecom.where(system='email').value"}, "Patient", "where(system='email') cannot be written"},
		{searchDef{Type: "token", Expression: "Patient.nope"}, "Patient", "Patient has no element nope"},
		{searchDef{Type: "token", Expression: "Patient.deceased.as(Quantity)"}, "Patient", "deceased[x] is not a Quantity"},
		{searchDef{Type: "token", Expression: "Observation.value.code"}, "Observation", "code: inside value[x], a choice of types"},
		{searchDef{Type: "token", Expression: "Patient.gender.code"}, "Patient", "code has no element code"},
		{searchDef{Type: "token", Expression: "Observation.code"}, "Patient", "no path starts at Patient"},
		{searchDef{Type: "token", Expression: ""}, "Patient", "no expression"},
		{searchDef{Type: "reference", Target: []string{"ValueSet"}, Expression: "ConceptMap.source.as(Uri)"}, "ConceptMap", "no path ends at a Reference"},
		{searchDef{Type: "reference", Target: []string{"Device"}, Expression: "Patient.generalPractitioner"}, "Patient", "none of the types"},
	})
}

// R4's definitions write a typed choice that goes on as "(x as T).y", may
// leave their one base out, and search canonical elements with reference
// parameters.
func TestTranslateR4(t *testing.T) {
	checkTranslations(t, generated(t, "r4").g, []translation{
		{searchDef{Code: "value-string", Type: "string", Base: []string{"Observation"}, Expression: "(Observation.value as string) | (Observation.value as CodeableConcept).text"}, "Observation", "value[string] value[CodeableConcept].text", ""},
		{searchDef{Code: "name", Type: "string", Base: []string{"InsurancePlan"}, Expression: "name | alias"}, "InsurancePlan", "name alias", ""},
		{searchDef{Code: "instantiates-canonical", Type: "reference", Base: []string{"Procedure"}, Target: []string{"PlanDefinition", "Questionnaire"}, Expression: "Procedure.instantiatesCanonical"}, "Procedure", "instantiatesCanonical", "PlanDefinition Questionnaire"},
		{searchDef{Code: "source", Type: "reference", Base: []string{"ConceptMap"}, Expression: "(ConceptMap.source as canonical)"}, "ConceptMap", "source[canonical]", ""},
		{searchDef{Code: "patient", Type: "reference", Base: []string{"Observation"}, Target: []string{"Patient", "Group"}, Expression: "Observation.subject.where(resolve() is Patient)"}, "Observation", "subject", "Patient"},
		{searchDef{Code: "date", Type: "date", Base: []string{"Immunization"}, Expression: "Immunization.occurrence"}, "Immunization", "occurrence[x]", ""},
	}, []untranslatable{
		// A relative path of a definition of several bases names none.
		{searchDef{Type: "string", Base: []string{"InsurancePlan", "Organization"}, Expression: "name"}, "InsurancePlan", "name: does not start at a resource type"},
		{searchDef{Type: "reference", Base: []string{"ConceptMap"}, Expression: "ConceptMap.source.as(uri)"}, "ConceptMap", "no path ends at a Reference or canonical"},
		{searchDef{Type: "string", Base: []string{"Observation"}, Expression: "(Observation.value as CodeableConcept).nope"}, "Observation", "CodeableConcept has no element nope"},
	})
}

// Every base of a definition is translated on its own; composite,
// special and resource-wide definitions, and those that cannot be
// translated, are listed as left out; two parameters of one name on a
// type are an error.
func TestSearchTable(t *testing.T) {
	g := generated(t, "stu3").g
	defs := []searchDef{
		{ID: "clinical-date", Code: "date", Type: "date", Base: []string{"Observation", "Procedure"}, Expression: "Observation.effective | Procedure.performed"},
		{ID: "Resource-id", Code: "_id", Type: "token", Base: []string{"Resource"}, Expression: "Resource.id"},
		{ID: "Observation-code-value-concept", Code: "code-value-concept", Type: "composite", Base: []string{"Observation"}},
		{ID: "X-special", Code: "near", Type: "special", Base: []string{"Location"}, Expression: "Location.position"},
		{ID: "Patient-deceased", Code: "deceased", Type: "token", Base: []string{"Patient"}, Expression: "Patient.deceased.exists()"},
		{ID: "Nope-x", Code: "x", Type: "token", Base: []string{"Nope"}, Expression: "Nope.x"},
	}
	table, skips, err := g.searchTable(defs)
	if err != nil {
		t.Fatal(err)
	}
	if len(table) != 2 || table["Procedure"][0].ID != "clinical-date" || !slices.Equal(table["Observation"][0].Paths, []string{"effective[x]"}) {
		t.Errorf("table: %+v", table)
	}
	var got []string
	for _, s := range skips {
		got = append(got, s.Kind+" "+s.ID)
	}
	want := "base not in the table Nope-x, composite Observation-code-value-concept, not translatable Patient-deceased, resource-wide Resource-id, special X-special"
	if strings.Join(got, ", ") != want {
		t.Errorf("skipped: %s", strings.Join(got, ", "))
	}
	src, err := g.writeSearch(table, skips)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"//   - composite (1):\n//     Observation Observation-code-value-concept\n", "Patient Patient-deceased: Patient.deceased.exists(): exists() cannot be written as a path", `{Name: "date", Type: "date", Paths: []string{"performed[x]"}, ID: "clinical-date"}`} {
		if !strings.Contains(string(src), w) {
			t.Errorf("search_gen.go lacks %q:\n%s", w, src)
		}
	}
	_, _, err = g.searchTable(append(defs, searchDef{ID: "Observation-date", Code: "date", Type: "date", Base: []string{"Observation"}, Expression: "Observation.issued"}))
	if err == nil || !strings.Contains(err.Error(), "Observation has two parameters date: clinical-date and Observation-date") {
		t.Errorf("two of a name: %v", err)
	}
}

// The search list keeps the definitions that are not experimental,
// sorted by id, and reads back as written.
func TestSearchFromSpec(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) {
		if err := os.WriteFile(filepath.Join(dir, "SearchParameter-"+name+".json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b", `{"resourceType": "SearchParameter", "id": "b", "url": "http://hl7.org/fhir/SearchParameter/b", "code": "b", "type": "reference", "base": ["Observation", "Condition"], "target": ["Patient", "Group"], "expression": "Observation.subject |\n Condition.subject"}`)
	write("a", `{"resourceType": "SearchParameter", "id": "a", "url": "http://hl7.org/fhir/SearchParameter/a", "code": "a", "type": "token", "base": ["Patient"], "expression": "Patient.telecom.where(system='email')"}`)
	write("ext", `{"resourceType": "SearchParameter", "id": "ext", "url": "http://hl7.org/fhir/SearchParameter/ext", "experimental": true, "code": "e", "type": "token", "base": ["Patient"]}`)
	stu3, _ := releaseNamed("stu3")
	list, experimental, err := searchFromSpec(stu3, dir)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(string(list), searchHeader(stu3))
	if !ok || experimental != 1 {
		t.Fatalf("%d experimental:\n%s", experimental, list)
	}
	if want := "a\ta\ttoken\tPatient\t\tPatient.telecom.where(system='email')\nb\tb\treference\tObservation,Condition\tPatient,Group\tObservation.subject | Condition.subject\n"; body != want {
		t.Errorf("list:\n%q\nwant:\n%q", body, want)
	}
	defs, err := parseSearchList(list)
	if err != nil || len(defs) != 2 || !slices.Equal(defs[1].Target, []string{"Patient", "Group"}) || defs[0].Target != nil || defs[0].Expression != "Patient.telecom.where(system='email')" {
		t.Errorf("parsed: %+v %v", defs, err)
	}
	write("c", `{"resourceType": "SearchParameter", "id": "c", "url": "http://hl7.org/fhir/SearchParameter/c", "code": "c d", "type": "token", "base": ["Patient"]}`)
	if _, _, err := searchFromSpec(stu3, dir); err == nil {
		t.Error("a code with a space is listed")
	}
	if _, _, err := searchFromSpec(stu3, t.TempDir()); err == nil {
		t.Error("an empty folder gives a list")
	}
	if _, err := parseSearchList([]byte("a\tb\n")); err == nil {
		t.Error("a line of two fields is read")
	}
}
