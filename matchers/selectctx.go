package matchers

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
)

// SelectCtxDone finds channel operations that can block forever while a
// context is in scope that could end the wait:
//
//   - a send or receive statement in a goroutine (a function literal
//     started by go) or in a loop, that is not a case of a select;
//   - a select without default and without a case on a context's Done, in
//     a goroutine or a loop, none of whose cases leaves the loop;
//   - a send or receive in the default branch of a select that has a
//     ctx.Done() case: the select no longer guards it (reported without a
//     fix).
//
// "A context in scope" is a local variable or parameter of type
// context.Context visible at the operation (see ctxAt); none: nothing is
// reported. Receives that always complete or are themselves the plan for
// stopping are left alone: from a time.After/Tick or Timer/Ticker channel,
// from a signal channel (chan struct{}: a done or quit channel, a context's
// Done). So are operations on a local channel whose every use is visible
// and cannot block forever, or that chan-leak-early-return fixes by
// buffering.
//
// The fix wraps the operation in select { case op: case <-ctx.Done():
// return … } or adds that case to the select. Inside a goroutine the
// return is bare; in a loop of a function with results, the return gives
// the zero values and ctx.Err() for a last error result (no fix when the
// last result is not an error). No fix either when several contexts are in
// scope, when code after the operation closes a channel, calls a sync
// method or a cancel func (returning early would skip it), or when the
// receive is part of a larger expression.
func SelectCtxDone(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil {
		return nil
	}
	e := newCtxEnv(p)
	if e.ctxType == nil {
		return nil
	}
	var out []Finding
	inDefault := map[ast.Node]bool{}
	for sc := range p.Inspector.Root().Preorder((*ast.SelectStmt)(nil)) {
		out = append(out, e.defaultBranch(sc, inDefault)...)
	}
	for c := range p.Inspector.Root().Preorder((*ast.SendStmt)(nil), (*ast.UnaryExpr)(nil), (*ast.SelectStmt)(nil)) {
		op, ok := e.opAt(c)
		if !ok || inDefault[op.node] {
			continue
		}
		if op.kind == opRecv && (e.completes(op.ch) || e.checksClosed(op)) {
			continue
		}
		if op.kind != opSelect && e.neverBlocksForever(op) {
			continue
		}
		fn, isGo := funcOf(c)
		if !fn.Valid() {
			continue
		}
		if op.kind != opSelect && e.tokenChannel(fn, op.ch) {
			continue
		}
		loopC, inLoop := loopOf(c, fn)
		if !isGo && !inLoop {
			continue
		}
		if op.kind == opSelect && !e.selectBlocks(op, loopC, inLoop) {
			continue
		}
		ctx := e.ctxAt(op.node.Pos())
		if ctx.none() {
			continue
		}
		fd := Finding{Pos: op.node.Pos(), End: op.node.End(), Message: e.opMessage(op, ctx)}
		if op.kind == opSelect {
			sel := op.node.(*ast.SelectStmt)
			fd.End = sel.Select + token.Pos(len("select"))
		}
		if ctx.v != nil {
			fd.Fix, fd.NoFix = e.ctxDoneFix(fn, []chanOp{op}, ctx.v, op.stmt)
		} else {
			fd.NoFix = ambiguousNoFix(ctx)
		}
		out = append(out, fd)
	}
	return out
}

// opAt returns the blocking operation at c: a send statement or a receive
// that is not a select's comm, or a select statement.
func (e *ctxEnv) opAt(c inspector.Cursor) (chanOp, bool) {
	switch n := c.Node().(type) {
	case *ast.SendStmt:
		if c.ParentEdgeKind() == edge.CommClause_Comm {
			return chanOp{}, false
		}
		return chanOp{kind: opSend, node: n, c: c, stmt: n, stmtC: c, ch: n.Chan}, true
	case *ast.UnaryExpr:
		if n.Op != token.ARROW {
			return chanOp{}, false
		}
		stmtC, isComm := recvStmt(c)
		if isComm {
			return chanOp{}, false
		}
		op := chanOp{kind: opRecv, node: n, c: c, ch: n.X}
		if stmtC.Valid() {
			op.stmt, op.stmtC = stmtC.Node().(ast.Stmt), stmtC
		}
		return op, true
	case *ast.SelectStmt:
		return chanOp{kind: opSelect, node: n, c: c, stmt: n, stmtC: c}, true
	}
	return chanOp{}, false
}

// completes reports whether a receive from ch always completes or is a
// plan for stopping: a timer channel, a signal channel, a context's Done.
func (e *ctxEnv) completes(ch ast.Expr) bool {
	return e.isTimerChan(ch) || e.isSignalChan(ch) || e.isCtxDone(ch)
}

