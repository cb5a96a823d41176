package engine

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
)

// splice keeps a fix's change to the regions it rewrote. dst prints whole
// files gofmt-formatted; on a file that is not gofmt-clean that would
// reformat lines no fix touched. So the new text of each top-level
// declaration that holds a fix anchor (offsets into old) replaces the same
// region of the old bytes; everything else stays byte for byte. The import
// block is not taken from full (printed without import management, it
// holds the old imports): editImports makes the fixes' import changes.
func splice(old, full []byte, anchors []int) ([]byte, error) {
	fsetOld, fsetNew := token.NewFileSet(), token.NewFileSet()
	of, err := parser.ParseFile(fsetOld, "old.go", old, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("splice: %v", err)
	}
	nf, err := parser.ParseFile(fsetNew, "new.go", full, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("rewritten file does not parse: %v", err)
	}
	oldDecls, newDecls := nonImportDecls(of), nonImportDecls(nf)
	if len(oldDecls) != len(newDecls) {
		if gofmtStable(old) {
			return full, nil // nothing to keep that gofmt would not print the same
		}
		return nil, fmt.Errorf("splice: a fix added or removed top-level declarations in a file that is not gofmt-clean")
	}
	var edits []byteEdit
	otf, ntf := fsetOld.File(of.Pos()), fsetNew.File(nf.Pos())

	for i, od := range oldDecls {
		s, e := declRegion(otf, od, old)
		touched := false
		for _, a := range anchors {
			if a >= s && a < e {
				touched = true
			}
		}
		if !touched {
			continue
		}
		nd := newDecls[i]
		s2, e2 := declRegion(ntf, nd, full)
		edits = append(edits, byteEdit{s, e, full[s2:e2]})
	}
	return applyEdits(old, edits, "splice")
}

// A byteEdit replaces the region [s, e) of a source with text.
type byteEdit struct {
	s, e int
	text []byte
}

// applyEdits applies non-overlapping edits to src, in source order; what
// names the caller in the error of overlapping edits.
func applyEdits(src []byte, edits []byteEdit, what string) ([]byte, error) {
	sort.Slice(edits, func(i, j int) bool { return edits[i].s < edits[j].s })
	var out bytes.Buffer
	at := 0
	for _, ed := range edits {
		if ed.s < at {
			return nil, fmt.Errorf("%s: overlapping edits", what)
		}
		out.Write(src[at:ed.s])
		out.Write(ed.text)
		at = ed.e
	}
	out.Write(src[at:])
	return out.Bytes(), nil
}

func nonImportDecls(f *ast.File) []ast.Decl {
	var out []ast.Decl
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			continue
		}
		out = append(out, d)
	}
	return out
}

// declRegion is a declaration with its doc comment and a comment that
// follows it on its last line.
func declRegion(tf *token.File, d ast.Decl, src []byte) (int, int) {
	start := d.Pos()
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Doc != nil {
			start = d.Doc.Pos()
		}
	case *ast.GenDecl:
		if d.Doc != nil {
			start = d.Doc.Pos()
		}
	}
	return tf.Offset(start), lineEnd(src, tf.Offset(d.End()))
}

// lineEnd extends off over the rest of its line when that holds only
// spaces and a // comment.
func lineEnd(src []byte, off int) int {
	i := off
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i+1 < len(src) && src[i] == '/' && src[i+1] == '/' {
		for i < len(src) && src[i] != '\n' {
			i++
		}
		return i
	}
	return off
}
