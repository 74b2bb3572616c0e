// Package tariffs embeds the shipped tariff files (carrier tariffs, hotel
// plans) so the gateway runs on its defaults without files beside it.
package tariffs

import "embed"

// FS holds every *.yaml and *.csv of this folder.
//
//go:embed *.yaml
var FS embed.FS

// Default file names used when the config names none.
const (
	DefaultTariff = "cn-telecom.yaml"
	DefaultPlan   = "example-hotel-plan.yaml"
)
