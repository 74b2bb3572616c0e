package console

// The register of received faxes (接收傳真程序: name, room, date, pages,
// time received, time delivered, recipient's signature): the day's faxes,
// each with its page images, assigned to a room or guest (fax.assign
// lights the room's message lamp), delivered with who delivered it and who
// signed (fax.deliver bills the pages), the CHECK OUT mark of a guest who
// had left, and where the fax stands in its retention (unclaimed faxes are
// archived after fax.archive_days and destroyed after fax.destroy_days).
// Every string a device produced (the remote station id) is only ever
// template text, escaped.

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	tifff "switchboard/internal/fax/tiff"
)

func (c *Console) inboxRoutes() {
	c.mux.Handle("GET /fax/inbox", c.page(faxRoles, c.inboxPage))
	c.mux.Handle("GET /fax/inbox/{id}", c.page(faxRoles, c.inboxFaxPage))
	c.mux.Handle("GET /fax/inbox/{id}/pages/{n}", c.page(faxRoles, c.inboxPageImage))
	c.mux.Handle("GET /fax/inbox/{id}/pdf", c.page(faxRoles, c.inboxPDF))
	c.mux.Handle("POST /fax/inbox/{id}/assign", c.page(faxRoles, c.inboxAssign))
	c.mux.Handle("POST /fax/inbox/{id}/deliver", c.page(faxRoles, c.inboxDeliver))
}

// retention is where a received fax stands in its retention: Key names
// the state for the catalog, At the date it took or will take effect.
type retention struct {
	Key string
	At  time.Time
}

// retentionOf: a fax nobody claimed (unassigned, or its guest had left) is
// archived ArchiveAfter its reception, then destroyed DestroyAfter it
// (the desk's sweep, faxjobs.DueArchive/DueDestroy); one assigned to a
// guest in the house or delivered is kept.
func retentionOf(f faxjobs.Fax, r faxjobs.Retention) retention {
	switch f.Status {
	case faxjobs.Unassigned, faxjobs.CheckedOut:
		return retention{Key: "fax.ret.archive", At: f.Received.Add(r.ArchiveAfter)}
	case faxjobs.Archived:
		return retention{Key: "fax.ret.archived", At: f.Received.Add(r.DestroyAfter)}
	case faxjobs.Destroyed:
		at := time.Time{}
		if f.Destroyed != nil {
			at = *f.Destroyed
		}
		return retention{Key: "fax.ret.destroyed", At: at}
	}
	return retention{Key: "fax.ret.kept"}
}

// inboxRow is one line of the register.
type inboxRow struct {
	faxjobs.Fax
	Retention retention
}

