package campaigns

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/internal/picture"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// File is a file a campaign carries: an attachment (a programme PDF, a
// flyer), or a picture its HTML shows inline (ContentID set), so that the
// mail loads nothing from a server when it is opened.
type File struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	// ContentID names a picture in the HTML ("cid:" and it); empty for an
	// attachment. Alt, Width and Height are the picture's.
	ContentID     string `json:"content_id,omitempty"`
	Alt           string `json:"alt,omitempty"`
	Width, Height int    `json:"-"`
	Data          []byte `json:"-"`
}

// Limits of a campaign's files.
const (
	// MaxFilesBytes is the most the files of one campaign may add up to:
	// every recipient's mail carries them.
	MaxFilesBytes = 5 << 20
	// MaxPictureWidth is the widest picture a mail carries; wider ones
	// are scaled down to it.
	MaxPictureWidth = 1200
	// MaxFiles is the most files of one campaign.
	MaxFiles = 20
)

// The problems of a campaign's files (InvalidError, Field "attach" or
// "picture", Value the file's name).
const (
	ProblemFileType     Problem = "file_type"      // not a PDF, JPEG, PNG or calendar file
	ProblemFilesSize    Problem = "files_size"     // Limit: the most bytes of all files together
	ProblemPicture      Problem = "picture"        // a picture that is no JPEG or PNG, or cannot be read
	ProblemTooManyFiles Problem = "too_many_files" // Limit: the most files
)

// NewAttachment checks data, the file name, as an attachment: a PDF, a
// JPEG or PNG picture, or a calendar file, told by its content, not its
// name. The name is made safe for a mail header ("Programm Juli.pdf"
// becomes "Programm-Juli.pdf").
func NewAttachment(name string, data []byte) (File, error) {
	f := File{Name: fileName(name), Data: data}
	switch ct := http.DetectContentType(data); {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		f.ContentType = "application/pdf"
	case ct == "image/jpeg" || ct == "image/png":
		f.ContentType = ct
	case strings.HasPrefix(ct, "text/plain") && bytes.HasPrefix(bytes.TrimLeft(data, "\ufeff \r\n"), []byte("BEGIN:VCALENDAR")):
		f.ContentType = "text/calendar"
	default:
		return File{}, &InvalidError{Field: "attach", Problem: ProblemFileType, Value: name}
	}
	return f, nil
}

// NewPicture checks data, a picture of a newsletter named name with alt
// text alt, and scales it down to MaxPictureWidth; n numbers it in the
// campaign (its Content-ID is "bild-n@rundbrief").
func NewPicture(name, alt string, data []byte, n int) (File, error) {
	p, err := picture.Prepare(data, MaxPictureWidth)
	if err != nil {
		return File{}, &InvalidError{Field: "picture", Problem: ProblemPicture, Value: name}
	}
	base := strings.TrimSuffix(fileName(name), filepath.Ext(name))
	ext := ".png"
	if p.ContentType == "image/jpeg" {
		ext = ".jpg"
	}
	return File{
		Name: base + ext, ContentType: p.ContentType, ContentID: fmt.Sprintf("bild-%d@rundbrief", n),
		Alt: strings.TrimSpace(alt), Width: p.Width, Height: p.Height, Data: p.Data,
	}, nil
}

// checkFiles checks the files of one campaign together.
func checkFiles(files []File) error {
	if len(files) > MaxFiles {
		return &InvalidError{Field: "attach", Problem: ProblemTooManyFiles, Limit: MaxFiles}
	}
	total := 0
	for _, f := range files {
		total += len(f.Data)
	}
	if total > MaxFilesBytes {
		return &InvalidError{Field: "attach", Problem: ProblemFilesSize, Limit: MaxFilesBytes}
	}
	return nil
}

// fileName makes name safe as an attachment's name: the base name, umlauts
// and ß written out, other characters than letters, digits, '.', '-' and
// '_' as '-'.
func fileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss")
	var b strings.Builder
	for _, c := range r.Replace(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_':
			b.WriteRune(c)
		default:
			b.WriteRune('-')
		}
	}
	s := strings.Trim(b.String(), "-.")
	if len(s) > 100 {
		s = s[len(s)-100:]
	}
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z' || s[0] >= '0' && s[0] <= '9') {
		s = "datei" + s
	}
	return s
}

// Files returns the files of campaign id, in order, with their data.
func (s *Store) Files(ctx context.Context, id int64) ([]File, error) {
	var rows []struct {
		Name        string `db:"name"`
		ContentType string `db:"content_type"`
		ContentID   string `db:"content_id"`
		Alt         string `db:"alt"`
		Width       int    `db:"width"`
		Height      int    `db:"height"`
		Data        []byte `db:"data"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT name, content_type, content_id, alt, width, height, data
		FROM campaign_files WHERE campaign_id = $1 ORDER BY position`, id); err != nil {
		return nil, fmt.Errorf("campaigns: files: %w", err)
	}
	out := make([]File, len(rows))
	for i, r := range rows {
		out[i] = File{Name: r.Name, ContentType: r.ContentType, ContentID: r.ContentID, Alt: r.Alt, Width: r.Width, Height: r.Height, Data: r.Data}
	}
	return out, nil
}

// setFiles replaces the files of campaign id by files.
func setFiles(ctx context.Context, tx *sqlx.Tx, id int64, files []File) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_files WHERE campaign_id = $1`, id); err != nil {
		return fmt.Errorf("campaigns: files: %w", err)
	}
	for i, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_files
			(campaign_id, position, name, content_type, content_id, alt, width, height, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			id, i, f.Name, f.ContentType, f.ContentID, f.Alt, f.Width, f.Height, f.Data); err != nil {
			if postgres.IsCheckViolation(err) {
				return &InvalidError{Field: "attach", Problem: ProblemFileType, Value: f.Name}
			}
			return fmt.Errorf("campaigns: files: %w", err)
		}
	}
	return nil
}
