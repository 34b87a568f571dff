package server

import "testing"

func TestFromAccept(t *testing.T) {
	for accept, want := range map[string]string{
		"application/fhir+json":     "json",
		"application/fhir+xml":      "xml",
		"*/*":                       "json",
		"application/fhir+xml, */*": "json", // a tie: JSON
		"application/fhir+xml;q=1, application/fhir+json;q=0.9": "xml",
		"application/fhir+json;q=0, */*":                        "xml",
		"application/fhir+json;q=0, application/fhir+xml;q=0":   "",
		"text/csv":               "",
		"text/*":                 "xml",
		"application/json;q=abc": "",
		"APPLICATION/FHIR+XML":   "xml",
	} {
		got, ok := fromAccept(accept)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", accept, got, ok, want)
		}
	}
}

func TestConditionalAndEncoding(t *testing.T) {
	etag := `W/"abc"`
	for h, want := range map[string]bool{`W/"abc"`: true, `"abc"`: true, `W/"x", W/"abc"`: true, `*`: true, `W/"x"`: false} {
		if etagMatches(h, etag) != want {
			t.Errorf("If-None-Match %q: %v", h, !want)
		}
	}
	for h, want := range map[string]bool{"gzip": true, "gzip, deflate": true, "br;q=1, gzip;q=0.5": true, "gzip;q=0": false, "gzip;Q=0": false, "gzip ; q = 0.000": false, "*": true, "*;q=0": false, "gzip;q=0, *": false, "identity": false, "": false} {
		if acceptsGzip(h) != want {
			t.Errorf("Accept-Encoding %q: %v", h, !want)
		}
	}
}
