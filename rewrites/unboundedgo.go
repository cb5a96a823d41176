package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// UnboundedGo bounds the goroutines a loop starts (the fix of
// matchers.UnboundedGo; see matchers.UnboundedGoFix for its nodes).
//
// With a semaphore, the result reads
//
//	sem := make(chan struct{}, N)
//	for _, x := range xs {
//		sem <- struct{}{}
//		wg.Add(1)
//		go func() {
//			defer func() { <-sem }()
//			defer wg.Done()
//			…
//		}()
//	}
//
// and, with a context in scope,
//
//	sem := make(chan struct{}, N)
//	loop:
//	for _, x := range xs {
//		select {
//		case sem <- struct{}{}:
//		case <-ctx.Done():
//			break loop
//		}
//		…
//	}
//
// Comments: the declaration of the semaphore takes over the comments above
// the loop (they introduce the whole construct), the acquire those above
// the statement it goes before (the go statement, or the wg.Add that counts
// it), and the release goes first in the goroutine's body, after a comment
// on the line of its opening brace and before the comments of the
// statement that was first. A goroutine written on one line stays on one
// line.
//
// With an errgroup.Group, `g.SetLimit(N)` goes right after the statement
// that declares g.
func UnboundedGo(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("unbounded-go: no fix")
	}
	d, ok := fd.Fix.Data.(*matchers.UnboundedGoFix)
	if !ok {
		return fmt.Errorf("unbounded-go: malformed fix: data is %T", fd.Fix.Data)
	}
	if d.SetLimit {
		return ubSetLimit(f, fd, d)
	}
	n := fd.Fix.Nodes
	if len(n) < 4 || d.Sem == "" {
		return fmt.Errorf("unbounded-go: malformed fix: %d nodes", len(n))
	}
	outer, ok1 := n[0].(ast.Stmt)
	loop, ok2 := n[1].(ast.Stmt)
	before, ok3 := n[2].(ast.Stmt)
	spawn, ok4 := n[3].(ast.Stmt)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return fmt.Errorf("unbounded-go: malformed fix: nodes are not statements")
	}

	// The release, first in the goroutine's body.
	if d.Wrap {
		g, ok := spawn.(*ast.GoStmt)
		if !ok {
			return fmt.Errorf("unbounded-go: malformed fix: wrap of %T", spawn)
		}
		dn, err := f.Node(g)
		if err != nil {
			return err
		}
		dg, ok := dn.(*dst.GoStmt)
		if !ok {
			return fmt.Errorf("unbounded-go: dst node of the go statement is %T", dn)
		}
		call := &dst.ExprStmt{X: dg.Call}
		call.Decs.Before = dst.NewLine
		call.Decs.After = dst.NewLine
		rel := ubRelease(d.Sem)
		rel.Decs.Before = dst.NewLine
		dg.Call = &dst.CallExpr{Fun: &dst.FuncLit{
			Type: &dst.FuncType{Func: true, Params: &dst.FieldList{}},
			Body: &dst.BlockStmt{List: []dst.Stmt{rel, call}},
		}}
	} else {
		if len(n) < 5 {
			return fmt.Errorf("unbounded-go: malformed fix: no goroutine body")
		}
		body, ok := n[4].(*ast.BlockStmt)
		if !ok {
			return fmt.Errorf("unbounded-go: malformed fix: body is %T", n[4])
		}
		dn, err := f.Node(body)
		if err != nil {
			return err
		}
		db, ok := dn.(*dst.BlockStmt)
		if !ok {
			return fmt.Errorf("unbounded-go: dst node of the body is %T", dn)
		}
		rel := ubRelease(d.Sem)
		if len(db.List) > 0 {
			first := db.List[0].Decorations()
			rel.Decs.Before = first.Before
			if first.Before == dst.EmptyLine {
				rel.Decs.Before = dst.NewLine
			}
			if first.Before != dst.None {
				first.Before = dst.NewLine
			}
		} else if ast.Node(body) != nil && f.Line(body.Lbrace) != f.Line(body.Rbrace) {
			rel.Decs.Before = dst.NewLine
			rel.Decs.After = dst.NewLine
		}
		db.List = append([]dst.Stmt{rel}, db.List...)
	}

	// The acquire, before the spawn (or the wg.Add counting it).
	var acquire dst.Stmt
	send := &dst.SendStmt{Chan: dst.NewIdent(d.Sem), Value: ubToken()}
	if d.Ctx == "" {
		acquire = send
	} else {
		if d.Label == "" {
			return fmt.Errorf("unbounded-go: malformed fix: a context but no label")
		}
		brk := &dst.BranchStmt{Tok: token.BREAK, Label: dst.NewIdent(d.Label)}
		brk.Decs.Before = dst.NewLine
		done := &dst.ExprStmt{X: &dst.UnaryExpr{Op: token.ARROW, X: &dst.CallExpr{
			Fun: &dst.SelectorExpr{X: dst.NewIdent(d.Ctx), Sel: dst.NewIdent("Done")},
		}}}
		c1 := &dst.CommClause{Comm: send}
		c1.Decs.Before = dst.NewLine
		c2 := &dst.CommClause{Comm: done, Body: []dst.Stmt{brk}}
		c2.Decs.Before = dst.NewLine
		c2.Decs.After = dst.NewLine
		acquire = &dst.SelectStmt{Body: &dst.BlockStmt{List: []dst.Stmt{c1, c2}}}
	}
	acquire.Decorations().Before = dst.NewLine
	acquire.Decorations().After = dst.NewLine
	if err := ubInsertBefore(f, before, acquire); err != nil {
		return err
	}

	// The semaphore, before the loop.
	var limit dst.Expr = &dst.BasicLit{Kind: token.INT, Value: strconv.Itoa(d.N)}
	if d.N == 0 {
		limit = &dst.CallExpr{Fun: Qualified("runtime", "GOMAXPROCS"), Args: []dst.Expr{&dst.BasicLit{Kind: token.INT, Value: "0"}}}
	}
	decl := &dst.AssignStmt{
		Lhs: []dst.Expr{dst.NewIdent(d.Sem)},
		Tok: token.DEFINE,
		Rhs: []dst.Expr{&dst.CallExpr{Fun: dst.NewIdent("make"), Args: []dst.Expr{
			&dst.ChanType{Dir: dst.SEND | dst.RECV, Value: &dst.StructType{Fields: &dst.FieldList{Opening: true, Closing: true}}},
			limit,
		}}},
	}
	decl.Decs.Before = dst.NewLine
	decl.Decs.After = dst.NewLine
	if err := ubInsertBefore(f, outer, decl); err != nil {
		return err
	}

	// The label the select breaks.
	if d.NewLabel {
		if outer != loop {
			return fmt.Errorf("unbounded-go: malformed fix: a new label for a labeled loop")
		}
		l, i, err := f.locate(outer)
		if err != nil {
			return err
		}
		ds := (*l)[i]
		ls := &dst.LabeledStmt{Label: dst.NewIdent(d.Label), Stmt: ds}
		ls.Decs.Before = ds.Decorations().Before
		ls.Decs.Start = ds.Decorations().Start
		ls.Decs.After = ds.Decorations().After
		ds.Decorations().Before = dst.NewLine
		ds.Decorations().Start = nil
		(*l)[i] = ls
	}
	return nil
}

