package ipp

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"switchboard/test/peers"
	"testing"
)

func TestMakePDFIsValid(t *testing.T) {
	pdf := peers.PDF(3)
	f := filepath.Join(t.TempDir(), "three.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	fh, _ := os.Open(f)
	defer fh.Close()
	if n := countPDFPages(fh); n != 3 {
		t.Fatalf("countPDFPages = %d, want 3", n)
	}
	if _, err := exec.LookPath("pdfinfo"); err != nil {
		t.Skip("pdfinfo not installed")
	}
	out, err := exec.Command("pdfinfo", f).CombinedOutput()
	if err != nil || !regexp.MustCompile(`Pages:\s+3\n`).Match(out) {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
}
