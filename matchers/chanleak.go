package matchers

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/cfg"
)

// ChanLeakFix is the Fix.Data of chan-leak-early-return: the rewrite gives
// the make call (Fix.Nodes[0]) the capacity Cap.
type ChanLeakFix struct {
	Cap int
}

// ChanLeakEarlyReturn finds a local unbuffered channel that goroutines of
// the function send on while the function can return before receiving every
// value: the senders left over block forever.
//
//	ch := make(chan int)
//	go func() { ch <- work() }()
//	select {
//	case v := <-ch:
//		return v, nil
//	case <-ctx.Done():
//		return 0, ctx.Err() // the goroutine blocks on ch forever
//	}
//
// The channel is followed only when every reference to it is visible: sends
// in goroutines the function starts (function literals started by a go
// statement, possibly nested in one another), receives in the function's
// own body, nothing else (not passed, stored, closed, ranged over or
// captured by another literal; no goto in the function). Then:
//
//   - k, the most values a run can send, is counted on the syntax: the
//     sends of each goroutine along its longest branch, summed over the go
//     statements. A send or a go statement in a loop makes k unknown.
//   - On the function's control-flow graph, from the make to each exit (a
//     return, the end of the body, or the next iteration of a loop that
//     makes the channel again), the balance of sends started minus
//     receives done is computed; a path with a positive balance leaks.
//     Paths that end in panic, os.Exit, log.Fatal, t.Fatal… are not exits.
//   - With loops in the way (k unknown, or a receive in a loop) the exact
//     balance is not computed; reported are a path from a go statement to
//     an exit without any receive, a return inside the receiving loop, and
//     senders started in a loop against a fixed number of receives.
//
// The fix, make(chan T, k), is offered when k is known and every send ends
// its goroutine: after it only a bare return, another send on the channel,
// or the goroutine's end; its only deferred calls are WaitGroup.Done. Then
// no send blocks, and nothing in the goroutine can notice that its send no
// longer waits for the receiver.
func ChanLeakEarlyReturn(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil {
		return nil
	}
	e := newCtxEnv(p)
	var out []Finding
	for c := range p.Inspector.Root().Preorder((*ast.CallExpr)(nil)) {
		v := madeChanVar(p, c)
		if v == nil {
			continue
		}
		cf := e.chanFactsOf(v)
		if cf == nil || cf.buffered || !cf.visible || !cf.leak || len(cf.sends) == 0 {
			continue
		}
		first := cf.sends[0]
		fd := Finding{Pos: first.Pos(), End: first.End(), Message: cf.msg}
		switch {
		case cf.k < 0:
			fd.NoFix = "the number of sends is unknown (a sender or a go statement is in a loop): no capacity is sure to be enough; select-ctx-done can guard the sends when a context is in scope"
		case !cf.tail:
			fd.NoFix = "a goroutine does more after its send (or defers more than WaitGroup.Done): it may rely on the receiver having taken the value, which a buffer would change"
		}
		if cf.fixable() {
			ct := types.ExprString(cf.make.Args[0])
			fd.Fix = &Fix{
				Message: fmt.Sprintf("buffer the channel: make(%s, %d)", ct, cf.k),
				Anchor:  cf.makeStmtNode(),
				Nodes:   []ast.Node{cf.make},
				Data:    ChanLeakFix{Cap: cf.k},
			}
		}
		out = append(out, fd)
	}
	return out
}

// madeChanVar returns the variable declared by `v := make(chan T[, 0|n])` or
// `var v = make(…)` when c is that make call, or nil.
func madeChanVar(p *Pass, c inspector.Cursor) *types.Var {
	call := c.Node().(*ast.CallExpr)
	if !isMakeChan(p.Info, call) {
		return nil
	}
	n := c
	for n.ParentEdgeKind() == edge.ParenExpr_X {
		n = n.Parent()
	}
	var id *ast.Ident
	switch s := n.Parent().Node().(type) {
	case *ast.AssignStmt:
		if s.Tok != token.DEFINE || len(s.Lhs) != len(s.Rhs) || n.ParentEdgeKind() != edge.AssignStmt_Rhs {
			return nil
		}
		id, _ = s.Lhs[n.ParentEdgeIndex()].(*ast.Ident)
	case *ast.ValueSpec:
		if len(s.Names) != len(s.Values) || n.ParentEdgeKind() != edge.ValueSpec_Values {
			return nil
		}
		id = s.Names[n.ParentEdgeIndex()]
	}
	if id == nil {
		return nil
	}
	v, _ := p.Info.Defs[id].(*types.Var)
	return v
}

// isMakeChan reports whether call is the builtin make of a bidirectional
// channel type.
func isMakeChan(info *types.Info, call *ast.CallExpr) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok || info.Uses[id] != types.Universe.Lookup("make") || len(call.Args) == 0 || len(call.Args) > 2 {
		return false
	}
	t := info.TypeOf(call)
	if t == nil {
		return false
	}
	ch, ok := t.Underlying().(*types.Chan)
	return ok && ch.Dir() == types.SendRecv
}

// chanFacts is what the function that makes a channel does with it.
type chanFacts struct {
	v        *types.Var
	make     *ast.CallExpr
	makeStmt ast.Node // *ast.AssignStmt or *ast.ValueSpec: the CFG node
	fn       inspector.Cursor
	buffered bool
	capConst int64 // the constant capacity of a buffered channel, or -1

	visible bool               // every reference is a send in a goroutine of fn or a receive in fn
	sends   []*ast.SendStmt    // in source order
	recvs   []inspector.Cursor // the receive expressions, in fn's own body
	k       int                // the most sends a run makes; -1 unknown
	tail    bool               // every send ends its goroutine

	leak bool
	msg  string
}

func (cf *chanFacts) fixable() bool {
	return cf.visible && cf.leak && !cf.buffered && cf.k > 0 && cf.tail
}

// makeStmtNode is the statement holding the make (the fix's anchor).
func (cf *chanFacts) makeStmtNode() ast.Node {
	return cf.makeStmt
}

