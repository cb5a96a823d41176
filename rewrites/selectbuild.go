package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// CtxDone carries out a matchers.CtxDoneFix, the fix select-ctx-done and
// goroutine-no-exit share: every operation of the fix is guarded by the
// context's Done channel.
//
//   - WrapInSelect: the statement `op` (a send, `<-ch`, `v = <-ch`) becomes
//     select { case op: case <-ctx.Done(): return … }. A `v, ok := <-ch`
//     becomes `var v T` and `var ok bool` followed by the select with
//     `case v, ok = <-ch:`. The statement's leading comments and spacing
//     go to the first new statement; a comment at the end of its line
//     stays on the case line.
//
// The new case returns (see ctxReturn), or does what the function's own
// <-ctx.Done() case does (CaseBody, copied without its comments).
//   - AddDoneCase: case <-ctx.Done(): return … is appended to the select.
func CtxDone(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("no fix")
	}
	data, ok := fd.Fix.Data.(matchers.CtxDoneFix)
	if !ok || data.Ctx == "" || len(data.Ops) == 0 {
		return fmt.Errorf("fix data is %T, not matchers.CtxDoneFix", fd.Fix.Data)
	}
	nodes := fd.Fix.Nodes
	for _, op := range data.Ops {
		if op.Node < 0 || op.Node >= len(nodes) {
			return fmt.Errorf("operation node %d out of range", op.Node)
		}
		ret, err := ctxCaseBody(f, data, nodes)
		if err != nil {
			return err
		}
		switch op.Kind {
		case matchers.AddDoneCase:
			sel, ok := nodes[op.Node].(*ast.SelectStmt)
			if !ok {
				return fmt.Errorf("node is %T, not a select", nodes[op.Node])
			}
			if err := addDoneCase(f, sel, data.Ctx, ret); err != nil {
				return err
			}
		case matchers.WrapInSelect:
			stmt, ok := nodes[op.Node].(ast.Stmt)
			if !ok {
				return fmt.Errorf("node is %T, not a statement", nodes[op.Node])
			}
			if err := wrapInSelect(f, stmt, op, data.Ctx, ret); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown operation kind %d", op.Kind)
		}
	}
	return nil
}

// doneClause builds `case <-ctx.Done(): body`.
func doneClause(ctx string, body []dst.Stmt) *dst.CommClause {
	cc := &dst.CommClause{
		Comm: &dst.ExprStmt{X: &dst.UnaryExpr{Op: token.ARROW, X: &dst.CallExpr{
			Fun: &dst.SelectorExpr{X: dst.NewIdent(ctx), Sel: dst.NewIdent("Done")},
		}}},
		Body: body,
	}
	cc.Decs.Before = dst.NewLine
	for _, st := range body {
		st.Decorations().Before = dst.NewLine
		st.Decorations().After = dst.NewLine
	}
	return cc
}

// ctxCaseBody builds the statements of the ctx.Done() case: copies of the
// function's own case body (CaseBody), or the synthesized return.
func ctxCaseBody(f *File, data matchers.CtxDoneFix, nodes []ast.Node) ([]dst.Stmt, error) {
	if len(data.CaseBody) == 0 {
		ret, err := ctxReturn(f, data, nodes)
		if err != nil {
			return nil, err
		}
		return []dst.Stmt{ret}, nil
	}
	var out []dst.Stmt
	for _, i := range data.CaseBody {
		if i < 0 || i >= len(nodes) {
			return nil, fmt.Errorf("case body node %d out of range", i)
		}
		dn, err := f.Node(nodes[i])
		if err != nil {
			return nil, err
		}
		st, ok := dst.Clone(dn).(dst.Stmt)
		if !ok {
			return nil, fmt.Errorf("case body node is %T", dn)
		}
		clearDecorations(st)
		out = append(out, st)
	}
	return out, nil
}

// ctxReturn builds the return statement of the ctx.Done() case.
func ctxReturn(f *File, data matchers.CtxDoneFix, nodes []ast.Node) (*dst.ReturnStmt, error) {
	ret := &dst.ReturnStmt{}
	for _, z := range data.Return {
		var x dst.Expr
		switch {
		case z.CtxErr:
			x = &dst.CallExpr{Fun: &dst.SelectorExpr{X: dst.NewIdent(data.Ctx), Sel: dst.NewIdent("Err")}}
		case z.Lit == "0":
			x = &dst.BasicLit{Kind: token.INT, Value: "0"}
		case z.Lit == `""`:
			x = &dst.BasicLit{Kind: token.STRING, Value: `""`}
		case z.Lit != "":
			x = dst.NewIdent(z.Lit)
		default:
			if z.TypeNode < 0 || z.TypeNode >= len(nodes) {
				return nil, fmt.Errorf("result type node %d out of range", z.TypeNode)
			}
			dn, err := f.Node(nodes[z.TypeNode])
			if err != nil {
				return nil, err
			}
			te, ok := dst.Clone(dn).(dst.Expr)
			if !ok {
				return nil, fmt.Errorf("result type is %T", dn)
			}
			clearDecorations(te)
			if z.Deref {
				x = &dst.StarExpr{X: &dst.CallExpr{Fun: dst.NewIdent("new"), Args: []dst.Expr{te}}}
			} else {
				x = &dst.CompositeLit{Type: te}
			}
		}
		ret.Results = append(ret.Results, x)
	}
	return ret, nil
}

// clearDecorations removes the comments and line breaks of a cloned node.
func clearDecorations(n dst.Node) {
	dst.Inspect(n, func(n dst.Node) bool {
		if n == nil {
			return false
		}
		d := n.Decorations()
		d.Before, d.After = dst.None, dst.None
		d.Start, d.End = nil, nil
		return true
	})
}

