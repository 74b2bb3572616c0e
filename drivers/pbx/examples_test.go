package pbx

import (
	"testing"

	"switchboard/internal/profile"
)

// TestInlineExamples runs every embedded profile's inline examples, as
// `switchboard profiles test` does.
func TestInlineExamples(t *testing.T) {
	all, err := profile.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no embedded profiles")
	}
	for _, p := range all {
		t.Run(p.ID, func(t *testing.T) {
			if len(p.Examples) == 0 {
				t.Fatal("profile has no inline examples")
			}
			for i, ex := range p.Examples {
				if err := RunExample(p, ex); err != nil {
					t.Errorf("example %d %q: %v", i, ex.Raw, err)
				}
			}
		})
	}
}
