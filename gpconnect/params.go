package gpconnect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// NHSNumberSystem is the system of the patientNHSNumber identifier.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// Request is a $gpc.getstructuredrecord request, parsed once and checked
// against the OperationDefinition and GP Connect's rules.
type Request struct {
	// NHSNumber is the patient's NHS number: ten digits whose check digit
	// is right.
	NHSNumber string
	// Areas are the clinical areas asked for, each with its parts: one
	// Parts per time its parameter is given (includeProblems may be given
	// more than once).
	Areas map[Area][]Parts
	// Warnings are the parameters and parts that are not recognised
	// (SPEC §4), one per name, in the order they were given.
	Warnings []Issue
	// Names are the names of the top-level parameters, for the audit
	// trail (never their values).
	Names []string
}

// Parts are the parts of one parameter given, by name.
type Parts map[string]Value

// Value is a part's value, in the field of its kind.
type Value struct {
	Bool       bool
	Date       time.Time // kindPastDate, kindFutureDate: the day, at midnight UTC
	Start, End time.Time // kindPeriod: either may be zero (open)
	Int        int
	Code       string
}

// Bool is a boolean part of an area's first parameter, or def when it was
// not given.
func (r *Request) Bool(a Area, part string, def bool) bool {
	ps := r.Areas[a]
	if len(ps) == 0 {
		return def
	}
	if v, ok := ps[0][part]; ok {
		return v.Bool
	}
	return def
}

// Date is a date part of an area's first parameter, and whether it was
// given.
func (r *Request) Date(a Area, part string) (time.Time, bool) {
	ps := r.Areas[a]
	if len(ps) == 0 {
		return time.Time{}, false
	}
	v, ok := ps[0][part]
	return v.Date, ok
}

// maxBody bounds a request body: a Parameters of every parameter and part
// is under 4 KiB.
const maxBody = 64 << 10

var (
	wholeDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	nhsDigits = regexp.MustCompile(`^[0-9]{10}$`)
)

// parametersKeys are the elements of a Parameters resource; parameterKeys
// those of a parameter (value[x] apart).
var (
	parametersKeys = []string{"resourceType", "id", "meta", "implicitRules", "language", "parameter"}
	parameterKeys  = []string{"id", "extension", "modifierExtension", "name", "resource", "part"}
)

// ParseRequest reads the body of a $gpc.getstructuredrecord request (FHIR
// JSON) and checks it. today is the provider's date (dates in parameters
// are whole days, compared with it). The error is an *Error: 422
// INVALID_RESOURCE for a body that is not a Parameters conformant to the
// OperationDefinition, 422 INVALID_PARAMETER for a parameter or part that
// is missing, malformed or not allowed with another, 400
// INVALID_IDENTIFIER_SYSTEM and INVALID_NHS_NUMBER for the patient's
// identifier; each names the parameter.
func ParseRequest(body io.Reader, today time.Time) (*Request, error) {
	raw, err := readBody(body)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, invalidResource("the request body is not JSON: a FHIR Parameters resource is expected")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidResource("the request body has more after the Parameters resource")
	}
	return parseParameters(doc, today)
}

// ParseRequestXML is ParseRequest of a body in FHIR XML: the Parameters
// is read into its JSON form (paramsxml.go) and checked as that is.
func ParseRequestXML(body io.Reader, today time.Time) (*Request, error) {
	raw, err := readBody(body)
	if err != nil {
		return nil, err
	}
	doc, err := parametersXML(raw)
	if err != nil {
		return nil, err
	}
	return parseParameters(doc, today)
}

// readBody reads a request body, up to maxBody.
func readBody(body io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(body, maxBody+1))
	if err != nil {
		return nil, invalidResource("the request body cannot be read")
	}
	if len(raw) > maxBody {
		return nil, invalidResource("the request body is larger than %d KiB; a Parameters of this operation is a few", maxBody>>10)
	}
	return raw, nil
}

