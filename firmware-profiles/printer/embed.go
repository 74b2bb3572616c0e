// Package printerprofiles embeds the printer profiles shipped with the
// gateway: what a printer model reports and how it counts (data only; read
// by drivers/ipp).
package printerprofiles

import "embed"

// FS holds *.yaml, one printer profile each.
//
//go:embed *.yaml
var FS embed.FS
