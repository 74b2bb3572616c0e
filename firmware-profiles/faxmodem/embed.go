// Package faxmodemprofiles embeds the Class 1 fax modem profiles shipped
// with the gateway (data only: one YAML file per modem family, with its
// init strings, flow control, quirks and probe match rules). The
// drivers/faxmodem package reads them; see docs/faxmodem.md for the keys.
package faxmodemprofiles

import "embed"

// FS holds *.yaml.
//
//go:embed *.yaml
var FS embed.FS
