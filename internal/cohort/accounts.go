package cohort

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ouraexport/ouraexport/internal/auth"
)

// Account is one participant of a cohort: a line of the accounts file.
type Account struct {
	// ID names the participant in the outputs (participant=<ID>/): ASCII
	// letters, digits, '_' and '-', at most 64 characters.
	ID string
	// TokenFile is the file that holds the participant's access token.
	TokenFile string
	// Line is the line of the accounts file it came from.
	Line int
}

// Folder returns the participant's folder in a cohort's output: participant=<ID>.
func (a Account) Folder() string { return FolderPrefix + a.ID }

// FolderPrefix starts the name of every participant's folder: the Hive
// partition key "participant".
const FolderPrefix = "participant="

// MaxIDLength is the longest participant id.
const MaxIDLength = 64

var validID = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidID reports whether id can name a participant.
func ValidID(id string) bool { return len(id) <= MaxIDLength && validID.MatchString(id) }

// ErrAccounts is returned (wrapped) for an accounts file that cannot be used.
var ErrAccounts = errors.New("bad accounts file")

// ReadAccounts reads the accounts file at path (see ParseAccounts); token
// files named by relative paths are found relative to its folder.
func ReadAccounts(path string) ([]Account, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAccounts, err)
	}
	defer f.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAccounts, err)
	}
	accts, err := ParseAccounts(f, filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return accts, nil
}

// ParseAccounts reads an accounts file: one participant per line, its id
// and the path of its token file separated by white space ("p01
// tokens/p01.token"); the path is the rest of the line, so it may hold
// spaces. Blank lines and lines starting with '#' are skipped. Relative
// token paths are joined to dir. Ids must be valid (ValidID) and unique,
// also ignoring case (participant=P1 and participant=p1 are one folder on
// macOS and Windows); no two participants may share a token file. The
// error names the first bad line.
func ParseAccounts(r io.Reader, dir string) ([]Account, error) {
	var accts []Account
	ids := map[string]int{}
	files := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // a byte order mark some editors write
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, file := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			id, file = line[:i], strings.TrimSpace(line[i:])
		}
		if !ValidID(id) {
			return nil, fmt.Errorf("%w: line %d: participant id %q: use 1 to %d ASCII letters, digits, '_' or '-'", ErrAccounts, n, clip(id), MaxIDLength)
		}
		if file == "" {
			return nil, fmt.Errorf("%w: line %d: participant %s has no token file (write: id token_file)", ErrAccounts, n, id)
		}
		if prev, dup := ids[strings.ToLower(id)]; dup {
			return nil, fmt.Errorf("%w: line %d: participant id %s repeats line %d (ids must differ, also in case)", ErrAccounts, n, id, prev)
		}
		ids[strings.ToLower(id)] = n
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		file = filepath.Clean(file)
		if prev, dup := files[file]; dup {
			return nil, fmt.Errorf("%w: line %d: participant %s has the token file of line %d; each participant needs their own", ErrAccounts, n, id, prev)
		}
		files[file] = n
		accts = append(accts, Account{ID: id, TokenFile: file, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAccounts, err)
	}
	if len(accts) == 0 {
		return nil, fmt.Errorf("%w: it lists no participants (one per line: id token_file)", ErrAccounts)
	}
	return accts, nil
}

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// ErrToken is returned (wrapped) for a token file that holds no usable token.
var ErrToken = errors.New("bad token file")

// ReadToken reads the access token in a token file: one line, no spaces.
// Errors name the file, never its content.
func ReadToken(path string) (string, error) {
	tf, err := auth.ReadTokenFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrToken, err)
	}
	if tf.Login {
		return "", fmt.Errorf("%w: %s holds a login, not an access token", ErrToken, path)
	}
	return tf.Token, nil
}
