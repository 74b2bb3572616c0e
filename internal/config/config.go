package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"sort"
	"syscall"

	"gopkg.in/yaml.v3"
)

// Defaults and names every command shares.
const (
	// EnvVar names the config file when --config is not given.
	EnvVar = "SWITCHBOARD_CONFIG"
	// DefaultPath is the config file when neither --config nor EnvVar is given.
	DefaultPath = "./switchboard.yaml"

	DefaultStorePath     = "./var/switchboard.db"
	DefaultRetentionDays = 400
	DefaultListen        = "127.0.0.1:1883"
	DefaultLogLevel      = "info"
	DefaultLogFormat     = "text"
	DefaultDataBits      = 8
	DefaultParity        = "none"
	DefaultStopBits      = "1"
	DefaultFlow          = "none"
)

// Drivers is what validation knows of the drivers: the registry
// (switchboard/drivers) provides it. Validate reports what it says at
// devices[i].driver, .profile, .transport and .options.uri.
type Drivers interface {
	// Names lists the drivers, for the messages.
	Names() []string
	// Driver describes one; ok is false when there is no such driver.
	Driver(name string) (d DriverInfo, ok bool)
	// CheckProfile says whether a driver's device can use profile id
	// (nil) or why not; dir is the config's profiles.dir.
	CheckProfile(driver, id, dir string) error
}

// DriverInfo is what validation needs to know of one driver.
type DriverInfo struct {
	Profiled   bool     // a device must name a profile
	Transport  bool     // a device needs exactly one of serial, tcp, file
	URISchemes []string // without a transport: the schemes options.uri takes
}

// Resolve picks the config file: the --config flag value if given, else
// $SWITCHBOARD_CONFIG, else ./switchboard.yaml.
func Resolve(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv(EnvVar); v != "" {
		return v
	}
	return DefaultPath
}

// Load reads, decodes, completes with defaults and validates the config file
// at path, without checking that profiles exist. See LoadWith.
func Load(path string) (*Config, error) {
	return LoadWith(path, nil)
}

// LoadWith is Load that also asks check (when non-nil) about every device's
// profile. A file that cannot be read gives the *fs.PathError, wrapped; a
// file with problems gives a *ValidationError listing all of them.
func LoadWith(path string, check Drivers) (*Config, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseWith(data, path, check)
}

// MaxFileSize bounds a config file. A real one is a few KiB (the example
// with every key is under 4 KiB); a bigger one is the wrong file, and
// decoding and validating it must not cost the daemon its memory.
const MaxFileSize = 1 << 20

// The ways readConfig refuses a file before reading it whole; the error
// wraps one of them.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("over the 1 MiB limit of a config file")
)

// readConfig reads the config file at path: a regular file of at most
// MaxFileSize bytes. Anything else is refused before it is read:
// --config /dev/zero would otherwise read until memory runs out, and a FIFO
// would block forever. The file is opened non-blocking (so opening a FIFO
// that replaced the file after a check cannot hang) and checked through the
// open descriptor; the read goes through a LimitReader, so a file that
// grows while it is read cannot blow the limit either.
func readConfig(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, %w: give the path of the YAML config file (--config or $%s)", path, fileKind(fi.Mode()), ErrNotRegular, EnvVar)
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is %s bytes, %w: check that --config (or $%s) names the switchboard config", path, thousands(fi.Size()), ErrTooLarge, EnvVar)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s grew while it was read and is %w: check that --config (or $%s) names the switchboard config", path, ErrTooLarge, EnvVar)
	}
	return data, nil
}

// fileKind names what a file that is not regular is, for the message.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// Parse is Load for a config already in memory; path is only used in
// messages and recorded in Config.Path.
func Parse(data []byte, path string) (*Config, error) {
	return ParseWith(data, path, nil)
}

// ParseWith is Parse that also asks check (when non-nil) about every
// device's profile. Any error it returns is a *ValidationError whose
// problems carry YAML paths and lines, in the order they appear in the file.
func ParseWith(data []byte, path string, check Drivers) (*Config, error) {
	verr := &ValidationError{File: path}
	fail := func(p Problem) (*Config, error) {
		verr.Problems = []Problem{p}
		return nil, verr
	}

	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := safely(func() error { return dec.Decode(&doc) }); err != nil && !errors.Is(err, io.EOF) {
		return fail(syntaxProblem(data, err))
	}
	var next yaml.Node
	switch err := safely(func() error { return dec.Decode(&next) }); {
	case err == nil:
		return fail(Problem{Line: next.Line, Message: "the file holds a second YAML document (---); a config is one document"})
	case !errors.Is(err, io.EOF):
		return fail(syntaxProblem(data, err))
	}

	sh := &shape{lines: map[string]int{}}
	cfg := &Config{}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root := doc.Content[0]
		sh.walk(root, reflect.TypeOf(*cfg), "", 0)
		var err error
		if len(sh.problems) == 0 {
			// The walk found nothing, so the strict decoder must agree; if it
			// does not, say so rather than run on a half-decoded config.
			strict := yaml.NewDecoder(bytes.NewReader(data))
			strict.KnownFields(true)
			if err = safely(func() error { return strict.Decode(cfg) }); err != nil {
				sh.breaks("", 0, "%s", yamlMessage(err))
			}
		} else {
			// Already reported with paths; decode what can be decoded so the
			// rules below can still report the rest of the file.
			_ = safely(func() error { return root.Decode(cfg) })
		}
	}
	cfg.Path = path
	ApplyDefaults(cfg)

	problems := sh.problems
	for _, p := range validate(cfg, check) {
		if sh.isNoise(p.Path) {
			continue
		}
		p.Line = sh.lineOf(p.Path)
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		verr.Problems = problems
		return nil, verr
	}
	return cfg, nil
}

// safely runs a yaml.v3 call, turning a panic inside the library into an
// error: the config is user input and must never crash the daemon.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: decoder failed: %v", r)
		}
	}()
	return f()
}

// ApplyDefaults fills every unset field that has a default. Load and Parse
// call it; a Config built in Go should go through it before Validate.
func ApplyDefaults(cfg *Config) {
	if cfg.Store.Path == "" {
		cfg.Store.Path = DefaultStorePath
	}
	if cfg.Store.RetentionDays == 0 {
		cfg.Store.RetentionDays = DefaultRetentionDays
	}
	if cfg.MQTT.Embedded == nil && cfg.MQTT.External == nil {
		cfg.MQTT.Embedded = &EmbeddedBroker{}
	}
	if cfg.MQTT.Embedded != nil && cfg.MQTT.Embedded.Listen == "" {
		cfg.MQTT.Embedded.Listen = DefaultListen
	}
	if cfg.MQTT.Embedded != nil && cfg.MQTT.Embedded.Anonymous == "" {
		cfg.MQTT.Embedded.Anonymous = RoleReadonly
	}
	if cfg.Log.Level == "" {
		cfg.Log.Level = DefaultLogLevel
	}
	if cfg.Log.Format == "" {
		cfg.Log.Format = DefaultLogFormat
	}
	for i := range cfg.Devices {
		s := cfg.Devices[i].Transport.Serial
		if s == nil {
			continue
		}
		if s.DataBits == 0 {
			s.DataBits = DefaultDataBits
		}
		if s.Parity == "" {
			s.Parity = DefaultParity
		}
		if s.StopBits == "" {
			s.StopBits = DefaultStopBits
		}
		if s.Flow == "" {
			s.Flow = DefaultFlow
		}
	}
}
