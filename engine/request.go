package engine

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// searchReq is a search parsed once from its query: the control parameters
// and each search parameter with its modifier and typed values. Access is
// checked on it and the plan compiled from it; nothing parses the query
// again.
type searchReq struct {
	json         bool // the Bundle is written as compact JSON (SearchRequest.JSON)
	m            *mapping.Mapping
	compartment  *Compartment
	count        int
	summaryCount bool // no entries: the total alone
	cursor       string
	total        string // none, estimate, accurate
	sort         []sortItem
	elements     []string
	summary      string // true, text or data
	includes     []include
	params       []*paramReq
	used         url.Values // what the self link shows
	transport    url.Values // _format and _pretty: the links repeat them
}

// sortItem is one _sort key as given.
type sortItem struct {
	name string
	desc bool
}

// paramReq is one search parameter of a request: every repetition ANDed,
// each comma-separated list within one ORed.
type paramReq struct {
	raw   string // as given: name[:modifier][.chain]
	key   fhir.ParamKey
	sp    *mapping.SearchParam
	ands  [][]value
	chain *chainReq // for a chained parameter
}

// chainReq is a chain's target and its parameter there, parsed against the
// target's mapping.
type chainReq struct {
	target *mapping.Mapping
	param  *paramReq
}

// value is one value of a parameter, parsed by its parameter's type.
type value struct {
	text    string // as given
	missing bool   // :missing=true (for :missing, false means present)
	str     string // string; token:text
	tok     fhir.TokenValue
	date    fhir.DateValue
	ref     fhir.ReferenceValue
}

// transportParams are handled by the HTTP layer and ignored here.
var transportParams = map[string]bool{"_format": true, "_pretty": true}

// maxParamValues bounds the parameter values of one search: every value
// is a condition or an include the database works through.
const maxParamValues = 100

// maxAlternatives bounds the alternatives (a,b,c) of all the values of one
// search: a list of ids is a fair request, thousands of ORed conditions
// are not.
const maxAlternatives = 1000

// Lower bounds hold for the costliest forms of condition, counted over
// every parameter of a search of that form: each alternative of a
// :contains is a pattern that no ordinary index serves (the database
// reads every row and tries each pattern on it), and each alternative of
// a chained parameter is a condition of a subquery over another table. A
// few are what a person or an application asks for; hundreds only load
// the database.
var costlyForms = []costlyForm{
	{what: ":contains", max: 20, count: func(pr *paramReq) int {
		if pr.chain != nil {
			pr = pr.chain.param
		}
		if pr.key.Modifier != "contains" {
			return 0
		}
		return pr.alternatives()
	}},
	{what: "chained", max: 100, count: func(pr *paramReq) int {
		if pr.chain == nil {
			return 0
		}
		return pr.chain.param.alternatives()
	}},
}

// costlyForm is a form of condition with a bound of its own on the
// alternatives of a search: count tells how many a parameter has.
type costlyForm struct {
	what  string
	max   int
	count func(*paramReq) int
}

// alternatives is the number of values of the parameter, every
// repetition's alternatives counted.
func (pr *paramReq) alternatives() int {
	n := 0
	for _, ors := range pr.ands {
		n += len(ors)
	}
	return n
}

// checkCostly refuses a search with more alternatives of a costly form
// than its bound, naming the parameter that goes past it.
func checkCostly(params []*paramReq) error {
	for _, f := range costlyForms {
		n := 0
		for _, pr := range params {
			c := f.count(pr)
			if n += c; c > 0 && n > f.max {
				return invalid(pr.raw, "INVALID_PARAMETER",
					"parameter %q: a search takes at most %d alternatives of %s parameters (values separated by commas, counted over all of them); this search has %d",
					pr.raw, f.max, f.what, n)
			}
		}
	}
	return nil
}

