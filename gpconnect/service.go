package gpconnect

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mapping"
)

// DefaultPath is the GP Connect FHIR base's path when none is configured.
const DefaultPath = "/gpconnect/fhir"

// Options configure the GP Connect service.
type Options struct {
	// Path is the base the endpoints are served under (default
	// DefaultPath): [Path]/Patient/$gpc.getstructuredrecord and
	// [Path]/metadata.
	Path string
	// ASID is this provider's ASID: a request's Ssp-To must equal it, and
	// the business identifiers made for resources are unique to it.
	ASID string
	// PractitionerIdentifier, when set, is the system of the
	// requesting_practitioner identifier the token's sub must equal;
	// otherwise sub must equal its id.
	PractitionerIdentifier string
	// Areas are the clinical areas offered; nil offers every area the
	// service can answer from the mappings. An area asked for and not
	// offered is answered with a NOT_IMPLEMENTED warning.
	Areas []Area
	// Overlay is the mapping set's additions to the GP Connect rendering
	// (ParseOverlay); nil: none.
	Overlay *Overlay
	// Practices are the ODS codes of the practices at which GP Connect
	// Access Record: Structured is enabled: a patient registered at none
	// of them is refused, 403 ACCESS DENIED. Empty: every practice.
	Practices []string
	// Location is the zone of "today" for the date parameters (default
	// UTC); Now the clock (default time.Now).
	Location *time.Location
	Now      func() time.Time
	// ClockSkew is how long past its exp a token is still taken (default
	// a minute).
	ClockSkew time.Duration
	// SoftwareVersion is the facade's version, for the CapabilityStatement.
	SoftwareVersion string
	Logger          *slog.Logger
}

// Service answers GP Connect Access Record: Structured over an engine.
type Service struct {
	eng     *engine.Engine
	opts    Options
	overlay *Overlay
	ns      [16]byte
	// offered are the areas answered; withheld says why each area
	// configured but not answered is not.
	offered  map[Area]bool
	withheld map[Area]string
	// switchedOff are the areas the mappings could answer that are not
	// offered: a consultation shows their items as disabled.
	switchedOff map[Area]bool
	// standingMap renders the overlay's patient facts (nil: none).
	standingMap *mapping.Mapping
	// headings are the overlay's headings of consultation items, by
	// resource type (headings.go).
	headings map[string]heading
	// authorisation renders a repeat's authorisation expiry and where it
	// was prescribed from its row (nil: the overlay says nothing of them;
	// authorisation.go).
	authorisation *mapping.Mapping
	// labelled are the types whose mappings give security labels (meta):
	// those of which an item may be withheld (withheld.go).
	labelled map[string]bool
}

var (
	asidRe = regexp.MustCompile(`^[0-9]{1,20}$`)
	pathRe = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)
)

