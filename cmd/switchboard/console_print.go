package main

import (
	"fmt"

	"switchboard/internal/business"
	"switchboard/internal/config"
	"switchboard/internal/gateway"
	"switchboard/internal/rating"
)

// consolePrint is what the console's print page prices a job with before
// it is sent: the business tariff the print desk bills with (the same
// billing.business_tariff, loaded the same way), and each printer's tariff
// size of a media from its running driver (its firmware profile).
func consolePrint(cfg *config.Config, g *gateway.Gateway) (*rating.BusinessTariff, func(device, media string) string, error) {
	bt, err := business.LoadTariff(cfg.Billing.BusinessTariff)
	if err != nil {
		return nil, nil, fmt.Errorf("console: %w", err)
	}
	size := func(device, media string) string {
		// printer.Printer's SizeOf; a device not started yet knows no size.
		if p, ok := g.Driver(device).(interface{ SizeOf(string) string }); ok {
			return p.SizeOf(media)
		}
		return ""
	}
	return bt, size, nil
}