// neverBlocksForever reports whether an operation on the channel ch is
// left to the chan-leak analysis or assumed not to block forever:
//   - a send on a local channel made with a buffer: the author chose its
//     capacity (usually one slot per sender);
//   - a receive statement `<-sem` from a local buffered channel that the
//     function itself sends on: a semaphore's release;
//   - an operation on a local channel whose every reference is visible
//     and on which no path leaks, or that chan-leak-early-return buffers.
func (e *ctxEnv) neverBlocksForever(op chanOp) bool {
	ch := op.ch
	id, ok := ast.Unparen(ch).(*ast.Ident)
	if !ok {
		return op.kind == opSend && e.fieldMadeBuffered(op)
	}
	v, ok := e.p.Info.Uses[id].(*types.Var)
	if !ok {
		return false
	}
	cf := e.chanFactsOf(v)
	if cf == nil {
		return false
	}
	if !cf.visible && e.chanStaysInFunc(cf) {
		return true // a private protocol of the function (see chanStaysInFunc)
	}
	if op.kind == opRecv && e.closedByDefer(cf) {
		return true // defer close(ch): receives end when the function returns
	}
	if cf.buffered {
		switch op.kind {
		case opSend:
			return true
		case opRecv:
			if es, ok := op.stmt.(*ast.ExprStmt); ok && es != nil && e.fnSendsOn(cf) {
				return true
			}
		}
	}
	if !cf.visible {
		return false
	}
	if cf.buffered {
		return cf.capConst < 0 || (cf.k >= 0 && int64(cf.k) <= cf.capConst)
	}
	return !cf.leak || cf.fixable()
}

