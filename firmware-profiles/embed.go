// Package firmwareprofiles embeds the device profiles shipped with the
// gateway (data only: YAML profiles and their JSON Schemas). internal/profile
// reads them; a directory named in the config may override or add profiles.
package firmwareprofiles

import "embed"

// FS holds pbx/*.yaml and schema/pbx.json.
//
//go:embed pbx/*.yaml schema/pbx.json
var FS embed.FS
