package fhir

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// The XML forms the sweep's resources do not all show: a narrative div, a
// contained resource, a primitive with an id and extensions and no value,
// a repeating primitive with a companion, escaping, and the resource id as
// an element but an element id as an attribute.
func TestAppendXML(t *testing.T) {
	ext := NewObject(2).AddString("url", "http://hl7.org/fhir/StructureDefinition/data-absent-reason").AddString("valueCode", "unknown")
	res := NewObject(8).
		AddString("resourceType", "Patient").
		AddString("id", "p1").
		Add("text", NewObject(2).AddString("status", "generated").AddString("div", `<div xmlns="http://www.w3.org/1999/xhtml"><p>A &amp; B</p></div>`)).
		Add("contained", Array{NewObject(2).AddString("resourceType", "Organization").AddString("id", "o1")}).
		Add("name", Array{NewObject(3).AddString("id", "n1").Add("_family", NewObject(1).Add("extension", Array{ext})).
			Add("given", Array{String("Ann"), String("Bea")}).Add("_given", Array{nil, NewObject(1).AddString("id", "g2")})}).
		Add("active", Bool(true)).
		Add("multipleBirthInteger", Number("2")).
		AddString("birthDate", "1970-01-02")
	res.Add("address", Array{NewObject(1).AddString("text", "1 \"Main\" St <north>\nLeeds")})
	got := string(AppendXML(nil, res))
	want := `<?xml version="1.0" encoding="UTF-8"?><Patient xmlns="http://hl7.org/fhir"><id value="p1"/>` +
		`<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>A &amp; B</p></div></text>` +
		`<contained><Organization xmlns="http://hl7.org/fhir"><id value="o1"/></Organization></contained>` +
		`<name id="n1"><family><extension url="http://hl7.org/fhir/StructureDefinition/data-absent-reason"><valueCode value="unknown"/></extension></family>` +
		`<given value="Ann"/><given id="g2" value="Bea"/></name>` +
		`<active value="true"/><multipleBirthInteger value="2"/><birthDate value="1970-01-02"/>` +
		`<address><text value="1 &quot;Main&quot; St &lt;north&gt;&#xA;Leeds"/></address></Patient>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// A narrative that is not one XHTML div is written as text in one, and
// characters XML cannot carry never reach the document.
func TestAppendXMLHostileText(t *testing.T) {
	for _, div := range []string{
		`<div xmlns="http://www.w3.org/1999/xhtml">x</div></text><active value="true"/><text><div xmlns="http://www.w3.org/1999/xhtml">y</div>`,
		"Ward 3 & 4",
		`<div>no namespace</div>`,
	} {
		res := NewObject(3).AddString("resourceType", "Patient").Add("text", NewObject(2).AddString("status", "generated").AddString("div", div)).Add("active", Bool(false))
		got := AppendXML(nil, res)
		if err := wellFormed(got); err != nil {
			t.Errorf("%q: %v\n%s", div, err, got)
		}
		if strings.Count(string(got), "<active") != 1 {
			t.Errorf("%q injected elements: %s", div, got)
		}
	}
	res := NewObject(2).AddString("resourceType", "Patient").AddString("id", "a\uFFFEb\x01c\xffd")
	if err := wellFormed(AppendXML(nil, res)); err != nil {
		t.Errorf("characters XML cannot carry: %v", err)
	}
}

func wellFormed(b []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