// parseParameters checks a Parameters in its JSON form (see ParseRequest).
func parseParameters(doc any, today time.Time) (*Request, error) {
	res, ok := doc.(map[string]any)
	if !ok || res["resourceType"] != "Parameters" {
		return nil, invalidResource("the request body is not a FHIR Parameters resource")
	}
	if k := unknownKey(res, parametersKeys, false); k != "" {
		return nil, invalidResource("Parameters has no element %q", k)
	}
	list, ok := res["parameter"].([]any)
	if !ok && res["parameter"] != nil {
		return nil, invalidResource("Parameters.parameter must be a list")
	}
	r := &Request{Areas: map[Area][]Parts{}}
	y, m, d := today.Date()
	r0 := &reader{today: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
	warned := map[string]bool{}
	warn := func(name string) {
		if !warned[name] {
			warned[name] = true
			r.Warnings = append(r.Warnings, unrecognised(name))
		}
	}
	recognised, patientGiven := false, false
	for i, item := range list {
		p, ok := item.(map[string]any)
		if !ok {
			return nil, invalidResource("Parameters.parameter[%d] is not an object", i)
		}
		name, _ := p["name"].(string)
		if name == "" {
			return nil, invalidResource("Parameters.parameter[%d] has no name", i)
		}
		if k := unknownKey(p, parameterKeys, true); k != "" {
			return nil, invalidResource("parameter %s has no element %q", name, k)
		}
		if n := valueCount(p); n > 1 {
			return nil, invalidResource("parameter %s has %d values; a parameter has one value[x] at most", name, n)
		}
		r.Names = append(r.Names, name)
		if name == "patientNHSNumber" {
			if patientGiven {
				return nil, invalidParameter("patientNHSNumber is given more than once; it names the one patient whose record is asked for")
			}
			patientGiven, recognised = true, true
			nhs, err := readNHSNumber(p)
			if err != nil {
				return nil, err
			}
			r.NHSNumber = nhs
			continue
		}
		a, ok := byParam(name)
		if !ok {
			warn(name)
			continue
		}
		recognised = true
		def := areas[a]
		if len(r.Areas[a]) > 0 && !def.repeats {
			return nil, invalidResource("%s is given more than once", name)
		}
		if vk, _ := valueKey(p); vk != "" {
			return nil, invalidParameter("%s takes no value (%s), only its parts", name, vk)
		}
		parts, err := r0.parts(def, p, warn)
		if err != nil {
			return nil, err
		}
		r.Areas[a] = append(r.Areas[a], parts)
	}
	switch {
	case !recognised:
		return nil, invalidParameter("the request has no parameter of this operation (%s)", strings.Join(paramNames(), ", "))
	case !patientGiven:
		return nil, invalidParameter("patientNHSNumber is required: the NHS number of the patient whose record is asked for")
	}
	if ps := r.Areas[Consultations]; len(ps) > 0 {
		if _, p := ps[0]["consultationSearchPeriod"]; p {
			if _, n := ps[0]["includeNumberOfMostRecent"]; n {
				return nil, invalidResource("includeConsultations: consultationSearchPeriod and includeNumberOfMostRecent cannot be given together")
			}
		}
	}
	for _, with := range []Area{Consultations, Problems} {
		if len(r.Areas[with]) == 0 {
			continue
		}
		for _, qualified := range forbidden[with] {
			param, partName, _ := strings.Cut(qualified, ".")
			a, _ := byParam(param)
			for _, ps := range r.Areas[a] {
				if _, ok := ps[partName]; ok {
					return nil, invalidParameter("%s cannot be given with %s", qualified, areas[with].param)
				}
			}
		}
	}
	return r, nil
}

// reader reads parts against the provider's date.
type reader struct{ today time.Time }

// parts reads the parts of an area's parameter: each known one checked
// and read, each unknown one warned of, the required ones required.
func (rd *reader) parts(def area, p map[string]any, warn func(string)) (Parts, error) {
	out := Parts{}
	raw, ok := p["part"].([]any)
	if !ok && p["part"] != nil {
		return nil, invalidResource("%s.part must be a list", def.param)
	}
	for i, item := range raw {
		pp, ok := item.(map[string]any)
		if !ok {
			return nil, invalidResource("%s.part[%d] is not an object", def.param, i)
		}
		name, _ := pp["name"].(string)
		if name == "" {
			return nil, invalidResource("%s.part[%d] has no name", def.param, i)
		}
		qualified := def.param + "." + name
		if k := unknownKey(pp, []string{"id", "extension", "modifierExtension", "name"}, true); k != "" {
			return nil, invalidResource("%s has no element %q", qualified, k)
		}
		if n := valueCount(pp); n > 1 {
			return nil, invalidResource("%s has %d values; a part has one value[x] at most", qualified, n)
		}
		spec, known := def.part(name)
		if !known {
			warn(qualified)
			continue
		}
		if _, dup := out[name]; dup {
			return nil, invalidResource("%s is given more than once", qualified)
		}
		vk, v := valueKey(pp)
		if vk == "" {
			return nil, invalidParameter("%s has no value", qualified)
		}
		val, err := rd.value(qualified, spec, vk, v)
		if err != nil {
			return nil, err
		}
		out[name] = val
	}
	for _, spec := range def.parts {
		if _, ok := out[spec.name]; spec.required && !ok {
			return nil, invalidParameter("%s.%s is required", def.param, spec.name)
		}
	}
	return out, nil
}

// value reads a part's value of the key vk (valueBoolean, valueDate, …).
func (rd *reader) value(name string, spec part, vk string, v any) (Value, error) {
	wrong := func(want string) (Value, error) {
		return Value{}, invalidParameter("%s must be given as %s, not %s", name, want, vk)
	}
	switch spec.kind {
	case kindBoolean:
		b, ok := v.(bool)
		if vk != "valueBoolean" || !ok {
			return wrong("valueBoolean (true or false)")
		}
		return Value{Bool: b}, nil
	case kindPastDate, kindFutureDate:
		if vk != "valueDate" {
			return wrong("valueDate")
		}
		d, err := rd.date(name, v)
		if err != nil {
			return Value{}, err
		}
		if spec.kind == kindPastDate && d.After(rd.today) {
			return Value{}, invalidParameter("%s %s is in the future; it must be today or before", name, d.Format(time.DateOnly))
		}
		if spec.kind == kindFutureDate && d.Before(rd.today) {
			return Value{}, invalidParameter("%s %s is in the past; it must be today or after", name, d.Format(time.DateOnly))
		}
		return Value{Date: d}, nil
	case kindPeriod:
		per, ok := v.(map[string]any)
		if vk != "valuePeriod" || !ok {
			return wrong("valuePeriod")
		}
		if k := unknownKey(per, []string{"id", "extension", "start", "end"}, false); k != "" {
			return Value{}, invalidParameter("%s: a Period has no element %q", name, k)
		}
		var out Value
		for _, b := range []struct {
			key string
			to  *time.Time
		}{{"start", &out.Start}, {"end", &out.End}} {
			raw, ok := per[b.key]
			if !ok {
				continue
			}
			d, err := rd.date(name+"."+b.key, raw)
			if err != nil {
				return Value{}, err
			}
			if d.After(rd.today) {
				return Value{}, invalidParameter("%s.%s %s is in the future; it must be today or before", name, b.key, d.Format(time.DateOnly))
			}
			*b.to = d
		}
		switch {
		case out.Start.IsZero() && out.End.IsZero():
			return Value{}, invalidParameter("%s has neither a start nor an end", name)
		case !out.Start.IsZero() && !out.End.IsZero() && out.Start.After(out.End):
			return Value{}, invalidParameter("%s starts after it ends", name)
		}
		return out, nil
	case kindPositiveInt:
		n, ok := v.(json.Number)
		if vk != "valuePositiveInt" || !ok {
			return wrong("valuePositiveInt")
		}
		i, err := n.Int64()
		if err != nil || i < 1 || i > 1<<31-1 {
			return Value{}, invalidParameter("%s must be a whole number, 1 or more, not %s", name, n.String())
		}
		return Value{Int: int(i)}, nil
	case kindCode:
		s, ok := v.(string)
		if vk != "valueCode" || !ok {
			return wrong("valueCode")
		}
		if !slices.Contains(spec.codes, s) {
			return Value{}, invalidParameter("%s %q is not one of %s", name, shown(s), strings.Join(spec.codes, ", "))
		}
		return Value{Code: s}, nil
	}
	return Value{}, fmt.Errorf("part %s of an unknown kind", name)
}

// date reads a whole date (YYYY-MM-DD): no partial date, no time.
func (rd *reader) date(name string, v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalidParameter("%s must be a date (YYYY-MM-DD)", name)
	}
	d, err := time.Parse(time.DateOnly, s)
	if !wholeDate.MatchString(s) || err != nil {
		return time.Time{}, invalidParameter("%s %q is not a whole date (YYYY-MM-DD)", name, shown(s))
	}
	return d, nil
}

