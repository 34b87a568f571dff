package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// people are two demo patients seen from outside: ids, NHS numbers,
// surnames and one Observation of the other.
type people struct {
	me, other             string
	myNHS, otherNHS       string
	myFamily, otherFamily string
	otherObs              string
}

func twoPatients(t *testing.T) people {
	p := people{me: "3", other: "4"}
	for _, r := range demotest.Rows(t, "PATIENT") {
		nhs := strings.ReplaceAll(demotest.Str(r["NHS_NUMBER"]), " ", "")
		switch demotest.Str(r["PATIENT_ID"]) {
		case p.me:
			p.myNHS, p.myFamily = nhs, strings.TrimSpace(demotest.Str(r["SURNAME"]))
		case p.other:
			p.otherNHS, p.otherFamily = nhs, strings.TrimSpace(demotest.Str(r["SURNAME"]))
		}
	}
	for _, o := range demotest.Rows(t, "OBSERVATION") {
		if demotest.Str(o["PATIENT_ID"]) == p.other {
			p.otherObs = demotest.Str(o["OBS_ID"])
			break
		}
	}
	if p.myNHS == "" || p.otherNHS == "" || p.otherObs == "" || strings.EqualFold(p.myFamily, p.otherFamily) {
		t.Fatalf("the demo lacks the two patients this test needs: %+v", p)
	}
	return p
}

// jwtServer serves e's database with JWT verification (and opts' other
// settings) and returns the base URL.
func jwtServer(t *testing.T, e *demotest.Env, keys *authtest.Keys, edit func(*server.Options)) string {
	t.Helper()
	v, err := auth.New(context.Background(), auth.Config{JWKSURL: keys.URL, Issuers: []string{authtest.Issuer}, Audiences: []string{authtest.Audience}})
	if err != nil {
		t.Fatal(err)
	}
	log := demotest.Silent()
	eng, err := engine.New(e.Eng.Catalog(), e.DB, engine.Options{Logger: log, PagingSecret: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{Engine: eng, Logger: log, Verifier: v}
	if edit != nil {
		edit(&opts)
	}
	srv := httptest.NewServer(server.New(opts))
	t.Cleanup(srv.Close)
	return srv.URL + "/fhir"
}

// sspClaims are the claims of a user token the Spine Security Proxy
// passes on (authtest.Claims, for user/*.read): the reason, the scope
// asked for, and the requesting device, organization and practitioner
// (Practitioner/1, with practitionerIDs as its identifiers).
func sspClaims(practitionerIDs ...any) map[string]any {
	c := authtest.Claims()
	c["scope"] = "user/*.read"
	c["sub"] = "1"
	c["reason_for_request"] = "directcare"
	c["requested_scope"] = "patient/*.read"
	c["requesting_device"] = map[string]any{"resourceType": "Device", "id": "1"}
	c["requesting_organization"] = map[string]any{"resourceType": "Organization",
		"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A81001"}}}
	pr := map[string]any{"resourceType": "Practitioner", "id": "1"}
	if len(practitionerIDs) > 0 {
		pr["identifier"] = practitionerIDs
	}
	c["requesting_practitioner"] = pr
	return c
}

// onBothBases runs body, as subtests, against the service's STU3 base
// (/fhir) on every backend and its R4 base (/R4) on SQLite: access control
// is the same middleware on both bases, so the R4 run needs only one
// backend to show it holds there too.
func onBothBases(t *testing.T, keys *authtest.Keys, body func(t *testing.T, base string)) {
	demotest.Each(t, demotest.Config{}, func(t *testing.T, e *demotest.Env) {
		body(t, jwtServer(t, e, keys, nil))
	})
	t.Run("sqlite-R4", func(t *testing.T) {
		t.Parallel()
		e := demotest.SQLite(t, demotest.Config{})
		base := jwtServer(t, e, keys, func(o *server.Options) { o.R4Prefix = server.DefaultR4Prefix })
		base = strings.TrimSuffix(base, "/fhir") + server.DefaultR4Prefix
		if v := demotest.Get(t, base+"/metadata").JSON(t)["fhirVersion"]; v != "4.0.1" {
			t.Fatalf("%s serves FHIR %v, not R4", base, v)
		}
		body(t, base)
	})
}

// leaks reports resources of a patient other than want in a response.
func leaks(t *testing.T, r demotest.Response, want string) []string {
	if r.Status != 200 {
		return nil
	}
	var out []string
	b := r.JSON(t)
	res := []map[string]any{b}
	if b["resourceType"] == "Bundle" {
		res = demotest.Entries(t, b)
	}
	for _, x := range res {
		if p := patientOf(x); p != "" && p != want {
			out = append(out, fmt.Sprintf("%s/%v of Patient/%s", x["resourceType"], x["id"], p))
		}
	}
	return out
}

