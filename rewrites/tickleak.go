package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"

	"github.com/dave/dst"
	"github.com/dave/dst/dstutil"

	"github.com/gofixconc/gofixconc/matchers"
)

// TickLeak replaces time.Tick(d) with a ticker the function stops:
//
//	ticker := time.NewTicker(d)
//	defer ticker.Stop()
//	for range ticker.C {
//
// The two statements go right before the statement that held the call and
// take over its leading comments (and the blank line above it), so a
// comment that introduced the loop introduces the group. The duration
// expression moves into NewTicker with its comments; comments around the
// call's parentheses go with it too. time is written with the file's name
// for the package (an alias included).
func TickLeak(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("tick-leak: no fix")
	}
	data, ok := fd.Fix.Data.(matchers.TickLeakFix)
	if !ok || data.Name == "" || data.Stmt == nil {
		return fmt.Errorf("tick-leak: fix data is %T, not matchers.TickLeakFix", fd.Fix.Data)
	}
	call, ok := fd.Fix.Anchor.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return fmt.Errorf("tick-leak: anchor is %T, not the time.Tick call", fd.Fix.Anchor)
	}
	dn, err := f.Node(call)
	if err != nil {
		return fmt.Errorf("tick-leak: %v", err)
	}
	dcall, ok := dn.(*dst.CallExpr)
	if !ok || len(dcall.Args) != 1 {
		return fmt.Errorf("tick-leak: dst node of the call is %T", dn)
	}
	ds, err := f.Stmt(data.Stmt)
	if err != nil {
		return fmt.Errorf("tick-leak: %v", err)
	}

	// ticker.C in place of the call, with the call's own decorations.
	sel := &dst.SelectorExpr{X: dst.NewIdent(data.Name), Sel: dst.NewIdent("C")}
	sel.Decs.NodeDecs = dcall.Decs.NodeDecs
	replaced := false
	dstutil.Apply(ds, func(c *dstutil.Cursor) bool {
		if replaced {
			return false
		}
		if c.Node() == dcall {
			c.Replace(sel)
			replaced = true
			return false
		}
		return true
	}, nil)
	if !replaced {
		return fmt.Errorf("tick-leak: the call is not inside its statement")
	}

	// ticker := time.NewTicker(d), keeping the comments inside the call.
	nc := &dst.CallExpr{Fun: Qualified("time", "NewTicker"), Args: dcall.Args}
	nc.Decs.Lparen = dcall.Decs.Lparen
	nc.Decs.Fun = dcall.Decs.Fun
	decl := &dst.AssignStmt{
		Lhs: []dst.Expr{dst.NewIdent(data.Name)},
		Tok: token.DEFINE,
		Rhs: []dst.Expr{nc},
	}
	decl.Decs.Before = dst.NewLine
	decl.Decs.After = dst.NewLine
	stop := &dst.DeferStmt{Call: &dst.CallExpr{Fun: &dst.SelectorExpr{X: dst.NewIdent(data.Name), Sel: dst.NewIdent("Stop")}}}
	stop.Decs.Before = dst.NewLine
	stop.Decs.After = dst.NewLine
	return f.InsertBefore(data.Stmt, decl, stop)
}
