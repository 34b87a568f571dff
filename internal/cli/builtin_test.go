package cli

import (
	"strings"
	"testing"
)

// -mappings builtin:NAME loads a set shipped in the binary; an unknown
// name lists the shipped ones.
func TestBuiltinMappingSets(t *testing.T) {
	for _, name := range []string{"demo", "omop"} {
		code, out, errs := run(t, "lint", "-mappings", "builtin:"+name)
		if code != 0 || !strings.Contains(out, "ok: ") || !strings.Contains(out, "mappingsets/"+name+"/") {
			t.Errorf("lint builtin:%s: %d %q %q", name, code, out, errs)
		}
	}
	code, _, errs := run(t, "lint", "-mappings", "builtin:nope")
	if code != 1 || !strings.Contains(errs, `no built-in mapping set "nope" (built in: demo, omop)`) {
		t.Errorf("unknown set: %d %q", code, errs)
	}
}
