package main

import (
	"errors"
	"io/fs"
	"log/slog"

	"switchboard/internal/pdf"
)

// pdfFontPaths are the Chinese TrueType fonts (TrueType outlines, one font
// a file: what internal/pdf embeds) that Debian packages install, tried in
// order for the console's report PDFs: fonts-droid-fallback (the font of
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

// consolePDFFont is the first of paths that loads; nil (the PDFs in
// English) when none does. A font that is there but cannot be used is
// logged; one that is not there is not.
func consolePDFFont(paths []string, log *slog.Logger) *pdf.TrueType {
	for _, p := range paths {
		f, err := pdf.LoadTrueType(p)
		if err == nil {
			log.Info("console: report PDFs in Chinese", "font", p)
			return f
		}
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("console: font not usable for report PDFs", "font", p, "err", err)
		}
	}
	log.Info("console: report PDFs in English: no Chinese TrueType font found", "looked_for", paths)
	return nil
}
