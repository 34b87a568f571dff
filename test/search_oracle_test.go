package test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// An oracle for search, independent of the engine: for every resource of
// every type and every parameter the CapabilityStatement declares, each
// value the resource shows at the parameter's STU3 path (read from the
// served JSON, by the STU3 definitions below) must find that resource, a
// token or reference must find only resources that show it, a string only
// resources with a value it starts (folding case and accents), and
// :missing must agree with the value's presence.

// stu3Param is an STU3 search parameter: its type and the paths of the
// elements it searches, in a small path syntax over JSON names: dotted
// steps, "x[x]" for any type of a choice element, "x[T]" for one type, and
// a "|system=v" filter on a ContactPoint's system.
type stu3Param struct {
	typ    string
	paths  []string
	target string // reference: only references to this type
	// via and resolved extend STU3 where Care Connect does: the values at
	// the resolved paths of the resource the reference at via points to
	// count too. Care Connect's MedicationRequest and MedicationStatement
	// show medicationReference, and its API searches them by the
	// medication's code.
	via      string
	resolved []string
}

// stu3Params are the STU3 (3.0.1) definitions of the parameters the
// mapping sets declare, by resource type.
var stu3Params = map[string]map[string]stu3Param{
	"AllergyIntolerance": {
		"patient":         {typ: "reference", paths: []string{"patient"}},
		"clinical-status": {typ: "token", paths: []string{"clinicalStatus"}},
		"date":            {typ: "date", paths: []string{"assertedDate"}},
	},
	"Condition": {
		"patient":         {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"subject":         {typ: "reference", paths: []string{"subject"}},
		"category":        {typ: "token", paths: []string{"category"}},
		"clinical-status": {typ: "token", paths: []string{"clinicalStatus"}},
		"asserted-date":   {typ: "date", paths: []string{"assertedDate"}},
		"code":            {typ: "token", paths: []string{"code"}},
		"onset-date":      {typ: "date", paths: []string{"onset[dateTime]", "onset[Period]"}},
		"context":         {typ: "reference", paths: []string{"context"}},
	},
	"Encounter": {
		"patient":          {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"subject":          {typ: "reference", paths: []string{"subject"}},
		"date":             {typ: "date", paths: []string{"period"}},
		"participant":      {typ: "reference", paths: []string{"participant.individual"}},
		"class":            {typ: "token", paths: []string{"class"}},
		"service-provider": {typ: "reference", paths: []string{"serviceProvider"}},
		"location":         {typ: "reference", paths: []string{"location.location"}},
	},
	"FamilyMemberHistory": {
		"patient":      {typ: "reference", paths: []string{"patient"}},
		"date":         {typ: "date", paths: []string{"date"}},
		"status":       {typ: "token", paths: []string{"status"}},
		"relationship": {typ: "token", paths: []string{"relationship"}},
		"gender":       {typ: "token", paths: []string{"gender"}},
		"code":         {typ: "token", paths: []string{"condition.code"}},
		"identifier":   {typ: "token", paths: []string{"identifier"}},
	},
	"Immunization": {
		"patient":      {typ: "reference", paths: []string{"patient"}},
		"date":         {typ: "date", paths: []string{"date"}},
		"status":       {typ: "token", paths: []string{"status"}},
		"vaccine-code": {typ: "token", paths: []string{"vaccineCode"}},
	},
	"Location": {
		"identifier":         {typ: "token", paths: []string{"identifier"}},
		"name":               {typ: "string", paths: []string{"name"}},
		"address-postalcode": {typ: "string", paths: []string{"address.postalCode"}},
		"address-city":       {typ: "string", paths: []string{"address.city"}},
	},
	"Medication": {
		"code": {typ: "token", paths: []string{"code"}},
	},
	"MedicationRequest": {
		"patient":    {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"medication": {typ: "reference", paths: []string{"medication[Reference]"}},
		"status":     {typ: "token", paths: []string{"status"}},
		"authoredon": {typ: "date", paths: []string{"authoredOn"}},
		"code":       {typ: "token", paths: []string{"medication[CodeableConcept]"}, via: "medication[Reference]", resolved: []string{"code"}},
	},
	"MedicationStatement": {
		"patient":    {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"subject":    {typ: "reference", paths: []string{"subject"}},
		"status":     {typ: "token", paths: []string{"status"}},
		"effective":  {typ: "date", paths: []string{"effective[x]"}},
		"medication": {typ: "reference", paths: []string{"medication[Reference]"}},
		"code":       {typ: "token", paths: []string{"medication[CodeableConcept]"}, via: "medication[Reference]", resolved: []string{"code"}},
		"context":    {typ: "reference", paths: []string{"context"}},
		"source":     {typ: "reference", paths: []string{"informationSource"}},
	},
	"Observation": {
		"patient":  {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"subject":  {typ: "reference", paths: []string{"subject"}},
		"category": {typ: "token", paths: []string{"category"}},
		"code":     {typ: "token", paths: []string{"code"}},
		"date":     {typ: "date", paths: []string{"effective[x]"}},
		"status":   {typ: "token", paths: []string{"status"}},
		"context":  {typ: "reference", paths: []string{"context"}},
	},
	"Organization": {
		"identifier":         {typ: "token", paths: []string{"identifier"}},
		"name":               {typ: "string", paths: []string{"name", "alias"}},
		"address-postalcode": {typ: "string", paths: []string{"address.postalCode"}},
	},
	"Patient": {
		"identifier":           {typ: "token", paths: []string{"identifier"}},
		"active":               {typ: "token", paths: []string{"active"}},
		"family":               {typ: "string", paths: []string{"name.family"}},
		"given":                {typ: "string", paths: []string{"name.given"}},
		"name":                 {typ: "string", paths: []string{"name"}},
		"birthdate":            {typ: "date", paths: []string{"birthDate"}},
		"death-date":           {typ: "date", paths: []string{"deceased[dateTime]"}},
		"gender":               {typ: "token", paths: []string{"gender"}},
		"address-postalcode":   {typ: "string", paths: []string{"address.postalCode"}},
		"address-city":         {typ: "string", paths: []string{"address.city"}},
		"email":                {typ: "token", paths: []string{"telecom|system=email"}},
		"phone":                {typ: "token", paths: []string{"telecom|system=phone"}},
		"general-practitioner": {typ: "reference", paths: []string{"generalPractitioner"}},
		"organization":         {typ: "reference", paths: []string{"managingOrganization"}},
	},
	"Practitioner": {
		"identifier":         {typ: "token", paths: []string{"identifier"}},
		"name":               {typ: "string", paths: []string{"name"}},
		"family":             {typ: "string", paths: []string{"name.family"}},
		"address-postalcode": {typ: "string", paths: []string{"address.postalCode"}},
		"gender":             {typ: "token", paths: []string{"gender"}},
	},
	"PractitionerRole": {
		"practitioner": {typ: "reference", paths: []string{"practitioner"}},
		"organization": {typ: "reference", paths: []string{"organization"}},
		"identifier":   {typ: "token", paths: []string{"identifier"}},
	},
	"ProcedureRequest": {
		"patient":    {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"occurrence": {typ: "date", paths: []string{"occurrence[x]"}},
		"subject":    {typ: "reference", paths: []string{"subject"}},
		"status":     {typ: "token", paths: []string{"status"}},
		"intent":     {typ: "token", paths: []string{"intent"}},
		"priority":   {typ: "token", paths: []string{"priority"}},
		"code":       {typ: "token", paths: []string{"code"}},
		"authored":   {typ: "date", paths: []string{"authoredOn"}},
	},
	"ReferralRequest": {
		"patient":     {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"subject":     {typ: "reference", paths: []string{"subject"}},
		"authored-on": {typ: "date", paths: []string{"authoredOn"}},
		"priority":    {typ: "token", paths: []string{"priority"}},
	},
	"Procedure": {
		"patient": {typ: "reference", paths: []string{"subject"}, target: "Patient"},
		"subject": {typ: "reference", paths: []string{"subject"}},
		"date":    {typ: "date", paths: []string{"performed[x]"}},
		"code":    {typ: "token", paths: []string{"code"}},
		"context": {typ: "reference", paths: []string{"context"}},
	},
}

// at returns the values at a path of a resource (arrays flattened).
func at(res map[string]any, path string) []any {
	path, filter, _ := strings.Cut(path, "|")
	cur := []any{res}
	for _, step := range strings.Split(path, ".") {
		var next []any
		name, choice, isChoice := strings.Cut(strings.TrimSuffix(step, "]"), "[")
		for _, c := range cur {
			obj, ok := c.(map[string]any)
			if !ok {
				continue
			}
			for k, v := range obj {
				switch {
				case !isChoice && k == name:
				case isChoice && choice == "x" && strings.HasPrefix(k, name) && len(k) > len(name) && unicode.IsUpper(rune(k[len(name)])):
				case isChoice && strings.EqualFold(k, name+choice):
				default:
					continue
				}
				if arr, ok := v.([]any); ok {
					next = append(next, arr...)
				} else {
					next = append(next, v)
				}
			}
		}
		cur = next
	}
	if f, want, ok := strings.Cut(filter, "="); ok {
		var kept []any
		for _, c := range cur {
			if obj, ok := c.(map[string]any); ok && obj[f] == want {
				kept = append(kept, c)
			}
		}
		cur = kept
	}
	return cur
}

// searchValues turns the values at a parameter's paths into search
// values of its type.
func searchValues(p stu3Param, vals []any) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	strs := func(obj map[string]any, keys ...string) {
		for _, k := range keys {
			switch v := obj[k].(type) {
			case string:
				add(v)
			case []any:
				for _, x := range v {
					if s, ok := x.(string); ok {
						add(s)
					}
				}
			}
		}
	}
	token := func(system, code any) {
		c, _ := code.(string)
		if c == "" {
			return
		}
		if s, _ := system.(string); s != "" {
			add(s + "|" + c)
		} else {
			add(c)
		}
	}
	for _, v := range vals {
		switch p.typ {
		case "string":
			switch x := v.(type) {
			case string:
				add(x)
			case map[string]any: // HumanName or Address
				strs(x, "family", "given", "prefix", "suffix", "text", "line", "city", "district", "state", "postalCode", "country")
			}
		case "token":
			switch x := v.(type) {
			case string:
				add(x)
			case bool:
				add(fmt.Sprint(x))
			case map[string]any:
				switch {
				case x["coding"] != nil:
					for _, c := range x["coding"].([]any) {
						cm := c.(map[string]any)
						token(cm["system"], cm["code"])
					}
				case x["code"] != nil:
					token(x["system"], x["code"])
				case x["value"] != nil && x["system"] != nil && x["use"] == nil && x["rank"] == nil && !isTelecomSystem(x["system"]):
					token(x["system"], x["value"]) // Identifier
				case x["value"] != nil:
					add(fmt.Sprint(x["value"])) // ContactPoint
				}
			}
		case "reference":
			if x, ok := v.(map[string]any); ok {
				if r, _ := x["reference"].(string); r != "" && (p.target == "" || strings.HasPrefix(r, p.target+"/")) {
					add(r)
				}
			}
		case "date":
			switch x := v.(type) {
			case string:
				add("eq" + x)
			case map[string]any: // Period: it ends after its start and starts before its end
				s, _ := x["start"].(string)
				e, _ := x["end"].(string)
				switch {
				case s != "" && e != "" && s != e:
					add("ge" + s + "&le" + e)
				case s != "":
					add("ge" + s)
				case e != "":
					add("le" + e)
				}
			}
		}
	}
	return out
}

func isTelecomSystem(s any) bool {
	switch s {
	case "phone", "fax", "email", "pager", "url", "sms", "other":
		return true
	}
	return false
}

// fold is the case- and accent-folded form strings are compared in.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, _ := transform.String(t, s)
	return strings.ToLower(out)
}

// oracleGap is a (type, parameter) whose search does not yet find exactly
// what its resources show, with what is wrong; each is a known defect,
// listed so that the list can only shrink.
type oracleGap map[string]string

// searchOracle runs the oracle over every declared parameter of the
// service at base, and reports disagreements not in gaps (and gaps that
// no longer disagree).
func searchOracle(t *testing.T, base string, gaps oracleGap) {
	caps := get(t, base+"/metadata").json(t)
	rest := caps["rest"].([]any)[0].(map[string]any)
	var failing []string
	requests := 0
	// resolve reads a resource a reference points to (once).
	resolved := map[string]map[string]any{}
	resolve := func(ref string) map[string]any {
		if r, ok := resolved[ref]; ok {
			return r
		}
		requests++
		r := get(t, base+"/"+ref)
		var res map[string]any
		if r.status == 200 {
			res = r.json(t)
		}
		resolved[ref] = res
		return res
	}
	fetch := func(q string) (map[string]bool, bool) {
		ids := map[string]bool{}
		next := base + "/" + q
		for next != "" {
			requests++
			r := get(t, next)
			if r.status != 200 {
				t.Logf("%s: %d %s", q, r.status, truncate(string(r.body), 200))
				return nil, false
			}
			b := r.json(t)
			for _, e := range entries(t, b) {
				ids[e["id"].(string)] = true
			}
			next = link(b, "next")
		}
		return ids, true
	}
	for _, rr := range rest["resource"].([]any) {
		rd := rr.(map[string]any)
		typ := rd["type"].(string)
		// Every resource of the type, as served.
		all := map[string]map[string]any{}
		next := base + "/" + typ + "?_count=1000"
		for next != "" {
			b := get(t, next).json(t)
			for _, e := range entries(t, b) {
				all[e["id"].(string)] = e
			}
			next = link(b, "next")
		}
		sps, _ := rd["searchParam"].([]any)
		for _, s := range sps {
			name := s.(map[string]any)["name"].(string)
			if strings.HasPrefix(name, "_") {
				continue
			}
			key := typ + "." + name
			def, ok := stu3Params[typ][name]
			if !ok {
				failing = append(failing, key)
				if _, listed := gaps[key]; !listed {
					t.Errorf("%s: not an STU3 search parameter", key)
				}
				continue
			}
			var problems []string
			shows := map[string]map[string]bool{} // search value → ids showing it
			present := map[string]bool{}
			for id, res := range all {
				var vals []any
				for _, p := range def.paths {
					vals = append(vals, at(res, p)...)
				}
				if def.via != "" {
					for _, r := range at(res, def.via) {
						ref, _ := r.(map[string]any)["reference"].(string)
						if target := resolve(ref); ref != "" && target != nil {
							for _, p := range def.resolved {
								vals = append(vals, at(target, p)...)
							}
						}
					}
				}
				if len(vals) > 0 {
					present[id] = true
				}
				for _, v := range searchValues(def, vals) {
					if shows[v] == nil {
						shows[v] = map[string]bool{}
					}
					shows[v][id] = true
				}
			}
			// At most 40 values a parameter, spread over the sorted list.
			values := make([]string, 0, len(shows))
			for v := range shows {
				values = append(values, v)
			}
			sort.Strings(values)
			if len(values) > 40 {
				var picked []string
				for i := 0; i < 40; i++ {
					picked = append(picked, values[i*len(values)/40])
				}
				values = picked
			}
			for _, v := range values {
				q := url.Values{}
				parts := []string{v}
				if def.typ == "date" {
					parts = strings.Split(v, "&") // a period: ge its start, le its end
				}
				for _, part := range parts {
					q.Add(name, part)
				}
				found, ok := fetch(typ + "?" + q.Encode() + "&_elements=id&_count=1000")
				if !ok {
					problems = append(problems, fmt.Sprintf("%s=%s: refused", name, v))
					break
				}
				for id := range shows[v] {
					if !found[id] {
						problems = append(problems, fmt.Sprintf("%s=%s does not find %s/%s, which shows it", name, v, typ, id))
						break
					}
				}
				for id := range found {
					var extra bool
					switch def.typ {
					case "reference":
						extra = !shows[v][id]
					case "token":
						// A code without a system finds the code in any
						// system the resource shows it in.
						extra = !shows[v][id]
						if !strings.Contains(v, "|") {
							for w := range shows {
								if shows[w][id] && strings.HasSuffix(w, "|"+v) {
									extra = false
									break
								}
							}
						}
					case "string":
						extra = true
						for w := range shows {
							if shows[w][id] && strings.HasPrefix(fold(w), fold(v)) {
								extra = false
								break
							}
						}
					}
					if extra {
						problems = append(problems, fmt.Sprintf("%s=%s finds %s/%s, which does not show it", name, v, typ, id))
						break
					}
				}
				if def.typ == "string" {
					// Case and accents fold.
					for _, variant := range []string{strings.ToUpper(v), fold(v)} {
						if variant == v {
							continue
						}
						found, ok := fetch(typ + "?" + url.Values{name: {variant}}.Encode() + "&_elements=id&_count=1000")
						for id := range shows[v] {
							if ok && !found[id] {
								problems = append(problems, fmt.Sprintf("%s=%s does not find %s/%s, which shows %s", name, variant, typ, id, v))
								break
							}
						}
					}
				}
			}
			for _, m := range []string{"true", "false"} {
				found, ok := fetch(typ + "?" + name + ":missing=" + m + "&_elements=id&_count=1000")
				if !ok {
					problems = append(problems, name+":missing="+m+": refused")
					continue
				}
				for id := range all {
					if found[id] != (present[id] == (m == "false")) {
						problems = append(problems, fmt.Sprintf("%s:missing=%s disagrees on %s/%s (it shows a value: %v)", name, m, typ, id, present[id]))
						break
					}
				}
			}
			if len(problems) > 0 {
				failing = append(failing, key)
				if _, listed := gaps[key]; !listed {
					sort.Strings(problems)
					t.Errorf("%s: %d problems, e.g. %s", key, len(problems), strings.Join(problems[:min(3, len(problems))], "; "))
				}
			} else if _, listed := gaps[key]; listed {
				t.Errorf("%s now finds what its resources show: take it off the list of known gaps", key)
			}
		}
	}
	t.Logf("%d searches; %d parameters disagree with their resources: %s", requests, len(failing), strings.Join(failing, ", "))
}

func TestSearchOracleDemo(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		searchOracle(t, e.base, demoSearchGaps)
	})
}

func TestSearchOracleOMOP(t *testing.T) {
	forEachOMOP(t, func(t *testing.T, e *env, _ *logBuffer) {
		searchOracle(t, e.base, omopSearchGaps)
	})
}

// omopSearchGaps are the OMOP set's known disagreements.
var omopSearchGaps = oracleGap{}

// demoSearchGaps are the demo set's known disagreements (issue: search is
// derived from the element).
var demoSearchGaps = oracleGap{}
