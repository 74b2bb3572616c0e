package desktest

import (
	"testing"
	"time"

	"switchboard/internal/folio"
	"switchboard/internal/rating"
	"switchboard/tariffs"
)

// Biller is call billing as the shipped example configures it: the
// embedded carrier tariff and hotel plan in Shanghai (area 21, trunk
// access 9) with guest rooms from-to.
func Biller(t testing.TB, from, to string) *folio.Biller {
	t.Helper()
	dir, err := folio.NewDirectory([]folio.RoomSpec{{From: from, To: to, Class: folio.Guest}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rating.LoadTariffFS(tariffs.FS, tariffs.DefaultTariff)
	if err != nil {
		t.Fatal(err)
	}
	site := tr.Site()
	site.HomeArea, site.TrunkAccess = "21", []string{"9"}
	site.Internal = append(site.Internal, rating.Range{From: from, To: to})
	if tr, err = tr.WithSite(site); err != nil {
		t.Fatal(err)
	}
	pd, err := tariffs.FS.ReadFile(tariffs.DefaultPlan)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := rating.LoadPlan(pd)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := rating.NewEngine(tr, plan)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return &folio.Biller{Engine: eng, Dir: dir, Loc: loc, Devices: map[string]*rating.Engine{}}
}

// BusinessTariff is the embedded business-centre tariff, or data when given.
func BusinessTariff(t testing.TB, data string) *rating.BusinessTariff {
	t.Helper()
	b := []byte(data)
	if data == "" {
		var err error
		if b, err = tariffs.FS.ReadFile("business-center.yaml"); err != nil {
			t.Fatal(err)
		}
	}
	bt, err := rating.LoadBusinessTariff(b)
	if err != nil {
		t.Fatal(err)
	}
	return bt
}
