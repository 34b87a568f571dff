package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"

	"github.com/ccfacade/ccfacade/fhir"
)

// pager is what the pages of one request share: the request's links and
// the hash that ties its cursors to it. Search and Everything page the
// same way through it.
type pager struct {
	e         *Engine
	url       string // base/path?
	canonical string // the request's parameters but _count and _cursor, encoded
	transport string // _format and _pretty as the request gave them, encoded
	count     int
	hash      string
}

// newPager makes the pager of a request for path with the parameters in
// canonical form; scope is anything else a cursor must belong to (the
// patient of $everything). The links repeat the request's transport
// parameters (_format, _pretty), so a client that follows one gets the
// form it asked for; a cursor does not depend on them.
func (e *Engine) newPager(base, path string, canonical, transport url.Values, scope string, count int) *pager {
	c := canonical.Encode()
	sum := sha256.Sum256([]byte(path + "?" + c + "#" + scope))
	return &pager{e: e, url: base + "/" + path + "?", canonical: c, transport: transport.Encode(), count: count, hash: hex.EncodeToString(sum[:12])}
}

// link is the request's URL with _count, the transport parameters and the
// extra parameters.
func (p *pager) link(extra ...string) string {
	qs := p.canonical
	add := func(s string) {
		if s == "" {
			return
		}
		if qs != "" {
			qs += "&"
		}
		qs += s
	}
	add("_count=" + strconv.Itoa(p.count))
	add(p.transport)
	for _, x := range extra {
		add(x)
	}
	return p.url + qs
}

// self is the link to the page asked for, with its cursor token if any.
func (p *pager) self(token string) fhir.Link {
	if token == "" {
		return fhir.Link{Relation: "self", URL: p.link()}
	}
	return fhir.Link{Relation: "self", URL: p.link("_cursor=" + url.QueryEscape(token))}
}

// to is the link to the page a cursor marks.
func (p *pager) to(rel string, c cursor) fhir.Link {
	c.Query = p.hash
	return fhir.Link{Relation: rel, URL: p.link("_cursor=" + p.e.seal.seal(c))}
}

// open checks a cursor token: sealed by us, not expired, and of this
// request.
func (p *pager) open(token string) (cursor, error) {
	c, err := p.e.seal.open(token)
	if err != nil {
		return cursor{}, invalid("_cursor", "INVALID_PARAMETER", "%v", err)
	}
	if c.Query != p.hash {
		return cursor{}, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor belongs to a different request")
	}
	return c, nil
}
