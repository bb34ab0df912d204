package jsonarchive

import (
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/ouraexport/ouraexport/internal/crypt"
	"github.com/ouraexport/ouraexport/sinks"
)

// EncryptedExt is the extension of an encrypted archive: the zip, encrypted
// with age (https://age-encryption.org), <Name>.zip.age.
const EncryptedExt = Ext + crypt.Ext

func init() {
	sinks.RegisterChecker(crypt.Ext, CheckEncrypted)
}

// NewEncrypted returns an archive sink that writes <o.Name>.zip.age: the
// archive, streamed through age to the recipients as it is assembled, so
// that the plain zip never touches the disk. The size and SHA-256 it
// reports are those of the encrypted file, and its row count is 0: the
// rows are sealed inside, counted by the manifest.json in the zip.
func NewEncrypted(o sinks.Options, to []age.Recipient) (*Sink, error) {
	if len(to) == 0 {
		return nil, errors.New("archive: encryption without recipients")
	}
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	s.to = to
	return s, nil
}

// CheckEncrypted is the Checker registered for ".age". Without identities
// (crypt.WithIdentities on ctx) it checks that the file is an age file with
// a complete header (the export's MANIFEST.json covers its SHA-256); with
// them it decrypts the archive in memory, chunk by chunk as it is read, and
// checks everything inside as Check does. It returns 0 rows, as the
// export's manifest lists them, unless ctx asks for the inner count
// (crypt.WithIdentities with the archive verified on its own).
func CheckEncrypted(ctx context.Context, r io.ReaderAt, size int64) (int64, error) {
	if !crypt.IsEncrypted(io.NewSectionReader(r, 0, size)) {
		return 0, fmt.Errorf("%w: not an age-encrypted file (no age header); the file is damaged or not an encrypted archive", sinks.ErrDecode)
	}
	if err := crypt.CheckHeader(io.NewSectionReader(r, 0, size)); err != nil {
		return 0, fmt.Errorf("%w: %w; the file is damaged or truncated", sinks.ErrDecode, err)
	}
	ids := crypt.IdentitiesFrom(ctx)
	if len(ids) == 0 {
		return 0, nil
	}
	pr, n, err := crypt.Open(r, size, ids)
	if err != nil {
		if errors.Is(err, crypt.ErrKey) {
			return 0, fmt.Errorf("%w: %w; give the right --identity or --passphrase-file", sinks.ErrNoReader, err)
		}
		return 0, fmt.Errorf("%w: decrypt: %w; the file is damaged or truncated", sinks.ErrDecode, err)
	}
	rows, err := Check(ctx, pr, n)
	if crypt.WantRows(ctx) {
		return rows, err
	}
	return 0, err
}
