package ipp

import (
	"context"
	"os"
	"testing"

	"switchboard/test/peers"
)

// TestRecordIPPEveResponse re-records testdata/ippeveprinter-gpa.bin, a
// real ippeveprinter answer to the monitoring Get-Printer-Attributes, used
// by the unit tests and the benchmark: SB_RECORD=1 go test -run Record.
func TestRecordIPPEveResponse(t *testing.T) {
	if os.Getenv("SB_RECORD") == "" {
		t.Skip("set SB_RECORD=1 to re-record")
	}
	peer := peers.StartIPPEvePrinter(t, peers.IPPOptions{})
	peer.SetSupplies(20, 8, 50, 40, 60)
	c, err := newClient(peer.URI(), "", "", TLSOptions{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	req := c.newRequest(opGetPrinterAttributes)
	req.OperationAttributes["requested-attributes"] = monitorAttrs
	_, raw, err := c.do(context.Background(), "Get-Printer-Attributes", req, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/ippeveprinter-gpa.bin", raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
