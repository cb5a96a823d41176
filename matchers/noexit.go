package matchers

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"

	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// GoroutineNoExit finds goroutines that can never stop: the goroutine's
// body (a function literal, or a function or method of the package started
// by name) holds a loop without a condition that nothing leaves — no
// return, no break or continue out of it, no goto, no call that does not
// return (panic, os.Exit, log.Fatal, runtime.Goexit…) — and that watches no
// context and no done channel (no receive from a chan struct{}, no call of
// a context's Done or Err).
//
// The finding is at the go statement, always. When the goroutine is a
// function literal and one context variable is in scope at each of the
// loop's blocking operations (sends, receives — timer channels included —,
// and selects without default), the fix is select-ctx-done's: each
// operation gets a case <-ctx.Done(): return. A loop without such an
// operation (time.Sleep, a busy loop, a blocking call) gets no fix.
func GoroutineNoExit(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil {
		return nil
	}
	e := newCtxEnv(p)
	var out []Finding
	for gc := range p.Inspector.Root().Preorder((*ast.GoStmt)(nil)) {
		g := gc.Node().(*ast.GoStmt)
		fd, ok := e.noExit(gc, g)
		if ok {
			out = append(out, fd)
		}
	}
	return out
}

func (e *ctxEnv) noExit(gc inspector.Cursor, g *ast.GoStmt) (Finding, bool) {
	p := e.p
	var fnC inspector.Cursor
	who := "goroutine"
	lit, isLit := ast.Unparen(g.Call.Fun).(*ast.FuncLit)
	if isLit {
		c, ok := gc.FindNode(lit)
		if !ok {
			return Finding{}, false
		}
		fnC = c
	} else {
		fn := typeutil.StaticCallee(p.Info, g.Call)
		if fn == nil {
			return Finding{}, false
		}
		fn = fn.Origin()
		if fn.Pkg() != p.Pkg {
			return Finding{}, false
		}
		c, ok := e.declCursor(fn)
		if !ok {
			return Finding{}, false
		}
		fnC = c
		who = "goroutine " + types.ExprString(g.Call.Fun)
	}
	loopC, ok := e.foreverLoop(fnC)
	if !ok {
		return Finding{}, false
	}
	where := fmt.Sprintf("line %d", e.line(loopC.Node().Pos()))
	if pos := p.Fset.PositionFor(loopC.Node().Pos(), false); pos.Filename != p.Fset.PositionFor(g.Pos(), false).Filename {
		where = fmt.Sprintf("%s:%d", filepath.Base(pos.Filename), pos.Line)
	}
	fd := Finding{
		Pos:     g.Pos(),
		End:     g.End(),
		Message: fmt.Sprintf("%s loops forever: the loop at %s has no return, break or done channel", who, where),
	}
	if isLit {
		fd.Fix, fd.NoFix = e.noExitFix(fnC, loopC)
	} else {
		fd.NoFix = "the goroutine runs a function by name, which may be called in other ways: give it a context and watch ctx.Done() in its loop"
	}
	return fd, true
}

// declCursor finds the declaration of a function of this package in the
// package's files (with an inspector per other file, built on demand).
func (e *ctxEnv) declCursor(fn *types.Func) (inspector.Cursor, bool) {
	for _, f := range e.p.Files {
		if fn.Pos() < f.FileStart || fn.Pos() > f.FileEnd {
			continue
		}
		in := e.p.Inspector
		if f != e.p.File {
			in = inspector.New([]*ast.File{f})
		}
		for c := range in.Root().Preorder((*ast.FuncDecl)(nil)) {
			fd := c.Node().(*ast.FuncDecl)
			if fd.Name.Pos() == fn.Pos() && fd.Body != nil {
				return c, true
			}
		}
	}
	return inspector.Cursor{}, false
}

// foreverLoop returns the first loop of the function at fnC (not inside a
// nested function literal) that has no condition, no way out and no plan
// for stopping.
func (e *ctxEnv) foreverLoop(fnC inspector.Cursor) (inspector.Cursor, bool) {
	for lc := range fnC.Preorder((*ast.ForStmt)(nil)) {
		if f, _ := funcOf(lc); f != fnC {
			continue
		}
		loop := lc.Node().(*ast.ForStmt)
		if !e.isForever(loop) {
			continue
		}
		if leaves, _ := e.leavesLoop(lc, loop.Body.List, 0); leaves {
			continue
		}
		if e.watchesStop(loop) {
			continue
		}
		return lc, true
	}
	return inspector.Cursor{}, false
}

// watchesStop reports whether the loop receives from a signal channel
// (chan struct{}: a done or quit channel, a context's Done) or calls a
// context's Done or Err: it has a plan for stopping, even if it does not
// act on it by leaving the loop.
func (e *ctxEnv) watchesStop(loop ast.Node) bool {
	found := false
	ast.Inspect(loop, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW && e.isSignalChan(n.X) {
				found = true
			}
		case *ast.RangeStmt:
			if t := e.p.Info.TypeOf(n.X); t != nil {
				if _, ok := t.Underlying().(*types.Chan); ok && e.isSignalChan(n.X) {
					found = true
				}
			}
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && (sel.Sel.Name == "Done" || sel.Sel.Name == "Err") {
				if s := e.p.Info.Selections[sel]; s != nil && s.Kind() == types.MethodVal && e.implementsContext(s.Recv()) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// noExitFix guards every blocking operation of the loop with the context in
// scope, or says why it cannot.
func (e *ctxEnv) noExitFix(fnC, loopC inspector.Cursor) (*Fix, string) {
	var ops []chanOp
	for c := range loopC.Preorder((*ast.SendStmt)(nil), (*ast.UnaryExpr)(nil), (*ast.SelectStmt)(nil)) {
		if f, _ := funcOf(c); f != fnC {
			continue
		}
		op, ok := e.opAt(c)
		if !ok {
			continue
		}
		if op.kind == opSelect && !e.selectWaits(op.node.(*ast.SelectStmt)) {
			continue
		}
		if op.kind != opSelect && e.tokenChannel(fnC, op.ch) {
			continue // a lock's take or put (see tokenChannel)
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil, "the loop has no channel operation at which to watch a context (it sleeps, computes or calls)"
	}
	ctx := e.ctxAt(ops[0].node.Pos())
	if ctx.none() {
		return nil, "no context is in scope: the goroutine has nothing to watch"
	}
	if ctx.v == nil {
		return nil, ambiguousNoFix(ctx)
	}
	for _, op := range ops[1:] {
		if c := e.ctxAt(op.node.Pos()); c.v != ctx.v {
			return nil, "the loop's operations do not all see the same context"
		}
	}
	lit := fnC.Node().(*ast.FuncLit)
	return e.ctxDoneFix(fnC, ops, ctx.v, lit.Type)
}

// selectWaits reports whether a select can block: it has cases and no
// default.
func (e *ctxEnv) selectWaits(sel *ast.SelectStmt) bool {
	if len(sel.Body.List) == 0 {
		return false
	}
	for _, cl := range sel.Body.List {
		if cl.(*ast.CommClause).Comm == nil {
			return false
		}
	}
	return true
}
