package all

import (
	"slices"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := Registry()
	if got, want := r.Names(), []string{"faxmodem", "hotelink", "ipp", "pbx"}; !slices.Equal(got, want) {
		t.Errorf("drivers %v, want %v", got, want)
	}
	for _, e := range r.Entries() {
		if e.Domain == "" || e.Kind == "" {
			t.Errorf("%s: no domain or kind", e.Name)
		}
		if e.Transport == (len(e.URISchemes) > 0) {
			t.Errorf("%s: a driver reads a byte stream or a URI, not both or neither", e.Name)
		}
		if e.Profiled && (e.CheckProfile == nil || e.ProfileIDs == nil || len(e.ProfileIDs()) == 0) {
			t.Errorf("%s: profiled without profiles", e.Name)
		}
	}
}
