// Package picture checks the pictures a mail carries inline — the logo,
// the emblems in the footer, a newsletter's pictures — and scales down
// those too wide for a mail. Only JPEG and PNG are taken: every mail
// program shows them, and neither runs code.
package picture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"

	"golang.org/x/image/draw"
)

// MaxBytes is the largest picture file taken, before scaling.
const MaxBytes = 10 << 20

// MaxPixels caps width × height, so that a small file that decodes to a
// huge image (a "decompression bomb") is refused before it is decoded.
const MaxPixels = 40_000_000

// Errors of Prepare.
var (
	ErrType     = errors.New("picture: not a JPEG or PNG file")
	ErrTooLarge = errors.New("picture: file or image too large")
	ErrBroken   = errors.New("picture: cannot be read")
)

// Picture is a checked picture, ready to go into a mail.
type Picture struct {
	Data          []byte
	ContentType   string // image/jpeg or image/png
	Width, Height int
}

// Prepare checks data and, when the picture is wider than maxWidth,
// scales it down to maxWidth (Catmull-Rom), keeping its aspect and its
// format (JPEG at quality 85). A picture that fits is returned as it was,
// byte for byte.
func Prepare(data []byte, maxWidth int) (Picture, error) {
	if len(data) > MaxBytes {
		return Picture{}, ErrTooLarge
	}
	ct := http.DetectContentType(data)
	if ct != "image/jpeg" && ct != "image/png" {
		return Picture{}, ErrType
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Picture{}, fmt.Errorf("%w: %v", ErrBroken, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return Picture{}, ErrTooLarge
	}
	// Decoded whole even when it fits: a picture that a mail program
	// cannot show is refused here, not found out by the recipients.
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Picture{}, fmt.Errorf("%w: %v", ErrBroken, err)
	}
	if cfg.Width <= maxWidth {
		return Picture{Data: data, ContentType: ct, Width: cfg.Width, Height: cfg.Height}, nil
	}
	h := max(1, cfg.Height*maxWidth/cfg.Width)
	dst := image.NewRGBA(image.Rect(0, 0, maxWidth, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	switch format {
	case "png":
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, dst)
	default:
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return Picture{}, fmt.Errorf("picture: encoding: %w", err)
	}
	return Picture{Data: out.Bytes(), ContentType: ct, Width: maxWidth, Height: h}, nil
}
