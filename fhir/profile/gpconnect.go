package profile

import (
	_ "embed"
	"sync"
)

// The GP Connect definitions, written by internal/gen/profilegen.
//
//go:embed gpconnect.json.gz
var gpConnectData []byte

var gpConnect struct {
	once sync.Once
	r    *Registry
}

// GPConnect is the registry of the built-in definitions (Builtin) and
// GP Connect's STU3 profiles for Access Record: Structured 1.6: its
// CareConnect-GPC-* and GPConnect-* profiles, their extensions (and the
// Care Connect extensions they use), value sets and code systems. Builtin
// is left as it is.
func GPConnect() *Registry {
	gpConnect.once.Do(func() {
		base := Builtin()
		r := &Registry{profiles: map[string]*structure{}, valueSets: map[string]*valueSet{}, codeSystems: map[string]*codeSystem{}}
		for url, p := range base.profiles {
			r.profiles[url] = p
		}
		for url, v := range base.valueSets {
			r.valueSets[url] = v
		}
		for url, c := range base.codeSystems {
			r.codeSystems[url] = c
		}
		d, err := readGzip("fhir/profile/gpconnect.json.gz", gpConnectData)
		if err != nil {
			panic("profile: built-in GP Connect definitions: " + err.Error())
		}
		r.merge(d, true)
		r.index()
		if errs := r.resolve(); len(errs) > 0 {
			panic("profile: built-in GP Connect definitions: " + errs.Error())
		}
		gpConnect.r = r
	})
	return gpConnect.r
}
