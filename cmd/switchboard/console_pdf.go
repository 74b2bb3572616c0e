package main

import (
	"errors"
	"io/fs"
	"log/slog"

	"switchboard/internal/pdf"
)

// pdfFontPaths are the Chinese TrueType fonts (TrueType outlines, one font
// a file: what internal/pdf embeds) that Debian packages install, tried in
// order for the PDFs the gateway writes (the console's reports, the fax
// desk's transmission reports, plain text to print): fonts-droid-fallback (the font of
// text faxes, internal/fax/textpage, which the Debian package
// recommends), then the Arphic Big5 fonts (fonts-arphic-bsmi00lp,
// fonts-arphic-bkai00mp).
func pdfFontPaths() []string {
	return []string{
		"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
		"/usr/share/fonts/truetype/arphic-bsmi00lp/bsmi00lp.ttf",
		"/usr/share/fonts/truetype/arphic-bkai00mp/bkai00mp.ttf",
	}
}

// loadPDFFont is the first of paths that loads; nil when none does (the
// console's report PDFs in English, Chinese on transmission reports as
// '?', Chinese text refused for printing). A font that is there but
// cannot be used is logged; one that is not there is not. It is loaded
// once and shared: the console and the fax desk only read it.
func loadPDFFont(paths []string, log *slog.Logger) *pdf.TrueType {
	for _, p := range paths {
		f, err := pdf.LoadTrueType(p)
		if err == nil {
			log.Info("PDFs draw Chinese (report PDFs in Chinese, transmission reports, plain text to print)", "font", p)
			return f
		}
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("font not usable for PDFs", "font", p, "err", err)
		}
	}
	log.Info("no Chinese TrueType font found: report PDFs in English, Chinese printed as '?' on transmission reports, "+
		"Chinese plain text refused for printing (install fonts-droid-fallback)", "looked_for", paths)
	return nil
}

// textFont is the Chinese font for printing doc as plain text: none is
// looked for when doc is ASCII, which Courier shows.
func textFont(doc []byte, log *slog.Logger) *pdf.TrueType {
	for _, c := range doc {
		if c >= 0x80 {
			return loadPDFFont(pdfFontPaths(), log)
		}
	}
	return nil
}
