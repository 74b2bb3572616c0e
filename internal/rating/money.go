package rating

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Money is an amount of one currency in micro-units of its major unit
// (1 CNY = 1_000_000). For a two-decimal currency that is 1/10000 of a minor
// unit: fine enough that per-unit prices after a band factor (0.07 × 60% =
// 0.042) and percentages of them (0.042 × 15% = 0.0063) stay exact, while an
// int64 still holds ±9.2 × 10¹² major units. Amounts are never floats; they
// are rounded to the currency's minor units only where a tariff or plan says
// so, with the rounding mode it states.
type Money int64

// Scale is the number of Money units in one major currency unit.
const Scale = 1_000_000

// scaleDigits is log10(Scale): the finest number of decimals ParseMoney takes.
const scaleDigits = 6

// ParseMoney reads a decimal amount: "12", "0.07", "-1.5", "+3.000001".
// More than six decimals is an error, not a silent rounding.
func ParseMoney(s string) (Money, error) {
	v, err := parseDecimal(s, scaleDigits)
	if err != nil {
		return 0, fmt.Errorf("money %q: %w", s, err)
	}
	return Money(v), nil
}

// MustMoney is ParseMoney for constants in tests and tables; it panics on a
// malformed literal.
func MustMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return m
}

// String renders the amount in decimal with at least two decimals and no
// more than needed: 12.34 → "12.34", 1 → "1.00", 0.042 → "0.042".
func (m Money) String() string {
	var buf [32]byte
	return string(m.appendTo(buf[:0]))
}

func (m Money) appendTo(b []byte) []byte {
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = uint64(-(m + 1)) + 1 // safe for math.MinInt64
	}
	b = strconv.AppendUint(b, u/Scale, 10)
	frac := u % Scale
	var digits [scaleDigits]byte
	for i := scaleDigits - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := scaleDigits
	for n > 2 && digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}

// MarshalText renders the decimal string, so JSON and YAML carry "12.34".
func (m Money) MarshalText() ([]byte, error) { return m.appendTo(nil), nil }

// UnmarshalText parses a decimal string.
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// UnmarshalYAML reads the scalar's text so that 0.07 is never a float64.
func (m *Money) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: money must be a decimal number", n.Line)
	}
	return m.UnmarshalText([]byte(n.Value))
}

// Minor returns the amount in minor units (minor = number of decimals of the
// currency, 2 for CNY), rounded with mode.
func (m Money) Minor(minor int, mode RoundingMode) int64 {
	q := pow10(scaleDigits - minor)
	return int64(divRound(int64(m), q, mode))
}

// Round rounds the amount to the given number of decimals (0..6) with mode.
func (m Money) Round(decimals int, mode RoundingMode) Money {
	if decimals >= scaleDigits {
		return m
	}
	q := pow10(scaleDigits - decimals)
	return Money(divRound(int64(m), q, mode) * q)
}

// Mul multiplies by a whole count (units of a step group). It saturates
// instead of wrapping on overflow.
func (m Money) Mul(n int64) Money {
	hi, lo := bits.Mul64(uint64(abs64(int64(m))), uint64(abs64(n)))
	if hi != 0 || lo > math.MaxInt64 {
		if (m < 0) != (n < 0) {
			return math.MinInt64 + 1
		}
		return math.MaxInt64
	}
	if (m < 0) != (n < 0) {
		return -Money(lo)
	}
	return Money(lo)
}

// Pct returns m × p at the internal scale, rounded half-up (away from zero);
// the internal scale is fine enough that this is exact for tariff figures.
func (m Money) Pct(p Percent) Money {
	return Money(mulDiv(int64(m), int64(p), int64(Hundred), HalfUp))
}

// RoundingMode says how an amount is brought to minor units.
type RoundingMode uint8

