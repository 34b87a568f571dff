package fhir

import "strconv"

// Link is one Bundle.link.
type Link struct {
	Relation string // self | next | previous | first
	URL      string
}

// Entry is one Bundle.entry of a searchset.
type Entry struct {
	FullURL  string
	Resource Value
	Mode     string // match | include | outcome
}

// SearchSet builds a Bundle of type searchset. total < 0 leaves
// Bundle.total out (totals are only computed on request).
func SearchSet(id, lastUpdated string, total int, links []Link, entries []Entry) *Object {
	b := NewObject(7)
	b.Add("resourceType", String("Bundle"))
	b.AddString("id", id)
	if lastUpdated != "" {
		b.Add("meta", NewObject(1).Add("lastUpdated", String(lastUpdated)))
	}
	b.Add("type", String("searchset"))
	if total >= 0 {
		b.Add("total", Number(strconv.Itoa(total)))
	}
	if len(links) > 0 {
		la := make(Array, 0, len(links))
		for _, l := range links {
			la = append(la, NewObject(2).Add("relation", String(l.Relation)).Add("url", String(l.URL)))
		}
		b.Add("link", la)
	}
	if len(entries) > 0 {
		ea := make(Array, 0, len(entries))
		for _, e := range entries {
			eo := NewObject(3)
			eo.AddString("fullUrl", e.FullURL)
			eo.Add("resource", e.Resource)
			if e.Mode != "" {
				eo.Add("search", NewObject(1).Add("mode", String(e.Mode)))
			}
			ea = append(ea, eo)
		}
		b.Add("entry", ea)
	}
	return b
}
