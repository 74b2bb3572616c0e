package folio

import "strings"

// MaskStored masks a dialed number kept in the store, and the raw text
// that shows it (a journal frame, a stored record's raw line), as
// MaskRecord masks a published record: the number keeps its trunk access
// code and b.Mask digits (country or area code and class: what reports
// group by), the rest becomes '*'. Where the raw text does not show the
// number as read, every run of digits longer than the kept ones is masked
// (MaskDigits) rather than the text withheld: the journal keeps the line's
// shape. internal/retention calls it for rows older than
// store.mask_dialed_after_days. Masking twice changes nothing.
func (b *Biller) MaskStored(dialed, raw string) (string, string) {
	masked := b.MaskDialed(dialed)
	if masked == dialed || raw == "" {
		return masked, raw
	}
	access := len(b.accessCode(dialed))
	if number := dialed[access:]; strings.Contains(raw, number) {
		return masked, strings.ReplaceAll(raw, number, masked[access:])
	}
	return masked, string(b.MaskDigits([]byte(raw)))
}
