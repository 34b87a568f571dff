package engine

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/textfn"
)

// paramType is everything the engine knows of one search parameter type,
// in one place: the modifiers it takes, how a value is parsed, how a value
// is compared with one source's SQL expressions and with a value the
// element shows without a column, and how the CapabilityStatement
// describes it.
type paramType struct {
	// modifier tells whether a modifier (other than :missing) applies.
	modifier func(sp *mapping.SearchParam, mod string) bool
	// parse reads one value (one item of a comma-separated list).
	parse func(e *Engine, raw, mod, v string) (value, error)
	// pred compiles one value against one source's expressions.
	pred func(e *Engine, c *source, mod string, v value) (sqlgen.Pred, error)
	// constant compares one value with a constant the element shows.
	constant func(sp *mapping.SearchParam, mod string, v value) bool
	// doc describes the type's search for the CapabilityStatement.
	doc func(sp *mapping.SearchParam) string
}

// source is one source of a parameter as the engine compares it: the
// parameter of one source, its column as the database has it, the alias
// of the table it is over and the SQL expressions it compares.
type source struct {
	sp    *mapping.SearchParam
	col   col
	alias string
	exprs []string
	b     *sqlgen.Builder
	raw   string // the parameter as given, for messages
}

// col is what the engine needs of a parameter's column.
type col struct {
	Type string
	Kind adapters.Kind
}

// paramTypes implements each search parameter type, keyed by the mapping
// language's names for them (mapping.SearchTypes), and _id.
var paramTypes = map[string]*paramType{
	"_id": {
		modifier: func(*mapping.SearchParam, string) bool { return false },
		parse: func(_ *Engine, raw, _, v string) (value, error) {
			if !fhir.IsValidID(v) {
				return value{}, invalid(raw, "INVALID_PARAMETER", "%q is not a valid id", v)
			}
			return value{text: v, str: v}, nil
		},
	},
	"string": {
		modifier: func(_ *mapping.SearchParam, mod string) bool { return mod == "exact" || mod == "contains" },
		parse: func(_ *Engine, raw, _, v string) (value, error) {
			s, err := fhir.ParseStringValue(raw, v)
			return value{text: v, str: s}, paramErrOrNil(err)
		},
		pred: stringPred,
		constant: func(sp *mapping.SearchParam, mod string, v value) bool {
			c := *sp.Constant
			switch mod {
			case "exact":
				return c == v.str
			case "contains":
				return strings.Contains(textfn.Fold(c), textfn.Fold(v.str))
			}
			return strings.HasPrefix(textfn.Fold(c), textfn.Fold(v.str))
		},
		doc: func(*mapping.SearchParam) string {
			return "Case-insensitive starts-with; modifiers :exact, :contains, :missing."
		},
	},
	"token": {
		// :text matches the displays of the concept maps the token goes
		// through; without a map there is no text to match.
		modifier: func(sp *mapping.SearchParam, mod string) bool {
			return mod == "not" || (mod == "text" && len(sp.Concepts) > 0)
		},
		parse: func(_ *Engine, raw, mod, v string) (value, error) {
			if mod == "text" {
				s, err := fhir.ParseStringValue(raw, v)
				return value{text: v, str: s}, paramErrOrNil(err)
			}
			tv, err := fhir.ParseTokenValue(raw, v)
			return value{text: v, tok: tv}, paramErrOrNil(err)
		},
		pred: func(e *Engine, c *source, mod string, v value) (sqlgen.Pred, error) {
			switch {
			case mod == "text":
				return tokenTextPred(c, v.str), nil
			case c.sp.SystemFrom != nil:
				return tokenSystemPred(c, v)
			}
			return tokenPred(c, v)
		},
		constant: func(sp *mapping.SearchParam, _ string, v value) bool {
			tv := v.tok
			sysOK := !tv.HasSystem || (tv.System == "" && sp.System == "") || (tv.System != "" && sameSystem(tv.System, sp.System))
			return sysOK && (tv.Code == "" || tv.Code == *sp.Constant)
		},
		doc: func(*mapping.SearchParam) string {
			return "system|code, code, |code or system|; comma for OR; modifiers :not, :missing (and :text where the codes come through a concept map)."
		},
	},
	"date": {
		modifier: func(*mapping.SearchParam, string) bool { return false },
		parse: func(e *Engine, raw, _, v string) (value, error) {
			dv, err := fhir.ParseDateValue(raw, v, e.set.Location)
			return value{text: v, date: dv}, paramErrOrNil(err)
		},
		pred:     func(e *Engine, c *source, _ string, v value) (sqlgen.Pred, error) { return e.datePred(c, v.date) },
		constant: func(*mapping.SearchParam, string, value) bool { return false },
		doc: func(*mapping.SearchParam) string {
			return "Prefixes eq ne lt gt le ge sa eb ap; the value's precision makes a range; modifier :missing."
		},
	},
	"reference": {
		modifier: func(sp *mapping.SearchParam, mod string) bool { return slices.Contains(sp.Target, mod) },
		parse: func(_ *Engine, raw, mod, v string) (value, error) {
			rv, err := fhir.ParseReferenceValue(raw, mod, v)
			return value{text: v, ref: rv}, paramErrOrNil(err)
		},
		pred: func(e *Engine, c *source, _ string, v value) (sqlgen.Pred, error) {
			return e.referencePred(c, v.ref), nil
		},
		constant: func(*mapping.SearchParam, string, value) bool { return false },
		doc: func(sp *mapping.SearchParam) string {
			return fmt.Sprintf("id, Type/id or URL of %s; modifiers :%s, :missing; chains to the target's parameters (e.g. .identifier).", strings.Join(sp.Target, ", "), strings.Join(sp.Target, ", :"))
		},
	},
}

