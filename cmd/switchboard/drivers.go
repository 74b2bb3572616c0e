package main

import (
	"fmt"

	"switchboard/drivers/faxmodem"
	"switchboard/drivers/hotelink"
	"switchboard/drivers/ipp"
	_ "switchboard/drivers/pbx" // registers the pbx driver
	"switchboard/internal/profile"
)

func init() {
	// `check` and `run` ask each driver's profiles about every device's
	// profile, so a typo is a config error, not a device failing at night.
	profileChecker = func(driver, id string) error {
		switch driver {
		case "pbx":
			if _, err := profile.Lookup(id); err != nil {
				ids := []string{}
				all, _ := profile.All()
				for _, p := range all {
					ids = append(ids, p.ID)
				}
				return fmt.Errorf("no PBX profile %q (have %v; `switchboard profiles list`)", id, ids)
			}
		case "hotelink":
			if _, err := hotelink.LoadProfile(id); err != nil {
				return fmt.Errorf("no hotel-link profile %q (have %v)", id, hotelink.ProfileIDs())
			}
		case "faxmodem":
			if id == "auto" {
				return nil // probed on each connection
			}
			if _, err := faxmodem.LoadProfile(id, ""); err != nil {
				return fmt.Errorf("no fax modem profile %q (have auto and %v)", id, faxmodem.ProfileIDs())
			}
		case "ipp":
			if id == "" {
				return nil
			}
			if _, err := ipp.LoadProfile(id, nil); err != nil {
				return fmt.Errorf("no printer profile %q (have %v)", id, ipp.ProfileIDs())
			}
		}
		return nil
	}
}
