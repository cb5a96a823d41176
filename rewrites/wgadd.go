package rewrites

import (
	"fmt"
	"go/ast"
	"strings"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// WgAdd moves a goroutine's leading wg.Add(n) out of the goroutine, to just
// before its go statement (the fix of matchers.WgAddInGoroutine: Anchor is
// the Add's *ast.ExprStmt, Nodes[0] the *ast.GoStmt).
//
// Comments and layout:
//   - the go statement's leading comments (and the blank line above it) now
//     head the group: they go above the moved Add, followed by the Add's own
//     leading comments, so "// Start the worker." still introduces the code
//     that starts it; directives among them (//nolint:…) and the lines
//     below the first one stay directly above the go statement they apply
//     to;
//   - the Add keeps its end-of-line comment; comment lines that dst attached
//     to the Add's end but that sit on the lines below it stay in the
//     goroutine, above the statement that now comes first;
//   - the statement that becomes first in the goroutine takes over the Add's
//     spacing from the opening brace, so no blank line appears at the top of
//     the body and a one-line literal stays on one line.
func WgAdd(f *File, fd matchers.Finding) error {
	if fd.Fix == nil || len(fd.Fix.Nodes) != 1 {
		return fmt.Errorf("wg-add-in-goroutine: malformed fix: want one node (the go statement)")
	}
	addStmt, ok := fd.Fix.Anchor.(*ast.ExprStmt)
	if !ok {
		return fmt.Errorf("wg-add-in-goroutine: malformed fix: anchor is %T, not an expression statement", fd.Fix.Anchor)
	}
	goStmt, ok := fd.Fix.Nodes[0].(*ast.GoStmt)
	if !ok {
		return fmt.Errorf("wg-add-in-goroutine: malformed fix: node is %T, not a go statement", fd.Fix.Nodes[0])
	}
	lit, ok := ast.Unparen(goStmt.Call.Fun).(*ast.FuncLit)
	if !ok || !inList(lit.Body, addStmt) {
		return fmt.Errorf("wg-add-in-goroutine: the Add is not in the goroutine's body")
	}
	db, err := f.Node(lit.Body)
	if err != nil {
		return err
	}
	body, ok := db.(*dst.BlockStmt)
	if !ok {
		return fmt.Errorf("wg-add-in-goroutine: dst node of the body is %T", db)
	}

	ds, err := f.Stmt(addStmt)
	if err != nil {
		return err
	}
	idx := -1
	for i, s := range body.List {
		if s == ds {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("wg-add-in-goroutine: the Add is not in the goroutine's dst body")
	}
	moved, err := f.Remove(addStmt)
	if err != nil {
		return err
	}
	md := moved.Decorations()
	// The end decorations: what is on the Add's own line stays with it,
	// the comment lines below it stay in the goroutine.
	eol, tail := splitEnd(md.End)
	md.End = eol

	// The statement now at the Add's place (the first of the body when the
	// Add led it) inherits the Add's spacing above and the comments below.
	if idx < len(body.List) {
		next := body.List[idx].Decorations()
		var start dst.Decorations
		if len(tail) > 0 {
			start = append(start, tail...)
			if md.After == dst.EmptyLine || next.Before == dst.EmptyLine {
				start = append(start, "\n")
			}
		}
		next.Start = append(start, next.Start...)
		next.Before = md.Before
	} else if len(tail) > 0 {
		// The goroutine is left empty: the comments stay in it.
		body.Decs.Lbrace = append(body.Decs.Lbrace, "\n")
		body.Decs.Lbrace = append(body.Decs.Lbrace, tail...)
	}

	own := append(dst.Decorations(nil), md.Start...)
	md.Start = nil
	md.After = dst.NewLine
	if err := f.InsertBefore(goStmt, moved); err != nil {
		return err
	}
	// InsertBefore gave the Add the go statement's leading decorations; the
	// Add's own comments follow them, right above the Add. Directives
	// (//nolint, //lint:ignore, //go:…) apply to the line below them: from
	// the first one on, the go statement keeps its comments.
	head := md.Start
	if i := firstDirective(head); i >= 0 {
		dg, err := f.Stmt(goStmt)
		if err != nil {
			return err
		}
		dg.Decorations().Start = append(dst.Decorations(nil), head[i:]...)
		head = trimBreaks(head[:i])
	}
	md.Start = append(append(dst.Decorations(nil), head...), own...)
	return nil
}

// firstDirective returns the index of the first directive comment in d, or
// -1. A directive is a line comment with no space after the slashes and a
// "name:" prefix (//go:noinline, //lint:ignore, //nolint:errcheck), or
// //nolint, //line, //export and //extern.
func firstDirective(d dst.Decorations) int {
	for i, c := range d {
		if isDirective(c) {
			return i
		}
	}
	return -1
}

func isDirective(c string) bool {
	if strings.HasPrefix(c, "// nolint") || strings.HasPrefix(c, "//nolint") {
		return true
	}
	for _, p := range []string{"//line ", "//extern ", "//export "} {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	rest, ok := strings.CutPrefix(c, "//")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(rest, ":")
	if !ok || name == "" {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// inList reports whether stmt is in body's list (the matcher checked
// that only other Adds precede it).
func inList(body *ast.BlockStmt, stmt ast.Stmt) bool {
	for _, s := range body.List {
		if s == stmt {
			return true
		}
	}
	return false
}

// splitEnd splits a statement's end decorations into what is on the
// statement's own line (up to the first line break, or through the first
// line comment, which ends the line) and the comment lines below it (without
// the line break that introduces them).
func splitEnd(end dst.Decorations) (eol, tail dst.Decorations) {
	for i, d := range end {
		if d == "\n" {
			return end[:i:i], trimBreaks(end[i+1:])
		}
		if strings.HasPrefix(d, "//") {
			return end[: i+1 : i+1], trimBreaks(end[i+1:])
		}
	}
	return end, nil
}

func trimBreaks(d dst.Decorations) dst.Decorations {
	for len(d) > 0 && d[0] == "\n" {
		d = d[1:]
	}
	for len(d) > 0 && d[len(d)-1] == "\n" {
		d = d[:len(d)-1]
	}
	if len(d) == 0 {
		return nil
	}
	return append(dst.Decorations(nil), d...)
}
