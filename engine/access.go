package engine

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// Access limits what a request may see: a patient context (only that
// patient's data) and the resource types its scopes allow. It travels in
// the request's context; the restriction is added to the SQL of every
// query the request makes (reads, searches, chains, includes, the record).
type Access struct {
	Patient string            // a Patient id; "" for no patient context
	Allows  func(string) bool // the resource types the request may read; nil for all
}

type accessKey struct{}

// WithAccess returns a context that carries the request's access.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, &a)
}

func accessFrom(ctx context.Context) *Access {
	a, _ := ctx.Value(accessKey{}).(*Access)
	return a
}

func (a *Access) allows(typ string) bool { return a == nil || a.Allows == nil || a.Allows(typ) }

var errDenied = &Error{Kind: KindForbidden, SpineCode: "ACCESS DENIED", Msg: "this token does not give access to that patient's data"}

// restrict adds the patient context to a query: the Patient itself, or the
// resources of its compartment. Resources outside the compartment
// (Practitioner, Organization, …) follow their own scope only.
func (e *Engine) restrict(ctx context.Context, q *query) error {
	a := accessFrom(ctx)
	if a == nil || a.Patient == "" {
		return nil
	}
	m := q.m
	if m.Resource == "Patient" {
		key, err := mapping.DecodeID(a.Patient, len(m.From.Key))
		if err != nil || !keyFits(m, key) {
			q.where(noMatch)
			return nil
		}
		q.where(q.keyEquals(key))
		return nil
	}
	if sp := m.SearchParam("patient"); sp != nil && sp.Type == "reference" && containsStr(sp.Target, "Patient") {
		pred, err := e.compileParam(q, m, fhir.ParamKey{Name: "patient"}, "patient", []string{"Patient/" + a.Patient})
		if err != nil {
			return err
		}
		q.where(pred)
	}
	return nil
}

// forbidden refuses a search that names another patient than the token's:
// _id on Patient, or a reference parameter to Patient (directly or through
// a chain).
func (e *Engine) forbidden(ctx context.Context, m *mapping.Mapping, params url.Values) error {
	a := accessFrom(ctx)
	if a == nil || a.Patient == "" {
		return nil
	}
	for name, values := range params {
		key, err := fhir.ParseParamKey(name)
		if err != nil {
			continue
		}
		var sp *mapping.SearchParam
		if key.Name == "_id" && m.Resource == "Patient" && key.Modifier == "" {
			for _, v := range values {
				for _, id := range fhir.SplitOr(v) {
					if id != a.Patient {
						return errDenied
					}
				}
			}
			continue
		}
		if sp = m.SearchParam(key.Name); sp == nil || sp.Type != "reference" || !containsStr(sp.Target, "Patient") || key.Modifier == "missing" {
			continue
		}
		if key.Chain != "" {
			// The chain must find the token's patient.
			pm := e.set.Lookup("Patient")
			if pm == nil {
				continue
			}
			ck, err := fhir.ParseParamKey(key.Chain)
			if err != nil {
				continue
			}
			q := e.newQuery(pm)
			pred, err := e.compileParam(q, pm, ck, key.Chain, values)
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
			continue
		}
		for _, v := range values {
			for _, item := range fhir.SplitOr(v) {
				rv, err := fhir.ParseReferenceValue(name, key.Modifier, item)
				if err != nil {
					continue
				}
				if (rv.Type == "" || rv.Type == "Patient") && rv.ID != a.Patient {
					return errDenied
				}
			}
		}
	}
	return nil
}

// deniedRead tells a read that found nothing under the patient context
// whether the resource exists outside it (403) or not at all (404).
func (e *Engine) deniedRead(ctx context.Context, m *mapping.Mapping, key []string) (bool, error) {
	a := accessFrom(ctx)
	if a == nil || a.Patient == "" {
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