// Every claim the facade acts on, given as every other JSON type, is a 401
// that names the claim: never ignored, never a wider reach.
func TestClaimTypeProbes(t *testing.T) {
	keys := authtest.New(t)
	pp := twoPatients(t)
	onBothBases(t, keys, func(t *testing.T, base string) {
		values := map[string]any{"a string": "1", "a number": 1, "a boolean": true, "null": nil,
			"an array": []any{pp.me}, "an object": map[string]any{"id": pp.me}, "a numeric string": "9000000114"}
		// claim → the types it accepts.
		accepts := map[string][]string{
			"patient": {"a string", "a numeric string"}, "nhs_number": {"a numeric string"},
			"scope": {"a string", "a numeric string"}, "client_id": {"a string", "a numeric string"},
			"sub": {"a string", "a numeric string"}, "jti": {"a string", "a numeric string"},
			"exp": {"a number"}, "nbf": {"a number"}, "iat": {"a number"},
			"iss": {"a string"}, "aud": {"a string", "an array"},
			"reason_for_request": {"a string", "a numeric string"}, "requested_scope": {"a string", "a numeric string"},
			"requesting_device": {"an object"}, "requesting_organization": {"an object"}, "requesting_practitioner": {"an object"},
		}
		probes := 0
		for claim, ok := range accepts {
			for kind, val := range values {
				if slices.Contains(ok, kind) {
					continue
				}
				tok := keys.SignScope(t, "patient/*.read", map[string]any{"patient": pp.me, claim: val})
				for _, path := range []string{"/Patient/" + pp.other, "/Observation?patient=" + pp.other} {
					probes++
					r := demotest.Get(t, base+path, "Authorization", "Bearer "+tok)
					if r.Status != 401 || !strings.Contains(demotest.IssueText(t, r), claim) || strings.Contains(string(r.Body), `"resourceType":"Patient"`) {
						t.Errorf("%s as %s, %s: %d %s", claim, kind, path, r.Status, demotest.Truncate(string(r.Body), 200))
					}
				}
			}
		}
		// The reported cases: patient and nhs_number as numbers or lists,
		// without any other patient claim.
		for name, c := range map[string]map[string]any{
			"patient as a number":    {"patient": 1},
			"patient as a list":      {"patient": []any{"1"}},
			"nhs_number as a number": {"nhs_number": 9000000114},
			"patient null":           {"patient": nil},
			"patient empty":          {"patient": ""},
		} {
			tok := keys.SignScope(t, "patient/*.read", c)
			for _, path := range []string{"/Patient/2", "/Observation?patient=2", "/Patient/1500/$everything"} {
				probes++
				if r := demotest.Get(t, base+path, "Authorization", "Bearer "+tok); r.Status != 401 {
					t.Errorf("%s, %s: %d %s", name, path, r.Status, demotest.Truncate(string(r.Body), 200))
				}
			}
		}
		t.Logf("%d claim-type probes", probes)
	})
}

// contextKind is a way a token can carry (or not carry) a patient context.
type contextKind struct {
	name    string
	claims  func(pp people) map[string]any
	patient bool // a usable patient context (the token's patient is pp.me)
}

var contextKinds = []contextKind{
	{"no context", func(people) map[string]any { return nil }, false},
	{"fhirUser only", func(pp people) map[string]any { return map[string]any{"fhirUser": "Patient/" + pp.me} }, false},
	{"patient claim", func(pp people) map[string]any { return map[string]any{"patient": pp.me} }, true},
	{"nhs_number claim", func(pp people) map[string]any { return map[string]any{"nhs_number": pp.myNHS} }, true},
	{"both claims, agreeing", func(pp people) map[string]any { return map[string]any{"patient": pp.me, "nhs_number": pp.myNHS} }, true},
}

