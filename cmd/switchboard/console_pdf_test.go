package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
)

// TestLoadPDFFont: the first font that loads is used; missing files
// and files that are not TrueType fonts are passed over.
func TestLoadPDFFont(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ttf")
	bad := filepath.Join(dir, "bad.ttf")
	if err := os.WriteFile(good, goregular.TTF, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not a font"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.ttf")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name  string
		paths []string
		found bool
	}{
		{"none", nil, false},
		{"missing", []string{missing}, false},
		{"not a font", []string{bad}, false},
		{"after missing and bad ones", []string{missing, bad, good}, true},
	} {
		if got := loadPDFFont(tc.paths, log) != nil; got != tc.found {
			t.Errorf("%s: found %v, want %v", tc.name, got, tc.found)
		}
	}
}
