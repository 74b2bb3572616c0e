package codec

// TestChart draws a deterministic test page: margins, a frame, ruled
// lines, text-like blocks, a diagonal, a checkerboard and a solid bar, so
// that every coding mode (pass, vertical, horizontal, long make-up runs)
// is exercised. Tests and the fax test-page command use it.
func TestChart(width, height int) *Bitmap {
	b := NewBitmap(width, height)
	m := min(width, height) / 20
	// frame
	b.FillRect(m, m, width-m, m+3)
	b.FillRect(m, height-m-3, width-m, height-m)
	b.FillRect(m, m, m+3, height-m)
	b.FillRect(width-m-3, m, width-m, height-m)
	// "text": rows of glyph-sized blocks with pseudo-random widths
	seed := uint32(12345)
	next := func() uint32 { seed = seed*1664525 + 1013904223; return seed >> 8 }
	for y := 2 * m; y < height/2; y += 24 {
		x := 2 * m
		for x < width-2*m {
			gw := 6 + int(next()%14)
			if next()%7 == 0 {
				x += gw + 10 // word gap
				continue
			}
			// glyph: outline with a stroke through it
			b.FillRect(x, y, x+gw, y+2)
			b.FillRect(x, y+14, x+gw, y+16)
			b.FillRect(x, y, x+2, y+16)
			if next()%2 == 0 {
				b.FillRect(x+gw-2, y, x+gw, y+16)
			}
			b.FillRect(x+gw/2, y+int(next()%14), x+gw/2+2, y+16)
			x += gw + 3
		}
	}
	// diagonal line
	for y := height / 2; y < height-2*m; y++ {
		x := 2*m + (y-height/2)*(width-4*m)/(max(height/2-2*m, 1))
		b.FillRect(x, y, x+3, y+1)
	}
	// checkerboard
	cy := height/2 + 20
	for y := cy; y < min(cy+200, height-2*m); y++ {
		for x := width / 2; x < width-2*m; x++ {
			if (x/8+y/8)%2 == 0 {
				b.Set(x, y, true)
			}
		}
	}
	// solid bar spanning more than 1728 pels on wide pages
	b.FillRect(0, height-2*m, width, height-2*m+8)
	return b
}
