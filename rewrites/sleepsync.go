package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// SleepSync replaces a time.Sleep that waits for goroutines with a
// sync.WaitGroup (the fix of matchers.SleepSync; Nodes are the sleep's
// statement, the statement before which the WaitGroup is declared, then the
// go statements, described by SleepSyncFix.Goroutines):
//
//   - `var wg sync.WaitGroup` goes right before the first statement that
//     starts goroutines, and takes over its leading comments and spacing
//     (the comment that introduced the phase introduces the WaitGroup too;
//     directives stay directly above that statement);
//   - before each go statement, `wg.Add(1)`, which takes over the go
//     statement's leading comments (and blank line), so the comment that
//     introduced the goroutine introduces the pair; directives (//nolint:…)
//     from the first one on stay directly above the go statement;
//   - a literal goroutine gets `defer wg.Done()` as its first statement
//     (a one-line literal is opened up); in a Go ≥ 1.25 file a literal
//     without parameters becomes `wg.Go(func() { … })`, keeping the go
//     statement's comments;
//   - a call goroutine becomes `go func(params) { defer wg.Done(); call }(values)`
//     with the values the matcher chose to bind; the go statement's end
//     comments stay at its end;
//   - the sleep's call becomes `wg.Wait()` in the same statement, so its
//     comments stay; comments inside its parentheses go to its end.
//
// The restorer adds the sync import and drops time's when nothing uses it
// any more.
func SleepSync(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("sleep-sync: no fix")
	}
	data, ok := fd.Fix.Data.(matchers.SleepSyncFix)
	if !ok || data.WG == "" {
		return fmt.Errorf("sleep-sync: fix data is %T, not matchers.SleepSyncFix", fd.Fix.Data)
	}
	n := fd.Fix.Nodes
	if len(n) < 3 || len(n)-2 != len(data.Goroutines) {
		return fmt.Errorf("sleep-sync: malformed fix: %d nodes for %d goroutines", len(n), len(data.Goroutines))
	}
	sleep, ok := n[0].(*ast.ExprStmt)
	if !ok {
		return fmt.Errorf("sleep-sync: malformed fix: sleep is %T", n[0])
	}
	top, ok := n[1].(ast.Stmt)
	if !ok {
		return fmt.Errorf("sleep-sync: malformed fix: first statement is %T", n[1])
	}
	wg := data.WG

	// The declaration first: the go statement that may be `top` is then
	// still in place.
	if err := ssDeclare(f, top, wg); err != nil {
		return err
	}
	for i, spec := range data.Goroutines {
		g, ok := n[i+2].(*ast.GoStmt)
		if !ok {
			return fmt.Errorf("sleep-sync: malformed fix: node %d is %T", i+2, n[i+2])
		}
		var err error
		switch {
		case spec.Go:
			err = ssUseGo(f, g, wg)
		case spec.Wrap:
			err = ssWrap(f, g, wg, spec.Binds)
		default:
			err = ssDoneInLiteral(f, g, wg)
		}
		if err == nil && !spec.Go {
			err = ssAdd(f, g, wg)
		}
		if err != nil {
			return err
		}
	}
	return ssWait(f, sleep, wg)
}

func ssSel(x, sel string) *dst.SelectorExpr {
	return &dst.SelectorExpr{X: dst.NewIdent(x), Sel: dst.NewIdent(sel)}
}

func ssCall(x, sel string, args ...dst.Expr) *dst.CallExpr {
	return &dst.CallExpr{Fun: ssSel(x, sel), Args: args}
}

// ssDeclare inserts `var wg sync.WaitGroup` right before top. The
// declaration takes over top's leading comments and spacing, so the comment
// that introduced the phase introduces the WaitGroup with it; directives
// (//nolint:…) and the comment lines after the first one stay directly
// above top, which they apply to.
func ssDeclare(f *File, top ast.Stmt, wg string) error {
	decl := &dst.DeclStmt{Decl: &dst.GenDecl{
		Tok:   token.VAR,
		Specs: []dst.Spec{&dst.ValueSpec{Names: []*dst.Ident{dst.NewIdent(wg)}, Type: Qualified("sync", "WaitGroup")}},
	}}
	decl.Decs.Before = dst.NewLine
	decl.Decs.After = dst.NewLine
	if err := f.InsertBefore(top, decl); err != nil {
		return err
	}
	if i := firstDirective(decl.Decs.Start); i >= 0 {
		dt, err := f.Stmt(top)
		if err != nil {
			return err
		}
		dt.Decorations().Start = append(dst.Decorations(nil), decl.Decs.Start[i:]...)
		decl.Decs.Start = trimBreaks(decl.Decs.Start[:i])
	}
	return nil
}