// The engine implements exactly the types the mapping language lets a
// mapping declare: a type added to one and not the other stops every
// build's tests (and the facade) at start.
func init() {
	types := mapping.SearchTypes()
	for _, t := range types {
		if paramTypes[t] == nil {
			panic(fmt.Sprintf("engine: the mapping language's search type %q has no implementation in paramTypes", t))
		}
	}
	for t := range paramTypes {
		if t != "_id" && !slices.Contains(types, t) {
			panic(fmt.Sprintf("engine: paramTypes implements %q, which the mapping language does not declare (mapping.SearchTypes)", t))
		}
	}
}

// paramDoc describes how a parameter searches, for the
// CapabilityStatement: the mapping's own documentation, else its type's.
func paramDoc(sp *mapping.SearchParam) string {
	if sp.Documentation != "" {
		return sp.Documentation
	}
	pt := paramTypes[sp.Type]
	if pt == nil || pt.doc == nil {
		return ""
	}
	doc := pt.doc(sp)
	if sp.Path != "" {
		doc += " Finds what the resource shows at " + sp.Path + "."
	}
	return doc
}

func paramErrOrNil(err error) error {
	if err == nil {
		return nil
	}
	return paramErr(err)
}

func stringPred(_ *Engine, c *source, mod string, v value) (sqlgen.Pred, error) {
	s := v.str
	for _, t := range c.sp.Transforms {
		out, err := t.Apply(s)
		if err != nil {
			return nil, invalid(c.raw, "INVALID_PARAMETER", "parameter %q: value %q: %v", c.raw, s, err)
		}
		s = fmt.Sprint(out)
	}
	b := c.b
	var parts []sqlgen.Pred
	for _, x := range c.exprs {
		switch mod {
		case "exact":
			parts = append(parts, b.Exact(x, b.Arg(s)))
		case "contains":
			parts = append(parts, b.ILike(x, b.Arg("%"+fhir.LikeEscape(s)+"%")))
		default:
			parts = append(parts, b.ILike(x, b.Arg(fhir.LikeEscape(s)+"%")))
		}
	}
	return sqlgen.Or(parts...), nil
}

// present is true where one of the source's expressions holds a value.
func present(c *source) sqlgen.Pred {
	parts := make([]sqlgen.Pred, len(c.exprs))
	for i, x := range c.exprs {
		parts[i] = sqlgen.NotNull(x)
	}
	return sqlgen.Or(parts...)
}

