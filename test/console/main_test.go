// Package console plays a scripted front-office day in a real browser
// (headless chromium through chromedp) against the real switchboard binary
// and its real peers: the FIAS simulator, ippeveprinter and the spandsp fax
// line (issue 13, "Tests").
package console

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// bin is the switchboard binary built once for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchboard-console-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bin = filepath.Join(dir, "switchboard")
	build := exec.Command("go", "build", "-o", bin, "switchboard/cmd/switchboard")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building switchboard:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
