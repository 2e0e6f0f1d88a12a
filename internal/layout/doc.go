// Package layout holds no code: its tests check the rules of DESIGN.md's
// package layout against the source tree — which package owns which
// table, and which package may import which.
package layout