// The scope × context × interaction matrix, driven by auth.ScopeRules:
// each scope kind, with each kind of patient context, through each way of
// reading a patient's data.
func TestScopeContextMatrix(t *testing.T) {
	keys := authtest.New(t)
	pp := twoPatients(t)
	onBothBases(t, keys, func(t *testing.T, base string) {
		nhsOther := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + pp.otherNHS)
		nhsMine := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + pp.myNHS)
		// interaction → path for my patient, path for the other.
		interactions := []struct{ name, mine, theirs string }{
			{"read Patient", "/Patient/" + pp.me, "/Patient/" + pp.other},
			{"read Observation", "", "/Observation/" + pp.otherObs},
			{"search by patient", "/Observation?patient=" + pp.me, "/Observation?patient=" + pp.other},
			{"search by subject", "/Observation?subject=Patient/" + pp.me, "/Observation?subject=Patient/" + pp.other},
			{"search Patient by _id", "/Patient?_id=" + pp.me, "/Patient?_id=" + pp.other},
			{"chain", "/Observation?patient.identifier=" + nhsMine, "/Observation?patient.identifier=" + nhsOther},
			{"compartment", "/Patient/" + pp.me + "/Observation", "/Patient/" + pp.other + "/Observation"},
			{"$everything", "/Patient/" + pp.me + "/$everything", "/Patient/" + pp.other + "/$everything"},
			{"$everything by NHS number", "/Patient/$everything?identifier=" + nhsMine, "/Patient/$everything?identifier=" + nhsOther},
			{"POST _search", "", ""},
		}
		probes := 0
		for _, rule := range auth.ScopeRules {
			for _, ck := range contextKinds {
				tok := keys.SignScope(t, rule.Context+"/*.read", ck.claims(pp))
				reach := rule.WithoutPatient
				if ck.patient {
					reach = rule.WithPatient
				}
				name := rule.Context + "/*.read, " + ck.name
				call := func(path string) demotest.Response {
					probes++
					return demotest.Get(t, base+path, "Authorization", "Bearer "+tok)
				}
				for _, in := range interactions {
					if in.name == "POST _search" {
						probes++
						r := demotest.Do(t, "POST", base+"/Observation/_search", strings.NewReader("patient="+pp.other),
							"Authorization", "Bearer "+tok, "Content-Type", "application/x-www-form-urlencoded")
						want := map[auth.Reach]int{auth.ReachNone: 403, auth.ReachPatient: 403, auth.ReachAll: 200}[reach]
						if r.Status != want {
							t.Errorf("%s: POST _search for the other patient: %d, want %d", name, r.Status, want)
						}
						continue
					}
					if in.mine != "" {
						r := call(in.mine)
						want := map[auth.Reach]int{auth.ReachNone: 403, auth.ReachPatient: 200, auth.ReachAll: 200}[reach]
						if r.Status != want {
							t.Errorf("%s: %s of my patient: %d, want %d: %s", name, in.name, r.Status, want, demotest.Truncate(string(r.Body), 200))
						}
						if l := leaks(t, r, pp.me); len(l) > 0 && reach != auth.ReachAll {
							t.Errorf("%s: %s of my patient served %v", name, in.name, l)
						}
					}
					r := call(in.theirs)
					want := map[auth.Reach]int{auth.ReachNone: 403, auth.ReachPatient: 403, auth.ReachAll: 200}[reach]
					if r.Status != want {
						t.Errorf("%s: %s of the other patient: %d, want %d: %s", name, in.name, r.Status, want, demotest.Truncate(string(r.Body), 200))
					}
					if want == 403 && (strings.Contains(string(r.Body), `"resourceType":"Patient"`) || strings.Contains(string(r.Body), `"resourceType":"Observation"`)) {
						t.Errorf("%s: %s of the other patient served data", name, in.name)
					}
				}
				// Searches that name no patient: only mine with a patient
				// reach, anyone's with a full one.
				for _, path := range []string{"/Observation?_count=200", "/Patient?_count=50&_revinclude=Observation:patient", "/Encounter?_count=100&_include=Encounter:patient", "/Practitioner?_count=5&_revinclude=Encounter:participant"} {
					r := call(path)
					want := map[auth.Reach]int{auth.ReachNone: 403, auth.ReachPatient: 200, auth.ReachAll: 200}[reach]
					if r.Status != want {
						t.Errorf("%s: %s: %d, want %d", name, path, r.Status, want)
						continue
					}
					l := leaks(t, r, pp.me)
					if reach == auth.ReachPatient && len(l) > 0 {
						t.Errorf("%s: %s served %v", name, path, l[:min(3, len(l))])
					}
					if reach == auth.ReachAll && len(l) == 0 && !strings.HasPrefix(path, "/Practitioner") {
						t.Errorf("%s: %s served only my patient's data; the scope reaches everyone's", name, path)
					}
				}
			}
		}
		// A patient context that cannot be used: refused, not widened.
		for name, c := range map[string]map[string]any{
			"NHS number of nobody here":           {"nhs_number": "9434765919"},
			"patient and NHS number disagreeing":  {"patient": pp.me, "nhs_number": pp.otherNHS},
			"no read scope at all":                {"patient": pp.me, "scope": "openid launch/patient"},
			"write scopes only":                   {"patient": pp.me, "scope": "patient/*.write"},
			"patient scopes only, no context":     {"scope": "patient/Observation.read patient/Patient.read"},
			"patient scopes only, fhirUser given": {"scope": "patient/*.read", "fhirUser": "Patient/" + pp.me},
			"two patients in one claim":           {"patient": pp.me + "," + pp.other},
			"a zero-padded id":                    {"patient": "0" + pp.other},
			"an escaped id":                       {"patient": fmt.Sprintf("-%x", pp.other[0])},
			"a patient not here":                  {"patient": "987654"},
		} {
			tok := keys.SignScope(t, "patient/*.read", c)
			for _, path := range []string{"/Patient/" + pp.me, "/Observation?patient=" + pp.other, "/Patient/1500/$everything", "/Observation?_count=500", "/Observation/" + pp.otherObs, "/Patient/" + pp.other} {
				probes++
				if r := demotest.Get(t, base+path, "Authorization", "Bearer "+tok); r.Status != 403 || strings.Contains(string(r.Body), `"resourceType":"Patient"`) || strings.Contains(string(r.Body), `"resourceType":"Observation"`) {
					t.Errorf("%s, %s: %d %s", name, path, r.Status, demotest.Truncate(string(r.Body), 200))
				}
			}
		}
		t.Logf("%d scope × context probes", probes)
	})
}

