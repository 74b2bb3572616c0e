package console

// Charts are drawn on the server as inline SVG in the page's templates: no
// script, no image of text (labels and values are real <text>, which the
// page's html/template escapes), a <title> and a <desc> listing every bar
// (written by the template, in the page's language) for screen readers, and plain presentation attributes (the console's
// Content-Security-Policy refuses inline style).

// barValue is one bar before layout: N sets the length, Shown is written.
// Key, when set, is the message key of a fixed label ("received"),
// shown in the page's language instead of Label; Sub is a cell of the
// chart's column written after Label (a service, a rule), translated as
// that column's cells are (view.Cell).
type barValue struct {
	Label string
	Key   string
	Sub   string
	N     int64
	Shown string
}

// bar is a laid-out horizontal bar.
type bar struct {
	Label, Key, Sub, Shown string
	Y, TextY               int // the bar's top, the baseline of its texts
	W                      int // the bar's length
	ValueX                 int // where the value is written, after the bar
}

// barChart is a horizontal bar chart, one row per value.
type barChart struct {
	ID       string // the element id; its title is ID-title
	TitleKey string // the chart's title, a message key
	// Col names the report column whose cells the labels are, so they are
	// translated as that column's cells are (view.Cell); "" shows them as
	// they are.
	Col      string
	Bars     []bar
	Width    int
	Height   int
	LabelW   int // the label column; bars start here
	LabelEnd int // labels are right-aligned to here
	BarH     int
	Empty    bool
}

// Layout of a chart, in SVG user units (the viewBox scales it to the page).
const (
	chartLabelW = 110
	chartBarMax = 380
	chartRow    = 22
	chartBarH   = 16
	chartValueW = 110
)

// newBarChart lays out vals: the longest bar is chartBarMax long, a bar
// of a non-zero value at least one unit so it is seen.
func newBarChart(id, titleKey string, vals []barValue) barChart {
	c := barChart{ID: id, TitleKey: titleKey, LabelW: chartLabelW, LabelEnd: chartLabelW - 6, BarH: chartBarH, Width: chartLabelW + chartBarMax + chartValueW,
		Height: max(1, len(vals))*chartRow + 4}
	var top int64
	for _, v := range vals {
		top = max(top, v.N)
	}
	for i, v := range vals {
		w := 0
		if top > 0 && v.N > 0 {
			w = max(1, int(v.N*chartBarMax/top))
		}
		y := i*chartRow + 2
		c.Bars = append(c.Bars, bar{Label: v.Label, Key: v.Key, Sub: v.Sub, Shown: v.Shown, Y: y, TextY: y + chartBarH - 3, W: w, ValueX: chartLabelW + w + 6})
	}
	c.Empty = top == 0
	return c
}

// LastRow is the number of the last row shown of a page that starts at
// row from (1-based) and shows n rows.
func (v view) LastRow(from, n int) int { return from + n - 1 }

// BarLabel is a bar's label in the page's language: its message, or its
// text and its Sub translated as a cell of the chart's column.
func (v view) BarLabel(c barChart, b bar) string {
	if b.Key != "" {
		return v.T(b.Key)
	}
	s := b.Label
	if b.Sub != "" {
		if s != "" {
			s += " · "
		}
		s += v.Cell(c.Col, b.Sub)
	}
	return s
}
