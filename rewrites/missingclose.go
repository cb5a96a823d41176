package rewrites

import (
	"fmt"
	"go/ast"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// MissingClose inserts `defer close(ch)` in the sole sending goroutine,
// after the leading defer statements of its body (so that the close runs
// before the calls they defer, as an explicit close at the end of the body
// did), and deletes that explicit close when the matcher found one.
//
// Decorations: the deleted close's comments go with the deferred close
// that replaces it (its own line's comment and the comments above it);
// comment lines below it, before the closing brace, stay where they were.
// A goroutine written on one line is spread over several.
func MissingClose(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("missing-close: no fix")
	}
	data, ok := fd.Fix.Data.(matchers.MissingCloseFix)
	if !ok {
		return fmt.Errorf("missing-close: fix data is %T, not matchers.MissingCloseFix", fd.Fix.Data)
	}
	def, err := cuInsertDeferClose(f, data.ChanCloseInsert)
	if err != nil {
		return fmt.Errorf("missing-close: %v", err)
	}
	if data.Remove != nil {
		if err := cuRemoveInto(f, data.Remove, def); err != nil {
			return fmt.Errorf("missing-close: %v", err)
		}
	}
	return nil
}

// cuInsertDeferClose inserts `defer close(name)` in the body at ins and
// returns it.
func cuInsertDeferClose(f *File, ins matchers.ChanCloseInsert) (*dst.DeferStmt, error) {
	dn, err := f.Node(ins.Body)
	if err != nil {
		return nil, err
	}
	body, ok := dn.(*dst.BlockStmt)
	if !ok {
		return nil, fmt.Errorf("dst node of the goroutine's body is %T", dn)
	}
	if ins.After > len(body.List) {
		return nil, fmt.Errorf("the goroutine's body has %d statements, want at least %d", len(body.List), ins.After)
	}
	def := Defer("close", dst.NewIdent(ins.Name))
	def.Decs.Before = dst.NewLine
	def.Decs.After = dst.NewLine
	if ins.After < len(body.List) {
		// The statement that now follows keeps its own spacing, but a
		// body written on one line has none: open it up.
		next := body.List[ins.After].Decorations()
		if next.Before == dst.None {
			next.Before = dst.NewLine
		}
	}
	if n := len(body.List); n > 0 {
		last := body.List[n-1].Decorations()
		if last.After == dst.None {
			last.After = dst.NewLine
		}
	}
	body.List = splice(body.List, ins.After, 0, def)
	return def, nil
}

// cuRemoveInto deletes the ast statement st (a close that a deferred close
// replaces) and gives its comments to def: the comments above it and on its
// own line (def nil: they go with the statement). Comment lines below it
// stay: they go to the statement before or after it.
func cuRemoveInto(f *File, st ast.Stmt, def *dst.DeferStmt) error {
	l, i, err := f.locate(st)
	if err != nil {
		return err
	}
	removed := (*l)[i].Decorations()
	eol, tail := splitEnd(removed.End)
	if def != nil && len(removed.Start) > 0 {
		def.Decs.Start = append(append(dst.Decorations(nil), removed.Start...), def.Decs.Start...)
	}
	if def != nil && len(eol) > 0 {
		def.Decs.End = append(def.Decs.End, eol...)
	}
	*l = splice(*l, i, 1)
	switch {
	case i < len(*l):
		next := (*l)[i].Decorations()
		if len(tail) > 0 {
			next.Start = append(append(append(dst.Decorations(nil), tail...), "\n"), next.Start...)
		}
		if removed.Before == dst.EmptyLine {
			next.Before = dst.EmptyLine
		}
	case i > 0:
		prev := (*l)[i-1].Decorations()
		if len(tail) > 0 {
			prev.End = append(append(prev.End, "\n"), tail...)
		}
		prev.After = removed.After
	default:
		if len(tail) > 0 {
			return fmt.Errorf("cannot keep the comments below the deleted close")
		}
	}
	return nil
}
