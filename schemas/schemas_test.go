package schemas

import (
	"strings"
	"testing"
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
	for name, tc := range map[string]struct{ from, to, want string }{
		"missing reason":  {`"reason":"replyto: required",`, ``, "reason"},
		"status mismatch": {`"status":"failed"`, `"status":"completed"`, "status"},
		"unknown field":   {`"field":"replyto"`, `"field":"replyto","guest":"Zhang"`, "guest"},
		"bad time":        {`2026-11-27T10:00:00+08:00`, `yesterday`, "time"},
		"seq without key": {`"idemkey":"k",`, ``, "idemkey"},
		"unknown type":    {`hotel.command.failed:v1`, `hotel.nothing.here:v1`, "no schema"},
	} {
		bad := strings.Replace(good, tc.from, tc.to, 1)
		err := Validate([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want mention of %q", name, err, tc.want)
		}
	}
}
