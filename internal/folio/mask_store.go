package folio

import "strings"

// MaskStored masks a dialed number kept in the store, and the raw text
// that shows it (a journal frame, a stored record's raw line), as
// MaskRecord masks a published record: the number keeps its trunk access
// code and b.Mask digits (country or area code and class: what reports
// group by), the rest becomes '*'. In the raw text the number is found
// among the text's digits, so it is masked also where the PBX prints it
// with separators ("139 1234 5678"); where the text does not show it at
// all, every run of digits longer than the kept ones is masked
// (MaskDigits) rather than the text withheld: the journal keeps the line's
// shape. internal/retention calls it for rows older than
// store.mask_dialed_after_days. Masking twice changes nothing.
func (b *Biller) MaskStored(dialed, raw string) (string, string) {
	masked := b.MaskDialed(dialed)
	if masked == dialed || raw == "" {
		return masked, raw
	}
	access := len(b.accessCode(dialed))
	number := dialed[access:]
	keep := strings.IndexByte(masked[access:], '*')
	// The text's digits, and where each one is in the text.
	var digits []byte
	var at []int
	for i := 0; i < len(raw); i++ {
		if raw[i] >= '0' && raw[i] <= '9' {
			digits = append(digits, raw[i])
			at = append(at, i)
		}
	}
	out := []byte(raw)
	found := false
	for from := 0; ; {
		i := strings.Index(string(digits[from:]), number)
		if i < 0 {
			break
		}
		found = true
		for k := from + i + keep; k < from+i+len(number); k++ {
			out[at[k]] = '*'
		}
		from += i + len(number)
	}
	if !found {
		return masked, string(b.MaskDigits([]byte(raw)))
	}
	return masked, string(out)
}