// inboxPage is the register of one day (today by default), or of the
// faxes nobody has been found for.
func (c *Console) inboxPage(w http.ResponseWriter, r *http.Request, s session) {
	if isInboxSearch(r.URL.Query()) {
		c.inboxSearch(w, r, s) // fax_inbox_search.go
		return
	}
	loc := c.o.Location
	day := startOfDay(c.now(), loc)
	data := map[string]any{"Stands": faxjobs.Stands}
	if q := r.URL.Query().Get("date"); q != "" {
		d, err := time.ParseInLocation(time.DateOnly, q, loc)
		if err != nil {
			data["Problem"] = fmt.Sprintf("date %q: want YYYY-MM-DD", q)
		} else {
			day = d
		}
	}
	filter := faxjobs.Filter{From: day, To: day.AddDate(0, 0, 1), Unassigned: r.URL.Query().Get("unassigned") != ""}
	if filter.Unassigned { // every day: they wait until someone is found or they are archived
		filter.From, filter.To = time.Time{}, time.Time{}
	}
	list, err := faxjobs.List(r.Context(), c.o.Host.Store(), filter)
	if err != nil {
		c.o.Log.Error("fax register", "err", err)
		http.Error(w, "the fax register cannot be read", http.StatusInternalServerError)
		return
	}
	ret := c.faxOptions().Retention
	rows := make([]inboxRow, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- { // newest first
		rows = append(rows, inboxRow{Fax: list[i], Retention: retentionOf(list[i], ret)})
	}
	data["Rows"], data["Day"], data["Unassigned"] = rows, day.Format(time.DateOnly), filter.Unassigned
	data["Prev"], data["Next"] = day.AddDate(0, 0, -1).Format(time.DateOnly), day.AddDate(0, 0, 1).Format(time.DateOnly)
	c.render(w, r, http.StatusOK, "fax_inbox", &s, data)
}

// inboxFax reads the path's fax; false when it answered.
func (c *Console) inboxFax(w http.ResponseWriter, r *http.Request, s session) (faxjobs.Fax, bool) {
	id, ok := pathID(r)
	var f faxjobs.Fax
	var err error
	if ok {
		f, err = faxjobs.GetFax(r.Context(), c.o.Host.Store(), id)
	}
	switch {
	case !ok || errors.Is(err, faxjobs.ErrNotFound):
		c.render(w, r, http.StatusNotFound, "fax_detail", &s, map[string]any{"Missing": r.PathValue("id")})
		return f, false
	case err != nil:
		c.o.Log.Error("fax register", "fax", id, "err", err)
		http.Error(w, "the fax register cannot be read", http.StatusInternalServerError)
		return f, false
	}
	return f, true
}

// hasImages: the page files are kept until the fax is destroyed.
func hasImages(f faxjobs.Fax) bool { return f.TIFF != "" && f.Status != faxjobs.Destroyed }

// inboxFaxPage is one received fax: its register line, its pages, and the
// assign and deliver forms.
func (c *Console) inboxFaxPage(w http.ResponseWriter, r *http.Request, s session) {
	c.inboxFaxView(w, r, s, http.StatusOK, nil)
}

func (c *Console) inboxFaxView(w http.ResponseWriter, r *http.Request, s session, status int, extra map[string]any) {
	f, ok := c.inboxFax(w, r, s)
	if !ok {
		return
	}
	var pages []int
	if hasImages(f) {
		for i := 1; i <= f.Pages; i++ {
			pages = append(pages, i)
		}
	}
	data := map[string]any{"F": inboxRow{Fax: f, Retention: retentionOf(f, c.faxOptions().Retention)}, "Pages": pages,
		"Open": f.Status != faxjobs.Delivered && f.Status != faxjobs.Archived && f.Status != faxjobs.Destroyed}
	for k, v := range extra {
		data[k] = v
	}
	c.takeFlashAt(w, r, data, "/fax")
	c.render(w, r, status, "fax_detail", &s, data)
}

// inboxPageImage is page n of a received fax as PNG, rendered from the
// stored TIFF Class F (the file the desk keeps; archived faxes moved with
// it).
func (c *Console) inboxPageImage(w http.ResponseWriter, r *http.Request, s session) {
	f, ok := c.inboxFax(w, r, s)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > f.Pages || !hasImages(f) {
		http.Error(w, fmt.Sprintf("fax %d has no page %q (it has %d; destroyed faxes have none)", f.ID, r.PathValue("n"), f.Pages), http.StatusNotFound)
		return
	}
	b, err := os.ReadFile(f.TIFF)
	if err == nil {
		b, err = pagePNG(b, n)
	}
	if err != nil {
		c.o.Log.Error("fax page image", "fax", f.ID, "page", n, "file", f.TIFF, "err", err)
		http.Error(w, fmt.Sprintf("page %d of fax %d cannot be shown: %v", n, f.ID, err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store") // a guest's document
	_, _ = w.Write(b)
}

// inboxPDF serves the received fax as the PDF the desk stored (full
// resolution, for printing it for the guest).
func (c *Console) inboxPDF(w http.ResponseWriter, r *http.Request, s session) {
	f, ok := c.inboxFax(w, r, s)
	if !ok {
		return
	}
	if f.PDF == "" || f.Status == faxjobs.Destroyed {
		http.Error(w, fmt.Sprintf("fax %d has no PDF (destroyed faxes have none)", f.ID), http.StatusNotFound)
		return
	}
	c.servePDF(w, r, f.PDF, fmt.Sprintf("fax-%d.pdf", f.ID))
}

// pagePNG renders page n (from 1) of a TIFF Class F file as a PNG for the
// screen: half the fax's resolution across (a page is 1728 pels wide, a
// screen shows about 900), and down as much on a fine page (196 lines per
// inch; a standard page's 98 lines are already half), each pel of the
// image the grey of the fax pels it covers. That keeps the text readable
// and the rendering within a page's time budget (a full-size PNG of a
// dense page takes over 100 ms to encode); the original stays in the
// register's files.
func pagePNG(tiff []byte, n int) ([]byte, error) {
	pages, err := tifff.Read(tiff)
	if err != nil {
		return nil, fmt.Errorf("fax file: %w", err)
	}
	if n > len(pages) {
		return nil, fmt.Errorf("the file has %d pages", len(pages))
	}
	bm, err := pages[n-1].Decode()
	if err != nil {
		return nil, fmt.Errorf("page %d: %w", n, err)
	}
	sy := 1
	if pages[n-1].YRes > (tifff.YResStandard+tifff.YResFine)/2 {
		sy = 2
	}
	img := shrink(bm, sy)
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("page %d as PNG: %w", n, err)
	}
	return out.Bytes(), nil
}

// shrink scales a bilevel page down by 2 across and sy (1 or 2) down:
// each grey pel is the share of white in the 2×sy block of fax pels it
// covers. A byte of the bitmap holds four such pairs (most significant
// first).
func shrink(bm *codec.Bitmap, sy int) *image.Gray {
	w, h := (bm.Width+1)/2, (bm.Height+sy-1)/sy
	img := image.NewGray(image.Rect(0, 0, w, h))
	area := 2 * sy
	black := make([]int, w+3)
	for y := 0; y < h; y++ {
		clear(black)
		for dy := 0; dy < sy && y*sy+dy < bm.Height; dy++ {
			for i, b := range bm.Row(y*sy + dy) {
				for k := 0; k < 4; k++ {
					v := b >> (6 - 2*k) & 3
					black[4*i+k] += int(v>>1 + v&1)
				}
			}
		}
		out := img.Pix[y*img.Stride : y*img.Stride+w]
		for x := range out {
			out[x] = uint8(255 - 255*black[x]/area)
		}
	}
	return img
}

// inboxAssign sends fax.assign: the guest is found by room and/or name
// (the desk matches the stay and lights the lamp).
func (c *Console) inboxAssign(w http.ResponseWriter, r *http.Request, s session) {
	f, ok := c.inboxFax(w, r, s)
	if !ok {
		return
	}
	a := fax.AssignData{ID: f.ID, Room: strings.TrimSpace(r.PostFormValue("room")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	switch {
	case a.Room == "" && a.Name == "":
		c.inboxFaxView(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "assign: give the room or the guest's name as on the fax"})
		return
	case !plainText(a.Room, 16) || !plainText(a.Name, maxGuestName):
		c.inboxFaxView(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "assign: a room of at most 16 and a name of at most 100 characters, printable"})
		return
	}
	c.inboxCommand(w, r, s, f, "fax.assign", a)
}

// inboxDeliver sends fax.deliver: who delivered it (the clerk's code by
// default, or the bellboy) and who signed for it.
func (c *Console) inboxDeliver(w http.ResponseWriter, r *http.Request, s session) {
	f, ok := c.inboxFax(w, r, s)
	if !ok {
		return
	}
	d := fax.DeliverData{ID: f.ID, DeliveredBy: strings.TrimSpace(r.PostFormValue("delivered_by")), SignedBy: strings.TrimSpace(r.PostFormValue("signed_by"))}
	if d.DeliveredBy == "" {
		d.DeliveredBy = s.code
	}
	if d.SignedBy == "" || !plainText(d.SignedBy, maxGuestName) || !plainText(d.DeliveredBy, maxGuestName) {
		c.inboxFaxView(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "deliver: who signed for it is required (at most 100 printable characters)"})
		return
	}
	c.inboxCommand(w, r, s, f, "fax.deliver", d)
}

// inboxCommand sends a register command to the fax's modem as the clerk
// and goes back to the fax with the outcome shown once.
func (c *Console) inboxCommand(w http.ResponseWriter, r *http.Request, s session, f faxjobs.Fax, name string, data any) {
	rep, err := c.command(r.Context(), &s, "fax", f.Device, name, data)
	status, reason := rep.Status, rep.Reason
	if err != nil {
		if errors.Is(err, errNotYours) {
			c.forbidden(w, r, s, "role")
			return
		}
		c.o.Log.Error("console command", "what", name, "fax", f.ID, "err", err)
		status, reason = "failed", err.Error()
	}
	c.setFlashAt(w, flash{What: fmt.Sprintf("%s %d", name, f.ID), Status: status, Reason: reason}, "/fax")
	http.Redirect(w, r, "/fax/inbox/"+strconv.FormatInt(f.ID, 10), http.StatusSeeOther)
}
