// Package hotelinkprofiles embeds the hotel-link profiles shipped with the
// gateway (data only: one YAML file per PBX hotel interface). The
// drivers/hotelink package reads them; see docs/hotelink.md for the keys.
package hotelinkprofiles

import "embed"

// FS holds *.yaml.
//
//go:embed *.yaml
var FS embed.FS