// New makes the service over an engine whose mappings include Patient.
func New(eng *engine.Engine, opts Options) (*Service, error) {
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	if !pathRe.MatchString(opts.Path) {
		return nil, fmt.Errorf("gpconnect.path %q is not a path such as %s", opts.Path, DefaultPath)
	}
	if !asidRe.MatchString(opts.ASID) {
		return nil, fmt.Errorf("gpconnect.asid is required: this provider's ASID (digits), which Ssp-To must equal")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if eng.Set().Lookup("Patient") == nil {
		return nil, errors.New("gpconnect: the mappings have no Patient: the record is found by the patient's NHS number")
	}
	s := &Service{eng: eng, opts: opts, overlay: withSet(opts.Overlay), ns: namespace(opts.ASID),
		offered: map[Area]bool{}, withheld: map[Area]string{}, switchedOff: map[Area]bool{}}
	sm, err := standingMapping(eng.Set().Lookup("Patient"), s.overlay.Patient, eng.Set().Location)
	if err != nil {
		return nil, err
	}
	s.standingMap = sm
	if err := s.checkStanding(); err != nil {
		return nil, err
	}
	s.labelled = map[string]bool{}
	for _, m := range eng.Set().Mappings {
		if m.Root != nil && slices.ContainsFunc(m.Root.Fields, func(f *mapping.Node) bool { return f.Name == "meta" }) {
			s.labelled[m.Resource] = true
		}
	}
	if s.headings, err = headingRules(eng.Set(), s.overlay); err != nil {
		return nil, err
	}
	if err := s.checkHeadings(); err != nil {
		return nil, err
	}
	if s.authorisation, err = authorisationMapping(eng.Set(), s.overlay); err != nil {
		return nil, err
	}
	if err := s.checkAuthorisation(); err != nil {
		return nil, err
	}
	want := opts.Areas
	if want == nil {
		for _, a := range itemAreas {
			if builders[a] != nil {
				want = append(want, a)
			}
		}
	}
	for _, a := range want {
		switch why := s.unservable(a); why {
		case "":
			s.offered[a] = true
		default:
			s.withheld[a] = why
		}
	}
	for _, a := range itemAreas {
		if !s.offered[a] && s.unservable(a) == "" {
			s.switchedOff[a] = true
		}
	}
	return s, nil
}

// unservable says why an area cannot be answered here, or "".
func (s *Service) unservable(a Area) string {
	b := builders[a]
	if b == nil {
		return "this version of the facade does not build it yet"
	}
	return b.needs(s.eng.Set())
}

// Path is the base the service is served under.
func (s *Service) Path() string { return s.opts.Path }

// Offered lists the areas answered, and Withheld the areas configured but
// not answered with the reason: for the log at start.
func (s *Service) Offered() []string {
	var out []string
	for _, a := range areaOrder {
		if s.offered[a] {
			out = append(out, areas[a].name)
		}
	}
	return out
}

// Withheld are the areas configured that are not answered, each with why.
func (s *Service) Withheld() []string {
	var out []string
	for _, a := range areaOrder {
		if why, ok := s.withheld[a]; ok {
			out = append(out, areas[a].name+": "+why)
		}
	}
	return out
}

// Today is the provider's date.
func (s *Service) Today() time.Time { return s.opts.Now().In(s.opts.Location) }

// Authorize checks a request's Spine Security Proxy headers (Ssp-To this
// provider's ASID, the interaction id the endpoint's) and its audit token
// (auth.CheckGPConnect), and the resources embedded in the token against
// their STU3 types. The error is an *Error: 400 BAD_REQUEST, or 422
// INVALID_RESOURCE for an embedded resource that is not the one it must be.
func (s *Service) Authorize(header func(string) string, interaction, scope string) (*auth.SSP, *auth.Principal, error) {
	ssp, p, err := auth.CheckGPConnect(header, interaction, scope,
		auth.SSPConfig{ASID: s.opts.ASID, PractitionerIdentifier: s.opts.PractitionerIdentifier}, s.opts.Now(), s.opts.ClockSkew)
	if err != nil {
		var ge *auth.GPConnectError
		if errors.As(err, &ge) && ge.InvalidResource {
			return nil, nil, invalidResource("%s", ge.Msg)
		}
		return nil, nil, BadRequest("%s", err.Error())
	}
	for _, r := range []struct {
		claim, typ string
		res        map[string]any
	}{{"requesting_device", "Device", p.SSP.RequestingDevice}, {"requesting_organization", "Organization", p.SSP.RequestingOrganization}, {"requesting_practitioner", "Practitioner", p.SSP.RequestingPractitioner}} {
		if k := unknownElement(r.typ, r.res); k != "" {
			return nil, nil, invalidResource("the token's %s is not a valid FHIR %s: it has no element %q", r.claim, r.typ, k)
		}
	}
	return ssp, p, nil
}

// unknownElement returns a top-level key of a resource that its STU3 type
// does not define, or "".
func unknownElement(typ string, res map[string]any) string {
	t := stu3.Lookup(typ)
	if t == nil {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(res)) {
		name := strings.TrimPrefix(k, "_")
		if name == "resourceType" {
			continue
		}
		if !slices.ContainsFunc(t.Elements, func(e stu3.Element) bool {
			if e.Choice() {
				for _, ty := range e.Types {
					if stu3.JSONName(e.Name, ty) == name {
						return true
					}
				}
				return false
			}
			return e.Name == name
		}) {
			return k
		}
	}
	return ""
}

// builder builds one clinical area's lists and resources.
type builder struct {
	// needs says what the area needs of the mappings that they do not
	// give, or "".
	needs func(set *mapping.Set) string
	build func(r *record, req *Request) error
}

// patientItems is the builder of an area whose items are resources of
// typ found by the patient's reference: it needs that search of the
// mappings, and build takes what it finds.
func patientItems(typ string, build func(r *record, req *Request, found []*fhir.Object) error) *builder {
	return &builder{
		needs: func(set *mapping.Set) string {
			return needsSearch(set, typ, map[string]string{"patient": "reference"})
		},
		build: func(r *record, req *Request) error {
			found, err := r.search(typ, url.Values{"patient": {"Patient/" + r.pid}})
			if err != nil {
				return err
			}
			return build(r, req, found)
		},
	}
}

// builders are the areas this version builds (nil: not yet).
var builders = map[Area]*builder{
	Allergies:      allergyBuilder,
	Medication:     medicationBuilder,
	Consultations:  consultationBuilder,
	Problems:       problemBuilder,
	Immunisations:  immunisationBuilder,
	Uncategorised:  uncategorisedBuilder,
	Investigations: investigationBuilder,
	Referrals:      referralBuilder,
	DiaryEntries:   diaryBuilder,
	Documents:      documentBuilder,
}

// needsSearch says what a type's mapping lacks of the search parameters
// an area finds its rows by: name → type.
func needsSearch(set *mapping.Set, typ string, params map[string]string) string {
	m := set.Lookup(typ)
	if m == nil {
		return "the mappings have no " + typ
	}
	var missing []string
	for _, name := range sortedKeys(params) {
		sp := m.SearchParam(name)
		if sp == nil || sp.Type != params[name] {
			missing = append(missing, name+" ("+params[name]+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("the %s mapping has no search parameter %s", typ, strings.Join(missing, ", "))
	}
	return ""
}

// engineRefusal is an engine's error as GP Connect answers it: a refusal
// of access is 403 ACCESS DENIED; the others are the server's to map.
func engineRefusal(err error) error {
	if e, ok := engine.AsError(err); ok && e.Kind == engine.KindForbidden {
		return refuse(http.StatusForbidden, "forbidden", "ACCESS DENIED", "%s", e.Msg)
	}
	return err
}
