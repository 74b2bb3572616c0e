// Package all registers every driver: importing it is the one line a new
// driver adds besides its own folder.
package all

import (
	_ "switchboard/drivers/faxmodem" // fax modems (Class 1, T.30)
	_ "switchboard/drivers/hotelink" // PBX hotel interfaces (FIAS, SX-200, Shenou, Panasonic)
	_ "switchboard/drivers/ipp"      // IPP printers and copiers
	_ "switchboard/drivers/pbx"      // SMDR/CDR call records
)
