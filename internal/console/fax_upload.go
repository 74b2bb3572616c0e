package console

// Uploads: a form with a file has a larger body than the console's forms
// (maxForm) and is refused clearly above its route's limit; the fax
// document waits in memory between the quote and its confirmation.

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"switchboard/internal/events/fax"
)

// bodyFits reads a POST's body up to limit bytes (a multipart form kept in
// memory) and answers 413 with a page saying the limit when it is larger;
// false when it answered.
func (c *Console) bodyFits(w http.ResponseWriter, r *http.Request, s session, limit int64) bool {
	if r.ContentLength > limit {
		c.tooLarge(w, r, s, limit)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(limit)
	} else {
		err = r.ParseForm()
	}
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		c.tooLarge(w, r, s, limit)
		return false
	}
	// Another error (a malformed body) leaves the form empty: the CSRF
	// check refuses it.
	return true
}

// tooLarge refuses an upload over the route's limit.
func (c *Console) tooLarge(w http.ResponseWriter, r *http.Request, s session, limit int64) {
	c.o.Log.Warn("upload refused: over the limit", "path", r.URL.Path, "operator", s.code, "length", r.ContentLength, "limit", limit)
	w.Header().Set("Connection", "close") // the rest of the body is not read
	c.render(w, r, http.StatusRequestEntityTooLarge, "toolarge", &s, map[string]any{"MiB": mib(limit), "Back": backOf(r.URL.Path)})
}

// backOf is the page an upload's form is on (/fax/quote → /fax).
func backOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return "/"
}

// faxUpload is a quoted fax waiting for the clerk's confirmation.
type faxUpload struct {
	session, operator string
	device            string
	data              fax.SendData // without the document
	doc               []byte
	name              string
	at                time.Time
}

// Bounds of the waiting uploads: a confirmation comes within minutes, a
// business centre has a few clerks, and the documents are in memory.
const (
	faxUploadTTL   = 15 * time.Minute
	faxUploadBytes = 64 << 20
)

// faxUploads are the quoted faxes waiting, by a random token: one per
// session (a new quote replaces the last), at most faxUploadBytes in all
// (the oldest go first), each for faxUploadTTL.
type faxUploads struct {
	mu sync.Mutex
	m  map[string]faxUpload
}

func newFaxUploads() *faxUploads { return &faxUploads{m: map[string]faxUpload{}} }

// put keeps u and returns its token.
func (f *faxUploads) put(u faxUpload) string {
	tok := token()
	f.mu.Lock()
	defer f.mu.Unlock()
	total := len(u.doc)
	for k, o := range f.m {
		if o.session == u.session || u.at.Sub(o.at) > faxUploadTTL {
			delete(f.m, k)
			continue
		}
		total += len(o.doc)
	}
	for total > faxUploadBytes && len(f.m) > 0 {
		oldest := ""
		for k, o := range f.m {
			if oldest == "" || o.at.Before(f.m[oldest].at) {
				oldest = k
			}
		}
		total -= len(f.m[oldest].doc)
		delete(f.m, oldest)
	}
	f.m[tok] = u
	return tok
}

// take hands over the upload of tok once, to the session that made it,
// within its time.
func (f *faxUploads) take(tok, session string, now time.Time) (faxUpload, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.m[tok]
	if !ok || u.session != session {
		return faxUpload{}, false
	}
	delete(f.m, tok)
	return u, now.Sub(u.at) <= faxUploadTTL
}
