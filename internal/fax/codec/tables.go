package codec

// code is one variable-length code word: its bits right-aligned in v, n bits long.
type code struct {
	v uint16
	n uint8
}

func c(s string) code {
	var v uint16
	for _, ch := range s {
		v <<= 1
		if ch == '1' {
			v |= 1
		}
	}
	return code{v, uint8(len(s))}
}

// T.4 §4.1.1, Table 1/T.4: terminating codes for white runs 0..63.
var whiteTerm = [64]code{
	c("00110101"), c("000111"), c("0111"), c("1000"), c("1011"), c("1100"), c("1110"), c("1111"),
	c("10011"), c("10100"), c("00111"), c("01000"), c("001000"), c("000011"), c("110100"), c("110101"),
	c("101010"), c("101011"), c("0100111"), c("0001100"), c("0001000"), c("0010111"), c("0000011"), c("0000100"),
	c("0101000"), c("0101011"), c("0010011"), c("0100100"), c("0011000"), c("00000010"), c("00000011"), c("00011010"),
	c("00011011"), c("00010010"), c("00010011"), c("00010100"), c("00010101"), c("00010110"), c("00010111"), c("00101000"),
	c("00101001"), c("00101010"), c("00101011"), c("00101100"), c("00101101"), c("00000100"), c("00000101"), c("00001010"),
	c("00001011"), c("01010010"), c("01010011"), c("01010100"), c("01010101"), c("00100100"), c("00100101"), c("01011000"),
	c("01011001"), c("01011010"), c("01011011"), c("01001010"), c("01001011"), c("00110010"), c("00110011"), c("00110100"),
}

// T.4 §4.1.1, Table 1/T.4: terminating codes for black runs 0..63.
var blackTerm = [64]code{
	c("0000110111"), c("010"), c("11"), c("10"), c("011"), c("0011"), c("0010"), c("00011"),
	c("000101"), c("000100"), c("0000100"), c("0000101"), c("0000111"), c("00000100"), c("00000111"), c("000011000"),
	c("0000010111"), c("0000011000"), c("0000001000"), c("00001100111"), c("00001101000"), c("00001101100"), c("00000110111"), c("00000101000"),
	c("00000010111"), c("00000011000"), c("000011001010"), c("000011001011"), c("000011001100"), c("000011001101"), c("000001101000"), c("000001101001"),
	c("000001101010"), c("000001101011"), c("000011010010"), c("000011010011"), c("000011010100"), c("000011010101"), c("000011010110"), c("000011010111"),
	c("000001101100"), c("000001101101"), c("000011011010"), c("000011011011"), c("000001010100"), c("000001010101"), c("000001010110"), c("000001010111"),
	c("000001100100"), c("000001100101"), c("000001010010"), c("000001010011"), c("000000100100"), c("000000110111"), c("000000111000"), c("000000100111"),
	c("000000101000"), c("000001011000"), c("000001011001"), c("000000101011"), c("000000101100"), c("000001011010"), c("000001100110"), c("000001100111"),
}

// T.4 §4.1.1, Table 2/T.4: make-up codes for white runs 64..1728 (index = run/64 - 1).
var whiteMakeup = [27]code{
	c("11011"), c("10010"), c("010111"), c("0110111"), c("00110110"), c("00110111"), c("01100100"), c("01100101"),
	c("01101000"), c("01100111"), c("011001100"), c("011001101"), c("011010010"), c("011010011"), c("011010100"), c("011010101"),
	c("011010110"), c("011010111"), c("011011000"), c("011011001"), c("011011010"), c("011011011"), c("010011000"), c("010011001"),
	c("010011010"), c("011000"), c("010011011"),
}

// T.4 §4.1.1, Table 2/T.4: make-up codes for black runs 64..1728 (index = run/64 - 1).
var blackMakeup = [27]code{
	c("0000001111"), c("000011001000"), c("000011001001"), c("000001011011"), c("000000110011"), c("000000110100"), c("000000110101"), c("0000001101100"),
	c("0000001101101"), c("0000001001010"), c("0000001001011"), c("0000001001100"), c("0000001001101"), c("0000001110010"), c("0000001110011"), c("0000001110100"),
	c("0000001110101"), c("0000001110110"), c("0000001110111"), c("0000001010010"), c("0000001010011"), c("0000001010100"), c("0000001010101"), c("0000001011010"),
	c("0000001011011"), c("0000001100100"), c("0000001100101"),
}

// T.4 §4.1.1, Table 3/T.4: extended make-up codes 1792..2560, shared by
// both colours (index = run/64 - 28). They serve the 2048 and 2432 pel
// line lengths of T.4 §2.2.
var extMakeup = [13]code{
	c("00000001000"), c("00000001100"), c("00000001101"), c("000000010010"), c("000000010011"), c("000000010100"), c("000000010101"),
	c("000000010110"), c("000000010111"), c("000000011100"), c("000000011101"), c("000000011110"), c("000000011111"),
}

// T.4 §4.1.2: EOL is eleven 0s followed by a 1.
var codeEOL = code{1, 12}

// T.4 §4.2.1.3, Table 4/T.4 (also T.6 Table 1): two-dimensional mode codes.
var (
	codePass  = c("0001")
	codeHoriz = c("001")
	// codeVert[d+3] is the vertical mode code for a1 = b1 + d, d in -3..3.
	codeVert = [7]code{c("0000010"), c("000010"), c("010"), c("1"), c("011"), c("000011"), c("0000011")}
)

// Decoding tables: indexed by the next tableBits bits of the stream.
const tableBits = 13

type entry struct {
	run int16 // run length; entInvalid when no code matches
	n   uint8 // code length in bits
}

const entInvalid = -1

var whiteTable, blackTable [1 << tableBits]entry

// Mode table, indexed by the next modeBits bits.
const modeBits = 7

const (
	modeInvalid = iota
	modePass
	modeHoriz
	modeV // modeV+d+3 for vertical offset d
)

type modeEntry struct {
	mode uint8
	n    uint8
}

var modeTable [1 << modeBits]modeEntry

func fill(t *[1 << tableBits]entry, cd code, run int) {
	shift := tableBits - uint(cd.n)
	base := int(cd.v) << shift
	for i := 0; i < 1<<shift; i++ {
		t[base+i] = entry{int16(run), cd.n}
	}
}

func init() {
	for i := range whiteTable {
		whiteTable[i].run = entInvalid
		blackTable[i].run = entInvalid
	}
	for r := 0; r < 64; r++ {
		fill(&whiteTable, whiteTerm[r], r)
		fill(&blackTable, blackTerm[r], r)
	}
	for i := range whiteMakeup {
		fill(&whiteTable, whiteMakeup[i], (i+1)*64)
		fill(&blackTable, blackMakeup[i], (i+1)*64)
	}
	for i := range extMakeup {
		fill(&whiteTable, extMakeup[i], (i+28)*64)
		fill(&blackTable, extMakeup[i], (i+28)*64)
	}
	put := func(cd code, m uint8) {
		shift := modeBits - uint(cd.n)
		base := int(cd.v) << shift
		for i := 0; i < 1<<shift; i++ {
			modeTable[base+i] = modeEntry{m, cd.n}
		}
	}
	put(codePass, modePass)
	put(codeHoriz, modeHoriz)
	for d := range codeVert {
		put(codeVert[d], uint8(modeV+d))
	}
}