// chanStaysInFunc reports whether the local channel never leaves the
// function that makes it: every reference is a send, a receive, a close, a
// range over it, len or cap, in the function or in function literals in it
// (goroutines, deferred funcs) — not returned, stored, passed, assigned or
// compared. Its senders and receivers then follow a protocol of the
// function's own (a deferred drain, a countdown, a close that ends a
// range): guarding one side with ctx.Done() can break the other
// (x/tools' jsonrpc2 Serve, go/packages' sizes goroutine). Such channels
// are chan-leak-early-return's to judge.
func (e *ctxEnv) chanStaysInFunc(cf *chanFacts) bool {
	info := e.p.Info
	for idC := range cf.fn.Preorder((*ast.Ident)(nil)) {
		id := idC.Node().(*ast.Ident)
		if info.Uses[id] != cf.v {
			continue
		}
		n := idC
		for n.ParentEdgeKind() == edge.ParenExpr_X {
			n = n.Parent()
		}
		switch n.ParentEdgeKind() {
		case edge.SendStmt_Chan, edge.RangeStmt_X:
		case edge.UnaryExpr_X:
			if n.Parent().Node().(*ast.UnaryExpr).Op != token.ARROW {
				return false
			}
		case edge.CallExpr_Args:
			call := n.Parent().Node().(*ast.CallExpr)
			fid, ok := ast.Unparen(call.Fun).(*ast.Ident)
			if !ok {
				return false
			}
			switch info.Uses[fid] {
			case types.Universe.Lookup("close"), types.Universe.Lookup("len"), types.Universe.Lookup("cap"):
			default:
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fieldMadeBuffered reports whether the channel of a send is a field (or
// other selector, x.f) or an element of a slice or map (x[i]) that the
// function declaration holding the send assigns a buffered make to:
// x.f = make(chan T, n), x[j] = make(chan T, n) with n not 0. Like a local
// channel made with a buffer, its author chose the capacity.
func (e *ctxEnv) fieldMadeBuffered(op chanOp) bool {
	base := ast.Unparen(op.ch)
	if ix, ok := base.(*ast.IndexExpr); ok {
		base = ast.Unparen(ix.X) // rescv[i]: the elements of rescv
	} else if _, ok := base.(*ast.SelectorExpr); !ok {
		return false
	}
	var decl ast.Node
	for f := range op.c.Enclosing((*ast.FuncDecl)(nil)) {
		decl = f.Node()
	}
	if decl == nil {
		return false
	}
	found := false
	ast.Inspect(decl, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || found || len(as.Lhs) != len(as.Rhs) {
			return !found
		}
		for i, lhs := range as.Lhs {
			call, ok := ast.Unparen(as.Rhs[i]).(*ast.CallExpr)
			if !ok || !isMakeChan(e.p.Info, call) || len(call.Args) != 2 {
				continue
			}
			target := ast.Unparen(lhs)
			if ix, ok := target.(*ast.IndexExpr); ok {
				target = ast.Unparen(ix.X)
			}
			if !sameRef(e.p.Info, target, base) {
				continue
			}
			if v := e.p.Info.Types[call.Args[1]].Value; v != nil {
				if n, exact := constant.Int64Val(constant.ToInt(v)); exact && n == 0 {
					continue
				}
			}
			found = true
		}
		return !found
	})
	return found
}

// closedByDefer reports whether the channel's function closes it in a
// defer statement of its own body: defer close(ch).
func (e *ctxEnv) closedByDefer(cf *chanFacts) bool {
	for c := range cf.fn.Preorder((*ast.DeferStmt)(nil)) {
		if f, _ := funcOf(c); f != cf.fn {
			continue
		}
		call := c.Node().(*ast.DeferStmt).Call
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && e.p.Info.Uses[id] == types.Universe.Lookup("close") &&
			len(call.Args) == 1 && e.isChanRef(cf, call.Args[0]) {
			return true
		}
	}
	return false
}

// fnSendsOn reports whether the channel's own function (not a goroutine or
// literal in it) sends on it.
func (e *ctxEnv) fnSendsOn(cf *chanFacts) bool {
	for c := range cf.fn.Preorder((*ast.SendStmt)(nil)) {
		if f, _ := funcOf(c); f == cf.fn && e.isChanRef(cf, c.Node().(*ast.SendStmt).Chan) {
			return true
		}
	}
	return false
}

// chanFactsOf analyses the channel variable v, made in this file; nil when
// v is not declared by a make of a channel in a function.
func (e *ctxEnv) chanFactsOf(v *types.Var) *chanFacts {
	if cf, ok := e.chans[v]; ok {
		return cf
	}
	if e.chans == nil {
		e.chans = map[*types.Var]*chanFacts{}
	}
	cf := e.analyseChan(v)
	e.chans[v] = cf
	return cf
}

func (e *ctxEnv) analyseChan(v *types.Var) *chanFacts {
	p := e.p
	if v.Pos() < p.File.FileStart || v.Pos() > p.File.FileEnd {
		return nil
	}
	path, _ := astutil.PathEnclosingInterval(p.File, v.Pos(), v.Pos())
	if len(path) < 2 {
		return nil
	}
	id, ok := path[0].(*ast.Ident)
	if !ok || p.Info.Defs[id] != v {
		return nil
	}
	cf := &chanFacts{v: v, capConst: -1, k: -1}
	var value ast.Expr
	switch s := path[1].(type) {
	case *ast.AssignStmt:
		if s.Tok != token.DEFINE || len(s.Lhs) != len(s.Rhs) {
			return nil
		}
		for i, l := range s.Lhs {
			if l == id {
				value = s.Rhs[i]
			}
		}
		cf.makeStmt = s
	case *ast.ValueSpec:
		if len(s.Names) != len(s.Values) {
			return nil
		}
		for i, n := range s.Names {
			if n == id {
				value = s.Values[i]
			}
		}
		cf.makeStmt = s
	default:
		return nil
	}
	call, ok := ast.Unparen(value).(*ast.CallExpr)
	if !ok || !isMakeChan(p.Info, call) {
		return nil
	}
	cf.make = call
	if len(call.Args) == 2 {
		if cv := p.Info.Types[call.Args[1]].Value; cv != nil {
			n, exact := constant.Int64Val(constant.ToInt(cv))
			if !exact {
				cf.buffered = true
			} else if n != 0 {
				cf.buffered, cf.capConst = true, n
			}
		} else {
			cf.buffered = true
		}
	}
	stmtC, ok := p.Inspector.Root().FindNode(cf.makeStmt)
	if !ok {
		return nil
	}
	fn, _ := funcOf(stmtC)
	if !fn.Valid() {
		return nil
	}
	cf.fn = fn
	if fd, ok := fn.Node().(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" && p.Pkg.Name() == "main" {
		return nil // returning from main ends the program
	}
	e.classifyRefs(cf)
	if !cf.visible {
		return cf
	}
	e.countSends(cf)
	if !cf.buffered {
		e.findLeak(cf)
	}
	return cf
}

// classifyRefs sorts the references to the channel into sends in
// goroutines and receives in the function; anything else makes the channel
// not visible.
func (e *ctxEnv) classifyRefs(cf *chanFacts) {
	p := e.p
	cf.visible = true
	_, body := funcParts(cf.fn.Node())
	if body == nil {
		cf.visible = false
		return
	}
	ast.Inspect(body, func(n ast.Node) bool {
		if b, ok := n.(*ast.BranchStmt); ok && b.Tok == token.GOTO {
			cf.visible = false
		}
		return cf.visible
	})
	if !cf.visible {
		return
	}
	for idC := range cf.fn.Preorder((*ast.Ident)(nil)) {
		id := idC.Node().(*ast.Ident)
		if p.Info.Uses[id] != cf.v {
			continue
		}
		n := idC
		for n.ParentEdgeKind() == edge.ParenExpr_X {
			n = n.Parent()
		}
		switch n.ParentEdgeKind() {
		case edge.SendStmt_Chan:
			sc := n.Parent()
			if sc.ParentEdgeKind() == edge.CommClause_Comm || !inGoroutineOf(sc, cf.fn) {
				cf.visible = false
				return
			}
			cf.sends = append(cf.sends, sc.Node().(*ast.SendStmt))
		case edge.UnaryExpr_X:
			u := n.Parent().Node().(*ast.UnaryExpr)
			if u.Op != token.ARROW {
				cf.visible = false
				return
			}
			if f, _ := funcOf(n.Parent()); f != cf.fn {
				cf.visible = false
				return
			}
			cf.recvs = append(cf.recvs, n.Parent())
		default:
			cf.visible = false
			return
		}
	}
}

// inGoroutineOf reports whether c sits in a function literal started by a
// go statement, itself in fn or in such literals only.
func inGoroutineOf(c, fn inspector.Cursor) bool {
	seen := false
	for f := range c.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		if f == fn {
			return seen
		}
		if _, ok := f.Node().(*ast.FuncLit); !ok || !startedByGo(f) {
			return false
		}
		seen = true
	}
	return false
}

// countSends computes k and whether every send ends its goroutine.
func (e *ctxEnv) countSends(cf *chanFacts) {
	total, known := 0, true
	cf.tail = true
	for _, g := range e.goStmtsOf(cf) {
		w, ok := e.goWeight(cf, g)
		gc, found := e.p.Inspector.Root().FindNode(g)
		mult, mok := 1, found
		if found {
			mult, mok = e.multiplier(cf, gc)
		}
		if !ok || !mok {
			known = false
			continue
		}
		total += w * mult
	}
	if known {
		cf.k = total
	}
	for _, s := range cf.sends {
		sc, ok := e.p.Inspector.Root().FindNode(s)
		if !ok || !e.sendEndsGoroutine(cf, sc) {
			cf.tail = false
		}
	}
}

// repeatingLoops returns the loops of the channel's function around c that
// run c again on each iteration (not when c is a range's operand or a
// for's init) and do not make the channel again (a loop that makes it runs
// each iteration with a new channel), innermost first.
func (cf *chanFacts) repeatingLoops(c inspector.Cursor) []inspector.Cursor {
	var out []inspector.Cursor
	pos := c.Node().Pos()
	for l := range c.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		if l == c {
			continue
		}
		if l == cf.fn {
			break
		}
		switch n := l.Node().(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			continue // a goroutine's literal: its loops count as well
		case *ast.ForStmt:
			if n.Init != nil && n.Init.Pos() <= pos && pos < n.Init.End() {
				continue
			}
		case *ast.RangeStmt:
			if n.X.Pos() <= pos && pos < n.X.End() {
				continue
			}
		}
		n := l.Node()
		if n.Pos() <= cf.makeStmt.Pos() && cf.makeStmt.End() <= n.End() {
			break // this loop makes the channel: it and the loops around it do not repeat it
		}
		out = append(out, l)
	}
	return out
}

// multiplier is how many times c runs per run of the channel's function,
// as far as loops go: the product of the constant trip counts of the loops
// that repeat it; false when one of them has no constant trip count.
func (e *ctxEnv) multiplier(cf *chanFacts, c inspector.Cursor) (int, bool) {
	m := 1
	for _, l := range cf.repeatingLoops(c) {
		if _, lit := l.Node().(*ast.FuncLit); lit {
			continue
		}
		n, ok := e.constTrip(l)
		if !ok {
			return 0, false
		}
		m *= n
	}
	return m, true
}

// constTrip returns the number of iterations of a loop that always runs a
// constant number of times: for i := c0; i < c1 (or <=); i++ with i not
// assigned in the body, or for range N / for i := range N with a constant
// N; and nothing in the body leaves the loop early (return, break out,
// goto, panic…).
func (e *ctxEnv) constTrip(lc inspector.Cursor) (int, bool) {
	info := e.p.Info
	constInt := func(x ast.Expr) (int64, bool) {
		tv, ok := info.Types[x]
		if !ok || tv.Value == nil {
			return 0, false
		}
		return constant.Int64Val(constant.ToInt(tv.Value))
	}
	var n int64
	var body *ast.BlockStmt
	switch l := lc.Node().(type) {
	case *ast.ForStmt:
		init, ok := l.Init.(*ast.AssignStmt)
		if !ok || init.Tok != token.DEFINE || len(init.Lhs) != 1 || len(init.Rhs) != 1 {
			return 0, false
		}
		id, ok := init.Lhs[0].(*ast.Ident)
		if !ok {
			return 0, false
		}
		v, ok := info.Defs[id].(*types.Var)
		if !ok {
			return 0, false
		}
		c0, ok := constInt(init.Rhs[0])
		if !ok {
			return 0, false
		}
		cond, ok := l.Cond.(*ast.BinaryExpr)
		if !ok {
			return 0, false
		}
		if x, ok := ast.Unparen(cond.X).(*ast.Ident); !ok || info.Uses[x] != v {
			return 0, false
		}
		c1, ok := constInt(cond.Y)
		if !ok {
			return 0, false
		}
		switch cond.Op {
		case token.LSS:
			n = c1 - c0
		case token.LEQ:
			n = c1 - c0 + 1
		default:
			return 0, false
		}
		post, ok := l.Post.(*ast.IncDecStmt)
		if !ok || post.Tok != token.INC {
			return 0, false
		}
		if x, ok := ast.Unparen(post.X).(*ast.Ident); !ok || info.Uses[x] != v {
			return 0, false
		}
		written := false
		ast.Inspect(l.Body, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.AssignStmt:
				for _, lhs := range x.Lhs {
					if id, ok := ast.Unparen(lhs).(*ast.Ident); ok && info.Uses[id] == v {
						written = true
					}
				}
			case *ast.IncDecStmt:
				if id, ok := ast.Unparen(x.X).(*ast.Ident); ok && info.Uses[id] == v {
					written = true
				}
			case *ast.UnaryExpr:
				if id, ok := ast.Unparen(x.X).(*ast.Ident); ok && x.Op == token.AND && info.Uses[id] == v {
					written = true
				}
			}
			return !written
		})
		if written {
			return 0, false
		}
		body = l.Body
	case *ast.RangeStmt:
		t := info.TypeOf(l.X)
		if t == nil {
			return 0, false
		}
		if b, ok := t.Underlying().(*types.Basic); !ok || b.Info()&types.IsInteger == 0 {
			return 0, false
		}
		c, ok := constInt(l.X)
		if !ok {
			return 0, false
		}
		n, body = c, l.Body
	default:
		return 0, false
	}
	if n < 0 || n > 1<<16 {
		return 0, false
	}
	if leaves, _ := e.leavesLoop(lc, body.List, 0); leaves {
		return 0, false
	}
	return int(n), true
}

