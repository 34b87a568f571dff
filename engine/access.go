package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// Access limits what a request may see: for each resource type, how far
// its scopes reach (not at all, the patient in context, or everything),
// and the patient in context. It travels in the request's context; the
// restriction is added to the SQL of every query the request makes (reads,
// searches, chains, includes, the record).
type Access struct {
	Patient string             // a Patient id; "" for no patient context
	Reach   func(string) Reach // how far the request may read a type; nil for everything
}

// Reach is how far a request may read resources of one type.
type Reach int

const (
	ReachNone    Reach = iota // not at all
	ReachPatient              // only the patient in context's resources
	ReachAll                  // every resource of the type
)

type accessKey struct{}

// WithAccess returns a context that carries the request's access.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, &a)
}

func accessFrom(ctx context.Context) *Access {
	a, _ := ctx.Value(accessKey{}).(*Access)
	return a
}

// reach is how far the access reaches for a type; a patient reach with no
// patient in context reaches nothing.
func (a *Access) reach(typ string) Reach {
	if a == nil || a.Reach == nil {
		return ReachAll
	}
	r := a.Reach(typ)
	if r == ReachPatient && a.Patient == "" {
		return ReachNone
	}
	return r
}

func (a *Access) allows(typ string) bool { return a.reach(typ) != ReachNone }

// patientFor returns the patient a type's resources are limited to, or ""
// when they are not limited to one.
func (a *Access) patientFor(typ string) string {
	if a.reach(typ) == ReachPatient {
		return a.Patient
	}
	return ""
}

var errDenied = &Error{Kind: KindForbidden, SpineCode: "ACCESS DENIED", Msg: "this token does not give access to that patient's data"}

// restrict adds the patient context to a query: the Patient itself, or the
// resources of its compartment. Resources outside the compartment
// (Practitioner, Organization, …) follow their own scope only.
func (e *Engine) restrict(ctx context.Context, q *query) error {
	return e.restrictTo(accessFrom(ctx), q)
}

// restrictTo adds an access's restriction to a query (of the main search,
// a chain's subquery, an include).
func (e *Engine) restrictTo(a *Access, q *query) error {
	m := q.m
	switch a.reach(e.typ(m)) {
	case ReachAll:
		return nil
	case ReachNone:
		q.where(noMatch) // callers refuse first; this is the backstop
		return nil
	}
	patient := a.Patient
	if !canonicalID(patient) {
		q.where(noMatch)
		return nil
	}
	if m.Resource == "Patient" {
		key, err := m.KeyOf(patient)
		if err != nil || !e.keyFits(m, key) {
			q.where(noMatch)
			return nil
		}
		q.where(q.keyEquals(key))
		return nil
	}
	if e.inPatientCompartment(m) {
		return e.whereRef(q, "Patient", patient)
	}
	if e.table().InCompartment("Patient", e.typ(m)) {
		// A type of the Patient compartment whose mapping declares none
		// of the parameters that put it there cannot be limited to one
		// patient, so nothing of it is served.
		q.where(noMatch)
		return nil
	}
	// A type outside the compartment can still hold a patient's data
	// (STU3 Task's for, Contract's and GuidanceResponse's subject): it is
	// limited by every reference parameter it declares that may point to
	// a Patient; one that references a Patient but declares no such
	// parameter cannot be limited, so nothing of it is served.
	if ps := patientRefParams(m); len(ps) > 0 {
		return e.whereRefBy(q, ps, "Patient", patient)
	}
	if refersToPatient(m) {
		q.where(noMatch)
	}
	return nil
}

// patientRefParams are a mapping's reference search parameters that may
// point to a Patient.
func patientRefParams(m *mapping.Mapping) []*mapping.SearchParam {
	var out []*mapping.SearchParam
	for _, sp := range m.Search {
		if sp.Type == "reference" && slices.Contains(sp.Target, "Patient") {
			out = append(out, sp)
		}
	}
	return out
}

// refersToPatient tells whether a mapping renders a reference to a
// Patient anywhere in its resources.
func refersToPatient(m *mapping.Mapping) bool {
	found := false
	m.Walk(func(n *mapping.Node, _ *mapping.Rows) {
		if n.Expr != nil {
			n.Expr.Walk(func(x *mapping.Expr) {
				if x.Ref != nil && x.Ref.Resource == "Patient" {
					found = true
				}
			})
		}
	})
	return found
}

// canonicalID reports whether an id is a valid FHIR id without an OR
// (",") in it; CanonicalPatient checks the rest against the database.
func canonicalID(id string) bool {
	return fhir.IsValidID(id) && !strings.Contains(id, ",")
}

