package server_test

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// TestJWTAccess: tokens are verified, scopes limit types, and a patient
// context limits every read, search, chain, include and record to one
// patient, on both databases.
func TestJWTAccess(t *testing.T) {
	keys := authtest.New(t)
	patients := demotest.Rows(t, "PATIENT")
	me, other := "3", "4"
	var otherNHS string
	for _, p := range patients {
		if demotest.Str(p["PATIENT_ID"]) == other {
			otherNHS = strings.ReplaceAll(demotest.Str(p["NHS_NUMBER"]), " ", "")
		}
	}
	var otherObs string
	for _, o := range demotest.Rows(t, "OBSERVATION") {
		if demotest.Str(o["PATIENT_ID"]) == other {
			otherObs = demotest.Str(o["OBS_ID"])
			break
		}
	}
	onBothBases(t, keys, func(t *testing.T, base string) {
		call := func(path, token string) demotest.Response {
			if token == "" {
				return demotest.Get(t, base+path)
			}
			return demotest.Get(t, base+path, "Authorization", "Bearer "+token)
		}
		patientTok := authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", me, nil)
		userTok := authtest.Sign(t, keys.EC, jwa.ES256, "user/Observation.read user/Patient.read", "", nil)

		// /metadata stays open.
		if r := call("/metadata", ""); r.Status != 200 {
			t.Errorf("metadata: %d", r.Status)
		}
		// 401: missing, malformed, unverifiable or expired tokens, with a challenge.
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"rsa1"}`))
		pub, _ := keys.RSA.PublicKey()
		pubJSON, _ := jwk.Pem(pub)
		hs, _ := jwk.FromRaw(pubJSON)
		hs.Set(jwk.KeyIDKey, "rsa1")
		for name, tok := range map[string]string{
			"none":                      "",
			"garbage":                   "garbage",
			"alg none":                  header + "." + strings.Split(patientTok, ".")[1] + ".",
			"HS256 with the public key": authtest.Sign(t, hs, jwa.HS256, "patient/*.read", me, nil),
			"wrong signature":           authtest.Sign(t, authtest.Unpublished(t, "rsa1"), jwa.RS256, "patient/*.read", me, nil),
			"unknown kid":               authtest.Sign(t, authtest.Unpublished(t, "zzz"), jwa.RS256, "patient/*.read", me, nil),
			"expired": authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", me, func(tok jwt.Token) {
				tok.Set(jwt.ExpirationKey, time.Now().Add(-time.Hour))
			}),
			"not yet valid":  authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", me, func(tok jwt.Token) { tok.Set(jwt.NotBeforeKey, time.Now().Add(time.Hour)) }),
			"wrong issuer":   authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", me, func(tok jwt.Token) { tok.Set(jwt.IssuerKey, "https://evil") }),
			"wrong audience": authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", me, func(tok jwt.Token) { tok.Set(jwt.AudienceKey, "other") }),
		} {
			r := call("/Patient/"+me, tok)
			if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" || strings.Contains(string(r.Body), `"Patient"`) {
				t.Errorf("%s: %d %q", name, r.Status, r.Header.Get("WWW-Authenticate"))
			}
		}
		// The patient token reads its own patient and record.
		for _, path := range []string{"/Patient/" + me, "/Observation?patient=" + me, "/Patient/" + me + "/$everything", "/Patient/" + me + "/Observation"} {
			if r := call(path, patientTok); r.Status != 200 {
				t.Errorf("own %s: %d %s", path, r.Status, demotest.Truncate(string(r.Body), 200))
			}
		}
		// 403 for another patient, by every route.
		for _, path := range []string{
			"/Patient/" + other,
			"/Patient?_id=" + other,
			"/Observation/" + otherObs,
			"/Observation?patient=" + other,
			"/Observation?subject=Patient/" + other,
			"/Observation?patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+otherNHS),
			"/Patient/" + other + "/$everything",
			"/Patient/$everything?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+otherNHS),
			"/Patient/" + other + "/Observation",
		} {
			r := call(path, patientTok)
			if r.Status != 403 || strings.Contains(string(r.Body), `"resourceType":"Patient"`) || strings.Contains(string(r.Body), `"resourceType":"Observation"`) {
				t.Errorf("other patient %s: %d %s", path, r.Status, demotest.Truncate(string(r.Body), 200))
			}
		}
		// Searches without a patient see only the token's patient, includes too.
		for _, path := range []string{"/Observation?_count=100", "/Patient?_count=100&_revinclude=Observation:patient", "/Practitioner?_count=5&_revinclude=Encounter:participant"} {
			r := call(path, patientTok)
			if r.Status != 200 {
				t.Errorf("%s: %d", path, r.Status)
				continue
			}
			for _, en := range demotest.Entries(t, r.JSON(t)) {
				if subj := patientOf(en); subj != "" && subj != me {
					t.Errorf("%s served data of Patient/%s", path, subj)
				}
			}
		}
		// A patient context given as an NHS number works the same way.
		var myNHS string
		for _, p := range patients {
			if demotest.Str(p["PATIENT_ID"]) == me {
				myNHS = strings.ReplaceAll(demotest.Str(p["NHS_NUMBER"]), " ", "")
			}
		}
		nhsTok := authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", "", func(tok jwt.Token) { tok.Set("nhs_number", myNHS) })
		if r := call("/Patient/"+me, nhsTok); r.Status != 200 {
			t.Errorf("NHS-number context, own record: %d", r.Status)
		}
		if r := call("/Patient/"+other, nhsTok); r.Status != 403 {
			t.Errorf("NHS-number context, another patient: %d", r.Status)
		}
		unknownTok := authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", "", func(tok jwt.Token) { tok.Set("nhs_number", "9434765919") })
		if r := call("/Observation", unknownTok); r.Status != 403 {
			t.Errorf("an NHS number of nobody here: %d", r.Status)
		}
		// A tampered paging cursor is refused, also with a valid token.
		first := call("/Observation?_count=2", patientTok).JSON(t)
		if next := demotest.Link(first, "next"); next != "" {
			u, _ := url.Parse(next)
			q := u.Query()
			c := []byte(q.Get("_cursor"))
			c[len(c)/2] ^= 1
			q.Set("_cursor", string(c))
			if r := call("/Observation?"+q.Encode(), patientTok); r.Status != 400 || strings.Contains(string(r.Body), `"resourceType":"Observation"`) {
				t.Errorf("tampered cursor: %d", r.Status)
			}
		}
		// Scopes: a user token for Observation and Patient cannot read Condition.
		if r := call("/Condition?patient="+me, userTok); r.Status != 403 {
			t.Errorf("scope for another type: %d", r.Status)
		}
		if r := call("/Observation?patient="+other, userTok); r.Status != 200 {
			t.Errorf("a user token without patient context: %d", r.Status)
		}
	})
}

// patientOf returns the patient id a resource belongs to, if any.
func patientOf(r map[string]any) string {
	if r["resourceType"] == "Patient" {
		return r["id"].(string)
	}
	for _, k := range []string{"subject", "patient"} {
		if ref, ok := r[k].(map[string]any); ok {
			if s, ok := ref["reference"].(string); ok && strings.HasPrefix(s, "Patient/") {
				return strings.TrimPrefix(s, "Patient/")
			}
		}
	}
	return ""
}

// Spine Security Proxy mode: the SSP headers and the consumer's GP Connect
// style claims are required and checked, and recorded in the audit trail.
func TestSpineSecurityProxy(t *testing.T) {
	keys := authtest.New(t)
	e := demotest.SQLite(t, demotest.Config{})
	var buf demotest.Buffer
	base := jwtServer(t, e, keys, func(o *server.Options) {
		o.SSP = &server.SSPOptions{ASID: "200000000359"}
		o.Audit = audit.NewWriter(&buf)
	})
	claims := func(edit func(c map[string]any)) string {
		c := sspClaims(map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"})
		c["jti"] = "token-42"
		if edit != nil {
			edit(c)
		}
		return authtest.SignClaims(t, keys.RSA, jwa.RS256, c)
	}
	const trace = "09a01679-2564-0fb4-5129-aecc81ea2706"
	headers := func(tok string, edit map[string]string) []string {
		h := map[string]string{
			"Authorization": "Bearer " + tok, "Ssp-TraceID": trace,
			"Ssp-From": "200000000117", "Ssp-To": "200000000359",
			"Ssp-InteractionID": "urn:nhs:names:services:careconnect:fhir:rest:search:patient",
		}
		for k, v := range edit {
			h[k] = v
		}
		var out []string
		for k, v := range h {
			out = append(out, k, v)
		}
		return out
	}
	good := claims(nil)
	if r := demotest.Get(t, base+"/Patient?_count=2", headers(good, nil)...); r.Status != 200 {
		t.Fatalf("a good SSP request: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(buf.String(), `"ssp_trace_id":"`+trace+`"`) || !strings.Contains(buf.String(), `"practitioner":"G13579135"`) ||
		!strings.Contains(buf.String(), `"organisation":"A81001"`) || !strings.Contains(buf.String(), `"jti":"token-42"`) || !strings.Contains(buf.String(), `"purpose":"directcare"`) || !strings.Contains(buf.String(), `"ssp_from":"200000000117"`) {
		t.Errorf("the audit record lacks the SSP details: %s", buf.String())
	}
	// Each request accepts the interaction id of exactly what it does.
	const urn = "urn:nhs:names:services:careconnect:fhir:rest:"
	for path, ids := range map[string][]string{
		"/Patient/3":                    {urn + "read:patient"},
		"/Observation?patient=3":        {urn + "search:observation"},
		"/AllergyIntolerance?patient=3": {urn + "search:allergyintolerance"},
		"/Patient/3/Observation":        {urn + "search:observation", urn + "search:patient"},
		"/Patient/3/$everything":        {urn + "operation:patient-everything"},
		"/Patient/$everything?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+demotest.NHSOf(t, "3")): {urn + "operation:patient-everything"},
	} {
		for _, id := range ids {
			if r := demotest.Get(t, base+path, headers(good, map[string]string{"Ssp-InteractionID": id})...); r.Status != 200 {
				t.Errorf("%s with %s: %d %s", path, id, r.Status, demotest.Truncate(string(r.Body), 300))
			}
		}
		for _, wrong := range []string{urn + "read:observation", urn + "search:practitioner", "urn:nhs:names:services:gpconnect:fhir:rest:search:patient",
			urn + "search:patient-1", urn + "SEARCH:patient", urn + "operation:patient", ""} {
			if slices.Contains(ids, wrong) {
				continue
			}
			if r := demotest.Get(t, base+path, headers(good, map[string]string{"Ssp-InteractionID": wrong})...); r.Status != 400 {
				t.Errorf("%s with %q: %d", path, wrong, r.Status)
			}
		}
	}
	post := demotest.Do(t, "POST", base+"/Observation/_search", strings.NewReader("patient=3"),
		append(headers(good, map[string]string{"Ssp-InteractionID": urn + "search:observation"}), "Content-Type", "application/x-www-form-urlencoded")...)
	if post.Status != 200 {
		t.Errorf("POST _search with the search interaction: %d %s", post.Status, demotest.Truncate(string(post.Body), 300))
	}
	buf.Reset()
	long := strings.Repeat("a", 8<<10)
	for name, c := range map[string]struct {
		tok     string
		headers map[string]string
		says    string
	}{
		"no trace id":          {good, map[string]string{"Ssp-TraceID": ""}, "Ssp-TraceID"},
		"trace id not a UUID":  {good, map[string]string{"Ssp-TraceID": "not-a-uuid"}, "UUID"},
		"an 8 KB trace id":     {good, map[string]string{"Ssp-TraceID": long}, "UUID"},
		"wrong Ssp-To":         {good, map[string]string{"Ssp-To": "999"}, "not this service's ASID"},
		"bad Ssp-From":         {good, map[string]string{"Ssp-From": "abc"}, "Ssp-From"},
		"read interaction":     {good, map[string]string{"Ssp-InteractionID": urn + "read:patient"}, "does not match"},
		"other resource":       {good, map[string]string{"Ssp-InteractionID": urn + "search:observation"}, "does not match"},
		"another service":      {good, map[string]string{"Ssp-InteractionID": "urn:nhs:names:services:gpconnect:fhir:rest:search:patient"}, "does not match"},
		"secondary uses":       {claims(func(c map[string]any) { c["reason_for_request"] = "secondaryuses" }), nil, "reason_for_request"},
		"no ODS code":          {claims(func(c map[string]any) { c["requesting_organization"] = map[string]any{"resourceType": "Organization"} }), nil, "ODS code"},
		"no device":            {claims(func(c map[string]any) { delete(c, "requesting_device") }), nil, "requesting_device"},
		"sub not practitioner": {claims(func(c map[string]any) { c["sub"] = "2" }), nil, "sub"},
		"no sub":               {claims(func(c map[string]any) { delete(c, "sub") }), nil, "sub"},
		"practitioner with only an SDS id": {claims(func(c map[string]any) {
			c["requesting_practitioner"] = map[string]any{"resourceType": "Practitioner",
				"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"}}}
		}), nil, "requesting_practitioner"},
	} {
		r := demotest.Get(t, base+"/Patient?_count=2", headers(c.tok, c.headers)...)
		if r.Status != 400 || !strings.Contains(demotest.IssueText(t, r), c.says) || strings.Contains(string(r.Body), `"resourceType":"Patient"`) {
			t.Errorf("%s: %d %s", name, r.Status, demotest.Truncate(string(r.Body), 300))
		}
	}
	// An empty sub is no subject: the token is refused.
	if r := demotest.Get(t, base+"/Patient?_count=2", headers(claims(func(c map[string]any) { c["sub"] = "" }), nil)...); r.Status != 401 {
		t.Errorf("an empty sub: %d", r.Status)
	}
	if strings.Contains(buf.String(), long[:100]) || strings.Contains(buf.String(), "not-a-uuid") {
		t.Error("an unchecked Ssp-TraceID went into the audit trail")
	}

	// With practitioner_identifier, sub must be the practitioner's SDS user id.
	sds := jwtServer(t, e, keys, func(o *server.Options) {
		o.SSP = &server.SSPOptions{ASID: "200000000359", PractitionerIdentifier: "https://fhir.nhs.uk/Id/sds-user-id"}
	})
	onlySDS := claims(func(c map[string]any) {
		c["sub"] = "G13579135"
		c["requesting_practitioner"] = map[string]any{"resourceType": "Practitioner",
			"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"}}}
	})
	if r := demotest.Get(t, sds+"/Patient?_count=2", headers(onlySDS, nil)...); r.Status != 200 {
		t.Errorf("sub = the SDS user id: %d %s", r.Status, demotest.Truncate(string(r.Body), 300))
	}
	if r := demotest.Get(t, sds+"/Patient?_count=2", headers(good, nil)...); r.Status != 400 {
		t.Errorf("sub = the practitioner's id where the SDS user id is required: %d", r.Status)
	}
}

// Links never come from the Host header: without a base URL they are made
// from the address the connection was accepted on.
func TestLinksIgnoreTheHostHeader(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	for _, path := range []string{"/Patient?_count=1", "/Patient/3/$everything?_count=2", "/metadata"} {
		r := demotest.Get(t, e.Base+path, "Host", "evil.example", "X-Forwarded-Host", "evil.example")
		if r.Status != 200 || strings.Contains(string(r.Body), "evil.example") {
			t.Errorf("%s: %d, links from the Host header: %s", path, r.Status, demotest.Truncate(string(r.Body), 300))
		}
		if path != "/metadata" && !strings.Contains(string(r.Body), `"fullUrl":"`+e.Base+"/") {
			t.Errorf("%s: fullUrl not from the listener's address %s", path, e.Base)
		}
	}
}
