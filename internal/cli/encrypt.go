package cli

import (
	"fmt"

	"filippo.io/age"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/internal/crypt"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/jsonarchive"
)

// encryptFlags are export's --encrypt-to and --encrypt-passphrase-file.
type encryptFlags struct {
	to       listFlag
	passFile string
	// recipients are the parsed keys (after validate); nil: no encryption.
	recipients []age.Recipient
}

func (e *encryptFlags) register(fs *pflag.FlagSet) {
	fs.Var(&e.to, "encrypt-to", "encrypt the archive with age to RECIPIENT (age1..., or a file\n"+
		"of recipients); repeatable. Parquet and CSV stay plain")
	fs.StringVar(&e.passFile, "encrypt-passphrase-file", "", "encrypt the archive with age to the passphrase on FILE's first line")
	flagArgs(fs, "encrypt-to=RECIPIENT", "encrypt-passphrase-file=FILE")
}

// validate parses the recipients or the passphrase: a mistake in them is
// found before anything is fetched.
func (e *encryptFlags) validate(cmd string, formats []string, cohort bool) error {
	if len(e.to) == 0 && e.passFile == "" {
		return nil
	}
	if len(e.to) > 0 && e.passFile != "" {
		return usagef(cmd, "--encrypt-to and --encrypt-passphrase-file exclude each other (age encrypts to a passphrase alone); choose one")
	}
	if cohort {
		return usagef(cmd, "encryption is not available with --accounts yet; encrypt each participant's archive with age afterwards")
	}
	archive := false
	for _, f := range formats {
		archive = archive || f == "archive"
	}
	if !archive {
		return usagef(cmd, "encryption applies to the archive, and --format leaves it out; add archive to --format")
	}
	var err error
	if e.passFile != "" {
		var r age.Recipient
		r, err = crypt.PassphraseRecipient(e.passFile)
		e.recipients = []age.Recipient{r}
	} else {
		e.recipients, err = crypt.Recipients(e.to)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if len(e.recipients) == 0 {
		return usagef(cmd, "--encrypt-to: the recipients file holds no recipient")
	}
	return nil
}

// open opens the sink of a format, the archive encrypted when asked.
func (e *encryptFlags) open(format string, o sinks.Options) (sinks.Sink, error) {
	if format == "archive" && len(e.recipients) > 0 {
		return jsonarchive.NewEncrypted(o, e.recipients)
	}
	return sinks.Open(format, o)
}

// identityFlags are the --identity and --passphrase-file of verify and
// import, which decrypt encrypted archives.
type identityFlags struct {
	files    listFlag
	passFile string
}

func (i *identityFlags) register(fs *pflag.FlagSet) {
	fs.Var(&i.files, "identity", "age identity file that opens encrypted archives (.zip.age); repeatable")
	fs.StringVar(&i.passFile, "passphrase-file", "", "file whose first line is the passphrase of an encrypted archive")
	flagArgs(fs, "identity=FILE", "passphrase-file=FILE")
}

// identities reads the identities given, nil for none.
func (i *identityFlags) identities() ([]age.Identity, error) {
	if len(i.files) == 0 && i.passFile == "" {
		return nil, nil
	}
	ids, err := crypt.Identities(i.files, i.passFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return ids, nil
}