// readNHSNumber reads patientNHSNumber: an Identifier of the NHS number
// system whose value is an NHS number.
func readNHSNumber(p map[string]any) (string, error) {
	if _, ok := p["part"]; ok {
		return "", invalidParameter("patientNHSNumber has no parts; it is an Identifier (valueIdentifier)")
	}
	vk, v := valueKey(p)
	id, ok := v.(map[string]any)
	if vk != "valueIdentifier" || !ok {
		return "", invalidParameter("patientNHSNumber must be an Identifier (valueIdentifier) of the system %s", NHSNumberSystem)
	}
	if sys, _ := id["system"].(string); sys != NHSNumberSystem {
		return "", refuse(http.StatusBadRequest, "value", "INVALID_IDENTIFIER_SYSTEM",
			"patientNHSNumber: the identifier's system must be %s, not %q", NHSNumberSystem, shown(sys))
	}
	value, _ := id["value"].(string)
	if !validNHSNumber(value) {
		return "", refuse(http.StatusBadRequest, "value", "INVALID_NHS_NUMBER",
			"patientNHSNumber: %q is not an NHS number (ten digits, the last a modulus 11 check digit)", shown(value))
	}
	return value, nil
}

// validNHSNumber checks an NHS number: ten digits, the tenth the modulus
// 11 check digit of the others.
func validNHSNumber(s string) bool {
	if !nhsDigits.MatchString(s) {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(s[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(s[9]-'0')
}

// valueKey finds a parameter's value[x]: its key and value ("" when it
// has none).
func valueKey(p map[string]any) (string, any) {
	keys := make([]string, 0, 1)
	for k := range p {
		if isValueKey(k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	sort.Strings(keys)
	return keys[0], p[keys[0]]
}

// valueCount is how many value[x] a parameter has.
func valueCount(p map[string]any) int {
	n := 0
	for k := range p {
		if isValueKey(k) {
			n++
		}
	}
	return n
}

func isValueKey(k string) bool {
	return len(k) > 5 && strings.HasPrefix(k, "value") && k[5] >= 'A' && k[5] <= 'Z'
}

// unknownKey returns a key of o not among allowed (nor a value[x], nor its
// _companion, when values is set), or "".
func unknownKey(o map[string]any, allowed []string, values bool) string {
	for _, k := range slices.Sorted(maps.Keys(o)) {
		base := strings.TrimPrefix(k, "_")
		if slices.Contains(allowed, base) || values && isValueKey(base) {
			continue
		}
		return k
	}
	return ""
}

// shown is a value the caller sent, cut short for a message.
func shown(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
