package web

import (
	"maps"
	"slices"
	"testing"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/texts"
)

// Every page exists in German and English: both have the same keys, and no
// text is empty.
func TestCopyComplete(t *testing.T) {
	c := pageCopy(texts.Default())
	de, en := slices.Sorted(maps.Keys(c[i18n.German])), slices.Sorted(maps.Keys(c[i18n.English]))
	for _, k := range de {
		if _, ok := c[i18n.English][k]; !ok {
			t.Errorf("English lacks %q", k)
		}
	}
	for _, k := range en {
		if _, ok := c[i18n.German][k]; !ok {
			t.Errorf("German lacks %q", k)
		}
	}
	for l, m := range c {
		for k, v := range m {
			if v == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
		}
	}
}
