package mapping

// Version is a FHIR release a mapping is served in. A mapping is written
// once, for STU3 (Care Connect); its R4 (UK Core) form is derived from it
// when it loads (r4.go), so one mapping answers both.
type Version uint8

const (
	// STU3 is FHIR 3.0.1 with Care Connect profiles: the mapping as
	// written.
	STU3 Version = iota
	// R4 is FHIR 4.0.1 with UK Core profiles: the mapping through the
	// STU3 → R4 rules (r4rules.go) and its own r4 section.
	R4
)

// Versions are the releases a mapping set may be served in, in order.
var Versions = []Version{STU3, R4}

func (v Version) String() string {
	if v == R4 {
		return "R4"
	}
	return "STU3"
}

// FHIRVersion is the release's FHIR version: 3.0.1 or 4.0.1.
func (v Version) FHIRVersion() string {
	if v == R4 {
		return "4.0.1"
	}
	return "3.0.1"
}

// planIn is the mapping's plan in a release; nil, with a fatal problem,
// when the mapping is not served in it.
func (m *Mapping) planIn(v Version) (*plan, []Problem) {
	if v != R4 {
		return m.plan, nil
	}
	if m.Serves(R4) {
		return m.r4.plan, nil
	}
	return nil, []Problem{{Pos: m.Pos, Path: m.Resource, Msg: "not served as R4: " + Errors(m.R4Problems()).Error(), Fatal: true}}
}
