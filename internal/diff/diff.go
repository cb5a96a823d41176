// Package diff renders git-style unified diffs between two versions of a file.
package diff

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// context is the number of unchanged lines shown around each change.
const context = 3

// Unified returns a git-style unified diff turning old into new for the file at path
// (a slash-separated path relative to the repository root, e.g. "pkg/a.go"), with 3 lines
// of context. It returns "" when old and new are equal.
//
// The output is accepted by both "git apply" and "patch -p1" run from the repository root.
// Lines are compared byte-exact (a "\r\n" ending is part of the line), and a last line
// without a trailing newline is followed by "\ No newline at end of file".
func Unified(path string, old, new []byte) string {
	if bytes.Equal(old, new) {
		return ""
	}
	ops := lineDiff(splitLines(string(old)), splitLines(string(new)))

	// oldPos[i] and newPos[i] are the number of old/new lines before ops[i].
	oldPos := make([]int, len(ops)+1)
	newPos := make([]int, len(ops)+1)
	for i, o := range ops {
		oldPos[i+1], newPos[i+1] = oldPos[i], newPos[i]
		if o.kind != '+' {
			oldPos[i+1]++
		}
		if o.kind != '-' {
			newPos[i+1]++
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n", path, path, path, path)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// ops[i] is the first change of a hunk; all ops before it are unchanged.
		start := max(i-context, 0)
		end := i
		for {
			for end < len(ops) && ops[end].kind != ' ' {
				end++
			}
			next := end // first change after the run of unchanged lines, if any
			for next < len(ops) && ops[next].kind == ' ' {
				next++
			}
			if next < len(ops) && next-end <= 2*context {
				end = next // contexts touch or overlap: merge
				continue
			}
			end = min(end+context, len(ops))
			break
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n",
			hunkRange(oldPos[start], oldPos[end]-oldPos[start]),
			hunkRange(newPos[start], newPos[end]-newPos[start]))
		for _, o := range ops[start:end] {
			b.WriteByte(o.kind)
			b.WriteString(o.line)
			if !strings.HasSuffix(o.line, "\n") {
				// Only a file's last line can lack a newline.
				b.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return b.String()
}

// hunkRange formats one side of a hunk header, given the number of lines before the
// hunk and the hunk's length. An empty range names the line before it, as in GNU diff.
func hunkRange(before, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", before)
	case 1:
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, n)
}

// op is one line of a line-level edit script: kind is ' ' (unchanged), '-' (removed from
// old) or '+' (added in new); line includes its newline, if any.
type op struct {
	kind byte
	line string
}

// splitLines splits s after each "\n". The last line lacks a newline if s does not end
// with one; an empty s has no lines.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Line indexes are encoded as runes, skipping the UTF-16 surrogate range, which is not
// valid in Go strings (diffmatchpatch converts rune slices to strings internally).
const (
	surrogateMin = 0xD800
	surrogateLen = 0xE000 - surrogateMin
	maxLines     = 0x110000 - surrogateLen // number of encodable distinct lines
)

func indexToRune(i int) rune {
	if i >= surrogateMin {
		i += surrogateLen
	}
	return rune(i)
}

func runeToIndex(r rune) int {
	if r >= surrogateMin {
		r -= surrogateLen
	}
	return int(r)
}

// lineDiff computes a line-level edit script turning a into b with diffmatchpatch.
//
// It encodes lines as runes itself rather than using DiffLinesToRunes, so that the
// encoding is valid for any number of distinct lines up to maxLines; beyond that (over
// a million distinct lines) it falls back to replacing every line.
func lineDiff(a, b []string) []op {
	ids := make(map[string]int)
	var lines []string
	encode := func(ls []string) []rune {
		rs := make([]rune, len(ls))
		for i, l := range ls {
			id, ok := ids[l]
			if !ok {
				id = len(lines)
				ids[l] = id
				lines = append(lines, l)
			}
			rs[i] = indexToRune(id)
		}
		return rs
	}
	ra, rb := encode(a), encode(b)

	var ops []op
	if len(lines) > maxLines {
		for _, l := range a {
			ops = append(ops, op{'-', l})
		}
		for _, l := range b {
			ops = append(ops, op{'+', l})
		}
		return ops
	}

	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // no deadline: deterministic output
	for _, d := range dmp.DiffMainRunes(ra, rb, false) {
		kind := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			kind = '-'
		case diffmatchpatch.DiffInsert:
			kind = '+'
		}
		for _, r := range d.Text {
			ops = append(ops, op{kind, lines[runeToIndex(r)]})
		}
	}
	return ops
}
