// Package config reads the ouraexport config file: the settings a recurring
// run (a nightly cron job, a systemd timer) would otherwise repeat on every
// command line.
//
// The file is $XDG_CONFIG_HOME/ouraexport/config.toml (os.UserConfigDir;
// config.json is read instead when only it exists), $OURAEXPORT_CONFIG, or
// the file a command's --config names. It is TOML (decoded by go-toml) or
// one JSON object of settings; an unknown key or a value of the wrong type
// is an error naming the key and its line, never ignored.
//
// A setting's value comes from, in order: the command-line flag, the
// setting's environment variable (Key.Env: OURAEXPORT_<KEY>, or the
// OURA_CLIENT_ID and OURA_CLIENT_SECRET names Oura's tools use), the file,
// the command's default. A file that holds a secret (client_secret) must be
// readable by its owner only.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// EnvPath is the environment variable that names the config file.
const EnvPath = "OURAEXPORT_CONFIG"

// setting is one value of the file.
type setting struct {
	key  Key
	vals []string // one string, or the items of a list
	line int
}

// Config is a loaded config file (possibly none) plus the environment.
// The zero Config, and a nil *Config, hold no file.
type Config struct {
	path     string
	settings map[string]setting
}

// DefaultPath returns where the config file lives by default:
// <user config dir>/ouraexport/config.toml.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config folder: %w", err)
	}
	return filepath.Join(dir, "ouraexport", "config.toml"), nil
}

// Load reads the config file at path. An empty path means
// $OURAEXPORT_CONFIG, else the default location, where a missing file is
// no error (the Config then holds only the environment). A path that was
// named explicitly must exist. Files ending in .json are read as JSON,
// anything else as TOML.
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		if p := os.Getenv(EnvPath); p != "" {
			path, explicit = p, true
		}
	}
	if !explicit {
		toml, err := DefaultPath()
		if err != nil {
			return &Config{}, nil // no config folder, no config file
		}
		json := strings.TrimSuffix(toml, ".toml") + ".json"
		_, terr := os.Stat(toml)
		_, jerr := os.Stat(json)
		switch {
		case terr == nil && jerr == nil:
			return nil, fmt.Errorf("config: both %s and %s exist: keep one", toml, json)
		case terr == nil:
			path = toml
		case jerr == nil:
			path = json
		default:
			return &Config{}, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist", path)
		}
		return nil, fmt.Errorf("read config file: %w", err)
	}
	c, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	if err := c.checkMode(); err != nil {
		return nil, err
	}
	return c, nil
}

// parse reads data, the contents of the file at path.
func parse(path string, data []byte) (*Config, error) {
	var (
		entries []entry
		err     error
	)
	if strings.EqualFold(filepath.Ext(path), ".json") {
		entries, err = parseJSON(data)
	} else {
		entries, err = decodeTOML(data)
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c := &Config{path: path, settings: map[string]setting{}}
	for _, e := range entries {
		s, err := check(e)
		if err != nil {
			where := path
			if e.line > 0 {
				where += ": line " + strconv.Itoa(e.line)
			}
			return nil, fmt.Errorf("config %s: %w", where, err)
		}
		c.settings[e.key] = s
	}
	return c, nil
}

// checkMode refuses a file that holds a secret and that others may read.
func (c *Config) checkMode() error {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return nil
	}
	var secret string
	for _, s := range c.settings {
		if s.key.Secret {
			secret = s.key.Name
		}
	}
	if secret == "" {
		return nil
	}
	info, err := os.Stat(c.path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("config %s holds %s but other users may read it (mode %04o): run chmod 600 %s",
			c.path, secret, perm, c.path)
	}
	return nil
}

// Path returns the file the config was read from, "" if none.
func (c *Config) Path() string {
	if c == nil {
		return ""
	}
	return c.path
}

// Lookup returns the value of setting name: its environment variable when
// set and not empty, else the file's value ("" and false when neither has
// one). A list's items are joined with commas.
func (c *Config) Lookup(name string) (string, bool) {
	vals, _, ok := c.lookup(name)
	if !ok {
		return "", false
	}
	return strings.Join(vals, ","), true
}

// Source says where setting name's value comes from: "$VAR" for the
// environment, "<file>: line N" for the file, "" when unset.
func (c *Config) Source(name string) string {
	_, src, _ := c.lookup(name)
	return src
}

func (c *Config) lookup(name string) (vals []string, src string, ok bool) {
	k, known := lookupKey(name)
	if !known {
		return nil, "", false
	}
	if v := os.Getenv(k.Env); v != "" {
		return []string{v}, "$" + k.Env, true
	}
	if c == nil {
		return nil, "", false
	}
	s, ok := c.settings[name]
	if !ok {
		return nil, "", false
	}
	src = c.path
	if s.line > 0 {
		src += ": line " + strconv.Itoa(s.line)
	}
	return s.vals, src, true
}

// ApplyFlags gives every flag of fs that the command line did not set
// (whose Changed is false) the value of its setting (flag --a-b reads
// setting a_b) from the environment or the file, so that a flag beats the
// environment, which beats the file, which beats the flag's default.
// Settings named in except are left out (say, the API URL when --sandbox
// is given). A list from the file is set item by item; from the
// environment as one comma-separated value. A value the flag refuses is an
// error naming where it came from. The flags it sets keep Changed false:
// Changed still says what the command line gave.
func (c *Config) ApplyFlags(fs *pflag.FlagSet, except ...string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		name := strings.ReplaceAll(f.Name, "-", "_")
		if err != nil || f.Changed || slices.Contains(except, name) {
			return
		}
		k, known := lookupKey(name)
		if !known || k.Secret {
			return
		}
		vals, src, ok := c.lookup(name)
		if !ok {
			return
		}
		for _, v := range vals {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("%s: %s %q: %s", src, name, v, refusal(serr))
				return
			}
		}
	})
	return err
}

// refusal is what a flag's error says about a value, without the parser's
// name (strconv.ParseInt: parsing "x": invalid syntax).
func refusal(err error) string {
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange):
		return "out of range"
	case errors.As(err, &ne):
		return "not a number"
	}
	return err.Error()
}
