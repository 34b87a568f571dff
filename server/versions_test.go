package server_test

import (
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// GET [base]/$versions (R4 versioning.html#mt-version) answers on each
// base with a Parameters of the versions that base serves (version, 1..*)
// and the one it serves by default (default, 1..1), open like /metadata;
// a version it lists is one its base accepts in Accept's fhirVersion, and
// the other release is refused there. The R4 CapabilityStatement lists the
// operation in rest.operation, by the definition FHIR R4 publishes; STU3
// defines no $versions, and the STU3 statement stays as it was.
func TestVersionsOnBothBases(t *testing.T) {
	keys := authtest.New(t)
	e := demotest.SQLite(t, demotest.Config{})
	stu3 := jwtServer(t, e, keys, func(o *server.Options) { o.R4Prefix = server.DefaultR4Prefix })
	r4 := strings.TrimSuffix(stu3, "/fhir") + server.DefaultR4Prefix
	const definition = "http://hl7.org/fhir/OperationDefinition/CapabilityStatement-versions"
	for _, c := range []struct {
		base, release, other string
		check                func(map[string]any) []profile.Problem
	}{
		{stu3, "3.0", "4.0", profile.Check},
		{r4, "4.0", "3.0", profile.CheckR4},
	} {
		r := demotest.Get(t, c.base+"/$versions")
		if r.Status != 200 {
			t.Fatalf("%s/$versions: %d %s", c.base, r.Status, demotest.Truncate(string(r.Body), 300))
		}
		p := r.JSON(t)
		if ps := c.check(p); len(ps) > 0 {
			t.Errorf("%s/$versions against its release's definition of Parameters: %v", c.base, ps)
		}
		if p["resourceType"] != "Parameters" {
			t.Fatalf("%s/$versions: a %v", c.base, p["resourceType"])
		}
		var versions, defaults []string
		for _, x := range p["parameter"].([]any) {
			pm := x.(map[string]any)
			v, _ := pm["valueCode"].(string)
			switch pm["name"] {
			case "version":
				versions = append(versions, v)
			case "default":
				defaults = append(defaults, v)
			default:
				t.Errorf("%s/$versions: parameter %v", c.base, pm["name"])
			}
		}
		if len(versions) == 0 || len(defaults) != 1 || !strings.Contains(","+strings.Join(versions, ",")+",", ","+defaults[0]+",") {
			t.Errorf("%s/$versions: versions %v, default %v", c.base, versions, defaults)
		}
		if strings.Join(versions, ",") != c.release || defaults[0] != c.release {
			t.Errorf("%s/$versions: versions %v, default %v; the base serves %s", c.base, versions, defaults, c.release)
		}
		// What it lists is what its base accepts, and nothing else.
		for _, v := range versions {
			if r := demotest.Get(t, c.base+"/metadata", "Accept", "application/fhir+json; fhirVersion="+v); r.Status != 200 {
				t.Errorf("%s lists %s but refuses it: %d", c.base, v, r.Status)
			}
		}
		if r := demotest.Get(t, c.base+"/metadata", "Accept", "application/fhir+json; fhirVersion="+c.other); r.Status != 406 {
			t.Errorf("%s accepts fhirVersion=%s, which $versions does not list: %d", c.base, c.other, r.Status)
		}
		if r := demotest.Get(t, c.base+"/$versions", "Accept", "application/fhir+json; fhirVersion="+c.other); r.Status != 406 {
			t.Errorf("%s/$versions for fhirVersion=%s: %d", c.base, c.other, r.Status)
		}
		if r := demotest.Get(t, c.base+"/$versions?_format=xml"); r.Status != 200 || !strings.Contains(string(r.Body), `<Parameters xmlns="http://hl7.org/fhir">`) {
			t.Errorf("%s/$versions as XML: %d %s", c.base, r.Status, demotest.Truncate(string(r.Body), 200))
		}
		// The CapabilityStatement names the operation.
		cs := demotest.Get(t, c.base+"/metadata").JSON(t)
		var found bool
		for _, x := range cs["rest"].([]any)[0].(map[string]any)["operation"].([]any) {
			op := x.(map[string]any)
			if op["name"] != "versions" {
				continue
			}
			found = true
			if def := op["definition"]; def != definition {
				t.Errorf("%s: the versions operation's definition %v", c.base, op["definition"])
			}
		}
		if found != (c.release == "4.0") {
			t.Errorf("%s/metadata lists the versions operation: %v", c.base, found)
		}
	}
}