// goStmtsOf returns the go statements directly in the channel's function
// (not in nested literals) whose goroutines send on it.
func (e *ctxEnv) goStmtsOf(cf *chanFacts) []*ast.GoStmt {
	var out []*ast.GoStmt
	for c := range cf.fn.Preorder((*ast.GoStmt)(nil)) {
		if f, _ := funcOf(c); f != cf.fn {
			continue
		}
		g := c.Node().(*ast.GoStmt)
		if e.sendsIn(cf, g) {
			out = append(out, g)
		}
	}
	return out
}

// sendsIn reports whether n contains a send on the channel.
func (e *ctxEnv) sendsIn(cf *chanFacts, n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if s, ok := n.(*ast.SendStmt); ok && e.isChanRef(cf, s.Chan) {
			found = true
		}
		return !found
	})
	return found
}

func (e *ctxEnv) isChanRef(cf *chanFacts, x ast.Expr) bool {
	id, ok := ast.Unparen(x).(*ast.Ident)
	return ok && e.p.Info.Uses[id] == cf.v
}

// goWeight is the most sends on the channel that the goroutine started by g
// (and the goroutines it starts) can make; false when a loop makes it
// unknown.
func (e *ctxEnv) goWeight(cf *chanFacts, g *ast.GoStmt) (int, bool) {
	lit, ok := ast.Unparen(g.Call.Fun).(*ast.FuncLit)
	if !ok {
		return 0, true
	}
	return e.maxSends(cf, lit.Body)
}

// maxSends is the most sends on the channel along one run of stmt (to its
// end or to a return inside it); false when a loop makes it unknown.
func (e *ctxEnv) maxSends(cf *chanFacts, stmt ast.Stmt) (int, bool) {
	c, l, ok := e.sendPaths(cf, stmt)
	return max(c, l, 0), ok
}

