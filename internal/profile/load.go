package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	firmwareprofiles "switchboard/firmware-profiles"
)

// Registry holds compiled profiles by id.
type Registry struct {
	byID map[string]*PBX
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
	defaultErr  error
)

// Default returns the registry of the embedded profiles.
func Default() (*Registry, error) {
	defaultOnce.Do(func() { defaultReg, defaultErr = Load("") })
	return defaultReg, defaultErr
}

// Lookup finds an embedded profile by id.
func Lookup(id string) (*PBX, error) {
	r, err := Default()
	if err != nil {
		return nil, err
	}
	return r.Lookup(id)
}

// All lists the embedded profiles sorted by id.
func All() ([]*PBX, error) {
	r, err := Default()
	if err != nil {
		return nil, err
	}
	return r.All(), nil
}

// Lookup finds a profile by id.
func (r *Registry) Lookup(id string) (*PBX, error) {
	p, ok := r.byID[id]
	if !ok {
		ids := make([]string, 0, len(r.byID))
		for k := range r.byID {
			ids = append(ids, k)
		}
		sort.Strings(ids)
		return nil, fmt.Errorf("unknown pbx profile %q (known: %s)", id, strings.Join(ids, ", "))
	}
	return p, nil
}

// All lists the profiles sorted by id.
func (r *Registry) All() []*PBX {
	out := make([]*PBX, 0, len(r.byID))
	for _, p := range r.byID {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

type source struct {
	origin string
	data   []byte
}

// Load reads the embedded profiles, then the *.yaml files of overrideDir
// (when not empty): a file whose id matches an embedded profile replaces it.
// All problems of all files are reported together.
func Load(overrideDir string) (*Registry, error) {
	var srcs []source
	names, err := fs.Glob(firmwareprofiles.FS, "pbx/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := fs.ReadFile(firmwareprofiles.FS, n)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, source{"embedded:" + n, b})
	}
	if overrideDir != "" {
		files, err := filepath.Glob(filepath.Join(overrideDir, "*.yaml"))
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(overrideDir); err != nil {
			return nil, fmt.Errorf("profile override directory: %w", err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			srcs = append(srcs, source{f, b})
		}
	}
	return loadSources(srcs...)
}

// LoadBytes compiles profiles from YAML documents given in memory (tests,
// `profiles test` of a file under development). Each document is named by its
// position.
func LoadBytes(docs ...[]byte) (*Registry, error) {
	srcs := make([]source, len(docs))
	for i, d := range docs {
		srcs[i] = source{fmt.Sprintf("doc[%d]", i), d}
	}
	return loadSources(srcs...)
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

func pbxSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		b, err := fs.ReadFile(firmwareprofiles.FS, "schema/pbx.json")
		if err != nil {
			schemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			schemaErr = fmt.Errorf("schema/pbx.json: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("pbx.json", doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile("pbx.json")
	})
	return schema, schemaErr
}

func loadSources(srcs ...source) (*Registry, error) {
	sch, err := pbxSchema()
	if err != nil {
		return nil, err
	}
	var errs []error
	raw := map[string]map[string]any{}
	origin := map[string]string{}
	for _, s := range srcs {
		var m map[string]any
		if err := yaml.Unmarshal(s.data, &m); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.origin, err))
			continue
		}
		inst, err := toJSONValue(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.origin, err))
			continue
		}
		if err := sch.Validate(inst); err != nil {
			errs = append(errs, fmt.Errorf("%s: schema: %v", s.origin, err))
			continue
		}
		id, _ := m["id"].(string)
		raw[id] = m
		origin[id] = s.origin
	}
	reg := &Registry{byID: map[string]*PBX{}}
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		merged, err := resolve(id, raw, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", origin[id], err))
			continue
		}
		var d Doc
		b, _ := yaml.Marshal(merged)
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&d); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", origin[id], err))
			continue
		}
		p, err := Compile(&d)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", origin[id], err))
			continue
		}
		p.Origin = origin[id]
		reg.byID[id] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return reg, nil
}

// resolve merges a profile over its `extends` chain: maps merge key by key,
// anything else (lists included) is replaced by the child's value. Examples
// and the id are never inherited.
func resolve(id string, raw map[string]map[string]any, seen []string) (map[string]any, error) {
	for _, s := range seen {
		if s == id {
			return nil, fmt.Errorf("extends cycle: %s", strings.Join(append(seen, id), " -> "))
		}
	}
	m, ok := raw[id]
	if !ok {
		return nil, fmt.Errorf("extends unknown profile %q", id)
	}
	parentID, _ := m["extends"].(string)
	if parentID == "" {
		return m, nil
	}
	parent, err := resolve(parentID, raw, append(seen, id))
	if err != nil {
		return nil, err
	}
	base := map[string]any{}
	for k, v := range parent {
		if k == "examples" || k == "id" {
			continue
		}
		base[k] = v
	}
	return merge(base, m), nil
}

func merge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if om, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = merge(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// toJSONValue turns a YAML value into what the JSON Schema validator expects.
func toJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// Base returns the file name part of an origin, for listings.
func Base(origin string) string { return path.Base(strings.TrimPrefix(origin, "embedded:")) }
