package codec

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// Standard Group 3 line lengths (T.4 §2.2): A4, B4 and A3 at 8 pels/mm.
const (
	WidthA4 = 1728
	WidthB4 = 2048
	WidthA3 = 2432
)

// Bitmap is a packed bilevel image: 1 bit per pel, rows padded to whole
// bytes, the leftmost pel in the most significant bit, 1 = black.
type Bitmap struct {
	Width, Height int
	Stride        int // bytes per row
	Bits          []byte
}

// NewBitmap returns an all-white bitmap.
func NewBitmap(width, height int) *Bitmap {
	stride := (width + 7) / 8
	return &Bitmap{Width: width, Height: height, Stride: stride, Bits: make([]byte, stride*height)}
}

// Row returns row y's bytes.
func (b *Bitmap) Row(y int) []byte { return b.Bits[y*b.Stride : y*b.Stride+(b.Width+7)/8] }

// Black reports whether pel (x, y) is black.
func (b *Bitmap) Black(x, y int) bool {
	return b.Bits[y*b.Stride+x>>3]&(0x80>>uint(x&7)) != 0
}

// Set paints pel (x, y) black or white.
func (b *Bitmap) Set(x, y int, black bool) {
	i, m := y*b.Stride+x>>3, byte(0x80>>uint(x&7))
	if black {
		b.Bits[i] |= m
	} else {
		b.Bits[i] &^= m
	}
}

// FillRect paints the rectangle [x0,x1) x [y0,y1) black.
func (b *Bitmap) FillRect(x0, y0, x1, y1 int) {
	for y := max(y0, 0); y < min(y1, b.Height); y++ {
		for x := max(x0, 0); x < min(x1, b.Width); x++ {
			b.Set(x, y, true)
		}
	}
}

// Equal reports whether two bitmaps have the same size and pels (padding ignored).
func (b *Bitmap) Equal(o *Bitmap) bool {
	return b.FirstDiff(o) == nil
}

// FirstDiff returns the first differing pel, or nil when equal.
func (b *Bitmap) FirstDiff(o *Bitmap) *image.Point {
	if b.Width != o.Width || b.Height != o.Height {
		return &image.Point{-1, -1}
	}
	for y := 0; y < b.Height; y++ {
		r1, r2 := b.Row(y), o.Row(y)
		for i := range r1 {
			if d := (r1[i] ^ r2[i]) & lastMask(b.Width, i); d != 0 {
				for x := i * 8; x < b.Width; x++ {
					if b.Black(x, y) != o.Black(x, y) {
						return &image.Point{x, y}
					}
				}
			}
		}
	}
	return nil
}

func lastMask(width, i int) byte {
	if (i+1)*8 <= width {
		return 0xff
	}
	return 0xff << uint((i+1)*8-width)
}

func (b *Bitmap) valid() error {
	if b == nil || b.Width <= 0 || b.Height < 0 || b.Stride < (b.Width+7)/8 || len(b.Bits) < b.Stride*b.Height {
		return errors.New("codec: malformed bitmap")
	}
	return nil
}

// ColorModel, Bounds and At make a Bitmap an image.Image (black on white).
func (b *Bitmap) ColorModel() color.Model { return color.GrayModel }

// Bounds returns the image rectangle.
func (b *Bitmap) Bounds() image.Rectangle { return image.Rect(0, 0, b.Width, b.Height) }

// At returns black or white.
func (b *Bitmap) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= b.Width || y >= b.Height || !b.Black(x, y) {
		return color.Gray{Y: 0xff}
	}
	return color.Gray{}
}

// Gray returns the bitmap as an 8-bit gray image (0 black, 255 white).
func (b *Bitmap) Gray() *image.Gray {
	g := image.NewGray(b.Bounds())
	for y := 0; y < b.Height; y++ {
		row := g.Pix[y*g.Stride:]
		for x := 0; x < b.Width; x++ {
			if b.Black(x, y) {
				row[x] = 0
			} else {
				row[x] = 0xff
			}
		}
	}
	return g
}

// Filter picks how FromImage resamples.
type Filter int

const (
	Nearest Filter = iota // nearest neighbour: fast, keeps hard edges
	Box                   // box average then threshold: better for downscaled photos and thin text
)

// ScaleOptions control FromImage.
type ScaleOptions struct {
	// Width is the output width in pels (0 = 1728, T.4 §2.2 A4 line).
	Width int
	// YScale is the vertical resolution relative to the horizontal one:
	// 0.5 for standard (98 lpi against 204 dpi, 3.85 l/mm), ~0.96 for fine
	// (196 lpi). 0 means 1 (square pels).
	YScale float64
	// Threshold: luminance (0..255) below which a pel is black; 0 = 128.
	Threshold uint8
	Filter    Filter
}

// FromImage converts any image to a fax bitmap: it scales to opt.Width pels
// keeping the aspect ratio (corrected by YScale) and thresholds luminance.
func FromImage(src image.Image, opt ScaleOptions) (*Bitmap, error) {
	sb := src.Bounds()
	if sb.Dx() <= 0 || sb.Dy() <= 0 {
		return nil, errors.New("codec: empty image")
	}
	w := opt.Width
	if w == 0 {
		w = WidthA4
	}
	ys := opt.YScale
	if ys == 0 {
		ys = 1
	}
	th := int(opt.Threshold)
	if th == 0 {
		th = 128
	}
	h := int(float64(sb.Dy())*float64(w)/float64(sb.Dx())*ys + 0.5)
	if h < 1 {
		h = 1
	}
	if w > 1<<15 || h > 1<<16 {
		return nil, fmt.Errorf("codec: scaled image %dx%d too large", w, h)
	}
	lum := luminance(src)
	sw, sh := sb.Dx(), sb.Dy()
	out := NewBitmap(w, h)
	for y := 0; y < h; y++ {
		sy0 := y * sh / h
		sy1 := max((y+1)*sh/h, sy0+1)
		for x := 0; x < w; x++ {
			sx0 := x * sw / w
			var v int
			if opt.Filter == Box {
				sx1 := max((x+1)*sw/w, sx0+1)
				sum, n := 0, 0
				for yy := sy0; yy < sy1; yy++ {
					row := lum[yy*sw:]
					for xx := sx0; xx < sx1; xx++ {
						sum += int(row[xx])
						n++
					}
				}
				v = sum / n
			} else {
				v = int(lum[((sy0+sy1)/2)*sw+min(sx0+(sw/w)/2, sw-1)])
			}
			if v < th {
				out.Set(x, y, true)
			}
		}
	}
	return out, nil
}

// luminance flattens src to 8-bit luma in row-major order.
func luminance(src image.Image) []uint8 {
	sb := src.Bounds()
	out := make([]uint8, sb.Dx()*sb.Dy())
	if g, ok := src.(*image.Gray); ok {
		for y := 0; y < sb.Dy(); y++ {
			o := g.PixOffset(sb.Min.X, sb.Min.Y+y)
			copy(out[y*sb.Dx():], g.Pix[o:o+sb.Dx()])
		}
		return out
	}
	i := 0
	for y := sb.Min.Y; y < sb.Max.Y; y++ {
		for x := sb.Min.X; x < sb.Max.X; x++ {
			out[i] = color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y
			i++
		}
	}
	return out
}
