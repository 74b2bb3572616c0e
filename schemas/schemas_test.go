package schemas

import (
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestEverySchemaCompiles(t *testing.T) {
	if len(Types()) == 0 || loadErr != nil {
		t.Fatalf("schemas: %v (types %v)", loadErr, Types())
	}
}

func TestValidate(t *testing.T) {
	good := `{"specversion":"1.0","id":"x","source":"/hotel/a/b/edge/gw1","type":"hotel.command.failed","time":"2026-11-27T10:00:00+08:00",
	"datacontenttype":"application/json","dataschema":"urn:switchboard:schema:hotel.command.failed:v1","seq":3,"seqepoch":"e","idemkey":"k",
	"data":{"command_id":"c","command":"ping","device":"gw1","status":"failed","reason":"replyto: required","field":"replyto"}}`
	if err := Validate([]byte(good)); err != nil {
		t.Fatalf("good payload refused: %v", err)
	}
	// A console command's event names the operator and the shift.
	withShift := strings.Replace(good, `"seq":3,`, `"seq":3,"principal":"0002","principalrole":"operator","shift":7,`, 1)
	if err := Validate([]byte(withShift)); err != nil {
		t.Fatalf("payload with a shift refused: %v", err)
	}
	for name, tc := range map[string]struct{ from, to, want string }{
		"missing reason":          {`"reason":"replyto: required",`, ``, "reason"},
		"status mismatch":         {`"status":"failed"`, `"status":"completed"`, "status"},
		"unknown field":           {`"field":"replyto"`, `"field":"replyto","guest":"Zhang"`, "guest"},
		"bad time":                {`2026-11-27T10:00:00+08:00`, `yesterday`, "time"},
		"seq without key":         {`"idemkey":"k",`, ``, "idemkey"},
		"unknown type":            {`hotel.command.failed:v1`, `hotel.nothing.here:v1`, "no schema"},
		"shift without principal": {`"seq":3,`, `"seq":3,"shift":7,`, "principal"},
		"shift zero":              {`"seq":3,`, `"seq":3,"principal":"0002","principalrole":"operator","shift":0,`, "shift"},
	} {
		bad := strings.Replace(good, tc.from, tc.to, 1)
		err := Validate([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want mention of %q", name, err, tc.want)
		}
	}
}

// TestEveryCommandStringBounded: every string of every command has a
// maxLength (TooLong refuses an oversized one before anything is stored).
func TestEveryCommandStringBounded(t *testing.T) {
	for _, typ := range Types() {
		if !strings.Contains(typ, ".cmd.") {
			continue
		}
		var walk func(s *jsonschema.Schema, at string)
		walk = func(s *jsonschema.Schema, at string) {
			if s == nil {
				return
			}
			if s.Types != nil && slices.Contains(s.Types.ToStrings(), "string") && s.MaxLength == nil {
				t.Errorf("%s: %s is a string without maxLength", typ, at)
			}
			for k, p := range s.Properties {
				walk(p, at+"."+k)
			}
			walk(s.Items2020, at+"[]")
			walk(s.Ref, at)
		}
		walk(compiled["urn:switchboard:schema:"+typ+":v1"], "data")
	}
	field, max, err := TooLong("hotel.pbx.cmd.guest.checkin", []byte(`{"room":"1203","name":"`+strings.Repeat("x", 101)+`"}`))
	if err != nil || field != "data.name" || max != 100 {
		t.Errorf("TooLong = %q %d %v", field, max, err)
	}
	if field, _, _ := TooLong("hotel.pbx.cmd.guest.checkin", []byte(`{"room":"1203","name":"王小明"}`)); field != "" {
		t.Errorf("a short name refused: %s", field)
	}
}
