package faxmodem

import (
	"bytes"
	"math/rand"
	"reflect"
	"testing"
)

func TestPPRBitmap(t *testing.T) {
	// T.30 §5.3.6.2 PPR: 256 bits, frame n is bit n%8 of octet n/8.
	fif := encodePPR([]int{0, 7, 8, 200, 255})
	if len(fif) != 32 {
		t.Fatalf("PPR FIF of %d octets", len(fif))
	}
	want := make([]byte, 32)
	want[0], want[1], want[25], want[31] = 0x81, 0x01, 0x01, 0x80
	if !bytes.Equal(fif, want) {
		t.Errorf("PPR FIF % x, want % x", fif, want)
	}
	if got := decodePPR(fif, 0); !reflect.DeepEqual(got, []int{0, 7, 8, 200, 255}) {
		t.Errorf("decoded %v", got)
	}
	if got := decodePPR(fif, 100); !reflect.DeepEqual(got, []int{0, 7, 8}) {
		t.Errorf("decoded below 100: %v", got)
	}
	frames := map[int][]byte{0: nil, 2: nil, 3: nil}
	if got := missingFrames(frames, 6); !reflect.DeepEqual(got, []int{1, 4, 5}) {
		t.Errorf("missing %v", got)
	}
}

func TestECMBlocksAndPPS(t *testing.T) {
	data := make([]byte, 256*256+300)
	for i := range data {
		data[i] = byte(i * 7)
	}
	bl := ecmBlocks(data, 256)
	if len(bl) != 2 || len(bl[0]) != 256 || len(bl[1]) != 2 || len(bl[1][1]) != 44 {
		t.Fatalf("blocks: %d, %d frames, %d frames", len(bl), len(bl[0]), len(bl[len(bl)-1]))
	}
	var join []byte
	for _, b := range bl {
		for _, f := range b {
			join = append(join, f...)
		}
	}
	if !bytes.Equal(join, data) {
		t.Error("blocks do not join back into the page")
	}
	if n := len(ecmBlocks(data[:640], 64)[0]); n != 10 {
		t.Errorf("64-octet frames: %d", n)
	}
	f := fcdFrame(5, []byte{1, 2})
	if !bytes.Equal(f.Bytes(), []byte{0xff, 0x03, 0x06, 5, 1, 2}) {
		t.Errorf("FCD % x", f.Bytes())
	}
	// PPS-EOP (X = 1), page 3 (counted from 0: 2), block 1, 256 frames.
	if got := ppsFIF(byte(FcfEOP)|1, 2, 1, 256); !bytes.Equal(got, []byte{0x2f, 2, 1, 255}) {
		t.Errorf("PPS FIF % x", got)
	}
	if FcfFCD.Name() != "FCD" || FcfRCP.Name() != "RCP" || FcfPPS.Name() != "PPS" {
		t.Error("names")
	}
}

func TestSoftHDLCRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var frames []Frame
	for i := 0; i < 40; i++ {
		d := make([]byte, r.Intn(257))
		r.Read(d)
		if i%5 == 0 {
			for j := range d {
				d[j] = 0xff // worst case for zero insertion
			}
		}
		frames = append(frames, fcdFrame(i, d))
	}
	frames = append(frames, Frame{FCF: byte(FcfRCP), Final: true})
	stream := hdlcEncode(frames, 20)
	got, bad := hdlcDecode(stream)
	if bad != 0 || len(got) != len(frames) {
		t.Fatalf("%d frames, %d bad; want %d", len(got), bad, len(frames))
	}
	for i := range frames {
		if !reflect.DeepEqual(got[i].Bytes(), frames[i].Bytes()) {
			t.Fatalf("frame %d differs", i)
		}
	}
	// a flipped bit loses that frame (maybe its neighbour), not the rest
	stream[len(stream)/2] ^= 0x10
	got, _ = hdlcDecode(stream)
	if len(got) < len(frames)-2 || len(got) == len(frames) {
		t.Errorf("after a bit error: %d frames of %d", len(got), len(frames))
	}
}

// FuzzHDLCDecode: any received bit stream decodes without panicking, and
// the frames found survive a re-encoding.
func FuzzHDLCDecode(f *testing.F) {
	f.Add(hdlcEncode([]Frame{fcdFrame(0, []byte{0xff, 0x7e, 0x10}), {FCF: byte(FcfRCP), Final: true}}, 2))
	f.Add([]byte{0x7e, 0xff, 0x00, 0x7e})
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, _ := hdlcDecode(b)
		again, bad := hdlcDecode(hdlcEncode(fs, 1))
		if bad != 0 || len(again) != len(fs) {
			t.Fatalf("%d frames re-encoded give %d (%d bad)", len(fs), len(again), bad)
		}
	})
}
