package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// readAttachments reads the files --attach names, checked as attachments.
func readAttachments(paths []string) ([]campaigns.File, error) {
	var files []campaigns.File
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--attach: %w", fileError(p, err))
		}
		f, err := campaigns.NewAttachment(filepath.Base(p), data)
		if err != nil {
			return nil, campaignError(err)
		}
		files = append(files, f)
	}
	return files, nil
}

// pictures embeds the pictures of a newsletter's Markdown, read from the
// file at path: each local picture becomes one of files (scaled down,
// numbered after those there) and its address "cid:" and its Content-ID.
// The same picture named twice (in the German and the English text) is
// carried once.
type pictures struct {
	files  []campaigns.File
	byPath map[string]string // absolute path → "cid:…"
}

func (p *pictures) embed(flag, path, body string) (string, error) {
	if p.byPath == nil {
		p.byPath = map[string]string{}
	}
	out, err := templates.EmbedPictures(body, func(dest, alt string) (string, error) {
		file := dest
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(path), dest)
		}
		if cid, ok := p.byPath[file]; ok {
			return cid, nil
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: Bild %s: %w", flag, dest, fileError(file, err))
		}
		f, err := campaigns.NewPicture(filepath.Base(file), alt, data, p.next())
		if err != nil {
			return "", fmt.Errorf("%s: %w", flag, campaignError(err))
		}
		p.files = append(p.files, f)
		p.byPath[file] = "cid:" + f.ContentID
		return p.byPath[file], nil
	})
	if remote, ok := errors.AsType[*templates.RemotePictureError](err); ok {
		return "", fmt.Errorf("%s: das Bild %s liegt auf einem Server; es würde beim Öffnen jeder Mail nachgeladen und verriete, wer sie liest. "+
			"Bitte das Bild herunterladen und als Datei angeben, z. B. ![Beschreibung](bilder/foto.jpg)", flag, remote.URL)
	}
	return out, err
}

// next is the number of the next picture.
func (p *pictures) next() int {
	n := 0
	for _, f := range p.files {
		var k int
		if _, err := fmt.Sscanf(f.ContentID, "bild-%d@", &k); err == nil && k > n {
			n = k
		}
	}
	return n + 1
}

// keepUsed drops the pictures none of bodies shows any more.
func (p *pictures) keepUsed(bodies ...string) {
	all := strings.Join(bodies, "\n")
	p.files = slices.DeleteFunc(p.files, func(f campaigns.File) bool { return !strings.Contains(all, "cid:"+f.ContentID) })
}