// sendPaths returns the most sends on the channel along the paths through
// stmt that reach its end (cont) and along those that leave the goroutine
// inside it — a return, a call that does not return — (leave); -1 when
// there is no such path. `if err != nil { ch <- err; return }; ch <- v`
// sends once, not twice. break, continue and goto count as reaching the
// end (more sends: the capacity stays enough).
func (e *ctxEnv) sendPaths(cf *chanFacts, stmt ast.Stmt) (cont, leave int, ok bool) {
	seq := func(list []ast.Stmt) (int, int, bool) {
		cur, lv := 0, -1
		for _, st := range list {
			c, l, ok := e.sendPaths(cf, st)
			if !ok {
				return 0, 0, false
			}
			if cur < 0 {
				break // unreachable after a return
			}
			if l >= 0 {
				lv = max(lv, cur+l)
			}
			if c >= 0 {
				cur += c
			} else {
				cur = -1
			}
		}
		return cur, lv, true
	}
	alt := func(cs, ls []int) (int, int) {
		c, l := -1, -1
		for _, x := range cs {
			c = max(c, x)
		}
		for _, x := range ls {
			l = max(l, x)
		}
		return c, l
	}
	switch s := stmt.(type) {
	case nil:
		return 0, -1, true
	case *ast.SendStmt:
		if e.isChanRef(cf, s.Chan) {
			return 1, -1, true
		}
		return 0, -1, true
	case *ast.ReturnStmt:
		return -1, 0, true
	case *ast.ExprStmt:
		if call, ok := ast.Unparen(s.X).(*ast.CallExpr); ok && !e.mayReturn(call) {
			return -1, 0, true
		}
		return 0, -1, true
	case *ast.GoStmt:
		w, ok := e.goWeight(cf, s)
		return w, -1, ok // the goroutine's sends all count, whatever this one does next
	case *ast.BlockStmt:
		if s == nil {
			return 0, -1, true
		}
		return seq(s.List)
	case *ast.LabeledStmt:
		return e.sendPaths(cf, s.Stmt)
	case *ast.IfStmt:
		ic, il, ok1 := e.sendPaths(cf, s.Init)
		tc, tl, ok2 := e.sendPaths(cf, s.Body)
		fc, fl, ok3 := 0, -1, true
		if s.Else != nil {
			fc, fl, ok3 = e.sendPaths(cf, s.Else)
		}
		if !ok1 || !ok2 || !ok3 {
			return 0, 0, false
		}
		c, l := alt([]int{tc, fc}, []int{tl, fl})
		if c >= 0 {
			c += ic
		}
		if l >= 0 {
			l += ic
		}
		return c, max(l, il), true
	case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
		var init ast.Stmt
		var body *ast.BlockStmt
		_, isSelect := s.(*ast.SelectStmt)
		switch s := s.(type) {
		case *ast.SwitchStmt:
			init, body = s.Init, s.Body
		case *ast.TypeSwitchStmt:
			init, body = s.Init, s.Body
		case *ast.SelectStmt:
			body = s.Body
		}
		ic, _, ok := e.sendPaths(cf, init)
		if !ok {
			return 0, 0, false
		}
		var cs, ls []int
		hasDefault := isSelect
		for _, cl := range body.List {
			var c, l int
			switch cl := cl.(type) {
			case *ast.CaseClause:
				hasDefault = hasDefault || cl.List == nil
				c, l, ok = seq(cl.Body)
			case *ast.CommClause:
				c, l, ok = seq(cl.Body)
				if send, isSend := cl.Comm.(*ast.SendStmt); isSend && e.isChanRef(cf, send.Chan) {
					if c >= 0 {
						c++
					}
					if l >= 0 {
						l++
					}
				}
			}
			if !ok {
				return 0, 0, false
			}
			cs, ls = append(cs, c), append(ls, l)
		}
		if !hasDefault || len(body.List) == 0 {
			cs = append(cs, 0)
		}
		c, l := alt(cs, ls)
		if c >= 0 {
			c += max(ic, 0)
		}
		if l >= 0 {
			l += max(ic, 0)
		}
		return c, l, true
	case *ast.ForStmt, *ast.RangeStmt:
		if !e.sendsIn(cf, s) {
			if firstReturnIn(s) {
				return 0, 0, true
			}
			return 0, -1, true
		}
		if e.sendsEndLoop(cf, s) {
			return 1, 1, true // every send leaves the loop: one send at most
		}
		if lc, ok := e.p.Inspector.Root().FindNode(s); ok {
			if n, ok := e.constTrip(lc); ok {
				b, ok := e.maxSends(cf, loopBody(s))
				return n * b, -1, ok
			}
		}
		return 0, 0, false
	}
	return 0, -1, true
}

// firstReturnIn reports whether n holds a return statement outside
// function literals.
func firstReturnIn(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		switch x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			found = true
		}
		return !found
	})
	return found
}

// minSends is the fewest sends on the channel along one run of stmts that
// reaches the end of the list: branches take their minimum, loops count
// for nothing (they may not run), and nothing after a statement that may
// leave (return, break, continue, goto, a call that does not return)
// counts.
func (e *ctxEnv) minSends(cf *chanFacts, stmts []ast.Stmt) int {
	sum := 0
	for _, st := range stmts {
		sum += e.minSendsStmt(cf, st)
		if e.mayLeave(st) {
			break
		}
	}
	return sum
}

func (e *ctxEnv) minSendsStmt(cf *chanFacts, st ast.Stmt) int {
	switch s := st.(type) {
	case *ast.SendStmt:
		if e.isChanRef(cf, s.Chan) {
			return 1
		}
	case *ast.GoStmt:
		if lit, ok := ast.Unparen(s.Call.Fun).(*ast.FuncLit); ok {
			return e.minSends(cf, lit.Body.List)
		}
	case *ast.BlockStmt:
		return e.minSends(cf, s.List)
	case *ast.LabeledStmt:
		return e.minSendsStmt(cf, s.Stmt)
	case *ast.IfStmt:
		if s.Else == nil {
			return 0
		}
		return min(e.minSendsStmt(cf, s.Body), e.minSendsStmt(cf, s.Else))
	case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
		var body *ast.BlockStmt
		switch s := s.(type) {
		case *ast.SwitchStmt:
			body = s.Body
		case *ast.TypeSwitchStmt:
			body = s.Body
		case *ast.SelectStmt:
			body = s.Body
		}
		best, hasDefault := -1, false
		for _, cl := range body.List {
			var n int
			switch cl := cl.(type) {
			case *ast.CaseClause:
				hasDefault = hasDefault || cl.List == nil
				n = e.minSends(cf, cl.Body)
			case *ast.CommClause:
				hasDefault = hasDefault || cl.Comm == nil
				n = e.minSends(cf, cl.Body)
				if send, ok := cl.Comm.(*ast.SendStmt); ok && e.isChanRef(cf, send.Chan) {
					n++
				}
			}
			if best < 0 || n < best {
				best = n
			}
		}
		if _, sel := s.(*ast.SelectStmt); !sel && !hasDefault || best < 0 {
			return 0
		}
		return best
	}
	return 0
}

// mayLeave reports whether running st may skip the statements after it.
func (e *ctxEnv) mayLeave(st ast.Stmt) bool {
	found := false
	ast.Inspect(st, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt, *ast.BranchStmt:
			found = true
		case *ast.CallExpr:
			if !e.mayReturn(n) {
				found = true
			}
		}
		return !found
	})
	return found
}

// sendsEndLoop reports whether every send on the channel inside loop is
// directly followed by a return or a break out of the loop (ch <- err;
// break), so that the loop sends at most once per run; no goroutine
// started inside the loop sends.
func (e *ctxEnv) sendsEndLoop(cf *chanFacts, loop ast.Stmt) bool {
	loopC, ok := e.p.Inspector.Root().FindNode(loop)
	if !ok {
		return false
	}
	all := true
	for sc := range loopC.Preorder((*ast.SendStmt)(nil), (*ast.GoStmt)(nil)) {
		switch n := sc.Node().(type) {
		case *ast.GoStmt:
			if e.sendsIn(cf, n) {
				all = false
			}
			continue
		case *ast.SendStmt:
			if !e.isChanRef(cf, n.Chan) {
				continue
			}
		}
		next, ok := sc.NextSibling()
		if !ok || !leavesFrom(e.p.Info, next, loopC) {
			all = false
		}
	}
	return all
}

