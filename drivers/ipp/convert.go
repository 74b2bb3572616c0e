package ipp

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// psToPDF converts a PostScript file to PDF with Ghostscript. -dSAFER
// keeps a guest's PostScript from reading or writing files (Ghostscript
// "Use.htm" §-dSAFER); the output goes to a fresh temporary folder.
func psToPDF(ctx context.Context, gs, in string) (string, error) {
	if gs == "" {
		gs = "gs"
	}
	bin, err := exec.LookPath(gs)
	if err != nil {
		return "", fmt.Errorf("convert PostScript: ghostscript not found (Debian package ghostscript): %w", err)
	}
	dir, err := os.MkdirTemp("", "switchboard-gs-*")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "out.pdf")
	cmd := exec.CommandContext(ctx, bin, "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dQUIET",
		"-sDEVICE=pdfwrite", "-sOutputFile="+out, "--", in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("convert PostScript: gs: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	// The caller removes the file; the folder goes with it once empty.
	f, err := os.CreateTemp("", "switchboard-ps-*.pdf")
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	f.Close()
	if err := os.Rename(out, f.Name()); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	os.RemoveAll(dir)
	return f.Name(), nil
}
