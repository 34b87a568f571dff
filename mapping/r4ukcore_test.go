package mapping

import (
	"testing"

	"github.com/ccfacade/ccfacade/fhir/profile"
)

// The rules' UK Core profiles and extensions are the ones the UK Core
// checker holds: each profile constrains the type the rules say, each
// extension an R4 rule writes is an extension definition.
func TestRulesAgreeWithUKCoreChecker(t *testing.T) {
	reg := profile.BuiltinR4()
	for _, p := range ukCoreProfiles {
		if err := reg.CheckProfile(p.URL, p.Type); err != nil {
			t.Errorf("profile %s: %v", p.URL, err)
		}
	}
	for _, r := range r4Extensions {
		if r.R4 == "" {
			continue
		}
		if d, ok := reg.Lookup(r.R4); !ok || d.Type != "Extension" || !d.Profile {
			t.Errorf("extension %s (for %s): %+v %v", r.R4, r.STU3, d, ok)
		}
	}
}
