// Package schemas holds the JSON Schemas (draft 2020-12) of every event and
// command the gateway publishes or accepts: the back office's contract. The
// files are the source of truth; this package embeds them so tests (and the
// gateway) can validate a message against the schema of its type.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.json defs/*.json
var files embed.FS

var (
	once     sync.Once
	compiled map[string]*jsonschema.Schema // by $id
	loadErr  error
)

func load() {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var ids []string
	loadErr = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not an object", path)
		}
		id, _ := m["$id"].(string)
		if id == "" {
			return fmt.Errorf("%s: no $id", path)
		}
		if err := c.AddResource(id, doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ids = append(ids, id)
		return nil
	})
	if loadErr != nil {
		return
	}
	compiled = map[string]*jsonschema.Schema{}
	for _, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			loadErr = fmt.Errorf("schema %s: %w", id, err)
			return
		}
		compiled[id] = s
	}
}

// Types lists the event and command types that have a schema.
func Types() []string {
	once.Do(load)
	var out []string
	for id := range compiled {
		if t, ok := strings.CutPrefix(id, "urn:switchboard:schema:"); ok && strings.HasPrefix(t, "hotel.") {
			out = append(out, strings.TrimSuffix(t, ":v1"))
		}
	}
	return out
}

// Validate checks a published payload: the envelope, then its data against
// the schema its dataschema names.
func Validate(payload []byte) error {
	once.Do(load)
	if loadErr != nil {
		return loadErr
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := compiled["urn:switchboard:schema:envelope"].Validate(doc); err != nil {
		return fmt.Errorf("envelope: %w", err)
	}
	var env struct {
		Type       string          `json:"type"`
		DataSchema string          `json:"dataschema"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return err
	}
	s := compiled[env.DataSchema]
	if s == nil {
		return fmt.Errorf("type %s: no schema %s in schemas/", env.Type, env.DataSchema)
	}
	if want := "urn:switchboard:schema:" + env.Type + ":v1"; env.DataSchema != want {
		return fmt.Errorf("type %s: dataschema %s, want %s", env.Type, env.DataSchema, want)
	}
	data, err := jsonschema.UnmarshalJSON(bytes.NewReader(env.Data))
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := s.Validate(data); err != nil {
		return fmt.Errorf("%s data: %w", env.Type, err)
	}
	return nil
}

// TooLong names the first string of a command's data that is longer than
// its schema's maxLength ("" when none is): every string of every command
// is bounded, and the gateway refuses an oversized one before it stores
// anything. Only the lengths are checked here; each command's handler
// checks the meaning of its fields and says what is wrong in its terms.
// A type without a schema has nothing to check.
func TooLong(commandType string, data []byte) (field string, max int, err error) {
	once.Do(load)
	if loadErr != nil {
		return "", 0, loadErr
	}
	s := compiled["urn:switchboard:schema:"+commandType+":v1"]
	if s == nil || len(data) == 0 {
		return "", 0, nil
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", 0, nil // the handler says what is wrong with it
	}
	field, max = tooLong(s, doc, "data")
	return field, max, nil
}

func tooLong(s *jsonschema.Schema, v any, at string) (string, int) {
	if s == nil {
		return "", 0
	}
	if s.Ref != nil {
		return tooLong(s.Ref, v, at)
	}
	switch x := v.(type) {
	case string:
		if s.MaxLength != nil && utf8.RuneCountInString(x) > *s.MaxLength {
			return at, *s.MaxLength
		}
	case map[string]any:
		for k, pv := range x {
			if ps := s.Properties[k]; ps != nil {
				if f, n := tooLong(ps, pv, at+"."+k); f != "" {
					return f, n
				}
			}
		}
	case []any:
		if s.Items2020 != nil {
			for i, iv := range x {
				if f, n := tooLong(s.Items2020, iv, fmt.Sprintf("%s[%d]", at, i)); f != "" {
					return f, n
				}
			}
		}
	}
	return "", 0
}
