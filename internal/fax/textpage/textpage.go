// Package textpage sets plain UTF-8 text (Chinese included) on A4 fax pages
// with a TrueType font from the system. Guests' faxes are often Chinese,
// which the built-in bitmap fonts of Go cannot draw; the gateway uses Droid
// Sans Fallback (Debian fonts-droid-fallback: a plain TTF with the CJK
// ideographs). WenQuanYi's TTC collections are refused by
// golang.org/x/image/font/sfnt ("invalid table offset").
package textpage

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"switchboard/internal/fax/codec"
)

// DefaultFont is the font file of Debian's fonts-droid-fallback.
const DefaultFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

// Options of a page layout.
type Options struct {
	FontFile string  // "" = DefaultFont
	SizePt   float64 // 0 = 11 pt
	Fine     bool    // 196 lines per inch (else 98)
}

// T.4 §2.2: 1728 pels on the A4 line at 8.04 pels/mm (204 per inch); A4
// is 297 mm tall: 2339 lines at 7.7 lines/mm (fine), 1169 at 3.85.
const (
	dpiX       = 204
	rowsFine   = 2339
	rowsNormal = 1169
	marginPels = 120
)

// Render sets text on as many pages as it needs.
func Render(text string, o Options) ([]*codec.Bitmap, error) {
	path := o.FontFile
	if path == "" {
		path = DefaultFont
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w (install Debian fonts-droid-fallback)", path, err)
	}
	f, err := parseFont(data)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", path, err)
	}
	size := o.SizePt
	if size == 0 {
		size = 11
	}
	// Drawn square at 204 dpi, then the rows are resampled to the page's
	// vertical resolution.
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpiX, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	rows, yres := rowsNormal, 98.0
	if o.Fine {
		rows, yres = rowsFine, 196.0
	}
	width := codec.WidthA4 - 2*marginPels
	lines := wrap(text, face, width)
	m := face.Metrics()
	lineH := (m.Height + m.Height/4).Ceil()
	// Page height in square (204 dpi) pixels.
	squareRows := int(float64(rows-2*marginPels*int(yres)/dpiX) * dpiX / yres)
	perPage := squareRows / lineH
	if perPage < 1 {
		return nil, errors.New("font too large for a page")
	}
	var pages []*codec.Bitmap
	for start := 0; start == 0 || start < len(lines); start += perPage {
		src := image.NewGray(image.Rect(0, 0, width, perPage*lineH))
		draw.Draw(src, src.Bounds(), image.White, image.Point{}, draw.Src)
		d := font.Drawer{Dst: src, Src: image.Black, Face: face}
		for i := 0; i < perPage && start+i < len(lines); i++ {
			d.Dot = fixed.P(0, i*lineH+m.Ascent.Ceil())
			d.DrawString(lines[start+i])
		}
		b := codec.NewBitmap(codec.WidthA4, rows)
		top := int(float64(marginPels) * yres / dpiX)
		outRows := int(float64(src.Bounds().Dy()) * yres / dpiX)
		for y := 0; y < outRows && top+y < rows; y++ {
			sy := int(float64(y) * dpiX / yres)
			for x := 0; x < width; x++ {
				if src.GrayAt(x, sy).Y < 128 {
					b.Set(marginPels+x, top+y, true)
				}
			}
		}
		pages = append(pages, b)
		if len(lines) == 0 {
			break
		}
	}
	return pages, nil
}

func parseFont(data []byte) (*opentype.Font, error) {
	if c, err := opentype.ParseCollection(data); err == nil && c.NumFonts() > 0 {
		return c.Font(0)
	}
	return opentype.Parse(data)
}

// wrap breaks text into lines that fit width: at spaces for Latin words,
// between any two characters for CJK (which has no spaces).
func wrap(text string, face font.Face, width int) []string {
	limit := fixed.I(width)
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		para = strings.ReplaceAll(para, "\t", "    ")
		para = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, para)
		for para != "" {
			if font.MeasureString(face, para) <= limit {
				out = append(out, para)
				break
			}
			// the longest prefix that fits
			cut, lastSpace := 0, -1
			for i, r := range para {
				n := i + utf8.RuneLen(r)
				if font.MeasureString(face, para[:n]) > limit {
					break
				}
				cut = n
				if r == ' ' {
					lastSpace = n
				}
			}
			if cut == 0 {
				_, n := utf8.DecodeRuneInString(para)
				cut = n
			}
			if lastSpace > 0 && cut < len(para) && isLatin(para[cut:]) {
				cut = lastSpace
			}
			out = append(out, strings.TrimRight(para[:cut], " "))
			para = strings.TrimLeft(para[cut:], " ")
		}
		if para == "" && (len(out) == 0 || out[len(out)-1] != "") {
			// keep paragraph breaks
		}
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return out
}

func isLatin(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r < 0x2E80 // below the CJK blocks: a word may go on
}
