package console

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	tifff "switchboard/internal/fax/tiff"
	"switchboard/internal/store"
)

// TestFaxRegister: the day's register shows each fax with what a device
// produced escaped (the remote station id), the CHECK OUT mark and the
// retention state; the detail page shows its page images.
func TestFaxRegister(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	now := f.clock.now()
	tif := filepath.Join(t.TempDir(), "in.tif")
	var buf bytes.Buffer
	var pages []*tifff.Page
	for i := 0; i < 2; i++ {
		p, err := tifff.NewPage(codec.TestChart(1728, 200), codec.Params{Scheme: codec.MH}, tifff.YResStandard)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	if err := tifff.Write(&buf, pages); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tif, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4 fax"), 0o600); err != nil {
		t.Fatal(err)
	}
	evil := registerFax(t, f.st, faxjobs.Fax{Key: "k1", Device: "fax1", Received: now.Add(-time.Hour), Pages: 2, RemoteID: "<script>alert(1)</script>",
		TIFF: tif, PDF: pdf})
	left := registerFax(t, f.st, faxjobs.Fax{Key: "k2", Device: "fax1", Received: now.Add(-30 * time.Minute), Pages: 1, RemoteID: "+86 10 1234"})
	out := now.Add(-48 * time.Hour)
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := faxjobs.Assign(tx, left, faxjobs.Assignment{Room: "1203", Name: "Zhang Wei", CheckedOut: &out}, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b, _ := signedIn(t, f, "0002")
	inbox := b.do("GET", "/fax/inbox", nil)
	detail := b.do("GET", fmt.Sprintf("/fax/inbox/%d", evil), nil)
	archive := now.Add(-time.Hour).Add(faxjobs.DefaultRetention().ArchiveAfter).In(site).Format("2006-01-02 15:04")
	for _, tc := range []struct {
		name string
		page response
		want []string
	}{
		{"register", inbox, []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "CHECK OUT " + out.In(site).Format("2006-01-02"), "unclaimed: archived on " + archive, "Zhang Wei"}},
		{"detail", detail, []string{"&lt;script&gt;alert(1)&lt;/script&gt;", fmt.Sprintf(`src="/fax/inbox/%d/pages/2"`, evil), "Page 2 / 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.page.code != http.StatusOK {
				t.Fatalf("%d\n%s", tc.page.code, tc.page.body)
			}
			if strings.Contains(tc.page.body, "<script>alert(1)") {
				t.Error("the remote id is HTML on the page")
			}
			for _, w := range tc.want {
				if !strings.Contains(tc.page.body, w) {
					t.Errorf("the page does not show %q:\n%s", w, tc.page.body)
				}
			}
		})
	}
	for _, tc := range []struct {
		id   int64
		code int
		body string
	}{{evil, 200, "%PDF-1.4 fax"}, {left, 404, ""}} {
		res := b.do("GET", fmt.Sprintf("/fax/inbox/%d/pdf", tc.id), nil)
		if res.code != tc.code || (tc.body != "" && (res.body != tc.body || res.header.Get("Content-Type") != "application/pdf")) {
			t.Errorf("fax %d as PDF: %d %s", tc.id, res.code, res.header.Get("Content-Type"))
		}
	}
	for _, tc := range []struct {
		page string
		code int
		ct   string
	}{
		{"1", 200, "image/png"}, {"2", 200, "image/png"}, {"3", 404, ""}, {"x", 404, ""},
	} {
		res := b.do("GET", fmt.Sprintf("/fax/inbox/%d/pages/%s", evil, tc.page), nil)
		if res.code != tc.code || (tc.ct != "" && res.header.Get("Content-Type") != tc.ct) {
			t.Errorf("page %s: %d %s", tc.page, res.code, res.header.Get("Content-Type"))
			continue
		}
		if tc.ct != "" { // a standard page of 1728×200 pels, shown at half its width
			img, err := png.Decode(strings.NewReader(res.body))
			if err != nil {
				t.Errorf("page %s: not a PNG: %v", tc.page, err)
			} else if b := img.Bounds(); b.Dx() != 864 || b.Dy() != 200 {
				t.Errorf("page %s: %v; want an 864×200 PNG", tc.page, b)
			}
		}
	}
}