// applyTransforms turns a searched code into the column's form.
func applyTransforms(c *source, code string) (string, error) {
	for _, t := range c.sp.Transforms {
		out, err := t.Apply(code)
		if err != nil {
			spine := "INVALID_PARAMETER"
			if errors.Is(err, mapping.ErrBadNHSNumber) {
				spine = "INVALID_NHS_NUMBER"
			}
			return "", invalid(c.raw, spine, "parameter %q: value %q: %v", c.raw, code, err)
		}
		code = fmt.Sprint(out)
	}
	return code, nil
}

func tokenPred(c *source, v value) (sqlgen.Pred, error) {
	tv, sp := v.tok, c.sp
	var codes []string
	if len(sp.Concepts) > 0 {
		seen := map[string]bool{}
		// With a system of its own too, the column's codes are in that
		// system, and a value in it matches them as they are.
		if sp.System != "" && (!tv.HasSystem || sameSystem(tv.System, sp.System)) {
			if tv.Code == "" {
				return present(c), nil
			}
			seen[tv.Code] = true
			codes = append(codes, tv.Code)
		}
		for _, cm := range sp.Concepts {
			var found []string
			if tv.Code == "" {
				found = cm.InSystem(tv.System)
			} else {
				found = cm.Reverse(tv.System, tv.HasSystem, tv.Code)
			}
			for _, f := range found {
				if !seen[f] {
					seen[f] = true
					codes = append(codes, f)
				}
			}
		}
		if len(codes) == 0 {
			return sqlgen.False, nil
		}
	} else {
		if tv.HasSystem && !sameSystem(tv.System, sp.System) {
			return sqlgen.False, nil
		}
		if tv.Code == "" {
			return present(c), nil
		}
		code, err := applyTransforms(c, tv.Code)
		if err != nil {
			return nil, err
		}
		codes = []string{code}
	}
	if len(codes) > maxCodes {
		return nil, &Error{Kind: KindInvalid, Param: c.raw, SpineCode: "INVALID_PARAMETER",
			Msg: fmt.Sprintf("parameter %q: %q stands for %d codes here; search for fewer", c.raw, v.text, len(codes))}
	}
	numeric := c.col.Kind.Numeric()
	var args []any
	for _, code := range codes {
		if numeric {
			// A numeric column compares with a number; a value that is
			// none, or a fraction for a column of whole numbers, can
			// match no row (and PostgreSQL would refuse it).
			if n, err := strconv.ParseInt(code, 10, 64); err == nil {
				args = append(args, n)
			} else if f, err := strconv.ParseFloat(code, 64); err == nil && c.col.Kind != adapters.KindInteger && !math.IsInf(f, 0) && !math.IsNaN(f) {
				args = append(args, f)
			}
			continue
		}
		args = append(args, code)
	}
	if len(args) == 0 {
		return sqlgen.False, nil
	}
	var parts []sqlgen.Pred
	for _, x := range c.exprs {
		phs := make([]string, len(args))
		for i, a := range args {
			phs[i] = c.b.Arg(a)
		}
		parts = append(parts, c.b.CodeIn(x, phs, numeric))
	}
	return sqlgen.Or(parts...), nil
}

