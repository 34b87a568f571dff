package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/gpconnect"
)

// gpconnectReport is what lint found of the GP Connect rendering.
type gpconnectReport struct {
	records, resources, notServed int
	problems                      []string
}

// everyArea is a $gpc.getstructuredrecord request for every clinical
// area (ended allergies too) of a patient.
func everyArea(nhs string) string {
	ps := []string{`{"name":"patientNHSNumber","valueIdentifier":{"system":"` + gpconnect.NHSNumberSystem + `","value":"` + nhs + `"}}`,
		`{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":true}]}`}
	for _, p := range []string{"includeMedication", "includeConsultations", "includeProblems", "includeImmunisations",
		"includeUncategorisedData", "includeInvestigations", "includeReferrals", "includeDiaryEntries"} {
		ps = append(ps, `{"name":"`+p+`"}`)
	}
	return `{"resourceType":"Parameters","parameter":[` + strings.Join(ps, ",") + `]}`
}

// lintGPConnect checks the GP Connect rendering the configuration serves,
// as serve would make it (its overlay against the mappings and the
// database: the patient's standing, the headings), then asks for the
// whole record (every area) of up to n patients, in the order of the
// Patient mapping's key, and checks every resource of every answer
// against its GP Connect profile. A patient GP Connect does not serve
// (not registered here, say) is counted, not checked.
func lintGPConnect(ctx context.Context, s *setup, n int) (*gpconnectReport, error) {
	eng, err := engine.New(s.cat, s.db, engine.Options{Logger: quietLog()})
	if err != nil {
		return nil, err
	}
	svc, err := gpconnectService(s.cfg, eng, quietLog())
	if err != nil {
		return nil, fmt.Errorf("gpconnect: %w", err)
	}
	rep := &gpconnectReport{}
	patients, err := eng.Search(ctx, engine.SearchRequest{Type: "Patient", Params: url.Values{"_count": {fmt.Sprint(n)}}, Base: "urn:ccfacade:lint"})
	if err != nil {
		return nil, fmt.Errorf("gpconnect: the sample patients: %w", err)
	}
	reg := profile.GPConnect()
	type found struct {
		n       int    // resources
		example string // the first, Type/id
		in      map[string]bool
	}
	seen := map[string]*found{} // each problem (its path without indexes, and message)
	entries, _ := patients.Get("entry").(fhir.Array)
	for _, e := range entries {
		eo, _ := e.(*fhir.Object)
		p, _ := eo.Get("resource").(*fhir.Object)
		nhs := nhsNumber(p)
		if nhs == "" {
			rep.notServed++
			continue
		}
		req, err := gpconnect.ParseRequest(strings.NewReader(everyArea(nhs)), svc.Today())
		if err != nil {
			return nil, fmt.Errorf("gpconnect: the request for %s: %w", nhs, err)
		}
		b, err := svc.Record(ctx, req, "lint")
		var refusal *gpconnect.Error
		switch {
		case errors.As(err, &refusal) && refusal.Status < 500:
			rep.notServed++
			continue
		case err != nil:
			return nil, fmt.Errorf("gpconnect: the record of %s: %w", nhs, err)
		}
		rep.records++
		var m map[string]any
		if err := json.Unmarshal(fhir.AppendJSON(nil, b), &m); err != nil {
			return nil, err
		}
		// The Bundle without its entries, each entry's resource, and each
		// resource a List contains, each against its own profile.
		bundle := map[string]any{}
		for k, v := range m {
			if k != "entry" {
				bundle[k] = v
			}
		}
		res := []map[string]any{bundle}
		es, _ := m["entry"].([]any)
		for _, x := range es {
			r, ok := x.(map[string]any)["resource"].(map[string]any)
			if !ok {
				continue
			}
			res = append(res, r)
			c, _ := r["contained"].([]any)
			for _, y := range c {
				if cr, ok := y.(map[string]any); ok {
					res = append(res, cr)
				}
			}
		}
		for _, r := range res {
			rep.resources++
			for _, pr := range reg.Check(r) {
				msg := indexRe.ReplaceAllString(pr.Path, "") + ": " + pr.Msg
				f := seen[msg]
				if f == nil {
					f = &found{example: fmt.Sprintf("%v", r["resourceType"]), in: map[string]bool{}}
					if id, ok := r["id"].(string); ok {
						f.example += "/" + id
					}
					seen[msg] = f
				}
				f.n++
				f.in[nhs] = true
			}
		}
	}
	for _, msg := range slices.Sorted(maps.Keys(seen)) {
		f := seen[msg]
		rep.problems = append(rep.problems, fmt.Sprintf("gpconnect: %s: %d resource(s) in the records of %d patient(s), e.g. %s", msg, f.n, len(f.in), f.example))
	}
	return rep, nil
}

// nhsNumber is a Patient's NHS number, or "".
func nhsNumber(p *fhir.Object) string {
	if p == nil {
		return ""
	}
	ids, _ := p.Get("identifier").(fhir.Array)
	for _, x := range ids {
		if o, ok := x.(*fhir.Object); ok && o.GetString("system") == gpconnect.NHSNumberSystem {
			return o.GetString("value")
		}
	}
	return ""
}