// leavesFrom reports whether the statement at c, inside loopC, leaves the
// loop: a return, a break of the loop (unlabeled with no switch, select or
// loop in between, or labeled with a label outside the loop's body).
func leavesFrom(info *types.Info, c, loopC inspector.Cursor) bool {
	switch s := c.Node().(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.BranchStmt:
		if s.Tok != token.BREAK {
			return false
		}
		if s.Label != nil {
			l, ok := info.Uses[s.Label].(*types.Label)
			body := loopBody(loopC.Node())
			return ok && body != nil && (l.Pos() < body.Pos() || l.Pos() >= body.End())
		}
		for p := c.Parent(); p != loopC; p = p.Parent() {
			switch p.Node().(type) {
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.ForStmt, *ast.RangeStmt, *ast.FuncLit:
				return false
			}
		}
		return true
	}
	return false
}

func loopBody(n ast.Node) *ast.BlockStmt {
	switch l := n.(type) {
	case *ast.ForStmt:
		return l.Body
	case *ast.RangeStmt:
		return l.Body
	}
	return nil
}

// sendEndsGoroutine reports whether nothing of its goroutine runs after the
// send at sc but a bare return, further sends on the channel, breaks that
// lead to more of the same, and the goroutine's deferred calls, which must
// all be WaitGroup.Done.
func (e *ctxEnv) sendEndsGoroutine(cf *chanFacts, sc inspector.Cursor) bool {
	litC, _ := funcOf(sc)
	lit, ok := litC.Node().(*ast.FuncLit)
	if !ok || lit.Type.Results != nil && len(lit.Type.Results.List) > 0 {
		return false
	}
	cur := sc
	for steps := 0; steps < 1000; steps++ {
		parent := cur.Parent()
		var list []ast.Stmt
		switch pn := parent.Node().(type) {
		case *ast.BlockStmt:
			list = pn.List
		case *ast.CaseClause:
			list = pn.Body
		case *ast.CommClause:
			if cur.ParentEdgeKind() != edge.CommClause_Body {
				return false
			}
			list = pn.Body
		case *ast.IfStmt:
			if cur.ParentEdgeKind() == edge.IfStmt_Init {
				return false
			}
			cur = parent
			continue
		case *ast.LabeledStmt:
			cur = parent
			continue
		default:
			return false // a loop body that goes round again, a nested literal…
		}
		// What runs after cur in its list.
		next, jumped := inspector.Cursor{}, false
		seen := false
		for i, st := range list {
			if st == cur.Node() {
				seen = true
				continue
			}
			if !seen {
				continue
			}
			switch st := st.(type) {
			case *ast.EmptyStmt:
				continue
			case *ast.SendStmt:
				if e.isChanRef(cf, st.Chan) {
					continue
				}
				return false
			case *ast.ReturnStmt:
				return len(st.Results) == 0 && e.onlyDoneDeferred(lit)
			case *ast.BranchStmt:
				if st.Tok != token.BREAK {
					return false
				}
				bc := parent.ChildAt(listEdge(parent.Node()), i)
				if next, ok = breakTarget(bc, st); !ok {
					return false
				}
				jumped = true
			default:
				return false
			}
			break
		}
		if !seen {
			return false
		}
		if jumped {
			cur = next // go on after the statement the break leaves
			continue
		}
		if parent.Node() == lit.Body {
			return e.onlyDoneDeferred(lit)
		}
		switch parent.Node().(type) {
		case *ast.CaseClause, *ast.CommClause:
			cur = parent.Parent().Parent() // clause → body → switch or select
		default:
			cur = parent
		}
	}
	return false
}

// listEdge is the edge kind of the statements of a list node.
func listEdge(n ast.Node) edge.Kind {
	switch n.(type) {
	case *ast.CaseClause:
		return edge.CaseClause_Body
	case *ast.CommClause:
		return edge.CommClause_Body
	}
	return edge.BlockStmt_List
}

// breakTarget returns the statement a break at bc leaves: the innermost
// for, range, switch or select around it, or the one its label names.
func breakTarget(bc inspector.Cursor, br *ast.BranchStmt) (inspector.Cursor, bool) {
	for p := bc.Parent(); p.Valid(); p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.FuncLit, *ast.FuncDecl:
			return inspector.Cursor{}, false
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			if br.Label == nil {
				return p, true
			}
		case *ast.LabeledStmt:
			if br.Label != nil && n.Label.Name == br.Label.Name {
				return p, true
			}
		}
	}
	return inspector.Cursor{}, false
}

