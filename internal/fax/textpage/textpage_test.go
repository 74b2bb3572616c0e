package textpage

import (
	"os"
	"testing"

	"switchboard/internal/fax/codec"
)

func needFont(t *testing.T) {
	if _, err := os.Stat(DefaultFont); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: `make test` installs fonts-droid-fallback", DefaultFont)
		}
		t.Skip("no CJK font (Debian fonts-droid-fallback)")
	}
}

func ink(b *codec.Bitmap) int {
	n := 0
	for y := 0; y < b.Height; y++ {
		for x := 0; x < b.Width; x++ {
			if b.Black(x, y) {
				n++
			}
		}
	}
	return n
}

func TestChineseAndLatinTextOnA4(t *testing.T) {
	needFont(t)
	text := "尊敬的张先生：\n您预订的房间已确认，入住日期为十一月二十七日。\nDear Mr Zhang, your room is confirmed.\n"
	for _, fine := range []bool{true, false} {
		pages, err := Render(text, Options{Fine: fine})
		if err != nil {
			t.Fatal(err)
		}
		want := rowsNormal
		if fine {
			want = rowsFine
		}
		if len(pages) != 1 || pages[0].Width != codec.WidthA4 || pages[0].Height != want {
			t.Fatalf("fine=%v: %d pages %dx%d", fine, len(pages), pages[0].Width, pages[0].Height)
		}
		if n := ink(pages[0]); n < 2000 {
			t.Errorf("fine=%v: only %d black pels: the characters were not drawn", fine, n)
		}
		// The page codes and decodes as MH.
		enc, err := codec.Encode(pages[0], codec.Params{Scheme: codec.MH, Width: codec.WidthA4})
		if err != nil {
			t.Fatal(err)
		}
		back, err := codec.Decode(enc, codec.Params{Scheme: codec.MH, Width: codec.WidthA4})
		if err != nil || !back.Equal(pages[0]) {
			t.Fatalf("MH round trip: %v", err)
		}
	}
}

func TestLongTextFlowsOntoPages(t *testing.T) {
	needFont(t)
	var text string
	for i := 0; i < 200; i++ {
		text += "第一行文字，用于测试分页与换行，这一行很长很长很长很长很长很长很长很长很长很长很长很长。\n"
	}
	pages, err := Render(text, Options{Fine: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 4 {
		t.Fatalf("200 long lines on %d pages", len(pages))
	}
}

func TestMissingFontSaysWhatToInstall(t *testing.T) {
	_, err := Render("你好", Options{FontFile: "/nonexistent/font.ttc"})
	if err == nil || !contains(err.Error(), "fonts-droid-fallback") {
		t.Fatalf("err = %v", err)
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s == sub || len(sub) == 0 || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
