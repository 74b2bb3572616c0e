package main

import (
	"fmt"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/config"
	"switchboard/internal/console"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/faxdesk"
	"switchboard/internal/gateway"
)

// consoleFax is the fax pages' side of the gateway: the fax desk's own
// number check and quote (faxdesk.Preview) with the options the gateway
// gives its fax desk (the config's fax section, the business tariff, the
// billing in force), the fax modems of the config, and the retention of
// unclaimed faxes. The gateway does not hand out its desk (internal/gateway
// is at its line budget), so the options are read here from the same
// config.
func consoleFax(cfg *config.Config, g *gateway.Gateway, devices []console.DeviceInfo) (*console.FaxOptions, error) {
	bt, err := business.LoadTariff(cfg.Billing.BusinessTariff)
	if err != nil {
		return nil, fmt.Errorf("console fax pages: billing.business_tariff: %w", err)
	}
	fc := cfg.Fax
	pv, err := faxdesk.NewPreview(faxdesk.Options{Tariff: bt, Billing: g.Biller,
		Policy:      faxjobs.Policy{Attempts: fc.Attempts(), Interval: fc.RetryInterval()},
		MaxDocument: fc.MaxDocument(), PageLimit: fc.Pages(), QuoteBitRate: fc.BitRate()},
		g.Location(), func() time.Time { return g.Now() })
	if err != nil {
		return nil, fmt.Errorf("console fax pages: %w", err)
	}
	var modems []string
	for _, d := range devices {
		if d.Domain == "fax" {
			modems = append(modems, d.ID)
		}
	}
	// The send form's body: the document at its limit, base64-free
	// (multipart), with room for the form's fields.
	upload := max(int64(console.DefaultFaxUpload), int64(fc.MaxDocument())+1<<20)
	return &console.FaxOptions{Desk: pv, Devices: modems, MaxUpload: upload,
		Retention: faxjobs.Retention{ArchiveAfter: fc.ArchiveAfter(), DestroyAfter: fc.DestroyAfter()}}, nil
}