// onlyDoneDeferred reports whether every defer of the literal (not of
// nested literals) calls WaitGroup.Done.
func (e *ctxEnv) onlyDoneDeferred(lit *ast.FuncLit) bool {
	ok := true
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			wc, isWG := waitGroupCall(e.p.Info, n.Call)
			if !isWG || !wc.done || wc.add {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// A terminal is where a path of the leak analysis ends.
type terminal struct {
	desc string
	pos  token.Pos
}

// findLeak runs the balance analysis on the function's control-flow graph.
func (e *ctxEnv) findLeak(cf *chanFacts) {
	_, body := funcParts(cf.fn.Node())
	g := cfg.New(body, e.mayReturn)
	var makeBlock *cfg.Block
	makeIdx := -1
	for _, b := range g.Blocks {
		for i, n := range b.Nodes {
			if n == cf.makeStmt {
				makeBlock, makeIdx = b, i
			}
		}
	}
	if makeBlock == nil {
		return
	}
	// Weights: sends started (go statements) and receives done per block.
	// A node in loops with a constant trip count counts that many times,
	// and those loops' back edges are cut below: one pass stands for all.
	collapsed := map[ast.Node]int{} // loop → its constant trip count
	mult := func(c inspector.Cursor) int {
		m, ok := e.multiplier(cf, c)
		if !ok {
			return 1 // its loop stays a cycle: the count is unknown
		}
		for _, l := range cf.repeatingLoops(c) {
			if _, lit := l.Node().(*ast.FuncLit); !lit {
				collapsed[l.Node()], _ = e.constTrip(l)
			}
		}
		return m
	}
	goW := map[ast.Node]int{}
	kKnown := cf.k >= 0
	for _, gs := range e.goStmtsOf(cf) {
		w, ok := e.goWeight(cf, gs)
		if !ok {
			w = 1 // at least one, count unknown
		}
		if gc, found := e.p.Inspector.Root().FindNode(gs); found {
			w *= mult(gc)
		}
		goW[gs] = w
	}
	commRecv := map[ast.Node]bool{}
	recvW := map[ast.Node]int{}
	for _, rc := range cf.recvs {
		if _, isComm := recvStmt(rc); isComm {
			commRecv[rc.Node()] = true
		}
		recvW[rc.Node()] = mult(rc)
	}
	type weight struct{ sends, recvs int }
	nodeW := func(nodes []ast.Node) weight {
		var w weight
		for _, n := range nodes {
			if gs, ok := n.(*ast.GoStmt); ok {
				w.sends += goW[gs]
				continue
			}
			ast.Inspect(n, func(x ast.Node) bool {
				switch x := x.(type) {
				case *ast.FuncLit:
					return false
				case *ast.UnaryExpr:
					if x.Op == token.ARROW && e.isChanRef(cf, x.X) && !commRecv[x] {
						w.recvs += recvW[x]
					}
				}
				return true
			})
		}
		return w
	}
	blockW := map[*cfg.Block]weight{}
	for _, b := range g.Blocks {
		nodes := b.Nodes
		if b == makeBlock {
			nodes = b.Nodes[makeIdx+1:]
		}
		w := nodeW(nodes)
		if b.Kind == cfg.KindSelectCaseBody {
			if cc, ok := b.Stmt.(*ast.CommClause); ok && cc.Comm != nil {
				ast.Inspect(cc.Comm, func(x ast.Node) bool {
					if u, ok := x.(*ast.UnaryExpr); ok && commRecv[u] {
						w.recvs += recvW[u]
					}
					return true
				})
			}
		}
		blockW[b] = w
	}
	// The graph from the make: edges into the make's block end a path (the
	// next iteration makes a new channel); the back edges of collapsed
	// loops are cut.
	isHeader := func(b *cfg.Block) bool {
		_, ok := collapsed[b.Stmt]
		return ok && (b.Kind == cfg.KindForLoop || b.Kind == cfg.KindRangeLoop) && len(b.Succs) == 2
	}
	succs := func(b *cfg.Block) []*cfg.Block {
		var out []*cfg.Block
		if isHeader(b) {
			// A collapsed loop runs its body (trip count ≥ 1) or not at all.
			next := b.Succs[0]
			if collapsed[b.Stmt] == 0 {
				next = b.Succs[1]
			}
			if next != makeBlock {
				out = append(out, next)
			}
			return out
		}
		for _, s := range b.Succs {
			if s == makeBlock {
				continue
			}
			if isHeader(s) && blockInside(b, s.Stmt) {
				// The back edge goes to the loop's exit instead: one pass
				// through the body stands for all iterations.
				if len(s.Succs) == 2 {
					out = append(out, s.Succs[1])
				}
				continue
			}
			out = append(out, s)
		}
		return out
	}
	reach := map[*cfg.Block]bool{makeBlock: true}
	stack := []*cfg.Block{makeBlock}
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, s := range succs(b) {
			if !reach[s] {
				reach[s] = true
				stack = append(stack, s)
			}
		}
	}
	cyclic := cyclicBlocks(reach, succs)
	recvKnown := true
	for b := range reach {
		w := blockW[b]
		if cyclic[b] && w.sends > 0 {
			kKnown = false
		}
		if cyclic[b] && w.recvs > 0 {
			recvKnown = false
		}
	}
	term := func(b *cfg.Block) (terminal, bool) {
		if r := b.Return(); r != nil {
			if r.Return == body.Rbrace && len(r.Results) == 0 {
				return terminal{"the end of the function", body.Rbrace}, true // cfg's implicit return
			}
			return terminal{"the return at line %d", r.Pos()}, true
		}
		// Every live end of the body is a return (cfg makes the implicit
		// one explicit); a block without successors that does not return
		// ends in panic, os.Exit, t.Fatal…, select {}, or is the "no case
		// ready" block after a select without default: no exit.
		return terminal{}, false
	}
	loopsBack := func(b *cfg.Block) bool {
		for _, s := range b.Succs {
			if s == makeBlock {
				return true
			}
		}
		return false
	}
	nextIter := terminal{"the next iteration of the loop", cf.make.Pos()}
	name := cf.v.Name()

	if kKnown && recvKnown {
		// Longest path: weighted blocks are not on cycles.
		dist := map[*cfg.Block]int{makeBlock: blockW[makeBlock].sends - blockW[makeBlock].recvs}
		for range len(reach) + 1 {
			changed := false
			for b := range reach {
				d, ok := dist[b]
				if !ok {
					continue
				}
				for _, s := range succs(b) {
					nd := d + blockW[s].sends - blockW[s].recvs
					if old, ok := dist[s]; !ok || nd > old {
						dist[s] = nd
						changed = true
					}
				}
			}
			if !changed {
				break
			}
		}
		best, bestT := 0, terminal{}
		consider := func(bal int, t terminal) {
			if bal > best || bal == best && bal > 0 && t.pos < bestT.pos {
				best, bestT = bal, t
			}
		}
		for b, d := range dist {
			if t, ok := term(b); ok {
				consider(d, t)
			}
			if loopsBack(b) {
				consider(d, nextIter)
			}
		}
		if best <= 0 {
			return
		}
		cf.leak = true
		verb := "are"
		if best == 1 {
			verb = "is"
		}
		cf.msg = fmt.Sprintf("goroutine leak: %s on unbuffered channel %s %s never received before %s",
			plural(best, "send"), name, verb, e.termText(bestT))
		return
	}

	// Loops in the way: the heuristics.
	// (ii) a return inside the loop that receives.
	for _, rc := range cf.recvs {
		loopC, ok := cf.repeatingLoop(rc)
		if !ok {
			continue
		}
		if r := e.earlyReturn(loopC.Node()); r != nil {
			cf.leak = true
			cf.msg = fmt.Sprintf("goroutine leak: the loop receiving from unbuffered channel %s can return at line %d while goroutines still send",
				name, e.line(r.Pos()))
			return
		}
	}
	// (i) a path from a go statement to an exit without any receive. A
	// loop that receives somewhere in its body is assumed to receive
	// (its early returns are (ii)'s), so blocks of such loops stop the
	// search.
	recvLoops := map[ast.Node]bool{}
	for _, rc := range cf.recvs {
		if l, ok := cf.repeatingLoop(rc); ok {
			recvLoops[l.Node()] = true
		}
	}
	blocked := func(b *cfg.Block) bool {
		if blockW[b].recvs > 0 {
			return true
		}
		switch b.Kind {
		case cfg.KindForLoop, cfg.KindForBody, cfg.KindForPost, cfg.KindRangeLoop, cfg.KindRangeBody:
			return recvLoops[b.Stmt]
		}
		return false
	}
	var ordered []*cfg.Block
	for b := range reach {
		ordered = append(ordered, b)
	}
	sortBlocks(ordered)
	for _, b := range ordered {
		if blockW[b].sends == 0 || blocked(b) {
			continue
		}
		seen := map[*cfg.Block]bool{b: true}
		queue := []*cfg.Block{b}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			t, ok := term(x)
			if !ok && loopsBack(x) {
				t, ok = nextIter, true
			}
			if ok {
				cf.leak = true
				cf.msg = fmt.Sprintf("goroutine leak: sends on unbuffered channel %s are never received before %s",
					name, e.termText(t))
				return
			}
			for _, s := range succs(x) {
				if !seen[s] && !blocked(s) {
					seen[s] = true
					queue = append(queue, s)
				}
			}
		}
	}
	// (iii) goroutines started in a loop, each sure to send, against a
	// fixed number of receives (the first answer wins).
	if cf.k < 0 && recvKnown && e.loopStartsSenders(cf) {
		most := 0
		for _, w := range recvW {
			most += w
		}
		cf.leak = true
		cf.msg = fmt.Sprintf("goroutine leak: goroutines started in a loop each send on unbuffered channel %s, but it is received at most %s",
			name, plural(most, "time"))
	}
}