// distinctParams drops repeated values of a parameter (an AND of the same
// condition twice, the same include twice) and refuses a request with
// more values, or more alternatives, than any search needs.
func distinctParams(params url.Values) (url.Values, error) {
	out := make(url.Values, len(params))
	n, alts := 0, 0
	for name, values := range params {
		seen := make(map[string]bool, len(values))
		for _, v := range values {
			if !seen[v] {
				seen[v] = true
				out[name] = append(out[name], v)
				n++
				if name == "_id" || !strings.HasPrefix(name, "_") { // search conditions, not _count or _include
					alts += strings.Count(v, ",") + 1 // an upper bound: escaped commas count too
				}
			}
		}
	}
	if n > maxParamValues {
		return nil, &Error{Kind: KindInvalid, SpineCode: "INVALID_PARAMETER",
			Msg: fmt.Sprintf("the search has %d distinct parameter values; at most %d are taken", n, maxParamValues)}
	}
	if alts > maxAlternatives {
		return nil, &Error{Kind: KindInvalid, SpineCode: "INVALID_PARAMETER",
			Msg: fmt.Sprintf("the search has %d alternatives (values separated by commas); at most %d are taken", alts, maxAlternatives)}
	}
	return out, nil
}

// lenientSkip tells whether a lenient search drops a parameter for err
// rather than failing.
func lenientSkip(lenient bool, err error) bool {
	var ee *Error
	return lenient && errors.As(err, &ee) && ee.Kind == KindNotSupported
}