// ubInsertBefore inserts stmt before at, which it introduces: stmt takes
// over at's leading comments, except a directive (//nolint:…, //go:…) and
// what follows it, which stay directly above at, the line they apply to.
func ubInsertBefore(f *File, at ast.Stmt, stmt dst.Stmt) error {
	if err := f.InsertBefore(at, stmt); err != nil {
		return err
	}
	head := stmt.Decorations().Start
	if i := firstDirective(head); i >= 0 {
		da, err := f.Stmt(at)
		if err != nil {
			return err
		}
		da.Decorations().Start = append(dst.Decorations(nil), head[i:]...)
		stmt.Decorations().Start = trimBreaks(head[:i])
	}
	return nil
}

// ubRelease builds defer func() { <-sem }().
func ubRelease(sem string) *dst.DeferStmt {
	recv := &dst.ExprStmt{X: &dst.UnaryExpr{Op: token.ARROW, X: dst.NewIdent(sem)}}
	return &dst.DeferStmt{Call: &dst.CallExpr{Fun: &dst.FuncLit{
		Type: &dst.FuncType{Func: true, Params: &dst.FieldList{}},
		Body: &dst.BlockStmt{List: []dst.Stmt{recv}},
	}}}
}

// ubToken builds struct{}{}.
func ubToken() dst.Expr {
	return &dst.CompositeLit{Type: &dst.StructType{Fields: &dst.FieldList{Opening: true, Closing: true}}}
}

// ubSetLimit inserts g.SetLimit(N) after the group's declaration.
func ubSetLimit(f *File, fd matchers.Finding, d *matchers.UnboundedGoFix) error {
	if len(fd.Fix.Nodes) != 1 || d.Group == "" {
		return fmt.Errorf("unbounded-go: malformed SetLimit fix")
	}
	decl, ok := fd.Fix.Nodes[0].(ast.Stmt)
	if !ok {
		return fmt.Errorf("unbounded-go: malformed fix: declaration is %T", fd.Fix.Nodes[0])
	}
	var limit dst.Expr = &dst.BasicLit{Kind: token.INT, Value: strconv.Itoa(d.N)}
	if d.N == 0 {
		limit = &dst.CallExpr{Fun: Qualified("runtime", "GOMAXPROCS"), Args: []dst.Expr{&dst.BasicLit{Kind: token.INT, Value: "0"}}}
	}
	call := &dst.ExprStmt{X: &dst.CallExpr{
		Fun:  &dst.SelectorExpr{X: dst.NewIdent(d.Group), Sel: dst.NewIdent("SetLimit")},
		Args: []dst.Expr{limit},
	}}
	call.Decs.Before = dst.NewLine
	call.Decs.After = dst.NewLine
	return f.InsertAfter(decl, call)
}
