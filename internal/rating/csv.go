package rating

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadDeckCSV reads a destination deck as CSV: prefix,name,class,rate_id,
// one destination a line. A first line starting with "prefix" is a header;
// lines starting with '#' are comments. Fields are checked when the deck is
// compiled into a tariff (destinations_csv), with file:line paths.
func ReadDeckCSV(r io.Reader) ([]Destination, error) {
	ds, _, err := readDeckCSV(r, "deck.csv")
	return ds, err
}

func readDeckCSV(r io.Reader, name string) ([]Destination, []int, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var (
		out   []Destination
		lines []int
		errs  Errors
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs.addf(fmt.Sprintf("%s:%d", name, pe.Line), "%v", pe.Err)
				if len(errs) > 100 {
					break
				}
				continue
			}
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(out) == 0 && len(lines) == 0 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "prefix") {
			lines = lines[:0]
			continue // header
		}
		if len(rec) != 4 {
			errs.addf(fmt.Sprintf("%s:%d", name, line), "%d fields: want prefix,name,class,rate_id", len(rec))
			continue
		}
		out = append(out, Destination{
			Prefix: strings.TrimSpace(rec[0]),
			Name:   strings.TrimSpace(rec[1]),
			Class:  Class(strings.TrimSpace(rec[2])),
			Rate:   strings.TrimSpace(rec[3]),
		})
		lines = append(lines, line)
	}
	return out, lines, errs.err()
}
