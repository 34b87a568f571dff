package fhir

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// XMLNamespace is FHIR's XML namespace.
const XMLNamespace = "http://hl7.org/fhir"

// AppendXML appends the FHIR XML of a resource (an Object with a
// resourceType), from the same value tree the JSON is written from: the
// elements in the tree's (FHIR) order, primitives as value attributes
// joined with their JSON companions (_name: id and extensions), an
// element's id and an extension's url as attributes, the narrative's div
// as XHTML, nested resources (contained, Bundle entries) wrapped in their
// element.
func AppendXML(dst []byte, res *Object) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="UTF-8"?>`...)
	return appendXMLResource(dst, res)
}

func appendXMLResource(dst []byte, res *Object) []byte {
	typ := res.GetString("resourceType")
	dst = append(dst, '<')
	dst = append(dst, typ...)
	dst = append(dst, ` xmlns="`+XMLNamespace+`">`...)
	dst = appendXMLChildren(dst, res, true, false)
	dst = append(dst, "</"...)
	dst = append(dst, typ...)
	return append(dst, '>')
}

// appendXMLChildren writes an object's fields as child elements; a
// resource's id is an element, any other element's id an attribute (see
// appendXMLElement).
func appendXMLChildren(dst []byte, o *Object, resource, extension bool) []byte {
	companions := map[string]Value{}
	for _, f := range o.Fields {
		if base, ok := strings.CutPrefix(f.Name, "_"); ok {
			companions[base] = f.Value
		}
	}
	done := map[string]bool{}
	for _, f := range o.Fields {
		if f.Name == "resourceType" || strings.HasPrefix(f.Name, "_") {
			if base, ok := strings.CutPrefix(f.Name, "_"); ok && o.Get(base) == nil && !done[base] {
				// A primitive with extensions and no value.
				dst = appendXMLElement(dst, base, nil, companions[base])
			}
			continue
		}
		if !resource && (f.Name == "id" || f.Name == "url" && extension) {
			continue // attributes, written by the caller
		}
		done[f.Name] = true
		comp := companions[f.Name]
		if list, ok := f.Value.(Array); ok {
			comps, _ := comp.(Array)
			for i, item := range list {
				var c Value
				if i < len(comps) {
					c = comps[i]
				}
				dst = appendXMLElement(dst, f.Name, item, c)
			}
			continue
		}
		dst = appendXMLElement(dst, f.Name, f.Value, comp)
	}
	return dst
}

// isExtension tells an extension's element name: its url is an attribute.
func isExtension(name string) bool { return name == "extension" || name == "modifierExtension" }

// appendXMLElement writes one element: a primitive (with its companion's
// id and extensions), the narrative div, a nested resource or a complex
// element.
func appendXMLElement(dst []byte, name string, v, companion Value) []byte {
	comp, _ := companion.(*Object)
	switch t := v.(type) {
	case nil, String, Number, Bool:
		if name == "div" {
			if s, ok := t.(String); ok {
				if isXHTMLDiv(string(s)) {
					return append(dst, s...) // XHTML, written as it is
				}
				// Not one XHTML div: its text, escaped, in one.
				dst = append(dst, `<div xmlns="http://www.w3.org/1999/xhtml">`...)
				dst = appendXMLText(dst, string(s))
				return append(dst, "</div>"...)
			}
		}
		dst = append(dst, '<')
		dst = append(dst, name...)
		if comp != nil {
			if id := comp.GetString("id"); id != "" {
				dst = appendXMLAttr(dst, "id", id)
			}
		}
		if t != nil {
			dst = appendXMLAttr(dst, "value", primitiveText(t))
		}
		if comp == nil || comp.Get("extension") == nil {
			return append(dst, "/>"...)
		}
		dst = append(dst, '>')
		dst = appendXMLChildren(dst, comp, false, false)
		dst = append(dst, "</"...)
		dst = append(dst, name...)
		return append(dst, '>')
	case *Object:
		if t.GetString("resourceType") != "" {
			dst = append(dst, '<')
			dst = append(dst, name...)
			dst = append(dst, '>')
			dst = appendXMLResource(dst, t)
			dst = append(dst, "</"...)
			dst = append(dst, name...)
			return append(dst, '>')
		}
		dst = append(dst, '<')
		dst = append(dst, name...)
		if id := t.GetString("id"); id != "" {
			dst = appendXMLAttr(dst, "id", id)
		}
		if url := t.GetString("url"); url != "" && isExtension(name) {
			dst = appendXMLAttr(dst, "url", url)
		}
		dst = append(dst, '>')
		dst = appendXMLChildren(dst, t, false, isExtension(name))
		dst = append(dst, "</"...)
		dst = append(dst, name...)
		return append(dst, '>')
	case Array: // not expected here: arrays are unrolled by the caller
		for _, item := range t {
			dst = appendXMLElement(dst, name, item, nil)
		}
	}
	return dst
}

func primitiveText(v Value) string {
	switch t := v.(type) {
	case String:
		return string(t)
	case Number:
		return string(t)
	case Bool:
		return strconv.FormatBool(bool(t))
	}
	return ""
}

// appendXMLAttr writes name="value", escaped for an attribute.
func appendXMLAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendXMLText(dst, value)
	return append(dst, '"')
}

// xmlEscapes are the references appendXMLText writes for markup
// characters and white space, by character.
var xmlEscapes = [...]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&quot;", '\n': "&#xA;", '\r': "&#xD;", '\t': "&#x9;"}

// appendXMLText escapes text for an attribute or element: markup
// characters and white space as references, invalid UTF-8 as U+FFFD (as
// the JSON writer does), and characters XML 1.0 cannot carry left out.
func appendXMLText(dst []byte, value string) []byte {
	for i := 0; i < len(value); {
		r, size := utf8.DecodeRuneInString(value[i:])
		switch {
		case r < rune(len(xmlEscapes)) && xmlEscapes[r] != "":
			dst = append(dst, xmlEscapes[r]...)
		case r == utf8.RuneError && size == 1:
			dst = append(dst, "\uFFFD"...)
		case !xmlChar(r):
			// Not allowed in XML 1.0: left out.
		default:
			dst = append(dst, value[i:i+size]...)
		}
		i += size
	}
	return dst
}

// xmlChar reports whether XML 1.0 allows a character.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// isXHTMLDiv reports whether s is exactly one well-formed XHTML div
// element (what FHIR's narrative is), so that it can be written as markup.
func isXHTMLDiv(s string) bool {
	dec := xml.NewDecoder(strings.NewReader(s))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return roots == 1 && depth == 0
		}
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 || t.Name.Local != "div" || t.Name.Space != "http://www.w3.org/1999/xhtml" {
					return false
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(t)) != "" {
				return false
			}
		case xml.ProcInst, xml.Directive:
			return false
		}
	}
}
