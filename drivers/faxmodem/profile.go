package faxmodem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	faxmodemprofiles "switchboard/firmware-profiles/faxmodem"
)

// Profile is a modem family's knowledge: init strings, flow control,
// quirks and the probe rules that recognise it (firmware-profiles/faxmodem).
type Profile struct {
	ID          string   `yaml:"id"`
	Extends     string   `yaml:"extends"`
	Vendor      string   `yaml:"vendor"`
	Models      []string `yaml:"models"`
	Class       string   `yaml:"class"`
	Init        []string `yaml:"init"`
	Reset       string   `yaml:"reset"`
	ResetMethod string   `yaml:"reset_method"` // atz | close
	Flow        string   `yaml:"flow"`         // xonxoff | none
	Dial        string   `yaml:"dial"`
	Answer      string   `yaml:"answer"`
	Modems      []string `yaml:"modems"` // v17 v29 v27
	MaxRate     int      `yaml:"max_rate"`
	ECM         bool     `yaml:"ecm"`
	Quirks      Quirks   `yaml:"quirks"`
	Match       Match    `yaml:"match"`
	Examples    []struct {
		Probe  ProbeResult `yaml:"probe"`
		Expect string      `yaml:"expect"`
	} `yaml:"examples"`

	matchRE map[string]*regexp.Regexp
}

// Quirks are a modem's deviations (docs/faxmodem.md).
type Quirks struct {
	ConnectDelay   time.Duration `yaml:"connect_delay"`
	NoDLEDoubling  bool          `yaml:"no_dle_doubling"`
	AdaptiveAnswer bool          `yaml:"adaptive_answer"`
	Switching      string        `yaml:"switching"`
	ShortTrain     bool          `yaml:"short_train"`
}

// Match holds regular expressions over the probe answers; every one given
// must match. The profile matching the most of them wins.
type Match struct {
	FClass string `yaml:"fclass"`
	FMI    string `yaml:"fmi"`
	FMM    string `yaml:"fmm"`
	ATI3   string `yaml:"ati3"`
}

// ProbeResult is what a modem said to the probe commands.
type ProbeResult struct {
	FClass string `yaml:"fclass"` // AT+FCLASS=?
	FMI    string `yaml:"fmi"`    // AT+FMI?
	FMM    string `yaml:"fmm"`    // AT+FMM?
	ATI3   string `yaml:"ati3"`   // ATI3
}

// DefaultProfile is generic-class1 (embedded; never fails).
func DefaultProfile() *Profile {
	p, err := LoadProfile("generic-class1", "")
	if err != nil {
		panic(err) // embedded data is tested
	}
	return p
}

func readProfileFile(id, dir string) ([]byte, error) {
	if dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, id+".yaml")); err == nil {
			return b, nil
		}
	}
	return fs.ReadFile(faxmodemprofiles.FS, id+".yaml")
}

// LoadProfile loads profile id, from dir first when dir is not empty, then
// from the embedded set, following extends (single inheritance: the child's
// keys replace the parent's).
func LoadProfile(id, dir string) (*Profile, error) {
	var chain [][]byte
	seen := map[string]bool{}
	for cur := id; cur != ""; {
		if seen[cur] {
			return nil, fmt.Errorf("faxmodem profile %s: extends loop at %s", id, cur)
		}
		seen[cur] = true
		b, err := readProfileFile(cur, dir)
		if err != nil {
			return nil, fmt.Errorf("no faxmodem profile %q: %w", cur, err)
		}
		var head struct {
			Extends string `yaml:"extends"`
		}
		if err := yaml.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("faxmodem profile %s: %w", cur, err)
		}
		chain = append(chain, b)
		cur = head.Extends
	}
	p := &Profile{}
	for i := len(chain) - 1; i >= 0; i-- {
		p.Examples = nil
		dec := yaml.NewDecoder(bytes.NewReader(chain[i]))
		dec.KnownFields(true)
		if err := dec.Decode(p); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("faxmodem profile %s: %w", id, err)
		}
	}
	if p.ID != id {
		return nil, fmt.Errorf("faxmodem profile file %s.yaml says id %q", id, p.ID)
	}
	return p, p.validate()
}

