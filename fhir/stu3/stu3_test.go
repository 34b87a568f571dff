package stu3

import (
	"strings"
	"testing"
)

func names(t *Type) string {
	var n []string
	for _, e := range t.Elements {
		n = append(n, e.Name)
	}
	return strings.Join(n, ",")
}

func TestElementOrder(t *testing.T) {
	want := map[string]string{
		"Patient":   "id,meta,implicitRules,language,text,contained,extension,modifierExtension,identifier,active,name,telecom,gender,birthDate,deceased[x],address,maritalStatus,multipleBirth[x],photo,contact,animal,communication,generalPractitioner,managingOrganization,link",
		"HumanName": "id,extension,use,text,family,given,prefix,suffix,period",
		"Extension": "id,extension,url,value[x]",
		"Coding":    "id,extension,system,version,code,display,userSelected",
	}
	for typ, w := range want {
		if got := names(Lookup(typ)); got != w {
			t.Errorf("%s:\n got %s\nwant %s", typ, got, w)
		}
	}
}

func TestFacts(t *testing.T) {
	if n := len(Resources()); n != 117 {
		t.Errorf("%d resource types, STU3 has 117 (plus the abstract Resource and DomainResource)", n)
	}
	for _, r := range []string{"Patient", "Bundle", "OperationOutcome", "CapabilityStatement", "MedicationStatement"} {
		if !IsResource(r) {
			t.Errorf("%s is not a resource", r)
		}
	}
	if IsResource("HumanName") || Lookup("string").Kind != Primitive || Lookup("Patient.contact").Kind != Backbone {
		t.Error("kinds are wrong")
	}
	p := Lookup("Patient")
	el, typ, ok := p.Element("deceasedBoolean")
	if !ok || el.Name != "deceased[x]" || typ != "boolean" {
		t.Errorf("deceasedBoolean: %v %q %v", el, typ, ok)
	}
	if _, _, ok := p.Element("deceasedString"); ok {
		t.Error("deceasedString is not a Patient element")
	}
	if _, _, ok := p.Element("deceased"); ok {
		t.Error("the bare choice name is not an element")
	}
	g, _, _ := p.Element("gender")
	if strings.Join(g.Codes, ",") != "male,female,other,unknown" {
		t.Errorf("gender codes %v", g.Codes)
	}
	gp, _, _ := p.Element("generalPractitioner")
	if strings.Join(gp.Targets, ",") != "Organization,Practitioner" || gp.Max != "*" {
		t.Errorf("generalPractitioner %+v", gp)
	}
	v, _, _ := Lookup("Observation").Element("valueQuantity")
	for _, want := range []string{"Quantity", "CodeableConcept", "string", "boolean", "Range", "Ratio", "SampledData", "Attachment", "time", "dateTime", "Period"} {
		found := false
		for _, ty := range v.Types {
			found = found || ty == want
		}
		if !found {
			t.Errorf("Observation.value[x] lacks %s: %v", want, v.Types)
		}
	}
	mode, _, _ := Lookup("Bundle.entry.search").Element("mode")
	if strings.Join(mode.Codes, ",") != "match,include,outcome" {
		t.Errorf("Bundle.entry.search.mode codes %v", mode.Codes)
	}
	if i := p.Index("birthDate"); i != 13 {
		t.Errorf("Index(birthDate) = %d", i)
	}
	if Lookup("Observation").Index("valueQuantity") < 0 {
		t.Error("Index of a choice name")
	}
	st, _, _ := Lookup("Observation").Element("status")
	if st.Min != 1 {
		t.Error("Observation.status is required")
	}
}