// Mixed scopes: each type reaches as far as its own scopes say, and a
// chain or include through a type is held to that type's reach.
func TestMixedScopesChainsAndIncludes(t *testing.T) {
	keys := authtest.New(t)
	pp := twoPatients(t)
	onBothBases(t, keys, func(t *testing.T, base string) {
		call := func(tok, path string) demotest.Response {
			return demotest.Get(t, base+path, "Authorization", "Bearer "+tok)
		}
		nhsOther := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + pp.otherNHS)

		// Observation only: chains into Patient are refused, whatever they ask.
		obsOnly := keys.SignScope(t, "user/Observation.read", nil)
		for _, path := range []string{
			"/Observation?patient.identifier=" + nhsOther + "&patient.family=" + url.QueryEscape(pp.otherFamily) + "&_summary=count",
			"/Observation?patient.family=" + url.QueryEscape(pp.otherFamily),
			"/Observation?subject:Patient.birthdate=ge1900",
			"/Observation?patient.identifier=" + nhsOther,
			"/Patient/" + pp.other,
		} {
			if r := call(obsOnly, path); r.Status != 403 || strings.Contains(string(r.Body), `"total"`) {
				t.Errorf("user/Observation.read, %s: %d %s", path, r.Status, demotest.Truncate(string(r.Body), 200))
			}
		}
		if r := call(obsOnly, "/Observation?patient="+pp.other); r.Status != 200 {
			t.Errorf("user/Observation.read, a plain reference search: %d", r.Status)
		}
		// Encounter only: a chain into Practitioner is refused too.
		encOnly := keys.SignScope(t, "user/Encounter.read", nil)
		if r := call(encOnly, "/Encounter?participant.name=a"); r.Status != 403 {
			t.Errorf("user/Encounter.read, a chain into Practitioner: %d", r.Status)
		}
		// Includes of a type the scopes do not allow are left out.
		for _, path := range []string{"/Observation?patient=" + pp.other + "&_include=Observation:patient", "/Encounter?_count=20&_include=Encounter:participant&_include=Encounter:patient"} {
			r := call(obsOnly, path)
			if strings.HasPrefix(path, "/Encounter") {
				r = call(encOnly, path)
			}
			if r.Status != 200 {
				t.Errorf("%s: %d", path, r.Status)
				continue
			}
			for _, x := range demotest.Entries(t, r.JSON(t)) {
				if x["resourceType"] == "Patient" || x["resourceType"] == "Practitioner" {
					t.Errorf("%s included %s/%v, which the scopes do not allow", path, x["resourceType"], x["id"])
				}
			}
		}
		patOnly := keys.SignScope(t, "user/Patient.read", nil)
		r := call(patOnly, "/Patient?_id="+pp.other+"&_revinclude=Observation:patient")
		for _, x := range demotest.Entries(t, r.JSON(t)) {
			if x["resourceType"] == "Observation" {
				t.Errorf("user/Patient.read: _revinclude served Observation/%v", x["id"])
			}
		}

		// patient/ for Patient, user/ for Observation, with my context:
		// Observations of anyone, but a chain into Patient finds only mine.
		mixed := keys.SignScope(t, "patient/Patient.read user/Observation.read", map[string]any{"patient": pp.me})
		if r := call(mixed, "/Observation?patient="+pp.other+"&_count=1"); r.Status != 200 || len(demotest.Entries(t, r.JSON(t))) == 0 {
			t.Errorf("mixed scopes, another patient's Observations: %d", r.Status)
		}
		if r := call(mixed, "/Patient/"+pp.other); r.Status != 403 {
			t.Errorf("mixed scopes, another Patient: %d", r.Status)
		}
		for _, path := range []string{
			"/Observation?patient.family=" + url.QueryEscape(pp.otherFamily) + "&_summary=count",
			"/Observation?patient.identifier=" + nhsOther + "&_summary=count",
		} {
			r := call(mixed, path)
			if r.Status != 200 {
				t.Errorf("mixed scopes, %s: %d %s", path, r.Status, demotest.Truncate(string(r.Body), 200))
				continue
			}
			if n, _ := r.JSON(t)["total"].(float64); n != 0 {
				t.Errorf("mixed scopes, %s: a chain through another patient found %v", path, n)
			}
		}
		if r := call(mixed, "/Observation?patient.family="+url.QueryEscape(pp.myFamily)+"&_summary=count"); r.Status != 200 || r.JSON(t)["total"].(float64) == 0 {
			t.Errorf("mixed scopes, a chain through my patient: %d %s", r.Status, demotest.Truncate(string(r.Body), 200))
		}
		r = call(mixed, "/Observation?patient="+pp.other+"&_include=Observation:patient")
		for _, x := range demotest.Entries(t, r.JSON(t)) {
			if x["resourceType"] == "Patient" {
				t.Errorf("mixed scopes: _include served Patient/%v outside the context", x["id"])
			}
		}
		// The record by NHS number says nothing of whether the number is
		// known, to a token that may not read that patient.
		nhsOf := func(n string) string {
			return "/Patient/$everything?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+n)
		}
		mine := keys.SignScope(t, "patient/*.read", map[string]any{"patient": pp.me})
		for name, tok := range map[string]string{"user/Observation.read": obsOnly, "patient/*.read for another": mine} {
			for _, n := range []string{pp.otherNHS, "9434765919", pp.otherNHS + "," + pp.myNHS} {
				want := 403
				if strings.Contains(n, ",") && name != "user/Observation.read" {
					want = 400 // one identifier only, whoever asks
				}
				if r := call(tok, nhsOf(n)); r.Status != want {
					t.Errorf("%s: $everything for %s: %d %s", name, n, r.Status, demotest.Truncate(string(r.Body), 200))
				}
			}
		}
		if r := call(mine, nhsOf(pp.myNHS)); r.Status != 200 {
			t.Errorf("$everything by my own NHS number: %d", r.Status)
		}
		// A chain of two steps is refused the same way whatever it asks,
		// before any SQL: no prefix oracle on a type the token cannot read.
		pat := keys.SignScope(t, "patient/Patient.read patient/Observation.read", map[string]any{"patient": pp.me})
		var statuses []int
		for _, v := range []string{"a", "b", "c", "zzz"} {
			statuses = append(statuses, call(pat, "/Observation?patient.organization.name="+v).Status, call(pat, "/Observation?patient.general-practitioner.name="+v).Status)
		}
		for _, st := range statuses {
			if st != statuses[0] || st == 200 {
				t.Errorf("two-step chains answer %v", statuses)
				break
			}
		}
		// user/ scopes with a patient context reach everyone (SMART v1).
		userCtx := keys.SignScope(t, "user/*.read", map[string]any{"patient": pp.me})
		if r := call(userCtx, "/Patient/"+pp.other); r.Status != 200 {
			t.Errorf("user/*.read with a patient context, another patient: %d", r.Status)
		}
	})
}

// The scheme of the Authorization header is case-insensitive.
func TestBearerSchemeCase(t *testing.T) {
	keys := authtest.New(t)
	e := demotest.SQLite(t, demotest.Config{})
	base := jwtServer(t, e, keys, nil)
	tok := keys.SignScope(t, "user/*.read", nil)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		if r := demotest.Get(t, base+"/Patient/3", "Authorization", scheme+" "+tok); r.Status != 200 {
			t.Errorf("%s: %d", scheme, r.Status)
		}
	}
	for _, h := range []string{"Basic " + tok, tok, "Bearer", "Bearer  "} {
		if r := demotest.Get(t, base+"/Patient/3", "Authorization", h); r.Status != 401 {
			t.Errorf("%q: %d", demotest.Truncate(h, 20), r.Status)
		}
	}
}