// loopStartsSenders reports whether a go statement of the function sits in
// a loop without a constant trip count and its goroutine sends on every
// path.
func (e *ctxEnv) loopStartsSenders(cf *chanFacts) bool {
	for _, gs := range e.goStmtsOf(cf) {
		gc, ok := e.p.Inspector.Root().FindNode(gs)
		if !ok {
			continue
		}
		if _, known := e.multiplier(cf, gc); known {
			continue
		}
		if lit, ok := ast.Unparen(gs.Call.Fun).(*ast.FuncLit); ok && e.minSends(cf, lit.Body.List) >= 1 {
			return true
		}
	}
	return false
}

// blockInside reports whether the block b belongs to the body of loop
// (including its post statement), so that an edge from b to the loop's
// header is a back edge.
func blockInside(b *cfg.Block, loop ast.Node) bool {
	if b.Stmt == loop {
		switch b.Kind {
		case cfg.KindForBody, cfg.KindForPost, cfg.KindRangeBody:
			return true
		}
		return false
	}
	body := loopBody(loop)
	if body == nil {
		return false
	}
	var pos token.Pos
	if b.Stmt != nil {
		pos = b.Stmt.Pos()
	} else if len(b.Nodes) > 0 {
		pos = b.Nodes[0].Pos()
	}
	return pos.IsValid() && body.Pos() <= pos && pos < body.End()
}

// repeatingLoop returns the innermost loop of the channel's function (not
// of a goroutine in it) that repeats c, if any.
func (cf *chanFacts) repeatingLoop(c inspector.Cursor) (inspector.Cursor, bool) {
	for _, l := range cf.repeatingLoops(c) {
		if _, lit := l.Node().(*ast.FuncLit); !lit {
			return l, true
		}
	}
	return inspector.Cursor{}, false
}

// earlyReturn returns the first return statement in the loop (outside
// function literals) that is not a countdown's end: a return guarded by
// `if n == 0` (or n <= 0, n < 1) where the loop decrements n is how a
// loop stops after receiving from every sender (internal/fuzz's
// coordinator), not an early return.
func (e *ctxEnv) earlyReturn(loop ast.Node) *ast.ReturnStmt {
	decremented := map[types.Object]bool{}
	ast.Inspect(loop, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IncDecStmt:
			if id, ok := ast.Unparen(n.X).(*ast.Ident); ok && n.Tok == token.DEC {
				decremented[e.p.Info.Uses[id]] = true
			}
		case *ast.AssignStmt:
			if id, ok := ast.Unparen(n.Lhs[0]).(*ast.Ident); ok && n.Tok == token.SUB_ASSIGN && len(n.Lhs) == 1 {
				decremented[e.p.Info.Uses[id]] = true
			}
		}
		return true
	})
	countdown := func(cond ast.Expr) bool {
		b, ok := ast.Unparen(cond).(*ast.BinaryExpr)
		if !ok {
			return false
		}
		switch b.Op {
		case token.EQL, token.LEQ, token.LSS:
		default:
			return false
		}
		id, ok := ast.Unparen(b.X).(*ast.Ident)
		return ok && decremented[e.p.Info.Uses[id]] && e.p.Info.Types[b.Y].Value != nil
	}
	var r *ast.ReturnStmt
	var walk func(n ast.Node, guarded bool)
	walk = func(n ast.Node, guarded bool) {
		ast.Inspect(n, func(x ast.Node) bool {
			if r != nil {
				return false
			}
			switch x := x.(type) {
			case *ast.FuncLit:
				return false
			case *ast.IfStmt:
				if x.Init != nil {
					walk(x.Init, guarded)
				}
				walk(x.Body, guarded || countdown(x.Cond))
				if x.Else != nil {
					walk(x.Else, guarded)
				}
				return false
			case *ast.ReturnStmt:
				if !guarded {
					r = x
				}
			}
			return r == nil
		})
	}
	walk(loop, false)
	return r
}

func (e *ctxEnv) termText(t terminal) string {
	switch t.desc {
	case "the return at line %d":
		return fmt.Sprintf(t.desc, e.line(t.pos))
	}
	return t.desc
}

func (e *ctxEnv) line(pos token.Pos) int {
	return e.p.Fset.PositionFor(pos, false).Line
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// cyclicBlocks returns the blocks of the reachable graph that lie on a
// cycle (Tarjan's strongly connected components).
func cyclicBlocks(reach map[*cfg.Block]bool, succs func(*cfg.Block) []*cfg.Block) map[*cfg.Block]bool {
	index := map[*cfg.Block]int{}
	low := map[*cfg.Block]int{}
	on := map[*cfg.Block]bool{}
	var stack []*cfg.Block
	out := map[*cfg.Block]bool{}
	next := 0
	var strong func(b *cfg.Block)
	strong = func(b *cfg.Block) {
		index[b], low[b] = next, next
		next++
		stack = append(stack, b)
		on[b] = true
		for _, s := range succs(b) {
			if _, ok := index[s]; !ok {
				strong(s)
				low[b] = min(low[b], low[s])
			} else if on[s] {
				low[b] = min(low[b], index[s])
			}
			if s == b {
				out[b] = true
			}
		}
		if low[b] == index[b] {
			var comp []*cfg.Block
			for {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[x] = false
				comp = append(comp, x)
				if x == b {
					break
				}
			}
			if len(comp) > 1 {
				for _, x := range comp {
					out[x] = true
				}
			}
		}
	}
	// Deterministic order: by block index.
	var blocks []*cfg.Block
	for b := range reach {
		blocks = append(blocks, b)
	}
	sortBlocks(blocks)
	for _, b := range blocks {
		if _, ok := index[b]; !ok {
			strong(b)
		}
	}
	return out
}

func sortBlocks(bs []*cfg.Block) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].Index < bs[j-1].Index; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}
