package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// CloseFromReceiver replaces the receiver's close(ch) with a goroutine that
// drains the channel (go func() { for range ch {} }(); for defer close(ch),
// the deferred call starts it), and inserts defer close(ch) in the sending
// goroutine, after the leading defer statements of its body — unless the
// sender already closes the channel itself. When the receiver ranges until
// the close, there is nothing to drain: the close is only deleted.
//
// Decorations: the drain takes the place of the close with its comments
// and spacing; a close that is only deleted gives its comments to the
// deferred close in the sender. A sending goroutine written on one line is
// spread over several.
func CloseFromReceiver(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("close-from-receiver: no fix")
	}
	data, ok := fd.Fix.Data.(matchers.CloseRecvFix)
	if !ok || data.Remove == nil || data.Name == "" {
		return fmt.Errorf("close-from-receiver: fix data is %T, not matchers.CloseRecvFix", fd.Fix.Data)
	}
	var def *dst.DeferStmt
	if data.Body != nil {
		var err error
		if def, err = cuInsertDeferClose(f, data.ChanCloseInsert); err != nil {
			return fmt.Errorf("close-from-receiver: %v", err)
		}
	}
	var err error
	if data.Drain {
		err = cuReplaceWithDrain(f, data.Remove, data.Name)
	} else {
		err = cuRemoveInto(f, data.Remove, def)
	}
	if err != nil {
		return fmt.Errorf("close-from-receiver: %v", err)
	}
	return nil
}

// cuReplaceWithDrain replaces the statement st — close(name) or
// defer close(name) — with a goroutine that receives from the channel until
// it is closed, started in place of the close (or by the deferred call).
func cuReplaceWithDrain(f *File, st ast.Stmt, name string) error {
	l, i, err := f.locate(st)
	if err != nil {
		return err
	}
	drain := &dst.GoStmt{Call: &dst.CallExpr{Fun: &dst.FuncLit{
		Type: &dst.FuncType{Params: &dst.FieldList{}},
		Body: &dst.BlockStmt{List: []dst.Stmt{&dst.RangeStmt{
			Tok:  token.ILLEGAL,
			X:    dst.NewIdent(name),
			Body: &dst.BlockStmt{},
			Decs: dst.RangeStmtDecorations{NodeDecs: dst.NodeDecs{Before: dst.NewLine, After: dst.NewLine}},
		}}},
	}}}
	var repl dst.Stmt = drain
	if _, ok := st.(*ast.DeferStmt); ok {
		drain.Decs.Before, drain.Decs.After = dst.NewLine, dst.NewLine
		repl = &dst.DeferStmt{Call: &dst.CallExpr{Fun: &dst.FuncLit{
			Type: &dst.FuncType{Params: &dst.FieldList{}},
			Body: &dst.BlockStmt{List: []dst.Stmt{drain}},
		}}}
	}
	old := (*l)[i].Decorations()
	*repl.Decorations() = *old
	(*l)[i] = repl
	return nil
}
