package rewrites

import (
	"fmt"
	"go/ast"
	"strings"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// LostCancel inserts `defer cancel()` (`defer cancel(nil)` for a
// CancelCauseFunc) right after the statement that assigns the cancel func.
//
// Decorations: comments on the assignment's own line stay there; comments
// that follow it on later lines (the end of a block) and the blank line after
// it move below the inserted defer, so the defer joins the assignment's group.
func LostCancel(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("lostcancel: no fix")
	}
	data, ok := fd.Fix.Data.(matchers.LostCancelFix)
	if !ok || data.Name == "" {
		return fmt.Errorf("lostcancel: fix data is %T, not matchers.LostCancelFix", fd.Fix.Data)
	}
	at, ok := fd.Fix.Anchor.(ast.Stmt)
	if !ok {
		return fmt.Errorf("lostcancel: anchor is %T, not a statement", fd.Fix.Anchor)
	}
	ds, err := f.Stmt(at)
	if err != nil {
		return fmt.Errorf("lostcancel: %v", err)
	}
	var args []dst.Expr
	if data.NilCause {
		args = append(args, dst.NewIdent("nil"))
	}
	def := Defer(data.Name, args...)

	// Split the assignment's trailing comments: what is on its line stays,
	// the rest (from the first line break, or after a // comment, which ends
	// the line) goes after the defer.
	ad := ds.Decorations()
	end := ad.End
	cut := len(end)
	for i, c := range end {
		if c == "\n" {
			cut = i
			break
		}
		if strings.HasPrefix(c, "//") {
			cut = i + 1
			break
		}
	}
	if tail := end[cut:]; len(tail) > 0 {
		moved := append([]string(nil), tail...)
		if moved[0] != "\n" {
			moved = append([]string{"\n"}, moved...)
		}
		def.Decs.End = moved
		ad.End = append(dst.Decorations(nil), end[:cut]...)
	}
	def.Decs.Before = dst.NewLine
	def.Decs.After = ad.After
	ad.After = dst.NewLine

	return f.InsertAfter(at, def)
}
