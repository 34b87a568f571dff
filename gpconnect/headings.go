package gpconnect

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
	"gopkg.in/yaml.v3"
)

// Headings of consultations (SPEC §6.2): within a Topic, the items are
// filed under the headings they were recorded under ("Examination",
// "Medication"), each a Category (EHR) List. Care Connect has no element
// for an item's heading, so the overlay states it, by resource type: a
// fixed text (`heading: Medication`), or a value of the row in the
// mapping language's form (`heading: {column: HEADING}`), read from the
// type's mapping's table through a mapping made for it alone, never
// served. An item whose type has no heading, or whose row gives none, is
// an entry of its Topic itself.

// Codes of a heading List.
const (
	headingCode    = "24781000000107"
	headingDisplay = "Category (EHR)"
	headingURL     = "urn:ccfacade:gpconnect:heading"
)

// heading is how the items of one resource type find their heading.
type heading struct {
	fixed string           // the heading of every item, or
	m     *mapping.Mapping // the mapping that renders it from the row
}

// headingRules makes the overlay's headings: a fixed text, or a mapping of
// the type's table. A heading of a type no mapping serves, or one served
// by several (which table?), is an error, and so is a value the mapping
// language refuses.
func headingRules(set *mapping.Set, o *Overlay) (map[string]heading, error) {
	out := map[string]heading{}
	types := slices.Sorted(maps.Keys(o.Resources))
	for _, typ := range types {
		rule := o.Resources[typ]
		if rule == nil || rule.Heading.Kind == 0 {
			continue
		}
		n := &rule.Heading
		if n.Kind != yaml.ScalarNode && n.Kind != yaml.MappingNode || n.Tag == "!!null" {
			return nil, fmt.Errorf("gpconnect overlay: resources.%s.heading (line %d): a heading is a text, or a value of the row ({column: HEADING}); found %s", typ, n.Line, map[bool]string{true: "null", false: "a list"}[n.Tag == "!!null"])
		}
		if n.Kind == yaml.ScalarNode {
			if strings.TrimSpace(n.Value) == "" {
				return nil, fmt.Errorf("gpconnect overlay: resources.%s.heading (line %d): a heading is a text, or a value of the row ({column: HEADING}); found nothing", typ, n.Line)
			}
			out[typ] = heading{fixed: strings.TrimSpace(n.Value)}
			continue
		}
		only, why := onlyMapping(set, typ)
		if only == nil {
			return nil, fmt.Errorf("gpconnect overlay: resources.%s.heading (line %d): %s; a heading read from the row needs the one table it is read from (or give a fixed text)", typ, n.Line, why)
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("gpconnect overlay: resources.%s.heading (line %d): %w", typ, n.Line, err)
		}
		m, err := sideMapping(only, strings.ToLower(typ)+" heading", []any{map[string]any{"url": headingURL, "valueString": v}}, set.Location)
		if err != nil {
			return nil, fmt.Errorf("gpconnect overlay: resources.%s.heading (line %d): %w", typ, n.Line, err)
		}
		out[typ] = heading{m: m}
	}
	return out, nil
}

// checkHeadings reads each heading's mapping once (readOnce).
func (s *Service) checkHeadings() error {
	for _, typ := range slices.Sorted(maps.Keys(s.headings)) {
		if h := s.headings[typ]; h.m != nil {
			if err := s.readOnce(typ, h.m); err != nil {
				return fmt.Errorf("gpconnect overlay: resources.%s.heading: the heading cannot be read from the table of the %s mapping: %w", typ, typ, err)
			}
		}
	}
	return nil
}

// headingsOf finds the headings of items (Type/id → heading): the fixed
// ones, and those read from the rows, one search a type.
func (r *record) headingsOf(items []heldItem) (map[string]string, error) {
	out := map[string]string{}
	ids := map[string][]string{}
	for _, it := range items {
		typ := it.item.GetString("resourceType")
		h, ok := r.s.headings[typ]
		switch {
		case !ok:
		case h.m == nil:
			out[key(it.item)] = h.fixed
		default:
			ids[typ] = append(ids[typ], it.item.GetString("id"))
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(ids)) {
		found, err := r.searchIDs(typ, r.s.headings[typ].m, ids[typ], nil)
		if err != nil {
			return nil, err
		}
		for _, res := range found {
			for _, x := range extensionsOf(res) {
				if x.GetString("url") == headingURL {
					if v := strings.TrimSpace(x.GetString("valueString")); v != "" {
						out[key(res)] = v
					}
				}
			}
		}
	}
	return out, nil
}

// headed files a Topic's entries under their headings: the Topic's
// entries (each heading's List, or an item with none, in the order of
// their first item) and the heading Lists. enc is the Encounter's id,
// tid the Topic's.
func (r *record) headed(enc, tid string, tp topic, headings map[string]string) ([]string, []*fhir.Object) {
	var entries []string
	groups := map[string][]string{}
	for _, it := range tp.items {
		h := headings[key(it.item)]
		if h == "" {
			entries = append(entries, it.entry())
			continue
		}
		if _, ok := groups[h]; !ok {
			entries = append(entries, "\x00heading:"+h)
		}
		groups[h] = append(groups[h], it.entry())
	}
	var lists []*fhir.Object
	for i, e := range entries {
		h, ok := strings.CutPrefix(e, "\x00heading:")
		if !ok {
			continue
		}
		hid := uuid5(r.s.ns, "List/heading/"+tid+"/"+h)
		entries[i] = "List/" + hid
		lists = append(lists, r.structure(hid, headingCode, headingDisplay, h, enc, groups[h]))
	}
	return entries, lists
}
