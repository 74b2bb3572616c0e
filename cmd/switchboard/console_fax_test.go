package main

import (
	"errors"
	"slices"
	"testing"

	"switchboard/internal/bus"
	"switchboard/internal/console"
)

// consoleFax gives the fax pages the fax desk's checks with the config's
// limits: the fax modems of the config, a send form that takes the
// configured document size, and the dialing plan's refusals.
func TestConsoleFax(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fax    string // the config's fax section
		upload int64
		maxDoc int
	}{
		{name: "defaults", upload: console.DefaultFaxUpload, maxDoc: 10 << 20},
		{name: "a larger document", fax: "fax: {max_document_mib: 20}\n", upload: 21 << 20, maxDoc: 20 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, g := offlineGateway(t, tc.fax)
			devices := []console.DeviceInfo{{ID: "pbx1", Domain: "pbx"}, {ID: "fax1", Domain: "fax"}, {ID: "prn1", Domain: "print"}, {ID: "fax2", Domain: "fax"}}
			fo, err := consoleFax(cfg, g, devices)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fo.Devices, []string{"fax1", "fax2"}) || fo.MaxUpload != tc.upload || fo.Desk.MaxDocument() != tc.maxDoc {
				t.Errorf("modems %v, upload %d, document %d; want [fax1 fax2], %d, %d", fo.Devices, fo.MaxUpload, fo.Desk.MaxDocument(), tc.upload, tc.maxDoc)
			}
			var fe *bus.FieldError
			if _, err := fo.Desk.CheckNumber("119"); !errors.As(err, &fe) || fe.Field != "data.to" {
				t.Errorf("an emergency number: %v; want a data.to refusal", err)
			}
		})
	}
}