// ssAdd inserts `wg.Add(1)` before the go statement g.
func ssAdd(f *File, g *ast.GoStmt, wg string) error {
	add := &dst.ExprStmt{X: ssCall(wg, "Add", &dst.BasicLit{Kind: token.INT, Value: "1"})}
	add.Decs.Before = dst.NewLine
	add.Decs.After = dst.NewLine
	if err := f.InsertBefore(g, add); err != nil {
		return err
	}
	// Directives apply to the line below them: from the first one on, the
	// go statement keeps its comments.
	if i := firstDirective(add.Decs.Start); i >= 0 {
		dg, err := f.Stmt(g)
		if err != nil {
			return err
		}
		dg.Decorations().Start = append(dst.Decorations(nil), add.Decs.Start[i:]...)
		add.Decs.Start = trimBreaks(add.Decs.Start[:i])
	}
	return nil
}

// ssLiteral returns the dst function literal of a go statement's call.
func ssLiteral(f *File, g *ast.GoStmt) (*dst.FuncLit, error) {
	lit, ok := ast.Unparen(g.Call.Fun).(*ast.FuncLit)
	if !ok {
		return nil, fmt.Errorf("sleep-sync: the go statement at line %d does not call a literal", f.Line(g.Pos()))
	}
	dn, err := f.Node(lit)
	if err != nil {
		return nil, err
	}
	dl, ok := dn.(*dst.FuncLit)
	if !ok {
		return nil, fmt.Errorf("sleep-sync: dst node of the literal is %T", dn)
	}
	return dl, nil
}

// ssPrepend puts stmt first in body, on a line of its own.
func ssPrepend(body *dst.BlockStmt, stmt dst.Stmt) {
	sd := stmt.Decorations()
	sd.Before, sd.After = dst.NewLine, dst.NewLine
	if len(body.List) > 0 {
		first := body.List[0].Decorations()
		if first.Before == dst.None {
			first.Before = dst.NewLine
		}
		last := body.List[len(body.List)-1].Decorations()
		if last.After == dst.None {
			last.After = dst.NewLine
		}
	}
	body.List = append([]dst.Stmt{stmt}, body.List...)
}

func ssDefer(wg string) *dst.DeferStmt {
	return &dst.DeferStmt{Call: ssCall(wg, "Done")}
}

// ssDoneInLiteral makes `defer wg.Done()` the literal goroutine's first
// statement.
func ssDoneInLiteral(f *File, g *ast.GoStmt, wg string) error {
	dl, err := ssLiteral(f, g)
	if err != nil {
		return err
	}
	ssPrepend(dl.Body, ssDefer(wg))
	return nil
}

// ssUseGo turns `go func() { … }()` into `wg.Go(func() { … })`.
func ssUseGo(f *File, g *ast.GoStmt, wg string) error {
	dl, err := ssLiteral(f, g)
	if err != nil {
		return err
	}
	l, i, err := f.locate(g)
	if err != nil {
		return err
	}
	dg, ok := (*l)[i].(*dst.GoStmt)
	if !ok {
		return fmt.Errorf("sleep-sync: dst node of the go statement is %T", (*l)[i])
	}
	call := ssCall(wg, "Go", dl)
	call.Decs.NodeDecs = dg.Call.Decs.NodeDecs
	call.Decs.NodeDecs.Before, call.Decs.NodeDecs.After = dst.None, dst.None
	stmt := &dst.ExprStmt{X: call}
	stmt.Decs.NodeDecs = dg.Decs.NodeDecs
	stmt.Decs.End = append(append(dst.Decorations(nil), dg.Decs.Go...), stmt.Decs.End...)
	(*l)[i] = stmt
	return nil
}

