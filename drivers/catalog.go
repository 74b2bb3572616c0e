package drivers

import "switchboard/internal/config"

// Catalog is the registry as config validation reads it.
func (r *Registry) Catalog() config.Drivers { return catalog{r} }

type catalog struct{ r *Registry }

func (c catalog) Names() []string { return c.r.Names() }

func (c catalog) Driver(name string) (config.DriverInfo, bool) {
	e, ok := c.r.Lookup(name)
	return config.DriverInfo{Profiled: e.Profiled, Transport: e.Transport, URISchemes: e.URISchemes}, ok
}

func (c catalog) CheckProfile(driver, id, dir string) error {
	e, ok := c.r.Lookup(driver)
	if !ok || e.CheckProfile == nil {
		return nil
	}
	return e.CheckProfile(id, dir)
}
