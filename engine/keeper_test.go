package engine

import "testing"

// _elements keeps a primitive's companion (_birthDate) with its element.
func TestKeeperKeepsCompanions(t *testing.T) {
	keep := keeper("Patient", []string{"birthDate", "deceased"}, "")
	for name, want := range map[string]bool{
		"birthDate": true, "_birthDate": true, "deceasedDateTime": true, "_deceasedDateTime": true,
		"gender": false, "_gender": false, "id": true, "meta": true,
	} {
		if got := keep(name); got != want {
			t.Errorf("keep(%q) = %v, want %v", name, got, want)
		}
	}
}
