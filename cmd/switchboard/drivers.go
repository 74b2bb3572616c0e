package main

import (
	"fmt"

	_ "switchboard/drivers/pbx" // registers the pbx driver
	"switchboard/internal/profile"
)

func init() {
	// `check` and `run` ask the profile registry about every device's
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
		}
		return nil
	}
}
