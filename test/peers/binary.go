package peers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RunWithBinary is the TestMain of the packages that run the real binary
// (test/e2e, test/console): it builds cmd/switchboard once into a
// temporary folder, sets *bin to it, runs the tests and removes the
// folder; it returns the exit code.
func RunWithBinary(m *testing.M, bin *string) int {
	dir, err := os.MkdirTemp("", "switchboard-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	*bin = filepath.Join(dir, "switchboard")
	build := exec.Command("go", "build", "-o", *bin, "switchboard/cmd/switchboard")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building switchboard:", err)
		return 2
	}
	return m.Run()
}