// appendParsed appends v, parsed with err, to list and reports whether it
// did: a lenient search drops what lenientSkip drops (false, nil); any
// other error is returned.
func appendParsed[T any](list *[]T, v T, err error, lenient bool) (bool, error) {
	if lenientSkip(lenient, err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	*list = append(*list, v)
	return true, nil
}

// parseSearch parses a search request.
func (e *Engine) parseSearch(req SearchRequest) (*searchReq, error) {
	m, err := e.mappingFor(req.Type)
	if err != nil {
		return nil, err
	}
	return e.parseSearchOf(m, req)
}

// parseSearchOf parses a search of one mapping's resources.
func (e *Engine) parseSearchOf(m *mapping.Mapping, req SearchRequest) (*searchReq, error) {
	params, err := distinctParams(req.Params)
	if err != nil {
		return nil, err
	}
	sr := &searchReq{json: req.JSON, m: m, compartment: req.Compartment, count: e.opts.DefaultCount, total: "none", used: url.Values{}, transport: url.Values{}}
	if c := req.Compartment; c != nil {
		if _, err := e.compartmentParams(m, c.Type); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		values := params[name]
		last := values[len(values)-1]
		switch {
		case transportParams[name]:
			sr.transport[name] = values
			continue
		case name == "_count":
			c, err := fhir.ParseCount(last, e.opts.DefaultCount, e.opts.MaxCount)
			if err != nil {
				return nil, paramErr(err)
			}
			sr.count = c
			sr.summaryCount = sr.summaryCount || c == 0 // no entries: the total alone, as _summary=count
			continue
		case name == "_cursor":
			sr.cursor = last
			continue
		case name == "_total":
			switch last {
			case "none", "accurate", "estimate":
				sr.total = last
			default:
				return nil, invalid(name, "INVALID_PARAMETER", "_total is none, estimate or accurate, not %q", last)
			}
		case name == "_sort":
			items, err := e.parseSort(m, last)
			if lenientSkip(req.Lenient, err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			sr.sort = items
			values = values[len(values)-1:]
		case name == "_elements":
			els, err := e.parseElements(m, values)
			if err != nil {
				return nil, err
			}
			sr.elements = append(sr.elements, els...)
		case name == "_summary":
			if last == "count" {
				sr.summaryCount = true
				continue
			}
			if sr.summary, err = parseSummary(last); err != nil {
				return nil, err
			}
		case name == "_include" || name == "_revinclude" || strings.HasPrefix(name, "_include:") || strings.HasPrefix(name, "_revinclude:"):
			for _, v := range values {
				incs, err := e.parseIncludes(m, name, v)
				if lenientSkip(req.Lenient, err) {
					continue
				}
				if err != nil {
					return nil, err
				}
				sr.includes = append(sr.includes, incs...)
			}
		default:
			pr, err := e.parseParam(m, name, values)
			added, err := appendParsed(&sr.params, pr, err, req.Lenient)
			if err != nil {
				return nil, err
			}
			if !added {
				continue
			}
		}
		sr.used[name] = values
	}
	if err := checkCostly(sr.params); err != nil {
		return nil, err
	}
	return sr, nil
}

// lastUpdated is the _lastUpdated parameter of a mapping with a
// last-updated column.
func (e *Engine) lastUpdated(m *mapping.Mapping) *mapping.SearchParam { return e.updated[m] }

var idParam = &mapping.SearchParam{Name: "_id", Type: "_id", Col: -1}

// lookupParam finds the parameter a name stands for on a mapping.
func (e *Engine) lookupParam(m *mapping.Mapping, key fhir.ParamKey, raw string) (*mapping.SearchParam, error) {
	switch key.Name {
	case "_id":
		return idParam, nil
	case "_lastUpdated":
		if sp := e.lastUpdated(m); sp != nil {
			return sp, nil
		}
		return nil, notSupported(raw, "%s has no last-updated column, so _lastUpdated is not supported", e.typ(m))
	}
	if sp := e.param(m, key.Name); sp != nil {
		return sp, nil
	}
	if strings.HasPrefix(key.Name, "_") {
		return nil, notSupported(raw, "parameter %q is not supported (result parameters supported: _count)", raw)
	}
	return nil, notSupported(raw, "unknown search parameter %q for %s (supported: %s)", raw, e.typ(m), strings.Join(e.supportedParams(m), ", "))
}

// parseParam parses one search parameter (name as given, every value).
func (e *Engine) parseParam(m *mapping.Mapping, raw string, values []string) (*paramReq, error) {
	key, err := fhir.ParseParamKey(raw)
	if err != nil {
		return nil, paramErr(err)
	}
	sp, err := e.lookupParam(m, key, raw)
	if err != nil {
		return nil, err
	}
	pr := &paramReq{raw: raw, key: key, sp: sp}
	if key.Chain != "" {
		c, err := e.parseChain(m, sp, key, raw, values)
		if err != nil {
			return nil, err
		}
		pr.chain = c
		return pr, nil
	}
	pt := paramTypes[sp.Type]
	if pt == nil {
		return nil, notSupported(raw, "search type %s is not supported", sp.Type)
	}
	if mod := key.Modifier; mod != "" && mod != "missing" && !pt.modifier(sp, mod) {
		return nil, notSupported(key.Name+":"+mod, "modifier :%s is not supported on %s parameter %q", mod, sp.Type, key.Name)
	}
	return pr, e.parseValues(pr, values)
}

// paramFor is a request of parameter sp with the given values, named raw in
// messages (the engine's own uses of a parameter: $everything's start).
func (e *Engine) paramFor(sp *mapping.SearchParam, raw string, values ...string) (*paramReq, error) {
	pr := &paramReq{raw: raw, key: fhir.ParamKey{Name: sp.Name}, sp: sp}
	return pr, e.parseValues(pr, values)
}

// parseValues parses a parameter's values by its type.
func (e *Engine) parseValues(pr *paramReq, values []string) error {
	pt := paramTypes[pr.sp.Type]
	for _, v := range values {
		var ors []value
		for _, item := range fhir.SplitOr(v) {
			var val value
			var err error
			if pr.key.Modifier == "missing" {
				val, err = parseMissing(pr.raw, item)
			} else {
				val, err = pt.parse(e, pr.raw, pr.key.Modifier, item)
			}
			if err != nil {
				return err
			}
			if e.ver == mapping.R4 && pr.sp.R4Codes != nil && pr.key.Modifier != "missing" && val.tok.Code != "" {
				// An R4 code stands for the STU3 codes the rules
				// translate into it; an STU3 code they translate away
				// is not R4's.
				if codes, ok := pr.sp.R4Codes[val.tok.Code]; ok {
					if len(codes) == 0 {
						return invalid(pr.raw, "INVALID_PARAMETER", "parameter %q: %q is an STU3 code that R4 does not have (R4 codes: %s)", pr.raw, val.tok.Code, strings.Join(r4CodesOf(pr.sp), ", "))
					}
					for _, c := range codes {
						alt := val
						alt.tok.Code = c
						ors = append(ors, alt)
					}
					continue
				}
			}
			if e.ver == mapping.R4 && pr.sp.Type == "token" && val.tok.HasSystem && val.tok.System != "" {
				// An R4 system stands for the STU3 systems whose codes
				// moved into it (the mappings are written with those):
				// the value matches a code of any of them.
				for _, sys := range mapping.STU3Systems(val.tok.System, val.tok.Code) {
					alt := val
					alt.tok.System = sys
					ors = append(ors, alt)
				}
				continue
			}
			ors = append(ors, val)
		}
		if len(ors) == 0 {
			return invalid(pr.raw, "INVALID_PARAMETER", "parameter %q has an empty value", pr.raw)
		}
		pr.ands = append(pr.ands, ors)
	}
	return nil
}

// r4CodesOf are the R4 codes a parameter with R4Codes translates, sorted.
func r4CodesOf(sp *mapping.SearchParam) []string {
	var out []string
	for c, from := range sp.R4Codes {
		if len(from) > 0 {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func parseMissing(raw, v string) (value, error) {
	switch v {
	case "true":
		return value{text: v, missing: true}, nil
	case "false":
		return value{text: v}, nil
	}
	return value{}, invalid(raw, "INVALID_PARAMETER", "parameter %q: :missing takes true or false, not %q", raw, v)
}

// parseChain parses a chained parameter such as patient.identifier=…: the
// target it goes through and the target's parameter, one step only.
func (e *Engine) parseChain(m *mapping.Mapping, sp *mapping.SearchParam, key fhir.ParamKey, raw string, values []string) (*chainReq, error) {
	if sp.Type != "reference" {
		return nil, notSupported(raw, "parameter %q is not a reference, so it cannot be chained", sp.Name)
	}
	target := key.Modifier
	switch {
	case target != "" && !slices.Contains(sp.Target, target):
		return nil, notSupported(raw, "parameter %q does not point to %s (it points to %s)", sp.Name, target, strings.Join(sp.Target, ", "))
	case target == "" && len(sp.Target) != 1:
		return nil, invalid(raw, "INVALID_PARAMETER", "parameter %q points to %s: say which with %s:Type.%s", sp.Name, strings.Join(sp.Target, ", "), sp.Name, key.Chain)
	case target == "":
		target = sp.Target[0]
	}
	tm := e.lookup(target)
	if tm == nil || len(tm.From.Key) != 1 {
		return nil, notSupported(raw, "chained search through %s is not supported", target)
	}
	if strings.Contains(key.Chain, ".") {
		return nil, notSupported(raw, "chains of more than one step (%q) are not supported", raw)
	}
	sub, err := e.parseParam(tm, key.Chain, values)
	if err != nil {
		if ee, ok := AsError(err); ok {
			ee.Param = raw
			ee.Msg = fmt.Sprintf("in the chain %q: %s", raw, ee.Msg)
		}
		return nil, err
	}
	return &chainReq{target: tm, param: sub}, nil
}

// parseElements reads the values of _elements: element names of the
// mapping's resource type in the engine's release, comma-separated.
func (e *Engine) parseElements(m *mapping.Mapping, values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, el := range strings.Split(v, ",") {
			el = strings.TrimSpace(el)
			if el == "" {
				continue
			}
			if t := e.table().Lookup(e.typ(m)); t == nil || (t.Index(el) < 0 && t.Index(el+"[x]") < 0) {
				return nil, invalid("_elements", "INVALID_PARAMETER", "_elements: %s has no element %q", e.typ(m), el)
			}
			out = append(out, el)
		}
	}
	return out, nil
}

// parseSummary reads a value of _summary but count (a search's alone):
// "" for false, the whole resource.
func parseSummary(v string) (string, error) {
	switch v {
	case "false":
		return "", nil
	case "true", "text", "data":
		return v, nil
	}
	return "", invalid("_summary", "INVALID_PARAMETER", "_summary is true, text, data, count or false, not %q", v)
}
