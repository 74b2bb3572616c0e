package unparsed

import (
	"testing"
	"time"
)

func TestCoalescer(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var c Coalescer
	published := 0
	var sums []Summary
	// 1,000 unreadable frames in 100 s: the first five of each minute
	// alone, the rest summed up once the minute is over.
	for i := range 1000 {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		pub, due := c.Observe(int64(i+1), "bad", at)
		if pub {
			published++
		}
		if due.Count > 0 {
			sums = append(sums, due)
		}
	}
	if s := c.Due(t0.Add(90 * time.Second)); s.Count != 0 {
		t.Errorf("a summary before its minute is over: %+v", s)
	}
	if s := c.Due(t0.Add(121 * time.Second)); s.Count > 0 {
		sums = append(sums, s)
	}
	if s := c.Due(t0.Add(200 * time.Second)); s.Count != 0 {
		t.Errorf("a summary twice: %+v", s)
	}
	if published != 10 || len(sums) != 2 {
		t.Fatalf("%d published alone, %d summaries; want 10 and 2", published, len(sums))
	}
	if s := sums[0]; s.Count != 595 || s.FirstID != 6 || s.LastID != 600 || s.SampleID != 6 || s.SampleReason != "bad" {
		t.Errorf("first minute: %+v", s)
	}
	if s := sums[1]; s.Count != 395 || s.FirstID != 606 || s.LastID != 1000 {
		t.Errorf("second minute: %+v", s)
	}
	if total := published + sums[0].Count + sums[1].Count; total != 1000 {
		t.Errorf("%d frames accounted for, want 1000", total)
	}
	// A quiet device: a few unreadable frames are all published, never
	// summed up.
	var q Coalescer
	for i := range 5 {
		if pub, due := q.Observe(int64(i+1), "bad", t0.Add(time.Duration(i)*time.Hour)); !pub || due.Count != 0 {
			t.Errorf("frame %d of a quiet device: published %v, summary %+v", i+1, pub, due)
		}
	}
}

func TestRate(t *testing.T) {
	r := Rate{Window: 20}
	var got []string
	for i := range 60 {
		bad := i >= 10 && i < 30 // ten good, twenty bad, thirty good
		if a, ok := r.Observe(bad); ok {
			got = append(got, a.State)
		}
	}
	if len(got) != 2 || got[0] != "raised" || got[1] != "cleared" {
		t.Errorf("alerts %v, want raised then cleared", got)
	}
}

func BenchmarkCoalescer(b *testing.B) {
	var c Coalescer
	t0 := time.Now()
	for i := 0; b.Loop(); i++ {
		c.Observe(int64(i), "bad", t0.Add(time.Duration(i)*time.Millisecond))
	}
}
