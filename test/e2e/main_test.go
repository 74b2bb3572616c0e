// Package e2e runs the real switchboard binary as a child process against
// real peers (Mosquitto, ptys) and checks what a back office would see.
package e2e

import (
	"os"
	"testing"

	"switchboard/test/peers"
)

// bin is the switchboard binary built once for these tests.
var bin string

func TestMain(m *testing.M) { os.Exit(peers.RunWithBinary(m, &bin)) }