// tokenSystemPred compiles a token against codes whose system is held per
// row (through the parameter's system map, if any): system|code matches
// both, code the code in any system a coding is shown for, |code a code
// shown without a system, system| any code of the system.
func tokenSystemPred(c *source, v value) (sqlgen.Pred, error) {
	tv, sp, b := v.tok, c.sp, c.b
	sys := sqlgen.Expr(sp.SystemFrom.SQL)
	if sp.SystemFrom.Column != "" {
		sys = b.Col(c.alias, sp.SystemFrom.Column)
	}
	// Through a concept map, a row whose system the map does not know
	// shows no coding, so no token finds it: code alone is searched in the
	// known systems, and |code (a code without a system) finds nothing.
	// Without a map the column holds the URIs, and a NULL is no system.
	known := sp.SystemFrom.Known()
	var sysPred sqlgen.Pred
	switch {
	case tv.HasSystem && tv.System == "":
		if len(known) > 0 {
			return sqlgen.False, nil
		}
		sysPred = sqlgen.IsNull(sys)
	case !tv.HasSystem && len(known) > 0:
		sysPred = b.In(sys, anys(known))
	case tv.HasSystem:
		locals := sp.SystemFrom.Locals(tv.System)
		if len(locals) == 0 {
			return sqlgen.False, nil
		}
		if len(locals) == 1 {
			sysPred = sqlgen.Cmp(sys, "=", b.Arg(locals[0]))
		} else {
			sysPred = b.In(sys, anys(locals))
		}
	}
	var pred sqlgen.Pred
	if tv.Code == "" {
		pred = present(c)
	} else {
		code, err := applyTransforms(c, tv.Code)
		if err != nil {
			return nil, err
		}
		numeric := c.col.Kind.Numeric()
		var arg any = code
		if numeric {
			n, err := strconv.ParseInt(code, 10, 64)
			if err != nil {
				return sqlgen.False, nil
			}
			arg = n
		}
		var parts []sqlgen.Pred
		for _, x := range c.exprs {
			parts = append(parts, b.CodeIn(x, []string{b.Arg(arg)}, numeric))
		}
		pred = sqlgen.Or(parts...)
	}
	if sysPred != nil {
		pred = sqlgen.Group(sysPred, pred)
	}
	return pred, nil
}

// tokenTextPred compiles token:text: the local codes whose map entry's
// display starts with the text (ignoring case), as FHIR string search does.
func tokenTextPred(c *source, text string) sqlgen.Pred {
	var codes []any
	seen := map[string]bool{}
	for _, cm := range c.sp.Concepts {
		for _, local := range cm.ByDisplay(text) {
			if !seen[local] {
				seen[local] = true
				codes = append(codes, local)
			}
		}
	}
	if len(codes) == 0 {
		return sqlgen.False
	}
	parts := make([]sqlgen.Pred, len(c.exprs))
	for i, x := range c.exprs {
		parts[i] = c.b.In(x, codes)
	}
	return sqlgen.Or(parts...)
}

func (e *Engine) referencePred(c *source, rv fhir.ReferenceValue) sqlgen.Pred {
	sp := c.sp
	targets := sp.Target
	if rv.Type != "" {
		if !slices.Contains(sp.Target, rv.Type) {
			return sqlgen.False
		}
		targets = []string{rv.Type}
	}
	var parts []sqlgen.Pred
	for _, t := range targets {
		tm := e.lookup(t)
		if tm == nil || len(tm.From.Key) != 1 {
			continue
		}
		k, err := tm.KeyOf(rv.ID)
		if err != nil {
			continue
		}
		var arg any = k[0]
		if c.col.Kind.Numeric() {
			n, err := strconv.ParseInt(k[0], 10, 64)
			if err != nil {
				continue
			}
			arg = n
		}
		for _, x := range c.exprs {
			parts = append(parts, sqlgen.Cmp(x, "=", c.b.Arg(arg)))
		}
	}
	if len(parts) == 0 {
		return sqlgen.False
	}
	return sqlgen.Or(parts...)
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sameSystem compares a token's system with the parameter's, accepting the
// older spellings of Care Connect code system URLs.
func sameSystem(given, want string) bool {
	if given == want {
		return true
	}
	return canonicalSystem(given) == canonicalSystem(want) && want != ""
}

func canonicalSystem(s string) string {
	for _, old := range []string{"https://fhir.hl7.org.uk/STU3/CodeSystem/", "https://fhir.hl7.org.uk/STU3/", "https://fhir.hl7.org.uk/"} {
		if strings.HasPrefix(s, old) && strings.HasPrefix(s[len(old):], "CareConnect-") {
			return "https://fhir.hl7.org.uk/STU3/CodeSystem/" + s[len(old):]
		}
	}
	return s
}
