package ipp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events"
)

// recSink records what a driver journals and delivers.
type recSink struct {
	mu      sync.Mutex
	frames  []drivers.Frame
	results []drivers.Result
	links   []events.DeviceState
	failJ   error
}

func (s *recSink) Journal(_ context.Context, _ drivers.Direction, fs []drivers.Frame, _ time.Time) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failJ != nil {
		return nil, s.failJ
	}
	ids := make([]int64, len(fs))
	for i, f := range fs {
		if !json.Valid(f.Data) {
			panic("frame is not JSON: " + string(f.Data))
		}
		s.frames = append(s.frames, f)
		ids[i] = int64(len(s.frames))
	}
	return ids, nil
}

func (s *recSink) Deliver(_ context.Context, rs []drivers.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if r.FrameID < 1 || int(r.FrameID) > len(s.frames) {
			panic(fmt.Sprintf("delivered result for frame %d never journaled", r.FrameID))
		}
	}
	s.results = append(s.results, rs...)
	return nil
}

func (s *recSink) LinkState(st events.DeviceState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links = append(s.links, st)
}

func records[T any](s *recSink) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, r := range s.results {
		if v, ok := r.Record.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func hasAlert(s *recSink, k AlertKind, c AlertChange) bool {
	for _, a := range records[Alert](s) {
		if a.Kind == k && a.Change == c {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

// makePDF writes a minimal valid PDF 1.4 with n pages (one line of text
// each), with a correct xref table so pdfinfo and printers accept it.
func makePDF(n int) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i := 0; i < n; i++ {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		text := fmt.Sprintf("BT /F1 24 Tf 72 720 Td (Page %d) Tj ET", i+1)
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(text), text))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}
