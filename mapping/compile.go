package mapping

import (
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// The rendering rules, stated once. A mapping's element tree is compiled,
// when the mapping loads, into a plan: one step per element, with what
// rendering needs of it worked out in advance (its JSON name, quoted; the
// kind of value it makes; whether a value of its own keeps its object;
// which elements STU3 requires of each object). Every output executes the
// same plan (render.go) into a writer: the value tree (rendertree.go) for
// XML, _summary and _elements, compact JSON straight into bytes
// (renderjson.go). A new output is a new writer, not a copy of the rules.
//
// XML is written from the value tree (fhir/xml.go), not by a writer of its
// own: it spells a primitive and its companion (_birthDate) as one element
// and ids and extension urls as attributes, so it needs an element whole
// before it writes it, which the tree gives. What it adds is FHIR's XML
// syntax, the same for every resource; no mapping rule lives there.
//
// The rules, each applied in one place:
//   - An element whose "when" does not hold is absent (renderer.single,
//     renderer.leaf).
//   - FHIR forbids empty elements: an empty text, number, object or list is
//     absent, and so is an object without a field (renderer.single,
//     renderer.node, renderer.leaf).
//   - An object built from the row is absent when none of its row values
//     is present: fixed values alone (a system, a url, a use) never keep
//     it (step.dynamic, renderer.single).
//   - A value marked "required" that is absent leaves its enclosing object
//     out (step.required, renderer.single).
//   - A list item with "rows" repeats once per child row (step.rows,
//     renderer.node).
//   - A reference is "Type/id" from key columns, absent when a key value
//     is NULL (renderer.leaf, renderer.refID).
//   - A concept map gives a code, a Coding or a CodeableConcept; a code it
//     does not know is a problem, fatal under "unmapped: error"
//     (renderer.leaf, renderer.concept).
//   - A value is converted to the element's FHIR primitive type, or
//     reported and left out (renderer.primitiveText).
//   - An element STU3 requires (min 1) that a written object lacks is
//     reported as an Absent problem, and the resource is still served
//     (step.needs, renderer.checkNeeds). Lint warns beforehand of each
//     the mapping can leave absent (required.go).

// plan is a mapping compiled for rendering.
type plan struct {
	root *step
	// meta are the elements of meta the mapping gives (security, tag),
	// written after the facade's lastUpdated and profile; nil: none.
	meta *step
	// resource is the type the plan renders (resourceType); ver the
	// release, whose names of referenced types references use.
	resource string
	ver      Version
	// lastUpdatedPath names meta.lastUpdated in problems.
	lastUpdatedPath string
	// profile is what meta.profile claims ("": nothing).
	profile string
	// labProfile, when set, is what meta.profile claims instead for a row
	// whose category, computed by one of labCodes, is laboratory (the R4
	// rule of UKCore-Observation-Lab, r4.go).
	labProfile string
	labCodes   []*Expr
	// moveSystems gives a concept map's target systems their R4 URIs
	// (R4System), as the rules say (the R4 plan).
	moveSystems bool
}

// stepKind is what a step makes.
type stepKind uint8

const (
	stepObject          stepKind = iota // an object of fields
	stepList                            // a list of items
	stepRef                             // "Type/id" from key columns
	stepCode                            // a concept map's code
	stepCoding                          // a concept map's Coding
	stepCodeableConcept                 // a concept map's Coding in a CodeableConcept
	stepPrimitive                       // a primitive of the node's type
)

// member is an element's JSON name, as it is and quoted with its colon
// ("given" and `"given":`), for the writers.
type member struct {
	name, json string
}

func newMember(name string) member {
	// Element names are ASCII letters, digits and '_': nothing to escape.
	return member{name: name, json: `"` + name + `":`}
}

// Fixed members of every resource and of a concept map's Coding.
var (
	memResourceType = newMember("resourceType")
	memID           = newMember("id")
	memMeta         = newMember("meta")
	memLastUpdated  = newMember("lastUpdated")
	memProfile      = newMember("profile")
	memCoding       = newMember("coding")
	memExtension    = newMember("extension")
	codingMembers   = [3]member{newMember("system"), newMember("code"), newMember("display")}
)

// step is one element of the plan.
type step struct {
	node   *Node
	member member
	kind   stepKind
	when   *Cond
	expr   *Expr // the value of a leaf
	fields []*step
	items  []*step
	// rows, on a list item, is the position of its child rows in Row.Children;
	// -1 for an item of the row it is in.
	rows int
	// dynamic is true when some value below comes from the row.
	dynamic bool
	// required: when this field is absent its object is absent too.
	required bool
	// patientRef marks the reference of a resource's subject or patient
	// (Observation.subject.reference): the patient it is about.
	patientRef bool
	// needs, on an object, are the elements its release requires of it.
	needs []need
	// system and codes, of a code in an R4 plan: the system of the
	// CodeableConcept it is written as, and the translation of its codes
	// (to "": left out). Node.r4System and Node.r4Codes.
	system string
	codes  map[string]string
	// ext is the extension list written inside that CodeableConcept
	// (Node.r4Ext).
	ext *step
}

// need is an element STU3 requires (min 1) of an object: any of the
// fields it may be written as (the value, a choice's typed forms, a
// primitive's companion) satisfies it.
type need struct {
	path   string // the element's path: Observation.code, MedicationStatement.medication[x]
	fields uint64 // the object's fields (by position) that give it
	// unchecked: a field giving it lies past the 64th, beyond the mask
	// (no resource comes near); it is taken as present.
	unchecked bool
}

// compile builds the plan of a loaded mapping.
func (m *Mapping) compile() {
	root, meta := compileResource(m.Root, stu3.Release)
	m.plan = &plan{root: root, meta: meta, resource: m.Resource, ver: STU3, lastUpdatedPath: m.Resource + ".meta.lastUpdated", profile: m.Profile}
}

// compileResource compiles a release's element tree of a resource: the
// meta the mapping gives (its security labels and tags) apart from the
// rest, since the renderer writes meta itself (nil: none given).
func compileResource(root *Node, rel *spec.Release) (rootStep, meta *step) {
	for i, f := range root.Fields {
		if f.Name == "meta" {
			meta = compileNode(f, rel)
			c := *root
			c.Fields = slices.Delete(slices.Clone(root.Fields), i, i+1)
			root = &c
			break
		}
	}
	return compileNode(root, rel), meta
}

// compileNode compiles a node of a release's element tree.
func compileNode(n *Node, rel *spec.Release) *step {
	s := &step{node: n, member: newMember(n.Name), when: n.When, rows: -1, dynamic: n.Rows != nil, system: n.r4System, codes: n.r4Codes}
	if n.Rows != nil {
		s.rows = n.Rows.Index
	}
	switch {
	case n.List:
		s.kind = stepList
		for _, it := range n.Items {
			c := compileNode(it, rel)
			s.items = append(s.items, c)
			s.dynamic = s.dynamic || c.dynamic
		}
	case n.Expr != nil:
		e := n.Expr
		s.expr = e
		s.required = e.Required
		s.dynamic = s.dynamic || !e.HasLiteral
		s.patientRef = isPatientRef(rel, n.Path)
		switch {
		case e.Refs() != nil:
			s.kind = stepRef
		case n.r4System != "":
			s.kind = stepCodeableConcept // an STU3 code, written as R4's CodeableConcept
			if n.r4Ext != nil {
				s.ext = compileNode(n.r4Ext, rel)
				s.dynamic = s.dynamic || s.ext.dynamic
			}
		case e.Concept != nil && n.Type == "Coding":
			s.kind = stepCoding
		case e.Concept != nil && n.Type == "CodeableConcept":
			s.kind = stepCodeableConcept
		case e.Concept != nil:
			s.kind = stepCode
		default:
			s.kind = stepPrimitive
		}
	default:
		s.kind = stepObject
		for _, f := range n.Fields {
			c := compileNode(f, rel)
			s.fields = append(s.fields, c)
			s.dynamic = s.dynamic || c.dynamic
		}
		s.needs = needsOf(n, rel)
	}
	return s
}

// walk visits the step and every step below it, depth first, in
// document order (the plan's counterpart of Mapping.Walk).
func (s *step) walk(visit func(*step)) {
	visit(s)
	for _, f := range s.fields {
		f.walk(visit)
	}
	for _, it := range s.items {
		it.walk(visit)
	}
}

// needsOf lists the elements a release requires of an object node, each
// with the node's fields that give it.
func needsOf(n *Node, rel *spec.Release) []need {
	t := rel.Lookup(n.Type)
	if t == nil {
		return nil
	}
	var out []need
	for i := range t.Elements {
		el := &t.Elements[i]
		if el.Min < 1 {
			continue
		}
		nd := need{path: n.Path + "." + el.Name}
		for j, f := range n.Fields {
			switch {
			case t.Index(f.Name) != i:
			case j < 64:
				nd.fields |= 1 << j
			default:
				nd.unchecked = true
			}
		}
		out = append(out, nd)
	}
	return out
}

// isPatientRef tells whether a path is the reference through which a
// resource belongs to a patient's compartment, by the release's
// CompartmentDefinition (Observation.subject.reference,
// Coverage.beneficiary.reference, Appointment.participant.actor.reference);
// for a type outside the compartment, any reference.
func isPatientRef(rel *spec.Release, path string) bool {
	typ, rest, ok := strings.Cut(path, ".")
	el, isRef := strings.CutSuffix(rest, ".reference")
	if !ok || !isRef || typ == "Patient" {
		return false
	}
	if !rel.InCompartment("Patient", typ) {
		// Outside the compartment (STU3 Task, Contract): the first
		// reference to a Patient anywhere is whose data it holds.
		return true
	}
	return slices.Contains(rel.CompartmentElements("Patient", typ), el)
}
