package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"

	"github.com/dave/dst"
	"github.com/dave/dst/dstutil"
	"golang.org/x/tools/go/ast/astutil"

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
	case matchers.CtxNameParam:
		n, err := f.Node(f.Edit.Anchor)
		if err != nil {
			return fmt.Errorf("ctx-threading: %v", err)
		}
		id, ok := n.(*dst.Ident)
		if !ok || id.Name != "_" {
			return fmt.Errorf("ctx-threading: anchor is %T, not the blank parameter", n)
		}
		id.Name = data.Name
		return nil
	case matchers.CtxRemoveDecl:
		stmt, ok := f.Edit.Anchor.(*ast.AssignStmt)
		if !ok {
			return fmt.Errorf("ctx-threading: anchor is %T, not an assignment", f.Edit.Anchor)
		}
		var next dst.Stmt
		if data.Next != nil {
			n, err := f.Stmt(data.Next)
			if err != nil {
				return fmt.Errorf("ctx-threading: %v", err)
			}
			next = n
		}
		ds, err := f.Remove(stmt)
		if err != nil {
			return err
		}
		// Comments above the removed statement stay, above the next one.
		if d := ds.Decorations(); next != nil && len(d.Start) > 0 {
			nd := next.Decorations()
			nd.Start = append(append(dst.Decorations{}, d.Start...), nd.Start...)
			nd.Before = d.Before
		}
		return nil
	case matchers.CtxVariant:
		call, err := ctxCall(f, f.Edit.Anchor)
		if err != nil {
			return err
		}
		return ctxVariant(f, f.Edit.Anchor.(*ast.CallExpr), call, data.Variant)
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
	return ctxVariant(f, fd.Fix.Anchor.(*ast.CallExpr), call, data)
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

