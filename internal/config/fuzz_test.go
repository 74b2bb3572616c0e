package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: the config is user input, so
// it must never panic, and it must either succeed or say what is wrong.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../../cmd/switchboard/testdata/check/*.yaml")
	seeds = append(seeds, "../../switchboard.example.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("devices: [{<<: [{id: x}, {driver: pbx}], transport: {serial: {<<: *m}}}]\n"))
	f.Add([]byte("site: {group: \"\\u0000\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml")
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without an error")
			}
			if cfg.Site.Location() == nil {
				t.Fatal("valid config without a location")
			}
			return
		}
		var verr *ValidationError
		if !errors.As(err, &verr) || len(verr.Problems) == 0 {
			t.Fatalf("error %v is not a *ValidationError with problems", err)
		}
	})
}
