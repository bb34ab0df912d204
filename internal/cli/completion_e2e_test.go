package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// bashCompletionShim stands in for the helpers of the bash-completion
// package that cobra's script calls, where they are missing (as on a
// machine without the package): the words as bash split them, and file
// and folder names.
const bashCompletionShim = `
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
    source /usr/share/bash-completion/bash_completion
fi
if ! declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref() {
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    }
fi
if ! declare -F _filedir >/dev/null; then
    _filedir() {
        if [[ $1 == -d ]]; then
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
    }
fi
`

// complete completes line (what was typed before Tab) in bash with the
// script 'ouraexport completion bash' prints, loaded as a user loads it,
// by calling the completion function it registers for ouraexport with
// COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set as bash sets them;
// it returns COMPREPLY. The binary is on PATH, as the script expects; dir
// is the working folder.
func complete(t *testing.T, bash, script, dir, line string) []string {
	t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, strconv.Quote(w))
	}
	prog := bashCompletionShim + `
source "$SCRIPT"
fn=$(complete -p ouraexport | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_WORDS=(` + strings.Join(quoted, " ") + `)
COMP_CWORD=` + strconv.Itoa(len(words)-1) + `
COMP_LINE=` + strconv.Quote(line) + `
COMP_POINT=${#COMP_LINE}
"$fn" ouraexport "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"), "SCRIPT=" + script}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, l)
		}
	}
	slices.Sort(got)
	return got
}

// TestBashCompletion sources the bash completion script of the built
// binary into a real bash and completes command lines with it.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on this machine")
	}
	r := ouraexport(t, nil, "completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "__start_ouraexport") {
		t.Fatalf("completion bash: exit %d, %s", r.code, r.stderr)
	}
	script := filepath.Join(t.TempDir(), "ouraexport.bash")
	if err := os.WriteFile(script, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "exports"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exports.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"ouraexport ex", []string{"export"}},
		{"ouraexport export --format ", []string{"archive", "csv", "parquet"}},
		{"ouraexport export --format parquet,", []string{"parquet,archive", "parquet,csv"}},
		{"ouraexport import --format c", []string{"csv"}},
		{"ouraexport export --api ", []string{"v1", "v2"}},
		{"ouraexport export --log-format ", []string{"json", "text"}},
		{"ouraexport export --collections daily_r", []string{"daily_readiness", "daily_resilience"}},
		{"ouraexport export --out ", []string{"exports"}}, // folders, not files
		{"ouraexport export --workers ", nil},             // no files for a number
		{"ouraexport auth lo", []string{"login", "logout"}},
		{"ouraexport completion f", []string{"fish"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			got := complete(t, bash, script, dir, tc.line)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q completes to %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}
