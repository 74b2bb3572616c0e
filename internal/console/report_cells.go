package console

import "strings"

// Cells internal/report writes in English for the CLI ("STILL OPEN",
// "yes", "no: room vacant at the time of the call", a fax's status, the
// special-calls rules, the day close's reasons) are translated on the
// console's pages; the CLI's output stays as it is. Only the columns
// cellColumn names are translated, so that data that happens to read like
// one of these words (a guest named "Total") is shown as it was written.

// cellColumn says whether the cells of column col are translated.
func cellColumn(col string) bool {
	switch strings.ToLower(col) {
	case "posted", "closed", "status", "why", "rules", "class", "pages", "service",
		"footer": // the totals line's label
		return true
	}
	return false
}

// cellPrefix is a cell made of a fixed English start and a value.
type cellPrefix struct {
	en, key string
	inner   bool // the rest is a cell too
}

// cellPrefixes are the cells made of a fixed English start and a value:
// the start is translated (key rep.cell.<start>) and the rest kept or,
// for the reasons after "no: ", translated in turn.
func cellPrefixes() []cellPrefix {
	return []cellPrefix{
		{"no: ", "rep.cell.no", true},
		{"cannot rate: ", "rep.cell.cannot rate", false},
		{"CHECK OUT ", "rep.cell.check out", false},
		{"class ", "rep.cell.class", false},
		{"destination ", "rep.cell.destination", false},
		{"over ", "rep.cell.over", false},
	}
}

// Cell is a table cell of column col in the page's language.
func (v view) Cell(col, text string) string {
	if v.Lang == langEN || text == "" || !cellColumn(col) {
		return text
	}
	return cellText(v.Lang, text)
}

// cellText translates a cell: a list ("a, b; c": the day close's flags
// and reason) part by part, a known text whole, a prefixed one by its
// prefix; anything else is shown as it is.
func cellText(lang, s string) string {
	key := "rep.cell." + strings.ToLower(s)
	if t := translate(lang, key); t != key {
		return t
	}
	// A reason after "no: " or "cannot rate: " may hold commas of its own.
	if !strings.HasPrefix(s, "no: ") && !strings.HasPrefix(s, "cannot rate: ") {
		for _, sep := range []struct{ en, key string }{{"; ", "rep.cell.sep;"}, {", ", "rep.cell.sep,"}} {
			if parts := strings.Split(s, sep.en); len(parts) > 1 {
				for i, p := range parts {
					parts[i] = cellText(lang, p)
				}
				return strings.Join(parts, translate(lang, sep.key))
			}
		}
	}
	for _, p := range cellPrefixes() {
		if rest, ok := strings.CutPrefix(s, p.en); ok {
			if p.en == "over " && strings.HasSuffix(rest, " min") {
				return translate(lang, "rep.cell.over") + strings.TrimSuffix(rest, " min") + translate(lang, "rep.cell.min")
			}
			if p.inner {
				rest = cellText(lang, rest)
			}
			return translate(lang, p.key) + rest
		}
	}
	if n, ok := strings.CutSuffix(s, " (partial)"); ok {
		return n + translate(lang, "rep.cell.partial")
	}
	// A shift journal's service: domain and family ("charges/print").
	if a, b, ok := strings.Cut(s, "/"); ok && !strings.ContainsAny(s, " :") {
		return cellText(lang, a) + "/" + cellText(lang, b)
	}
	return s
}