func (p *Profile) validate() error {
	var errs []string
	switch p.ResetMethod {
	case "atz", "close":
	default:
		errs = append(errs, fmt.Sprintf("reset_method %q (atz|close)", p.ResetMethod))
	}
	switch p.Flow {
	case "xonxoff", "none":
	default:
		errs = append(errs, fmt.Sprintf("flow %q (xonxoff|none)", p.Flow))
	}
	for _, m := range p.Modems {
		if m != "v17" && m != "v29" && m != "v27" {
			errs = append(errs, fmt.Sprintf("modem %q (v17|v29|v27)", m))
		}
	}
	if p.Dial == "" || p.Answer == "" {
		errs = append(errs, "dial and answer are required")
	}
	p.matchRE = map[string]*regexp.Regexp{}
	for k, s := range map[string]string{"fclass": p.Match.FClass, "fmi": p.Match.FMI, "fmm": p.Match.FMM, "ati3": p.Match.ATI3} {
		if s == "" {
			continue
		}
		re, err := regexp.Compile("(?i)" + s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("match.%s: %v", k, err))
			continue
		}
		p.matchRE[k] = re
	}
	if len(errs) > 0 {
		return fmt.Errorf("faxmodem profile %s: %s", p.ID, strings.Join(errs, "; "))
	}
	return nil
}

// families is the set of modem families the profile allows.
func (p *Profile) families() family {
	var f family
	for _, m := range p.Modems {
		switch m {
		case "v17":
			f |= famV17
		case "v29":
			f |= famV29
		case "v27":
			f |= famV27
		}
	}
	return f
}

// score is how many match rules the probe satisfies (-1: one failed).
func (p *Profile) score(r ProbeResult) int {
	n := 0
	for k, re := range p.matchRE {
		v := map[string]string{"fclass": r.FClass, "fmi": r.FMI, "fmm": r.FMM, "ati3": r.ATI3}[k]
		if !re.MatchString(v) {
			return -1
		}
		n++
	}
	return n
}

// ProfileIDs lists the embedded profiles.
func ProfileIDs() []string {
	ents, _ := fs.ReadDir(faxmodemprofiles.FS, ".")
	var ids []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			ids = append(ids, n)
		}
	}
	sort.Strings(ids)
	return ids
}

// MatchProfile picks the embedded profile that best fits a probe: the one
// with most satisfied match rules; ties go to the deeper (more specific)
// profile, then by id.
func MatchProfile(r ProbeResult) string {
	best, bestScore := "generic-class1", 0
	for _, id := range ProfileIDs() {
		p, err := LoadProfile(id, "")
		if err != nil {
			continue
		}
		if s := p.score(r); s > bestScore || (s == bestScore && s > 0 && depth(id) > depth(best)) {
			best, bestScore = id, s
		}
	}
	return best
}

func depth(id string) int {
	n := 0
	for cur := id; cur != "" && n < 10; n++ {
		b, err := readProfileFile(cur, "")
		if err != nil {
			break
		}
		var head struct {
			Extends string `yaml:"extends"`
		}
		_ = yaml.Unmarshal(b, &head)
		cur = head.Extends
	}
	return n
}

// Probe asks a modem who it is (AT+FCLASS=?, AT+FMI?, AT+FMM?, ATI3) and
// returns the answers and the id of the best matching profile. A modem that
// does not answer AT is an error (retryable: ErrTimeout).
func Probe(ctx context.Context, rw io.ReadWriteCloser) (ProbeResult, string, error) {
	m := NewModem(rw, DefaultProfile(), nil)
	return probe(ctx, m)
}

func probe(ctx context.Context, m *Modem) (ProbeResult, string, error) {
	var r ProbeResult
	// a modem may be mid-command or echoing: two tries of plain AT
	var err error
	for range 2 {
		if _, err = m.Expect(ctx, "AT", "OK", 2*time.Second); err == nil {
			break
		}
	}
	if err != nil {
		return r, "", err
	}
	ask := func(cmd string) string {
		info, final, err := m.Command(ctx, cmd, 3*time.Second)
		if err != nil || final != "OK" {
			return ""
		}
		for i, l := range info {
			info[i] = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(l, "+FCLASS:"), "+FMI:"))
		}
		return strings.Join(info, " ")
	}
	r.FClass = ask("AT+FCLASS=?")
	r.FMI = ask("AT+FMI?")
	r.FMM = ask("AT+FMM?")
	r.ATI3 = ask("ATI3")
	if !regexp.MustCompile(`(^|[,( ])1(\.0)?([,) ]|$)`).MatchString(r.FClass) {
		return r, "", fmt.Errorf("faxmodem: modem has no Class 1 (+FCLASS=? says %q)", r.FClass)
	}
	return r, MatchProfile(r), nil
}
