package drivers

import "switchboard/internal/config"

// Catalog is the registry as config validation reads it.
func Catalog() config.Drivers { return catalog{} }

type catalog struct{}

func (catalog) Names() []string { return Names() }

func (catalog) Driver(name string) (config.DriverInfo, bool) {
	e, ok := Lookup(name)
	return config.DriverInfo{Profiled: e.Profiled, Transport: e.Transport, URISchemes: e.URISchemes}, ok
}

func (catalog) CheckProfile(driver, id, dir string) error {
	e, ok := Lookup(driver)
	if !ok || e.CheckProfile == nil {
		return nil
	}
	return e.CheckProfile(id, dir)
}