// Rounding modes. Up and Down are away from and toward zero; rated amounts
// are never negative, so they act as ceiling and floor.
const (
	HalfUp   RoundingMode = iota // half away from zero: 0.125 → 0.13
	HalfEven                     // banker's rounding: 0.125 → 0.12, 0.135 → 0.14
	Up                           // any fraction rounds up: 0.121 → 0.13
	Down                         // any fraction is dropped: 0.129 → 0.12
)

var roundingNames = [...]string{HalfUp: "half-up", HalfEven: "half-even", Up: "up", Down: "down"}

func (r RoundingMode) String() string {
	if int(r) < len(roundingNames) {
		return roundingNames[r]
	}
	return "RoundingMode(" + strconv.Itoa(int(r)) + ")"
}

// ParseRoundingMode reads "up", "down", "half-up" or "half-even".
func ParseRoundingMode(s string) (RoundingMode, error) {
	for i, n := range roundingNames {
		if s == n {
			return RoundingMode(i), nil
		}
	}
	return 0, fmt.Errorf("rounding %q: want up, down, half-up or half-even", s)
}

// Percent is a ratio in units of 1/10000 of a percent, so 100% = 1_000_000
// and 6.5% = 65_000. Band factors, markups,
// service charges and taxes are Percents.
type Percent int64

// Hundred is 100%.
const Hundred Percent = 1_000_000

// ParsePercent reads "60%", "60", "6.5%" (at most four decimals).
func ParsePercent(s string) (Percent, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	v, err := parseDecimal(t, 4)
	if err != nil {
		return 0, fmt.Errorf("percent %q: %w", s, err)
	}
	return Percent(v), nil
}

// String renders "60%", "6.5%".
func (p Percent) String() string {
	s := Money(p * 100).String() // reuse the decimal printer: 60% → 60.00
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	return s + "%"
}

// UnmarshalYAML reads the scalar's text ("60%", 60, 6.5).
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: percent must be a number", n.Line)
	}
	v, err := ParsePercent(n.Value)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalText renders "60%".
func (p Percent) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// parseDecimal reads an optionally signed decimal with at most maxFrac
// decimals and returns it scaled by 10^maxFrac.
func parseDecimal(s string, maxFrac int) (int64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" && fracPart == "" || hasDot && fracPart == "" && intPart == "" {
		return 0, errors.New("no digits")
	}
	if len(fracPart) > maxFrac {
		return 0, fmt.Errorf("more than %d decimals", maxFrac)
	}
	if len(intPart) > 12 {
		return 0, errors.New("too large")
	}
	var v int64
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
		v = v*10 + int64(c-'0')
	}
	for i := 0; i < maxFrac; i++ {
		v *= 10
		if i < len(fracPart) {
			c := fracPart[i]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("not a decimal number")
			}
			v += int64(c - '0')
		}
	}
	if neg {
		v = -v
	}
	return v, nil
}

func pow10(n int) int64 {
	v := int64(1)
	for ; n > 0; n-- {
		v *= 10
	}
	return v
}

func abs64(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

// divRound returns a/q rounded with mode (q > 0).
func divRound(a, q int64, mode RoundingMode) int64 {
	return mulDiv(a, 1, q, mode)
}

// mulDiv returns a×num/den rounded with mode, using a 128-bit intermediate so
// it cannot overflow before the division; den must be > 0. A quotient beyond
// int64 saturates.
func mulDiv(a, num, den int64, mode RoundingMode) int64 {
	neg := (a < 0) != (num < 0)
	hi, lo := bits.Mul64(abs64(a), abs64(num))
	d := uint64(den)
	if hi >= d {
		if neg {
			return math.MinInt64 + 1
		}
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, d)
	if r != 0 {
		switch mode {
		case Up:
			q++
		case HalfUp:
			if r >= d-r {
				q++
			}
		case HalfEven:
			if r > d-r || r == d-r && q&1 == 1 {
				q++
			}
		}
	}
	if q > math.MaxInt64 {
		q = math.MaxInt64
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}