// ctxVariant turns the call (ast and dst) into its context form: renames
// the callee and passes the context, dials with a net.Dialer, or builds an
// HTTP request with the context and sends it (see matchers.CtxHTTPFix).
func ctxVariant(f *File, ac *ast.CallExpr, call *dst.CallExpr, v matchers.CtxVariantFix) error {
	switch {
	case v.Dial:
		return ctxDial(call, v)
	case v.HTTP != nil:
		return ctxHTTP(f, ac, call, v)
	}
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

// ctxDial: net.Dial(n, a) → (&net.Dialer{}).DialContext(ctx, n, a), and
// net.DialTimeout(n, a, t) → (&net.Dialer{Timeout: t}).DialContext(ctx, n, a).
func ctxDial(call *dst.CallExpr, v matchers.CtxVariantFix) error {
	lit := &dst.CompositeLit{Type: Qualified("net", "Dialer")}
	if v.Timeout {
		if len(call.Args) != 3 {
			return fmt.Errorf("net.DialTimeout with %d arguments", len(call.Args))
		}
		t := call.Args[2]
		t.Decorations().Before, t.Decorations().After = dst.None, dst.None
		lit.Elts = []dst.Expr{&dst.KeyValueExpr{Key: dst.NewIdent("Timeout"), Value: t}}
		call.Args = call.Args[:2]
		if n := len(call.Args); n > 0 && call.Args[n-1].Decorations().After == dst.NewLine {
			call.Args[n-1].Decorations().After = dst.None
		}
	}
	fun := &dst.SelectorExpr{
		X:   &dst.ParenExpr{X: &dst.UnaryExpr{Op: token.AND, X: lit}},
		Sel: dst.NewIdent(v.To),
	}
	fun.Decs.Start = call.Fun.Decorations().Start
	call.Fun = fun
	ctxPrependArg(call, CtxExpr(v.Arg))
	return nil
}

// ctxHTTP rewrites the statement holding an http.Get/Head/Post call (or a
// client's): the request is built with the context above it, its error
// checked as the call's is, and the call becomes Do(req).
func ctxHTTP(f *File, ac *ast.CallExpr, call *dst.CallExpr, v matchers.CtxVariantFix) error {
	h := v.HTTP
	path, _ := astutil.PathEnclosingInterval(f.Pass.File, ac.Pos(), ac.End())
	var stmt ast.Stmt
	for i, n := range path {
		if n == ac && i+1 < len(path) {
			stmt, _ = path[i+1].(ast.Stmt)
			break
		}
	}
	if stmt == nil {
		return fmt.Errorf("http call is not directly in a statement")
	}
	want := 1
	if h.Post {
		want = 3
	}
	if len(call.Args) != want {
		return fmt.Errorf("http call with %d arguments", len(call.Args))
	}
	// Arguments written one per line stay so, the new ones with them.
	sep := dst.None
	if call.Args[0].Decorations().Before == dst.NewLine {
		sep = dst.NewLine
	}
	plain := func(e dst.Expr) dst.Expr {
		e.Decorations().Before, e.Decorations().After = sep, sep
		return e
	}
	url := plain(call.Args[0])
	var body, ctype dst.Expr = dst.NewIdent("nil"), nil
	if h.Post {
		ctype, body = call.Args[1], call.Args[2]
		ctype.Decorations().Before, ctype.Decorations().After = dst.None, dst.None
	}
	var client dst.Expr = Qualified("net/http", "DefaultClient")
	if h.Client {
		sel, ok := call.Fun.(*dst.SelectorExpr)
		if !ok {
			return fmt.Errorf("client call's callee is %T", call.Fun)
		}
		client = sel.X
	}
	newReq := &dst.AssignStmt{
		Lhs: []dst.Expr{dst.NewIdent(h.Req), dst.NewIdent(h.Err)},
		Tok: token.DEFINE,
		Rhs: []dst.Expr{&dst.CallExpr{
			Fun:  Qualified("net/http", "NewRequestWithContext"),
			Args: []dst.Expr{plain(CtxExpr(v.Arg)), plain(Qualified("net/http", h.Method)), url, plain(body)},
		}},
	}
	var check dst.Stmt
	if h.Return {
		check = &dst.IfStmt{
			Cond: &dst.BinaryExpr{X: dst.NewIdent(h.Err), Op: token.NEQ, Y: dst.NewIdent("nil")},
			Body: &dst.BlockStmt{List: []dst.Stmt{&dst.ReturnStmt{Results: []dst.Expr{dst.NewIdent("nil"), dst.NewIdent(h.Err)}}}},
		}
	} else {
		as, ok := stmt.(*ast.AssignStmt)
		if !ok {
			return fmt.Errorf("http call's statement is %T", stmt)
		}
		next, err := ctxNextStmt(f, as)
		if err != nil {
			return err
		}
		orig, err := f.Stmt(next)
		if err != nil {
			return err
		}
		ifs, ok := orig.(*dst.IfStmt)
		if !ok {
			return fmt.Errorf("the statement after the http call is %T", orig)
		}
		cp := dst.Clone(ifs).(*dst.IfStmt)
		cp.Else = nil
		cp.Decs.Start, cp.Decs.Else, cp.Decs.End = nil, nil, nil
		if !h.Define {
			ds, err := f.Stmt(as)
			if err != nil {
				return err
			}
			ds.(*dst.AssignStmt).Tok = token.ASSIGN
		}
		check = cp
	}
	check.Decorations().Before, check.Decorations().After = dst.NewLine, dst.NewLine
	newReq.Decs.Before, newReq.Decs.After = dst.NewLine, dst.NewLine
	stmts := []dst.Stmt{newReq, check}
	if h.Post {
		set := &dst.ExprStmt{X: &dst.CallExpr{
			Fun: &dst.SelectorExpr{
				X:   &dst.SelectorExpr{X: dst.NewIdent(h.Req), Sel: dst.NewIdent("Header")},
				Sel: dst.NewIdent("Set"),
			},
			Args: []dst.Expr{&dst.BasicLit{Kind: token.STRING, Value: `"Content-Type"`}, ctype},
		}}
		set.Decs.Before, set.Decs.After = dst.NewLine, dst.NewLine
		stmts = append(stmts, set)
	}
	do := &dst.SelectorExpr{X: client, Sel: dst.NewIdent("Do")}
	do.Decs.Start = call.Fun.Decorations().Start
	call.Fun = do
	call.Args = []dst.Expr{dst.NewIdent(h.Req)}
	return f.InsertBefore(stmt, stmts...)
}

// ctxNextStmt returns the statement right after st in its list.
func ctxNextStmt(f *File, st ast.Stmt) (ast.Stmt, error) {
	list, err := EnclosingList(f.Pass.File, st)
	if err != nil {
		return nil, err
	}
	var stmts []ast.Stmt
	switch l := list.(type) {
	case *ast.BlockStmt:
		stmts = l.List
	case *ast.CaseClause:
		stmts = l.Body
	case *ast.CommClause:
		stmts = l.Body
	}
	for i, s := range stmts {
		if s == st && i+1 < len(stmts) {
			return stmts[i+1], nil
		}
	}
	return nil, fmt.Errorf("no statement after the http call")
}