// ErrNoSuchPatient is returned by CanonicalPatient for an id that is not
// the id of a patient here, exactly as the facade writes it.
var ErrNoSuchPatient = &Error{Kind: KindForbidden, SpineCode: "ACCESS DENIED", Msg: "the token's patient is not a patient of this service"}

// CanonicalPatient checks that id is the id of one patient, written as the
// facade writes it ("04", "-34" or "3,4" name no patient, though a
// database might match them to one): a token's patient context must be
// exactly that. The lookup ignores any access in ctx.
func (e *Engine) CanonicalPatient(ctx context.Context, id string) error {
	pm := e.set.Lookup("Patient")
	if pm == nil || !canonicalID(id) {
		return ErrNoSuchPatient
	}
	key, err := pm.KeyOf(id)
	if err != nil || !e.keyFits(pm, key) {
		return ErrNoSuchPatient
	}
	q := e.newQuery(pm)
	q.where(q.keyEquals(key))
	sqlText, args := q.selectSQL(2)
	rows, err := e.queryRows(ctx, sqlText, args, q.ncols(), stmtSource{pm.From.Pos, "Patient"})
	if err != nil {
		return err
	}
	if len(rows) != 1 {
		return ErrNoSuchPatient
	}
	if got, err := pm.ID(rows[0]); err != nil || got != id {
		return ErrNoSuchPatient
	}
	return nil
}

// authorize checks a parsed search against the request's access: the
// searched type and every type a chain reads must be allowed, and under a
// patient context the search must not name another patient (_id on
// Patient, a reference to Patient, directly or through a chain, or a
// compartment).
func (e *Engine) authorize(ctx context.Context, sr *searchReq) error {
	a := accessFrom(ctx)
	m := sr.m
	if err := typesAllowed(ctx, []string{e.typ(m)}); err != nil {
		return err
	}
	for _, pr := range sr.params {
		if c := pr.chain; c != nil && !a.allows(e.typ(c.target)) {
			return &Error{Kind: KindForbidden, SpineCode: "ACCESS DENIED", Param: pr.raw,
				Msg: fmt.Sprintf("the chain %q reads %s, which this token's scopes do not allow", pr.raw, e.typ(c.target))}
		}
	}
	patient := a.patientFor(e.typ(m))
	if patient == "" {
		return nil
	}
	if c := sr.compartment; c != nil && c.Type == "Patient" && c.ID != patient {
		return errDenied
	}
	for _, pr := range sr.params {
		switch {
		case pr.sp.Type == "_id" && m.Resource == "Patient" && pr.key.Modifier == "":
			for _, ors := range pr.ands {
				for _, v := range ors {
					if v.str != patient {
						return errDenied
					}
				}
			}
		case pr.sp.Type != "reference" || !slices.Contains(pr.sp.Target, "Patient") || pr.key.Modifier == "missing":
		case pr.chain != nil:
			if pr.chain.target.Resource != "Patient" {
				continue
			}
			// The chain must find the token's patient.
			q := e.newQuery(pr.chain.target)
			q.access = a
			pred, err := e.compileParam(q, pr.chain.param)
			if err != nil {
				continue // the search itself reports it
			}
			q.where(pred)
			if err := e.restrict(ctx, q); err != nil {
				return err
			}
			n, err := e.total(ctx, q, false)
			if err != nil {
				return err
			}
			if n == 0 {
				return errDenied
			}
		default:
			for _, ors := range pr.ands {
				for _, v := range ors {
					if (v.ref.Type == "" || v.ref.Type == "Patient") && v.ref.ID != patient {
						return errDenied
					}
				}
			}
		}
	}
	return nil
}

// deniedRead tells a read that found nothing under the patient context
// whether the resource exists outside it (403) or not at all (404).
func (e *Engine) deniedRead(ctx context.Context, m *mapping.Mapping, key []string) (bool, error) {
	if accessFrom(ctx).patientFor(e.typ(m)) == "" {
		return false, nil
	}
	q := e.newQuery(m)
	q.where(q.keyEquals(key))
	n, err := e.total(ctx, q, false)
	return n > 0, err
}

func typesAllowed(ctx context.Context, types []string) error {
	a := accessFrom(ctx)
	var denied []string
	for _, t := range types {
		if !a.allows(t) {
			denied = append(denied, t)
		}
	}
	if len(denied) > 0 {
		return &Error{Kind: KindForbidden, SpineCode: "ACCESS DENIED", Msg: fmt.Sprintf("this token's scopes do not allow reading %s", strings.Join(denied, ", "))}
	}
	return nil
}
