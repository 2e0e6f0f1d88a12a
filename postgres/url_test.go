package postgres

import "testing"

func TestWithOneRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://127.0.0.1:5432/rundbrief?sslmode=disable", "postgres://127.0.0.1:5432/rundbrief?binary_parameters=yes&sslmode=disable"},
		{"postgresql://u:p@db/rundbrief", "postgresql://u:p@db/rundbrief?binary_parameters=yes"},
		{"postgres://db/rundbrief?binary_parameters=no", "postgres://db/rundbrief?binary_parameters=no"},
		{"host=db dbname=rundbrief sslmode=disable", "host=db dbname=rundbrief sslmode=disable binary_parameters=yes"},
	}
	for _, tt := range tests {
		if got := withOneRoundTrip(tt.in); got != tt.want {
			t.Errorf("withOneRoundTrip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
