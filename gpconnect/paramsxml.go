package gpconnect

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// A request body in FHIR XML (SPEC §2: XML SHOULD be supported) is read
// into the JSON form of the same Parameters, which is then checked as a
// JSON body is: an element is a key, a primitive its value attribute (a
// boolean or a number typed by its name, valueBoolean, valuePositiveInt),
// a complex element an object of its children, and parameter and part
// lists. What FHIR XML has that a Parameters of this operation never does
// (text, extensions on a primitive, another namespace) is refused, naming
// it.

// fhirNS is FHIR's XML namespace.
const fhirNS = "http://hl7.org/fhir"

// xmlLists are the elements of a Parameters that repeat (JSON arrays).
var xmlLists = map[string]bool{"parameter": true, "part": true, "extension": true, "modifierExtension": true, "coding": true}

// parametersXML reads a Parameters in FHIR XML into its JSON form, as
// encoding/json decodes JSON (numbers as json.Number).
func parametersXML(raw []byte) (map[string]any, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var root xml.StartElement
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalidResource("the request body is not XML: a FHIR Parameters resource is expected")
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = se
			break
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 {
			return nil, invalidResource("the request body is not XML: a FHIR Parameters resource is expected")
		}
	}
	if root.Name.Space != fhirNS {
		return nil, invalidResource("the request body's %s is not in FHIR's namespace (%s)", root.Name.Local, fhirNS)
	}
	if root.Name.Local != "Parameters" {
		return nil, invalidResource("the request body is not a FHIR Parameters resource")
	}
	out, err := xmlObject(dec, "Parameters")
	if err != nil {
		return nil, err
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, invalidResource("the request body is not XML: %s", xmlErr(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return nil, invalidResource("the request body has more after the Parameters resource")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, invalidResource("the request body has more after the Parameters resource")
			}
		}
	}
	out["resourceType"] = "Parameters"
	return out, nil
}

// xmlObject reads the children of the element just started (at path, for
// the errors) up to its end, as a JSON object.
func xmlObject(dec *xml.Decoder, path string) (map[string]any, error) {
	out := map[string]any{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalidResource("the request body is not XML: %s", xmlErr(err))
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return out, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, invalidResource("%s holds text; FHIR XML gives values as value attributes", path)
			}
		case xml.StartElement:
			name := t.Name.Local
			if t.Name.Space != fhirNS {
				return nil, invalidResource("%s.%s is not in FHIR's namespace (%s)", path, name, fhirNS)
			}
			v, err := xmlValue(dec, t, path+"."+name)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			switch {
			case xmlLists[name]:
				list, _ := out[name].([]any)
				out[name] = append(list, v)
			case out[name] != nil:
				return nil, invalidResource("%s.%s is given twice", path, name)
			default:
				out[name] = v
			}
		}
	}
}

// xmlValue reads an element just started: a primitive (its value
// attribute, typed by the element's name) or a complex one (an object of
// its children); nil when it has neither.
func xmlValue(dec *xml.Decoder, se xml.StartElement, path string) (any, error) {
	value, has := "", false
	for _, a := range se.Attr {
		switch {
		case a.Name.Local == "value" && a.Name.Space == "":
			value, has = a.Value, true
		case a.Name.Space == "xmlns" || a.Name.Local == "xmlns":
		default:
			return nil, invalidResource("%s has the attribute %s, which this operation does not take", path, a.Name.Local)
		}
	}
	obj, err := xmlObject(dec, path)
	if err != nil {
		return nil, err
	}
	switch {
	case has && len(obj) > 0:
		return nil, invalidResource("%s has a value and elements; this operation takes no extension on a primitive", path)
	case has:
		return xmlPrimitive(se.Name.Local, value), nil
	case len(obj) > 0:
		return obj, nil
	}
	return nil, nil
}

// xmlPrimitive is a primitive's value in its JSON type: a boolean or a
// number by the type its (choice) name says, else the text. A value that
// is not of its type stays text, for the checks to refuse as they refuse
// it in JSON.
func xmlPrimitive(name, v string) any {
	switch {
	case strings.HasSuffix(name, "Boolean"):
		switch v {
		case "true":
			return true
		case "false":
			return false
		}
	case strings.HasSuffix(name, "PositiveInt"), strings.HasSuffix(name, "UnsignedInt"), strings.HasSuffix(name, "Integer"), strings.HasSuffix(name, "Decimal"):
		if json.Valid([]byte(v)) && v != "" && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
			return json.Number(v)
		}
	}
	return v
}

// xmlErr is an XML syntax error without the decoder's prefix.
func xmlErr(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Msg
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "it ends before the Parameters does"
	}
	return "it cannot be read"
}
