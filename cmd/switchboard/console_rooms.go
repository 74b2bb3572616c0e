package main

import (
	"switchboard/internal/events/hotel"
	"switchboard/internal/gateway"
)

// consoleCOS is the class-of-service list of the hotel link's PBX
// profile, read from the link's running driver each time the room card
// asks (the driver starts after the console, and a reload may change its
// profile); nil without a hotel link: the card offers every class.
func consoleCOS(g *gateway.Gateway, link string) func() []string {
	if link == "" {
		return nil
	}
	return func() []string { return cosNames(g.Driver(link)) }
}

// cosNames are the classes of service a hotel-link driver's profile maps
// (hotel.Capabilities.COS); none for a driver that is not a hotel link,
// is not running, or whose profile sets no class over the link.
func cosNames(drv any) []string {
	l, ok := drv.(interface{ Capabilities() hotel.Capabilities })
	if !ok {
		return nil
	}
	caps := l.Capabilities().COS
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = string(c)
	}
	return out
}
