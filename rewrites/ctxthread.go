package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"

	"github.com/dave/dst"
	"github.com/dave/dst/dstutil"

	"github.com/gofixconc/gofixconc/matchers"
)

// CtxThreading makes one Edit of a ctx-threading fix (f.Edit): add the ctx
// parameter to a declaration, replace context.Background()/TODO() with
// the context, pass the context first at a call site, bind ctx :=
// r.Context() at the top of a handler, or turn a call into its context
// form.
//
// Decorations: a new parameter or argument in a list written one per line
// goes on a line of its own; a replaced call's comments stay with the
// expression that replaces it; a binding is inserted above the body's first
// statement, whose comments stay with it.
func CtxThreading(f *File, fd matchers.Finding) error {
	if f.Edit == nil {
		return fmt.Errorf("ctx-threading: no edit")
	}
	data, ok := f.Edit.Data.(matchers.CtxThreadEdit)
	if !ok {
		return fmt.Errorf("ctx-threading: edit data is %T, not matchers.CtxThreadEdit", f.Edit.Data)
	}
	switch data.Kind {
	case matchers.CtxAddParam:
		decl, ok := f.Edit.Anchor.(*ast.FuncDecl)
		if !ok {
			return fmt.Errorf("ctx-threading: anchor is %T, not a function declaration", f.Edit.Anchor)
		}
		n, err := f.Node(decl)
		if err != nil {
			return fmt.Errorf("ctx-threading: %v", err)
		}
		dd, ok := n.(*dst.FuncDecl)
		if !ok {
			return fmt.Errorf("ctx-threading: dst node is %T", n)
		}
		field := &dst.Field{Names: []*dst.Ident{dst.NewIdent(data.Name)}, Type: Qualified("context", "Context")}
		params := dd.Type.Params
		if len(params.List) > 0 && params.List[0].Decs.Before == dst.NewLine {
			field.Decs.Before, field.Decs.After = dst.NewLine, dst.NewLine
		}
		params.List = append([]*dst.Field{field}, params.List...)
		return nil
	case matchers.CtxReplace:
		call, err := ctxCall(f, f.Edit.Anchor)
		if err != nil {
			return err
		}
		repl := CtxExpr(data.Arg)
		decs := repl.Decorations()
		decs.Before, decs.After = call.Decs.Before, call.Decs.After
		decs.Start, decs.End = call.Decs.Start, call.Decs.End
		return ctxReplace(f, call, repl)
	case matchers.CtxAddArg:
		call, err := ctxCall(f, f.Edit.Anchor)
		if err != nil {
			return err
		}
		ctxPrependArg(call, CtxExpr(data.Arg))
		return nil
	case matchers.CtxBind:
		block, ok := f.Edit.Anchor.(*ast.BlockStmt)
		if !ok {
			return fmt.Errorf("ctx-threading: anchor is %T, not a block", f.Edit.Anchor)
		}
		n, err := f.Node(block)
		if err != nil {
			return fmt.Errorf("ctx-threading: %v", err)
		}
		body, ok := n.(*dst.BlockStmt)
		if !ok {
			return fmt.Errorf("ctx-threading: dst node is %T", n)
		}
		bind := &dst.AssignStmt{Lhs: []dst.Expr{dst.NewIdent(data.Name)}, Tok: token.DEFINE, Rhs: []dst.Expr{CtxExpr(data.Arg)}}
		bind.Decs.Before, bind.Decs.After = dst.NewLine, dst.NewLine
		body.List = append([]dst.Stmt{bind}, body.List...)
		return nil
	case matchers.CtxVariant:
		call, err := ctxCall(f, f.Edit.Anchor)
		if err != nil {
			return err
		}
		return ctxVariant(call, data.Variant)
	}
	return fmt.Errorf("ctx-threading: unknown edit kind %d", data.Kind)
}

// CtxVariants turns a call into its context form (ctx-variants).
func CtxVariants(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("ctx-variants: no fix")
	}
	data, ok := fd.Fix.Data.(matchers.CtxVariantFix)
	if !ok {
		return fmt.Errorf("ctx-variants: fix data is %T, not matchers.CtxVariantFix", fd.Fix.Data)
	}
	call, err := ctxCall(f, fd.Fix.Anchor)
	if err != nil {
		return err
	}
	return ctxVariant(call, data)
}

// CtxExpr builds the dst expression of a context: a variable, recv.Context()
// or context.TODO().
func CtxExpr(e matchers.CtxExpr) dst.Expr {
	switch {
	case e.Ident != "":
		return dst.NewIdent(e.Ident)
	case e.Recv != "":
		return &dst.CallExpr{Fun: &dst.SelectorExpr{X: dst.NewIdent(e.Recv), Sel: dst.NewIdent("Context")}}
	}
	return &dst.CallExpr{Fun: Qualified("context", "TODO")}
}

// ctxCall returns the dst call decorated from the ast call n.
func ctxCall(f *File, n ast.Node) (*dst.CallExpr, error) {
	c, ok := n.(*ast.CallExpr)
	if !ok {
		return nil, fmt.Errorf("anchor is %T, not a call", n)
	}
	d, err := f.Node(c)
	if err != nil {
		return nil, err
	}
	dc, ok := d.(*dst.CallExpr)
	if !ok {
		return nil, fmt.Errorf("dst node for a call is %T", d)
	}
	return dc, nil
}

// ctxReplace puts repl where old is in the file.
func ctxReplace(f *File, old, repl dst.Node) error {
	done := false
	dstutil.Apply(f.Dst, func(c *dstutil.Cursor) bool {
		if done {
			return false
		}
		if c.Node() == old {
			c.Replace(repl)
			done = true
			return false
		}
		return true
	}, nil)
	if !done {
		return fmt.Errorf("node to replace not found in the file")
	}
	return nil
}

// ctxPrependArg passes arg first; in an argument list written one per
// line it gets a line of its own. A comment right after the opening
// parenthesis stays there (dst cannot print one after the new comma).
func ctxPrependArg(call *dst.CallExpr, arg dst.Expr) {
	if len(call.Args) > 0 && call.Args[0].Decorations().Before == dst.NewLine {
		arg.Decorations().Before, arg.Decorations().After = dst.NewLine, dst.NewLine
	}
	call.Args = append([]dst.Expr{arg}, call.Args...)
}

// ctxVariant renames the callee to its context form and passes the context.
func ctxVariant(call *dst.CallExpr, v matchers.CtxVariantFix) error {
	fun := call.Fun
	for {
		p, ok := fun.(*dst.ParenExpr)
		if !ok {
			break
		}
		fun = p.X
	}
	switch fn := fun.(type) {
	case *dst.Ident:
		fn.Name = v.To
	case *dst.SelectorExpr:
		fn.Sel.Name = v.To
	default:
		return fmt.Errorf("callee is %T", fun)
	}
	ctxPrependArg(call, CtxExpr(v.Arg))
	if v.ExtraNil {
		call.Args = append(call.Args, dst.NewIdent("nil"))
	}
	return nil
}