// ssUnparen strips dst parentheses.
func ssUnparen(e dst.Expr) dst.Expr {
	for {
		p, ok := e.(*dst.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// ssWrap turns `go call` into `go func(params) { defer wg.Done(); call' }(values)`.
func ssWrap(f *File, g *ast.GoStmt, wg string, binds []matchers.SleepSyncBind) error {
	dn, err := f.Stmt(g)
	if err != nil {
		return err
	}
	dg, ok := dn.(*dst.GoStmt)
	if !ok {
		return fmt.Errorf("sleep-sync: dst node of the go statement is %T", dn)
	}
	orig := dg.Call
	inner := &dst.CallExpr{Fun: orig.Fun, Args: append([]dst.Expr(nil), orig.Args...), Ellipsis: orig.Ellipsis}
	inner.Decs = orig.Decs
	inner.Decs.NodeDecs = dst.NodeDecs{}
	var params []*dst.Field
	var values []dst.Expr
	for _, b := range binds {
		var v dst.Expr
		switch {
		case b.Part == matchers.SleepSyncFunc:
			v, inner.Fun = inner.Fun, dst.NewIdent(b.Name)
		case b.Part == matchers.SleepSyncRecv:
			sel, ok := ssUnparen(inner.Fun).(*dst.SelectorExpr)
			if !ok {
				return fmt.Errorf("sleep-sync: the call at line %d has no receiver", f.Line(g.Pos()))
			}
			v = sel.X
			inner.Fun = &dst.SelectorExpr{X: dst.NewIdent(b.Name), Sel: sel.Sel, Decs: sel.Decs}
			switch {
			case b.Addr:
				v = &dst.UnaryExpr{Op: token.AND, X: v}
			case b.Deref:
				v = &dst.StarExpr{X: v}
			}
		case b.Part >= 0 && b.Part < len(inner.Args):
			v = inner.Args[b.Part]
			inner.Args[b.Part] = dst.NewIdent(b.Name)
		default:
			return fmt.Errorf("sleep-sync: malformed bind %d at line %d", b.Part, f.Line(g.Pos()))
		}
		if b.Reuse {
			continue
		}
		te, ok := matchers.SleepSyncTypeExpr(f.Pass, g.Pos(), b.Type)
		if !ok {
			return fmt.Errorf("sleep-sync: cannot write the type %s at line %d", b.Type, f.Line(g.Pos()))
		}
		dt, err := ssTypeToDst(te)
		if err != nil {
			return err
		}
		params = append(params, &dst.Field{Names: []*dst.Ident{dst.NewIdent(b.Name)}, Type: dt})
		values = append(values, v)
	}
	// The values keep their layout in the outer call; the call in the
	// literal is written on one line.
	for _, a := range inner.Args {
		a.Decorations().Before, a.Decorations().After = dst.None, dst.None
	}
	body := &dst.BlockStmt{}
	call := &dst.ExprStmt{X: inner}
	call.Decs.Before, call.Decs.After = dst.NewLine, dst.NewLine
	body.List = []dst.Stmt{call}
	ssPrepend(body, ssDefer(wg))
	lit := &dst.FuncLit{Type: &dst.FuncType{Func: true, Params: &dst.FieldList{List: params}}, Body: body}
	outer := &dst.CallExpr{Fun: lit, Args: values}
	outer.Decs.NodeDecs = orig.Decs.NodeDecs
	dg.Call = outer
	return nil
}

// ssTypeToDst converts a type expression of matchers.SleepSyncTypeExpr
// (qualified names carry the import path) to dst.
func ssTypeToDst(e ast.Expr) (dst.Expr, error) {
	var conv func(e ast.Expr) (dst.Expr, error)
	list := func(fl *ast.FieldList) (*dst.FieldList, error) {
		out := &dst.FieldList{}
		if fl == nil {
			return out, nil
		}
		for _, f := range fl.List {
			t, err := conv(f.Type)
			if err != nil {
				return nil, err
			}
			out.List = append(out.List, &dst.Field{Type: t})
		}
		return out, nil
	}
	conv = func(e ast.Expr) (dst.Expr, error) {
		switch e := e.(type) {
		case *ast.Ident:
			return dst.NewIdent(e.Name), nil
		case *ast.SelectorExpr:
			path, ok := e.X.(*ast.Ident)
			if !ok {
				return nil, fmt.Errorf("sleep-sync: bad qualified type")
			}
			return Qualified(path.Name, e.Sel.Name), nil
		case *ast.StarExpr:
			x, err := conv(e.X)
			return &dst.StarExpr{X: x}, err
		case *ast.ParenExpr:
			x, err := conv(e.X)
			return &dst.ParenExpr{X: x}, err
		case *ast.ArrayType:
			elt, err := conv(e.Elt)
			if err != nil {
				return nil, err
			}
			out := &dst.ArrayType{Elt: elt}
			if lit, ok := e.Len.(*ast.BasicLit); ok {
				out.Len = &dst.BasicLit{Kind: lit.Kind, Value: lit.Value}
			}
			return out, nil
		case *ast.MapType:
			k, err := conv(e.Key)
			if err != nil {
				return nil, err
			}
			v, err := conv(e.Value)
			return &dst.MapType{Key: k, Value: v}, err
		case *ast.ChanType:
			v, err := conv(e.Value)
			return &dst.ChanType{Dir: dst.ChanDir(e.Dir), Value: v}, err
		case *ast.Ellipsis:
			elt, err := conv(e.Elt)
			return &dst.Ellipsis{Elt: elt}, err
		case *ast.FuncType:
			params, err := list(e.Params)
			if err != nil {
				return nil, err
			}
			out := &dst.FuncType{Func: true, Params: params}
			if e.Results != nil {
				if out.Results, err = list(e.Results); err != nil {
					return nil, err
				}
			}
			return out, nil
		case *ast.InterfaceType:
			return &dst.InterfaceType{Methods: &dst.FieldList{}}, nil
		case *ast.StructType:
			return &dst.StructType{Fields: &dst.FieldList{}}, nil
		case *ast.IndexExpr:
			x, err := conv(e.X)
			if err != nil {
				return nil, err
			}
			i, err := conv(e.Index)
			return &dst.IndexExpr{X: x, Index: i}, err
		case *ast.IndexListExpr:
			x, err := conv(e.X)
			if err != nil {
				return nil, err
			}
			out := &dst.IndexListExpr{X: x}
			for _, ix := range e.Indices {
				d, err := conv(ix)
				if err != nil {
					return nil, err
				}
				out.Indices = append(out.Indices, d)
			}
			return out, nil
		}
		return nil, fmt.Errorf("sleep-sync: cannot write type syntax %T", e)
	}
	return conv(e)
}

// ssWait replaces the sleep's call with wg.Wait(), keeping the statement and
// its comments; comments inside the call's parentheses go to its end.
func ssWait(f *File, sleep *ast.ExprStmt, wg string) error {
	dn, err := f.Stmt(sleep)
	if err != nil {
		return err
	}
	ds, ok := dn.(*dst.ExprStmt)
	if !ok {
		return fmt.Errorf("sleep-sync: dst node of the sleep is %T", dn)
	}
	old := ds.X
	wait := ssCall(wg, "Wait")
	wait.Decs.NodeDecs = *old.Decorations()
	var inner dst.Decorations
	dst.Inspect(old, func(n dst.Node) bool {
		if n == nil {
			return false
		}
		if n != old {
			nd := n.Decorations()
			inner = append(inner, ssComments(nd.Start)...)
			inner = append(inner, ssComments(nd.End)...)
		}
		if c, ok := n.(*dst.CallExpr); ok {
			inner = append(inner, ssComments(c.Decs.Fun)...)
			inner = append(inner, ssComments(c.Decs.Lparen)...)
			inner = append(inner, ssComments(c.Decs.Ellipsis)...)
		}
		return true
	})
	if len(inner) > 0 {
		wait.Decs.End = append(inner, wait.Decs.End...)
	}
	ds.X = wait
	return nil
}

func ssComments(d dst.Decorations) dst.Decorations {
	var out dst.Decorations
	for _, c := range d {
		if strings.HasPrefix(c, "//") || strings.HasPrefix(c, "/*") {
			out = append(out, c)
		}
	}
	return out
}
