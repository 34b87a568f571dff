package test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/tabletest"
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
	Type   string
	Paths  []string
	Target string // reference: only references to this type
	// via and resolved extend STU3 where Care Connect does: the values at
	// the resolved paths of the resource the reference at via points to
	// count too. Care Connect's MedicationRequest and MedicationStatement
	// show medicationReference, and its API searches them by the
	// medication's code.
	Via      string
	Resolved []string
}

// stu3Params are the STU3 (3.0.1) definitions of the parameters the
// mapping sets declare, by resource type and name
// (testdata/stu3-search-params.json, written by hand from the
// specification).
func stu3Params(t *testing.T) map[string]map[string]stu3Param {
	var params map[string]map[string]stu3Param
	tabletest.Load(t, "testdata/stu3-search-params.json", &params)
	return params
}

// r4Params are the R4 (4.0.1) definitions of the parameters the mapping
// sets declare on the R4 base: STU3's where R4 kept the parameter and its
// paths, and R4's own where it renamed a parameter or moved its element.
func r4Params(t *testing.T) map[string]map[string]stu3Param {
	out := map[string]map[string]stu3Param{}
	for typ, ps := range stu3Params(t) {
		out[typ] = map[string]stu3Param{}
		for name, p := range ps {
			out[typ][name] = p
		}
	}
	// ServiceRequest, which R4 made of ReferralRequest and ProcedureRequest.
	sr := map[string]stu3Param{}
	for _, typ := range []string{"ReferralRequest", "ProcedureRequest"} {
		for name, p := range out[typ] {
			sr[name] = p
		}
	}
	delete(sr, "authored-on")
	delete(sr, "context")
	delete(sr, "service")
	sr["authored"] = stu3Param{Type: "date", Paths: []string{"authoredOn"}}
	sr["encounter"] = stu3Param{Type: "reference", Paths: []string{"encounter"}}
	out["ServiceRequest"] = sr
	enc := stu3Param{Type: "reference", Paths: []string{"encounter"}}
	for typ, ps := range map[string]map[string]stu3Param{
		"AllergyIntolerance": {"date": {Type: "date", Paths: []string{"recordedDate"}}},
		"Condition":          {"recorded-date": {Type: "date", Paths: []string{"recordedDate"}}, "encounter": enc, "asserted-date": {}, "context": {}},
		"Immunization": {"date": {Type: "date", Paths: []string{"occurrence[dateTime]"}},
			"performer": {Type: "reference", Paths: []string{"performer.actor"}}, "notgiven": {}},
		"MedicationRequest": {"encounter": enc},
		"Observation":       {"encounter": enc, "context": {}},
		"Procedure":         {"encounter": enc, "context": {}},
	} {
		for name, p := range ps {
			if p.Type == "" {
				delete(out[typ], name)
			} else {
				out[typ][name] = p
			}
		}
	}
	return out
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
		switch p.Type {
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
				if r, _ := x["reference"].(string); r != "" && (p.Target == "" || strings.HasPrefix(r, p.Target+"/")) {
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
	params, release := stu3Params(t), "STU3"
	if caps["fhirVersion"] == "4.0.1" {
		params, release = r4Params(t), "R4"
	}
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
			def, ok := params[typ][name]
			if !ok {
				failing = append(failing, key)
				if _, listed := gaps[key]; !listed {
					t.Errorf("%s: not an %s search parameter", key, release)
				}
				continue
			}
			var problems []string
			shows := map[string]map[string]bool{} // search value → ids showing it
			present := map[string]bool{}
			for id, res := range all {
				var vals []any
				for _, p := range def.Paths {
					vals = append(vals, at(res, p)...)
				}
				if def.Via != "" {
					for _, r := range at(res, def.Via) {
						ref, _ := r.(map[string]any)["reference"].(string)
						if target := resolve(ref); ref != "" && target != nil {
							for _, p := range def.Resolved {
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
			// At most 40 values a parameter (20 on R4, whose searches run
			// the STU3 base's SQL: what R4 adds is its names, paths and
			// systems), spread over the sorted list.
			most := 40
			if release == "R4" {
				most = 20
			}
			values := make([]string, 0, len(shows))
			for v := range shows {
				values = append(values, v)
			}
			sort.Strings(values)
			if len(values) > most {
				var picked []string
				for i := 0; i < most; i++ {
					picked = append(picked, values[i*len(values)/most])
				}
				values = picked
			}
			for _, v := range values {
				q := url.Values{}
				parts := []string{v}
				if def.Type == "date" {
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
					switch def.Type {
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
				if def.Type == "string" {
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
	t.Logf("%s: %d searches; %d parameters disagree with their resources: %s", release, requests, len(failing), strings.Join(failing, ", "))
}

func TestSearchOracleDemo(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		searchOracle(t, e.base, demoSearchGaps)
	})
}

// The oracle on the R4 base, over the demo, OMOP and legacy sets on SQLite (the
// same SQL answers both bases on every backend; what differs on R4 is
// the names, paths and code systems the oracle reads).
func TestSearchOracleR4(t *testing.T) {
	t.Parallel()
	t.Run("demo", func(t *testing.T) {
		t.Parallel()
		e := demotest.SQLite(t, demotest.Config{})
		searchOracle(t, e.R4, demoSearchGaps)
	})
	t.Run("omop", func(t *testing.T) {
		t.Parallel()
		e, _ := omopSQLiteEnv(t)
		searchOracle(t, strings.TrimSuffix(e.base, "/fhir")+"/R4", omopSearchGaps)
	})
	t.Run("legacy", func(t *testing.T) {
		t.Parallel()
		now := time.Now().UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		e := legacyEnv(t, legacySQLite(t, legacySchema+legacyRows(today)))
		searchOracle(t, strings.TrimSuffix(e.base, "/fhir")+"/R4", legacySearchGaps)
	})
}

func TestSearchOracleOMOP(t *testing.T) {
	t.Parallel()
	forEachOMOP(t, func(t *testing.T, e *env, _ *logBuffer) {
		searchOracle(t, e.base, omopSearchGaps)
	})
}

// omopSearchGaps are the OMOP set's known disagreements.
var omopSearchGaps = oracleGap{}

// demoSearchGaps are the demo set's known disagreements (issue: search is
// derived from the element).
var demoSearchGaps = oracleGap{}