// TestFaxAssignDeliver: assign and deliver send the desk's commands to the
// fax's modem as the clerk, with the form's fields (the deliverer is the
// clerk's code unless a bellboy is named); a delivery without a signature
// is refused before anything is sent.
func TestFaxAssignDeliver(t *testing.T) {
	f, h, _ := newFaxFixture(t)
	id := registerFax(t, f.st, faxjobs.Fax{Key: "k1", Device: "fax2", Received: f.clock.now(), Pages: 1})
	b, tok := signedIn(t, f, "0002")
	path := fmt.Sprintf("/fax/inbox/%d/", id)
	for _, tc := range []struct {
		name, action string
		form         url.Values
		code         int
		want         any // the command's data; nil: none sent
	}{
		{"assign by room", "assign", url.Values{"room": {"1203"}}, 303, fax.AssignData{ID: id, Room: "1203"}},
		{"assign by name", "assign", url.Values{"name": {" Zhang Wei "}}, 303, fax.AssignData{ID: id, Name: "Zhang Wei"}},
		{"assign nothing", "assign", url.Values{}, 422, nil},
		{"deliver by the clerk", "deliver", url.Values{"signed_by": {"Zhang Wei"}}, 303, fax.DeliverData{ID: id, DeliveredBy: "0002", SignedBy: "Zhang Wei"}},
		{"deliver by a bellboy", "deliver", url.Values{"delivered_by": {"Bellboy Li"}, "signed_by": {"Zhang"}}, 303, fax.DeliverData{ID: id, DeliveredBy: "Bellboy Li", SignedBy: "Zhang"}},
		{"deliver unsigned", "deliver", url.Values{"delivered_by": {"0002"}}, 422, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.commands())
			tc.form.Set("csrf", tok)
			res := b.do("POST", path+tc.action, tc.form)
			if res.code != tc.code {
				t.Fatalf("%d, want %d\n%s", res.code, tc.code, res.body)
			}
			cmds := h.commands()[before:]
			if tc.want == nil {
				if len(cmds) != 0 {
					t.Errorf("sent %+v", cmds)
				}
				return
			}
			if len(cmds) != 1 || cmds[0].name != "fax."+tc.action || cmds[0].device != "fax2" || cmds[0].by.Username != "0002" || cmds[0].data != tc.want {
				t.Fatalf("sent %+v; want fax.%s to fax2 by 0002 with %+v", cmds, tc.action, tc.want)
			}
			back := b.do("GET", res.header.Get("Location"), nil)
			if !strings.Contains(back.body, `id="flash"`) || !strings.Contains(back.body, "fax."+tc.action) {
				t.Errorf("the outcome is not shown:\n%s", back.body)
			}
		})
	}
}

// TestShrink: a page image for the screen is half the fax's width, and
// half its height on a fine page; a grey pel is the share of white pels.
func TestShrink(t *testing.T) {
	bm := codec.NewBitmap(5, 2) // the fifth column shares its pel with the padding
	for _, p := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {4, 0}} {
		bm.Set(p[0], p[1], true)
	}
	for _, tc := range []struct {
		sy   int
		w, h int
		pix  []uint8
	}{
		{sy: 2, w: 3, h: 1, pix: []uint8{64, 255, 192}},
		{sy: 1, w: 3, h: 2, pix: []uint8{0, 255, 128, 128, 255, 255}},
	} {
		img := shrink(bm, tc.sy)
		var pix []uint8
		for y := 0; y < img.Rect.Dy(); y++ {
			pix = append(pix, img.Pix[y*img.Stride:y*img.Stride+img.Rect.Dx()]...)
		}
		if img.Rect.Dx() != tc.w || img.Rect.Dy() != tc.h || !bytes.Equal(pix, tc.pix) {
			t.Errorf("sy %d: %v %v; want %dx%d %v", tc.sy, img.Rect, pix, tc.w, tc.h, tc.pix)
		}
	}
}

// TestRetentionOf: an unclaimed fax (no guest found, or the guest had
// left) is archived ArchiveAfter its reception, an archived one destroyed
// DestroyAfter it; an assigned or delivered fax is kept.
func TestRetentionOf(t *testing.T) {
	in := time.Date(2026, 11, 1, 9, 0, 0, 0, site)
	gone := in.Add(91 * 24 * time.Hour)
	r := faxjobs.Retention{ArchiveAfter: 10 * 24 * time.Hour, DestroyAfter: 90 * 24 * time.Hour}
	for _, tc := range []struct {
		status string
		key    string
		at     time.Time
	}{
		{faxjobs.Unassigned, "fax.ret.archive", in.Add(10 * 24 * time.Hour)},
		{faxjobs.CheckedOut, "fax.ret.archive", in.Add(10 * 24 * time.Hour)},
		{faxjobs.Archived, "fax.ret.archived", in.Add(90 * 24 * time.Hour)},
		{faxjobs.Destroyed, "fax.ret.destroyed", gone},
		{faxjobs.Assigned, "fax.ret.kept", time.Time{}},
		{faxjobs.Delivered, "fax.ret.kept", time.Time{}},
	} {
		got := retentionOf(faxjobs.Fax{Status: tc.status, Received: in, Destroyed: &gone}, r)
		if got.Key != tc.key || !got.At.Equal(tc.at) {
			t.Errorf("%s: %+v; want %s %v", tc.status, got, tc.key, tc.at)
		}
	}
}
