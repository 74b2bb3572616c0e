package hotelink_test

import (
	"bytes"
	"strings"
	"testing"

	"switchboard/drivers/hotelink"
)

func TestLRCSpecExample(t *testing.T) {
	// FIAS spec: <STX>12345<ETX> has LRC '2'.
	if got := hotelink.LRC([]byte("12345")); got != '2' {
		t.Fatalf("LRC(12345) = %q, want '2'", got)
	}
	if got := hotelink.AppendFrame(nil, []byte("12345"), true); !bytes.Equal(got, []byte("\x0212345\x032")) {
		t.Fatalf("frame = %q", got)
	}
}

func TestRecordRoundTripSpecExamples(t *testing.T) {
	// Every record of the spec examples parses and prints back unchanged.
	for _, s := range []string{
		"LS|DA001015|TI123045|",
		"LD|DA001015|TI123046|V#1.01|IFPB|",
		"LR|RIGI|FLRNG#GNGLGVGGGSSF|",
		"LC|RP16,ROOM|A060;10|A16.2031|A27.43.23|A37.02|PH1|",
		"GI|RN103|GNMr. Rogers|",
		"RE|RN2781|MLY|G#12345|",
		"WA|RN2781|DA001031|TI070000|ASBY|",
		"WC|RN2781|DA|TI|",
		"PS|RN2781|TA1050|DA000915|TI123545|P#1729|DD004989920920|PCI|CTInternational|PTC|",
		"PA|RN2781|ASOK|P#1729|DA000915|TI123545|",
	} {
		r, err := hotelink.ParseRecord([]byte(s))
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if r.String() != s {
			t.Errorf("round trip %s -> %s", s, r)
		}
	}
}

func TestParseRecordRejects(t *testing.T) {
	for _, s := range []string{"", "L", "ls|DA1|", "LSDA|", "LS|D|", "LS|DA\x01|"} {
		if _, err := hotelink.ParseRecord([]byte(s)); err == nil {
			t.Errorf("ParseRecord(%q) accepted", s)
		}
	}
	// Missing closing bar is tolerated.
	if r, err := hotelink.ParseRecord([]byte("LA|DA001015|TI1")); err != nil || r.Fields[1].Value != "1" {
		t.Errorf("no closing bar: %v %v", r, err)
	}
}

func TestEncodeCleansReservedCharacters(t *testing.T) {
	r := hotelink.Record{Type: "GI"}
	r.Add("GN", "A|B\x03C")
	if got := r.String(); got != "GI|GNA/B C|" {
		t.Errorf("got %q", got)
	}
}

func TestFramer(t *testing.T) {
	for _, tc := range []struct {
		name string
		lrc  bool
		in   []string // pushed one after the other
		want string   // events as kind:data
	}{
		{"split reads", false, []string{"\x02LS|DA0", "01015|\x03\x02LA|\x03"}, "record:LS|DA001015| record:LA|"},
		{"controls", false, []string{"\x06\x15\x05"}, "ACK: NAK: ENQ:"},
		{"garbage", false, []string{"xx\x02LA|\x03yy\x06"}, "garbage: record:LA| garbage: ACK:"},
		{"lrc ok", true, []string{"\x0212345\x032"}, "record:12345"},
		{"lrc bad", true, []string{"\x0212345\x033"}, "bad-LRC:12345"},
		{"lrc byte is STX", true, []string{string(hotelink.AppendFrame(nil, []byte("\x01"), true))}, "record:\x01"},
		{"cut by STX", false, []string{"\x02AB\x02LA|\x03"}, "garbage: record:LA|"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := hotelink.NewFramer(tc.lrc)
			var got []string
			for _, s := range tc.in {
				f.Push([]byte(s))
			}
			f.Flush()
			for ev, ok := f.Next(); ok; ev, ok = f.Next() {
				got = append(got, ev.Kind.String()+":"+string(ev.Data))
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("events %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}

func TestFramerFlushKeepsCutRecord(t *testing.T) {
	f := hotelink.NewFramer(false)
	f.Push([]byte("\x02PS|RN1"))
	f.Flush()
	ev, ok := f.Next()
	if !ok || ev.Kind != hotelink.EvGarbage || string(ev.Raw) != "\x02PS|RN1" {
		t.Fatalf("got %v %+v", ok, ev)
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"LS|DA001015|TI123045|", "PS|RN2781|TA1050|P#1729|", "LR|RIGI|FLRNG#|", "", "XX", "AB|C"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := hotelink.ParseRecord(b)
		if err != nil {
			return
		}
		// What parses prints to something that parses to the same record.
		r2, err := hotelink.ParseRecord([]byte(r.String()))
		if err != nil || r2.String() != r.String() {
			t.Fatalf("%q -> %q -> %v %q", b, r.String(), err, r2.String())
		}
	})
}

func FuzzFramer(f *testing.F) {
	f.Add([]byte("\x02LS|DA001015|\x03\x06junk\x02PS|"), false)
	f.Add([]byte("\x0212345\x032\x15\x05"), true)
	f.Fuzz(func(t *testing.T, b []byte, lrc bool) {
		fr := hotelink.NewFramer(lrc)
		// Arbitrary split points must not change the events.
		mid := len(b) / 3
		fr.Push(b[:mid])
		fr.Push(b[mid:])
		fr.Flush()
		var raw []byte
		for ev, ok := fr.Next(); ok; ev, ok = fr.Next() {
			raw = append(raw, ev.Raw...)
			if ev.Kind == hotelink.EvRecord {
				if !bytes.Equal(hotelink.AppendFrame(nil, ev.Data, lrc), ev.Raw) {
					t.Fatalf("record %q has raw %q", ev.Data, ev.Raw)
				}
			}
		}
		// Every input byte is accounted for, in order: nothing is lost.
		if !bytes.Equal(raw, b) {
			t.Fatalf("events carry %q, input %q", raw, b)
		}
	})
}
