package config

import (
	"sort"
	"strings"

	"github.com/ouraexport/ouraexport/internal/suggest"
)

// Kind is the type of a setting's value.
type Kind int

// The kinds of settings.
const (
	// String is a string; in TOML a quoted string (or, for dates, a bare
	// local date such as 2024-01-01).
	String Kind = iota
	// Int is an integer.
	Int
	// Bool is true or false.
	Bool
	// List is a list of strings: an array of strings, or one string with
	// the items separated by commas.
	List
)

func (k Kind) String() string {
	switch k {
	case Int:
		return "an integer"
	case Bool:
		return "true or false"
	case List:
		return "a list of strings"
	}
	return "a string"
}

// Key is a setting the config file may hold.
type Key struct {
	// Name is the key in the file. A command flag --a-b takes its default
	// from the key a_b.
	Name string
	// Env is the environment variable that overrides the file.
	Env  string
	Kind Kind
	// Secret keys are never shown, and a file holding one must be readable
	// by its owner only.
	Secret bool
	// Doc says what the setting does.
	Doc string
}

// keys are every setting, in documentation order.
var keys = []Key{
	{Name: "out", Kind: String, Doc: "export: output folder (--out)"},
	{Name: "format", Kind: List, Doc: "export: formats, parquet,csv,archive (--format)"},
	{Name: "collections", Kind: List, Doc: "export: collections to export (--collections)"},
	{Name: "api", Kind: List, Doc: "export: API versions, v2, v1 or v1,v2 (--api)"},
	{Name: "since", Kind: String, Doc: "export: first day, YYYY-MM-DD (--since)"},
	{Name: "workers", Kind: Int, Doc: "export: requests in flight at once (--workers)"},
	{Name: "lookback", Kind: Int, Doc: "export: recent days re-fetched on every run (--lookback)"},
	{Name: "partition", Kind: String, Doc: "export: Hive partitioning, year (--partition)"},
	{Name: "quiet", Kind: Bool, Doc: "export: print nothing but errors (--quiet)"},
	{Name: "log_format", Kind: String, Doc: "export: text or json (--log-format)"},
	{Name: "accounts", Kind: String, Doc: "export: cohort accounts file (--accounts)"},
	{Name: "shard", Kind: String, Doc: "export: this machine's shard I/N of a cohort (--shard)"},
	{Name: "encrypt_to", Kind: List, Doc: "export: age recipients (--encrypt-to)"},
	{Name: "encrypt_passphrase_file", Kind: String, Doc: "export: age passphrase file (--encrypt-passphrase-file)"},
	{Name: "request_timeout", Kind: String, Doc: "export: time limit of one request attempt, e.g. 2m (--request-timeout)"},
	{Name: "api_url", Kind: String, Doc: "export, auth login: API server (--api-url)"},
	{Name: "token_file", Kind: String, Doc: "export, auth: the access token or stored login (--token-file)"},
	{Name: "client_id", Env: "OURA_CLIENT_ID", Kind: String, Doc: "auth login, refresh: OAuth2 client id (--client-id)"},
	{Name: "client_secret", Env: "OURA_CLIENT_SECRET", Kind: String, Secret: true, Doc: "auth login, refresh: OAuth2 client secret (never a flag)"},
	{Name: "auth_url", Kind: String, Doc: "auth login: authorize URL (--auth-url)"},
	{Name: "token_url", Kind: String, Doc: "auth login: token URL (--token-url)"},
	{Name: "redirect_url", Kind: String, Doc: "auth login: the redirect URL registered for the client (--redirect-url)"},
	{Name: "scopes", Kind: List, Doc: "auth login: scopes to ask for (--scopes; default: all)"},
}

func init() {
	for i := range keys {
		if keys[i].Env == "" {
			keys[i].Env = "OURAEXPORT_" + strings.ToUpper(keys[i].Name)
		}
	}
}

// Keys returns every setting the config file may hold, in documentation
// order.
func Keys() []Key {
	return append([]Key(nil), keys...)
}

// lookupKey returns the key named name.
func lookupKey(name string) (Key, bool) {
	for _, k := range keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

// closestKey returns the known key closest to name, "" if none is close.
func closestKey(name string) string {
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		names = append(names, k.Name)
	}
	sort.Strings(names)
	return suggest.Closest(strings.ReplaceAll(strings.ToLower(name), "-", "_"), names, 3)
}
