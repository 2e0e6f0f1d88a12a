package picture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func encoded(t testing.TB, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{0, 90, 140, 255})
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPrepare(t *testing.T) {
	for _, tc := range []struct {
		name          string
		data          []byte
		wantType      string
		width, height int
		same          bool
	}{
		{"small PNG stays as it is", encoded(t, "png", 300, 100), "image/png", 300, 100, true},
		{"wide JPEG scaled to 1200", encoded(t, "jpeg", 2400, 1600), "image/jpeg", 1200, 800, false},
		{"wide PNG scaled, stays PNG", encoded(t, "png", 1800, 300), "image/png", 1200, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Prepare(tc.data, 1200)
			if err != nil {
				t.Fatal(err)
			}
			if p.ContentType != tc.wantType || p.Width != tc.width || p.Height != tc.height || bytes.Equal(p.Data, tc.data) != tc.same {
				t.Errorf("got %s %d×%d (same bytes %v)", p.ContentType, p.Width, p.Height, bytes.Equal(p.Data, tc.data))
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(p.Data))
			if err != nil || cfg.Width != tc.width || cfg.Height != tc.height {
				t.Errorf("the data decodes to %d×%d (%v)", cfg.Width, cfg.Height, err)
			}
		})
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	// A PNG header claiming 100000 × 100000 pixels: refused before decoding.
	bomb := encoded(t, "png", 1, 1)
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29]))
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"GIF", gif, ErrType},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ErrType},
		{"PDF", []byte("%PDF-1.7\n"), ErrType},
		{"broken PNG", encoded(t, "png", 10, 10)[:40], ErrBroken},
		{"decompression bomb", bomb, ErrTooLarge},
	} {
		if _, err := Prepare(tc.data, 1200); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
