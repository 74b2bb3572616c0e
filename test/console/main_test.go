// Package console plays a scripted front-office day in a real browser
// (headless chromium through chromedp) against the real switchboard binary
// and its real peers: the FIAS simulator, ippeveprinter and the spandsp fax
// line (issue 13, "Tests").
package console

import (
	"os"
	"testing"

	"switchboard/test/peers"
)

// bin is the switchboard binary built once for these tests.
var bin string

func TestMain(m *testing.M) { os.Exit(peers.RunWithBinary(m, &bin)) }
