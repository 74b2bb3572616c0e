package pbx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/profile"
)

// ExampleReceived is the reception time inline examples use unless they
// give their own `received`.
var ExampleReceived = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

// RunExample parses one inline example of p (site zone UTC) and checks the
// record against its expectations. The error lists every mismatch.
func RunExample(p *profile.PBX, ex profile.Example) error {
	recv := ExampleReceived
	if ex.Received != "" {
		t, err := time.Parse(time.RFC3339, ex.Received)
		if err != nil {
			t, err = time.Parse(time.DateOnly, ex.Received)
			if err != nil {
				return fmt.Errorf("received %q: not RFC 3339 or YYYY-MM-DD", ex.Received)
			}
			t = t.Add(24*time.Hour - time.Second)
		}
		recv = t
	}
	rec, err := NewParser(p, time.UTC).Parse([]byte(ex.Raw), recv)
	if want, ok := ex.Expect["error"]; ok {
		if err == nil || errors.Is(err, ErrSkip) {
			return fmt.Errorf("want error containing %q, got %v", want, errOrRecord(err))
		}
		if !strings.Contains(err.Error(), want) {
			return fmt.Errorf("want error containing %q, got %q", want, err.Error())
		}
		return nil
	}
	if want, ok := ex.Expect["skip"]; ok && want == "true" {
		if !errors.Is(err, ErrSkip) {
			return fmt.Errorf("want the frame skipped, got %v", errOrRecord(err))
		}
		return nil
	}
	if err != nil {
		return err
	}
	var bad []string
	for k, want := range ex.Expect {
		got, ok := recordField(&rec, k)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: unknown field", k))
			continue
		}
		if k == "start" || k == "end" {
			wt, err := time.Parse(time.RFC3339, want)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: expectation %q is not RFC 3339", k, want))
				continue
			}
			gt := rec.Start
			if k == "end" {
				gt = rec.End
			}
			if !gt.Equal(wt) {
				bad = append(bad, fmt.Sprintf("%s = %s, want %s", k, got, want))
			}
			continue
		}
		if got != want {
			bad = append(bad, fmt.Sprintf("%s = %q, want %q", k, got, want))
		}
	}
	if len(bad) > 0 {
		sortStrings(bad)
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

func errOrRecord(err error) string {
	if err == nil {
		return "a record"
	}
	return err.Error()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// recordField renders a CallRecord field (by JSON name) as an example compares it.
func recordField(r *events.CallRecord, k string) (string, bool) {
	switch k {
	case "profile":
		return r.Profile, true
	case "kind":
		return r.Kind, true
	case "direction":
		return string(r.Direction), true
	case "start":
		return r.Start.Format(time.RFC3339), true
	case "end":
		return r.End.Format(time.RFC3339), true
	case "duration_s":
		return strconv.Itoa(r.DurationS), true
	case "ring_s":
		if r.RingS == nil {
			return "", true
		}
		return strconv.Itoa(*r.RingS), true
	case "answered":
		if r.Answered == nil {
			return "", true
		}
		return strconv.FormatBool(*r.Answered), true
	case "extension":
		return r.Extension, true
	case "trunk":
		return r.Trunk, true
	case "dialed":
		return r.Dialed, true
	case "caller":
		return r.Caller, true
	case "account":
		return r.Account, true
	case "call_id":
		return r.CallID, true
	case "continuation":
		return strconv.FormatBool(r.Continuation), true
	case "pbx_cost":
		return r.PBXCost, true
	case "pbx_class":
		return r.PBXClass, true
	case "condition":
		return r.Condition, true
	}
	return "", false
}
