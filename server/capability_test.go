package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/ccfacade/ccfacade/internal/demotest"
)

// Every search parameter, _include and _revinclude the
// CapabilityStatement states is one a search accepts.
func TestCapabilityStatesWhatSearchesAccept(t *testing.T) {
	demotest.Each(t, demotest.Config{}, func(t *testing.T, e *demotest.Env) {
		var cs struct {
			Rest []struct {
				Resource []struct {
					Type             string   `json:"type"`
					SearchInclude    []string `json:"searchInclude"`
					SearchRevInclude []string `json:"searchRevInclude"`
					SearchParam      []struct {
						Name, Type string
					} `json:"searchParam"`
				} `json:"resource"`
			} `json:"rest"`
		}
		if err := json.Unmarshal(demotest.Get(t, e.Base+"/metadata").Body, &cs); err != nil {
			t.Fatal(err)
		}
		value := map[string]string{"string": "a", "token": "a", "date": "ge2000", "reference": "1", "number": "1", "quantity": "1", "uri": "a"}
		offered := 0
		for _, r := range cs.Rest[0].Resource {
			try := func(name, v string) {
				t.Helper()
				offered++
				res := demotest.Get(t, e.Base+"/"+r.Type+"?"+url.Values{name: {v}}.Encode()+"&_count=1")
				if res.Status != http.StatusOK {
					t.Errorf("%s?%s=%s, stated by the CapabilityStatement: %d %s", r.Type, name, v, res.Status, demotest.Truncate(string(res.Body), 300))
				}
			}
			for _, p := range r.SearchParam {
				try(p.Name, value[p.Type])
			}
			for _, v := range r.SearchInclude {
				try("_include", v)
			}
			for _, v := range r.SearchRevInclude {
				try("_revinclude", v)
			}
		}
		if offered < 100 {
			t.Errorf("the CapabilityStatement states only %d parameters and includes", offered)
		}
	})
}