// tokenChannel reports whether the function passes a token through ch, as
// a lock: it receives a value from ch into a variable (v := <-ch) and sends
// that variable back (ch <- v). Taking and returning the token are Lock
// and Unlock; guarding the return with ctx.Done() could drop the token
// (a select with two ready cases picks either), and then every later
// taker waits forever.
func (e *ctxEnv) tokenChannel(fn inspector.Cursor, ch ast.Expr) bool {
	_, body := funcParts(fn.Node())
	if body == nil {
		return false
	}
	info := e.p.Info
	taken := map[types.Object]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			if len(n.Rhs) != 1 {
				return true
			}
			if u, ok := ast.Unparen(n.Rhs[0]).(*ast.UnaryExpr); ok && u.Op == token.ARROW && sameRef(info, u.X, ch) {
				if id, ok := n.Lhs[0].(*ast.Ident); ok {
					if obj := info.ObjectOf(id); obj != nil {
						taken[obj] = true
					}
				}
			}
		}
		return true
	})
	if len(taken) == 0 {
		return false
	}
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.SendStmt:
			if id, ok := ast.Unparen(n.Value).(*ast.Ident); ok && taken[info.ObjectOf(id)] && sameRef(info, n.Chan, ch) {
				found = true
			}
		}
		return !found
	})
	return found
}

// checksClosed reports whether a receive is `v, ok := <-ch` (or =) with a
// named ok: the code expects the producer to close the channel, as a range
// over it does — the close is its plan for stopping.
func (e *ctxEnv) checksClosed(op chanOp) bool {
	as, ok := op.stmt.(*ast.AssignStmt)
	if !ok || as == nil || len(as.Lhs) != 2 {
		return false
	}
	id, ok := as.Lhs[1].(*ast.Ident)
	return ok && id.Name != "_"
}

// selectBlocks reports whether a select can wait forever without a plan:
// it has cases and no default, no case on a context's Done, a timer or a
// signal channel, and (in a loop) no case that leaves the loop.
func (e *ctxEnv) selectBlocks(op chanOp, loopC inspector.Cursor, inLoop bool) bool {
	sel := op.node.(*ast.SelectStmt)
	if len(sel.Body.List) == 0 {
		return false // select {}: blocks forever on purpose
	}
	for _, cl := range sel.Body.List {
		cc := cl.(*ast.CommClause)
		if cc.Comm == nil {
			return false // default
		}
		if ch := commRecvChan(cc.Comm); ch != nil && e.completes(ch) {
			return false
		}
		if inLoop {
			if leaves, _ := e.leavesLoop(loopC, cc.Body, 1); leaves {
				return false
			}
		}
	}
	return true
}

// commRecvChan returns the channel a select case receives from, or nil for
// a send case.
func commRecvChan(comm ast.Stmt) ast.Expr {
	var x ast.Expr
	switch s := comm.(type) {
	case *ast.ExprStmt:
		x = s.X
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			x = s.Rhs[0]
		}
	}
	if u, ok := ast.Unparen(x).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
		return u.X
	}
	return nil
}

// defaultBranch reports the sends and receives in the default branch of a
// select that has a case on a context's Done: the select was meant to
// guard them, but the default branch runs when no case is ready and then
// blocks unguarded. The operations are recorded in seen.
func (e *ctxEnv) defaultBranch(sc inspector.Cursor, seen map[ast.Node]bool) []Finding {
	sel := sc.Node().(*ast.SelectStmt)
	var done ast.Expr
	var def *ast.CommClause
	for _, cl := range sel.Body.List {
		cc := cl.(*ast.CommClause)
		if cc.Comm == nil {
			def = cc
			continue
		}
		if ch := commRecvChan(cc.Comm); ch != nil && e.isCtxDone(ch) && done == nil {
			done = ch
		}
	}
	if def == nil || done == nil {
		return nil
	}
	defC, ok := sc.FindNode(def)
	if !ok {
		return nil
	}
	var out []Finding
	defC.Inspect([]ast.Node{(*ast.FuncLit)(nil), (*ast.SelectStmt)(nil), (*ast.SendStmt)(nil), (*ast.UnaryExpr)(nil)}, func(c inspector.Cursor) bool {
		switch c.Node().(type) {
		case *ast.FuncLit, *ast.SelectStmt:
			return false
		}
		op, ok := e.opAt(c)
		if !ok || (op.kind == opRecv && e.completes(op.ch)) {
			return true
		}
		seen[op.node] = true
		what := "send on " + types.ExprString(op.ch)
		if op.kind == opRecv {
			what = "receive from " + types.ExprString(op.ch)
		}
		out = append(out, Finding{
			Pos: op.node.Pos(),
			End: op.node.End(),
			Message: fmt.Sprintf("%s in the default branch of a select blocks unguarded by its <-%s case",
				what, types.ExprString(done)),
			NoFix: "the select's own ctx.Done() case may do more than return: guard the operation by hand (a select with the same case)",
		})
		return true
	})
	return out
}

