package config

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// roomsYAML is a valid config with one rooms entry per extensions value.
func roomsYAML(extensions ...string) string {
	var b strings.Builder
	b.WriteString(base + "rooms:\n")
	for _, e := range extensions {
		fmt.Fprintf(&b, "  - {extensions: %q, class: guest}\n", e)
	}
	return b.String()
}

// TestRoomOverlaps: each overlapping entry is reported once, on the later
// entry of the file, naming an earlier one it overlaps.
func TestRoomOverlaps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		extensions []string
		want       []string // "path: message", in order
	}{
		{name: "disjoint", extensions: []string{"1101-1199", "1200-1299", "8000", "8001"}},
		{name: "adjacent singles", extensions: []string{"8001", "8000", "8002"}},
		{name: "lengths never overlap", extensions: []string{"900-999", "9000-9999", "90"}},
		{
			name:       "the later entry is reported",
			extensions: []string{"1101-1299", "1200-1210"},
			want:       []string{`rooms[1].extensions: "1200-1210" overlaps rooms[0] (1101-1299): an extension belongs to one room`},
		},
		{
			name:       "a wide range after the rooms it covers",
			extensions: []string{"1150", "1160", "1101-1299"},
			want: []string{
				`rooms[2].extensions: "1101-1299" overlaps rooms[0] (1150-1150): an extension belongs to one room`,
				`rooms[2].extensions: "1101-1299" overlaps rooms[1] (1160-1160): an extension belongs to one room`,
			},
		},
		{
			name:       "touching ends",
			extensions: []string{"1101-1200", "1200-1299"},
			want:       []string{`rooms[1].extensions: "1200-1299" overlaps rooms[0] (1101-1200): an extension belongs to one room`},
		},
		{
			name:       "a chain names its neighbour",
			extensions: []string{"100-150", "140-200", "190-250", "300"},
			want: []string{
				`rooms[1].extensions: "140-200" overlaps rooms[0] (100-150): an extension belongs to one room`,
				`rooms[2].extensions: "190-250" overlaps rooms[1] (140-200): an extension belongs to one room`,
			},
		},
		{
			name:       "identical ranges name the first",
			extensions: []string{"1101-1299", "1101-1299", "1101-1299"},
			want: []string{
				`rooms[1].extensions: "1101-1299" overlaps rooms[0] (1101-1299): an extension belongs to one room`,
				`rooms[2].extensions: "1101-1299" overlaps rooms[0] (1101-1299): an extension belongs to one room`,
			},
		},
		{
			name:       "a bad range is skipped",
			extensions: []string{"1101-1299", "12x0", "1200"},
			want: []string{
				`rooms[1].extensions: "12x0": want an extension (8000) or a range of extensions (1101-1299)`,
				`rooms[2].extensions: "1200" overlaps rooms[0] (1101-1299): an extension belongs to one room`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWith([]byte(roomsYAML(tc.extensions...)), "t.yaml", testDrivers{})
			var got []string
			var verr *ValidationError
			if errors.As(err, &verr) {
				for _, p := range verr.Problems {
					got = append(got, p.String())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestOverlapSweepAgreesWithPairs checks the sweep against the quadratic
// definition on random lists: every reported pair overlaps and is in file
// order, and the rooms named are exactly those that overlap another.
func TestOverlapSweepAgreesWithPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for round := range 500 {
		var spans []extSpan
		for i := range 1 + rng.IntN(30) {
			width := 2 + rng.IntN(2) // "10".."99" or "100".."999"
			lo := rng.IntN(9 * pow10(width-1))
			hi := lo + rng.IntN(15)
			hi = min(hi, 9*pow10(width-1)-1)
			f := fmt.Sprintf("%0*d", width, pow10(width-1)+lo)
			spans = append(spans, extSpan{from: f, to: fmt.Sprintf("%0*d", width, pow10(width-1)+hi), i: i})
		}
		overlaps := func(a, b extSpan) bool { return len(a.from) == len(b.from) && a.from <= b.to && b.from <= a.to }
		want := map[int]bool{}
		for _, a := range spans {
			for _, b := range spans {
				if a.i != b.i && overlaps(a, b) {
					want[a.i] = true
				}
			}
		}
		got := map[int]bool{}
		found := overlappingRooms(spans)
		for _, o := range found {
			if !overlaps(o.earlier, o.later) || o.earlier.i >= o.later.i {
				t.Fatalf("round %d: reported %+v", round, o)
			}
			got[o.earlier.i], got[o.later.i] = true, true
		}
		if !reflect.DeepEqual(got, want) || len(found) > max(len(spans)-1, 0) {
			t.Fatalf("round %d: %v\nnamed %v\nwant %v (%d pairs)", round, spans, got, want, len(found))
		}
	}
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// TestProblemsCapped: a file with thousands of problems is checked in well
// under a second (the quadratic overlap check took 26 s and 3.4 GB for
// 3,000 identical ranges) and renders at most MaxProblemLines lines plus
// one that counts the rest, whatever the kind of problem.
func TestProblemsCapped(t *testing.T) {
	many := func(ext, class string) string {
		var b strings.Builder
		b.WriteString(base + "rooms:\n")
		for range 3000 {
			fmt.Fprintf(&b, "  - {extensions: %q, class: %s}\n", ext, class)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name     string
		yaml     string
		problems int
		last     string
	}{
		{"3,000 identical ranges", many("1101-1299", "guest"), 2999, "... and 2,899 more problems"},
		{"3,000 bad classes", many("8000-8000", "spa"), 2999 + 3000, "... and 5,899 more problems"},
		{"101 problems", roomsYAML(strings.Split(strings.Repeat("8000,", 102), ",")[:102]...), 101, "... and 1 more problem"},
		{"exactly the cap", roomsYAML(strings.Split(strings.Repeat("8000,", 101), ",")[:101]...), 100, `t.yaml:103: rooms[100].extensions: "8000" overlaps rooms[0] (8000-8000): an extension belongs to one room`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseWith([]byte(tc.yaml), "t.yaml", testDrivers{})
			// Generous for a loaded shared machine; the check takes milliseconds.
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			if len(verr.Problems) != tc.problems {
				t.Errorf("%d problems, want %d", len(verr.Problems), tc.problems)
			}
			lines := strings.Split(verr.Error(), "\n")
			if len(lines) > MaxProblemLines+1 {
				t.Errorf("%d lines, want at most %d", len(lines), MaxProblemLines+1)
			}
			if got := lines[len(lines)-1]; got != tc.last {
				t.Errorf("last line %q, want %q", got, tc.last)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 2899: "2,899", 1234567: "1,234,567", -1234: "-1,234", -100: "-100"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestLoadRefuses: a config that is not a regular file or is over 1 MiB is
// refused before it is read whole, saying what is wrong and what to do.
func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, dir, "big.yaml", base+"#"+strings.Repeat("x", 2<<20-len(base)-2)+"\n")
	// A file of exactly the limit is read: base and a comment that fills it.
	fits := writeFile(t, dir, "fits.yaml", base+"#"+strings.Repeat("x", MaxFileSize-len(base)-2)+"\n")
	for _, tc := range []struct {
		name, path string
		is         error  // nil: loads
		want       string // in the message
	}{
		{"dev zero", "/dev/zero", ErrNotRegular, "/dev/zero is a character device, not a regular file: give the path of the YAML config file"},
		{"directory", dir, ErrNotRegular, dir + " is a directory, not a regular file"},
		{"fifo", fifo, ErrNotRegular, fifo + " is a FIFO (named pipe), not a regular file"},
		{"2 MiB", big, ErrTooLarge, big + " is 2,097,152 bytes, over the 1 MiB limit of a config file: check that --config"},
		{"exactly 1 MiB", fits, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := Load(tc.path); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Load did not return") // a FIFO opened blocking, or /dev/zero read
			}
			if tc.is == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load(%s) = %v, want %v with %q", tc.path, err, tc.is, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "reading config: ") {
				t.Errorf("error %q lacks its context", err)
			}
		})
	}
}

// BenchmarkValidateRooms validates 3,000 rooms entries: all identical (every
// one overlaps) and all distinct (a large hotel's real list).
func BenchmarkValidateRooms(b *testing.B) {
	for _, tc := range []struct {
		name string
		ext  func(i int) string
	}{
		{"identical", func(int) string { return "1101-1299" }},
		{"distinct", func(i int) string { return fmt.Sprintf("%05d", 10000+i) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := &Config{Site: Site{Group: "g", Property: "p", Gateway: "gw", Timezone: "UTC"}}
			for i := range 3000 {
				cfg.Rooms = append(cfg.Rooms, Rooms{Extensions: tc.ext(i), Class: "guest"})
			}
			ApplyDefaults(cfg)
			b.ReportAllocs()
			for b.Loop() {
				_ = Validate(cfg, nil)
			}
		})
	}
}
