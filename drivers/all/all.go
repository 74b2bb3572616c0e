// Package all is the registry of every driver: adding a driver is its own
// folder and one line here.
package all

import (
	"switchboard/drivers"
	"switchboard/drivers/faxmodem"
	"switchboard/drivers/hotelink"
	"switchboard/drivers/ipp"
	"switchboard/drivers/pbx"
)

// Registry is every driver the gateway can run.
func Registry() *drivers.Registry {
	r, err := drivers.NewRegistry(
		faxmodem.Entry(), // fax modems (Class 1, T.30)
		hotelink.Entry(), // PBX hotel interfaces (FIAS, SX-200, Shenou, Panasonic)
		ipp.Entry(),      // IPP printers and copiers
		pbx.Entry(),      // SMDR/CDR call records
	)
	if err != nil {
		// The list above is code, not input: all_test.go proves it sound.
		panic(err)
	}
	return r
}