// opMessage is the diagnostic for a blocking operation.
func (e *ctxEnv) opMessage(op chanOp, ctx ctxInScope) string {
	watch := ctx.names[0] + ".Done()"
	if ctx.ambiguous() {
		watch = "any context (" + strings.Join(ctx.names, ", ") + " in scope)"
	}
	switch op.kind {
	case opSend:
		return fmt.Sprintf("send on %s blocks without watching %s", types.ExprString(op.ch), watch)
	case opRecv:
		return fmt.Sprintf("receive from %s blocks without watching %s", types.ExprString(op.ch), watch)
	}
	return fmt.Sprintf("select blocks without watching %s", watch)
}

// ambiguousNoFix is the NoFix reason when several contexts are in scope.
func ambiguousNoFix(ctx ctxInScope) string {
	return "several contexts are in scope (" + strings.Join(ctx.names, ", ") + "): the rule does not choose which one to watch"
}

// ctxDoneFix builds the fix that guards ops (all in the function fn) with
// ctx, or says why there is none.
func (e *ctxEnv) ctxDoneFix(fn inspector.Cursor, ops []chanOp, ctx *types.Var, anchor ast.Node) (*Fix, string) {
	_, body := funcParts(fn.Node())
	if body == nil || len(ops) == 0 {
		return nil, "no function body"
	}
	data := CtxDoneFix{Ctx: ctx.Name()}
	var nodes, lists []ast.Node
	for _, op := range ops {
		g := e.guard(op, ctx, len(nodes))
		if g.reason != "" {
			return nil, g.reason
		}
		nodes = append(nodes, g.nodes...)
		lists = append(lists, g.lists...)
		data.Ops = append(data.Ops, g.op)
		if what := e.cleanupAfter(body, op.node.End(), ctx); what != "" {
			return nil, "returning early would skip the " + what + " call after the operation, which others may wait for: move it into a defer first"
		}
	}
	var retText string
	if own, at := e.ownDoneCase(fn, ctx, ops[0].node.Pos()); own != nil {
		for _, op := range ops[1:] {
			if !e.copyable(own, op.node.Pos()) {
				own = nil
			}
		}
		if own != nil {
			for _, st := range own {
				data.CaseBody = append(data.CaseBody, len(nodes))
				nodes = append(nodes, st)
			}
			retText = fmt.Sprintf("as the case at line %d does", e.line(at))
		}
	}
	if data.CaseBody == nil {
		ret, reason := e.ctxReturn(fn.Node(), ops[0].node.Pos(), &nodes)
		if reason != "" {
			return nil, reason
		}
		data.Return = ret
		retText = e.returnText(ret, nodes, ctx.Name())
	}
	msg := ""
	switch {
	case len(ops) > 1:
		msg = fmt.Sprintf("watch %s.Done() at the loop's %d blocking operations: %s", ctx.Name(), len(ops), retText)
	case ops[0].kind == opSelect:
		msg = fmt.Sprintf("add case <-%s.Done(): %s", ctx.Name(), retText)
	default:
		msg = fmt.Sprintf("wrap in a select with case <-%s.Done(): %s", ctx.Name(), retText)
	}
	return &Fix{
		Message: msg,
		Anchor:  anchor,
		Lists:   lists,
		Nodes:   nodes,
		Data:    data,
	}, ""
}

// returnText renders the return statement of a CtxDoneFix for messages.
func (e *ctxEnv) returnText(ret []ZeroValue, nodes []ast.Node, ctx string) string {
	if len(ret) == 0 {
		return "return"
	}
	var parts []string
	for _, z := range ret {
		switch {
		case z.CtxErr:
			parts = append(parts, ctx+".Err()")
		case z.Lit != "":
			parts = append(parts, z.Lit)
		case z.Deref:
			parts = append(parts, "*new("+types.ExprString(nodes[z.TypeNode].(ast.Expr))+")")
		default:
			parts = append(parts, types.ExprString(nodes[z.TypeNode].(ast.Expr))+"{}")
		}
	}
	return "return " + strings.Join(parts, ", ")
}
