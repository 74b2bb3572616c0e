package pbx

import (
	"strings"
	"testing"
)

func TestJoinNoise(t *testing.T) {
	frame := func(s string) Frame { return Frame{Data: []byte(s)} }
	noise := "\x13\xfe\x01junk\x02"
	cases := []struct {
		name string
		in   []Frame
		want []string // junk kind ":" data, lines
	}{
		{"text stays", []Frame{frame("12/04/26 12:39PM 123 09 110"), frame("房間 1203 王先生")}, []string{":12/04/26 12:39PM 123 09 110", ":房間 1203 王先生"}},
		{"one noise line stays", []Frame{frame("a call"), frame(noise), frame("a call")}, []string{":a call", ":" + noise, ":a call"}},
		{"a run is one frame", []Frame{frame("a call"), frame(noise), frame(noise), frame(noise), frame("a call")},
			[]string{":a call", "noise:" + strings.Repeat(noise+"\n", 2) + noise + " (3 lines)", ":a call"}},
		{"overlong noise joins", []Frame{{Data: []byte(noise), Junk: "overlong"}, frame(noise)}, []string{"noise:" + noise + "\n" + noise + " (2 lines)"}},
		{"high bytes without controls are not noise", []Frame{frame("\xfe\xfe\xfe"), frame("\xfe\xfe")}, []string{":\xfe\xfe\xfe", ":\xfe\xfe"}},
	}
	for _, tc := range cases {
		var got []string
		for _, f := range joinNoise(tc.in) {
			s := f.Junk + ":" + string(f.Data)
			if f.Lines > 0 {
				s += " (" + string(rune('0'+f.Lines)) + " lines)"
			}
			got = append(got, s)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
