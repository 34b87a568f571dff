package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// stu3Problems checks a resource (decoded JSON) against the STU3 element
// table, at every level: each element is one STU3 defines, and each
// element STU3 requires (min 1) is there (a primitive's companion,
// _status, counts). It checks the sample resources of a mapping that
// names no profile the profile checker has; a profile's checks include
// these.
func stu3Problems(res map[string]any) []profile.Problem {
	var out []profile.Problem
	typ, _ := res["resourceType"].(string)
	if !stu3.IsResource(typ) {
		return []profile.Problem{{Path: typ, Msg: fmt.Sprintf("%q is not an STU3 resource type", typ)}}
	}
	var walk func(o map[string]any, t *stu3.Type, path string)
	walk = func(o map[string]any, t *stu3.Type, path string) {
		for _, key := range slices.Sorted(maps.Keys(o)) {
			if key == "resourceType" && t.Kind == stu3.Resource {
				continue
			}
			name, companion := strings.CutPrefix(key, "_")
			el, elType, ok := t.Element(name)
			if !ok {
				out = append(out, profile.Problem{Path: path + "." + key, Msg: fmt.Sprintf("%s has no element %q in STU3", t.Name, name)})
				continue
			}
			if companion || el.Choice() && elType == "" {
				continue
			}
			if elType == "" {
				elType = el.Types[0]
			}
			et := stu3.Lookup(elType)
			if et == nil || et.Kind == stu3.Primitive || et.Kind == stu3.Resource {
				continue
			}
			switch v := o[key].(type) {
			case map[string]any:
				walk(v, et, path+"."+key)
			case []any:
				for i, item := range v {
					if m, ok := item.(map[string]any); ok {
						walk(m, et, fmt.Sprintf("%s.%s[%d]", path, key, i))
					}
				}
			}
		}
		for i := range t.Elements {
			el := &t.Elements[i]
			if el.Min == 0 || present(o, el) {
				continue
			}
			out = append(out, profile.Problem{Path: path + "." + strings.TrimSuffix(el.Name, "[x]"), Msg: fmt.Sprintf("STU3 requires %s (%d..%s), and it is absent", el.Name, el.Min, el.Max)})
		}
	}
	walk(res, stu3.Lookup(typ), typ)
	return out
}

// present reports whether an element, or its companion, is in o: a
// choice element in any of its typed forms.
func present(o map[string]any, el *stu3.Element) bool {
	names := []string{el.Name}
	if el.Choice() {
		names = names[:0]
		for _, t := range el.Types {
			names = append(names, stu3.JSONName(el.Name, t))
		}
	}
	for _, n := range names {
		if _, ok := o[n]; ok {
			return true
		}
		if _, ok := o["_"+n]; ok {
			return true
		}
	}
	return false
}
