package profile

import (
	_ "embed"
	"sync"

	"github.com/ccfacade/ccfacade/fhir/r4"
	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// The built-in R4 definitions, written by internal/gen/profilegen -release r4.
var (
	//go:embed r4core.json.gz
	r4Data []byte
	//go:embed ukcore.json.gz
	ukCoreData []byte
)

// BuiltinR4 is the registry of the built-in FHIR R4 definitions: every
// resource and data type of FHIR R4 (4.0.1) with the core extensions and
// profiles, and the UK Core profiles, extensions, value sets and code
// systems. A resource is checked against the UK Core profiles its
// meta.profile names, else against its type's R4 definition.
var BuiltinR4 = sync.OnceValue(func() *Registry {
	return newBuiltin("built-in R4 definitions", nil, true, embedded{"r4core.json.gz", r4Data}, embedded{"ukcore.json.gz", ukCoreData})
})

// CheckR4 checks a resource (decoded JSON) against the built-in R4
// definitions: the UK Core profiles it names, else its R4 base definition.
func CheckR4(res map[string]any) []Problem { return BuiltinR4().Check(res) }

// LoadR4 is Load for FHIR R4: the built-in R4 definitions (BuiltinR4)
// with those of each folder added. A definition of another FHIR version
// (its fhirVersion not 4.0.x) is an error naming its file.
func LoadR4(dirs ...string) (*Registry, error) { return load(BuiltinR4(), NewDefinitionsR4, dirs) }

// R4 reports whether the registry holds FHIR R4 definitions.
func (r *Registry) R4() bool { return r.r4 }

// spec is the table of the registry's release: element names and types.
func (r *Registry) spec() *spec.Release {
	if r.r4 {
		return r4.Release
	}
	return stu3.Release
}

func (r *Registry) releaseName() string {
	if r.r4 {
		return "R4"
	}
	return "STU3"
}