// addDoneCase appends the ctx.Done() case to a select.
func addDoneCase(f *File, sel *ast.SelectStmt, ctx string, ret []dst.Stmt) error {
	dn, err := f.Node(sel)
	if err != nil {
		return err
	}
	ds, ok := dn.(*dst.SelectStmt)
	if !ok {
		return fmt.Errorf("dst node of the select is %T", dn)
	}
	ds.Body.List = append(ds.Body.List, doneClause(ctx, ret))
	return nil
}

// wrapInSelect replaces the statement by a select on it and ctx.Done().
func wrapInSelect(f *File, stmt ast.Stmt, op matchers.CtxDoneOp, ctx string, ret []dst.Stmt) error {
	l, i, err := f.locate(stmt)
	if err != nil {
		return err
	}
	ds := (*l)[i]
	switch s := ds.(type) {
	case *dst.SendStmt, *dst.ExprStmt:
	case *dst.AssignStmt:
		if s.Tok == token.DEFINE {
			s.Tok = token.ASSIGN
		}
	default:
		return fmt.Errorf("cannot wrap a %T", ds)
	}
	d := ds.Decorations()
	before, after, start := d.Before, d.After, d.Start
	eol, tail := splitEnd(d.End)
	d.Before, d.After, d.Start, d.End = dst.None, dst.None, nil, nil

	first := &dst.CommClause{Comm: ds}
	first.Decs.Before = dst.NewLine
	first.Decs.Colon = eol
	sel := &dst.SelectStmt{Body: &dst.BlockStmt{List: []dst.Stmt{first, doneClause(ctx, ret)}}}
	sel.Decs.After = after
	if len(tail) > 0 {
		sel.Decs.End = append(dst.Decorations{"\n"}, tail...)
	}

	var stmts []dst.Stmt
	for _, v := range op.Decls {
		te, err := TypeExpr(f, v.Type)
		if err != nil {
			return err
		}
		decl := &dst.DeclStmt{Decl: &dst.GenDecl{Tok: token.VAR, Specs: []dst.Spec{
			&dst.ValueSpec{Names: []*dst.Ident{dst.NewIdent(v.Name)}, Type: te},
		}}}
		decl.Decs.Before = dst.NewLine
		decl.Decs.After = dst.NewLine
		stmts = append(stmts, decl)
	}
	stmts = append(stmts, sel)
	stmts[0].Decorations().Before = before
	stmts[0].Decorations().Start = start
	if len(stmts) > 1 {
		sel.Decs.Before = dst.NewLine
	}
	*l = splice(*l, i, 1, stmts...)
	return nil
}

// TypeExpr writes the type t as a dst expression in f (the matcher checked
// that it can be written; see matchers' typeWritable): names of this
// package and predeclared names bare, names of other packages qualified by
// import path (the restorer writes the file's name for the import).
func TypeExpr(f *File, t types.Type) (dst.Expr, error) {
	named := func(obj *types.TypeName, targs *types.TypeList) (dst.Expr, error) {
		var x dst.Expr
		if obj.Pkg() == nil || obj.Pkg() == f.Pass.Pkg || obj.Parent() != obj.Pkg().Scope() {
			x = dst.NewIdent(obj.Name())
		} else {
			x = Qualified(obj.Pkg().Path(), obj.Name())
		}
		if targs == nil || targs.Len() == 0 {
			return x, nil
		}
		var args []dst.Expr
		for a := range targs.Types() {
			ae, err := TypeExpr(f, a)
			if err != nil {
				return nil, err
			}
			args = append(args, ae)
		}
		if len(args) == 1 {
			return &dst.IndexExpr{X: x, Index: args[0]}, nil
		}
		return &dst.IndexListExpr{X: x, Indices: args}, nil
	}
	switch t := t.(type) {
	case *types.Basic:
		return dst.NewIdent(t.Name()), nil
	case *types.Alias:
		return named(t.Obj(), t.TypeArgs())
	case *types.Named:
		return named(t.Obj(), t.TypeArgs())
	case *types.TypeParam:
		return dst.NewIdent(t.Obj().Name()), nil
	case *types.Pointer:
		x, err := TypeExpr(f, t.Elem())
		return &dst.StarExpr{X: x}, err
	case *types.Slice:
		x, err := TypeExpr(f, t.Elem())
		return &dst.ArrayType{Elt: x}, err
	case *types.Array:
		x, err := TypeExpr(f, t.Elem())
		return &dst.ArrayType{Len: &dst.BasicLit{Kind: token.INT, Value: strconv.FormatInt(t.Len(), 10)}, Elt: x}, err
	case *types.Map:
		k, err := TypeExpr(f, t.Key())
		if err != nil {
			return nil, err
		}
		v, err := TypeExpr(f, t.Elem())
		return &dst.MapType{Key: k, Value: v}, err
	case *types.Chan:
		x, err := TypeExpr(f, t.Elem())
		dir := dst.SEND | dst.RECV
		switch t.Dir() {
		case types.SendOnly:
			dir = dst.SEND
		case types.RecvOnly:
			dir = dst.RECV
		}
		return &dst.ChanType{Dir: dir, Value: x}, err
	case *types.Interface:
		if t.Empty() {
			if matchers.EmptyInterfaceName(f.Pass, f.Pass.File.Pos()) == "any" {
				return dst.NewIdent("any"), nil
			}
			return &dst.InterfaceType{Methods: &dst.FieldList{Opening: true, Closing: true}}, nil
		}
	case *types.Struct:
		if t.NumFields() == 0 {
			return &dst.StructType{Fields: &dst.FieldList{Opening: true, Closing: true}}, nil
		}
	}
	return nil, fmt.Errorf("cannot write type %s", t)
}
