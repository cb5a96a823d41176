package matchers

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/inspector"
)

// CloseRecvFix is the Fix.Data of a close-from-receiver finding: the
// rewrite replaces Remove (the receiver's close(ch) or defer close(ch))
// with a goroutine that drains the channel, and inserts `defer close(Name)`
// in the sending goroutine's Body after its first After statements —
// unless Body is nil: the sender already closes the channel on every path.
// Without Drain, Remove is only deleted.
type CloseRecvFix struct {
	ChanCloseInsert
	Remove ast.Stmt
	// Drain: replace Remove with the drain; false: delete it (the
	// receiver ranges until the close, so nothing is left to drain).
	Drain bool
}

// CloseFromReceiver finds a goroutine that receives from a channel and then
// closes it while another goroutine sends on it:
//
//	ch := make(chan T)
//	go func() {
//		for _, x := range xs {
//			ch <- f(x) // panics once the receiver has closed ch
//		}
//	}()
//	for v := range ch {
//		if done(v) {
//			break
//		}
//	}
//	close(ch)
//
// A send on a closed channel panics, and nothing orders the receiver's close
// after the sender's last send. The finding is at the close call.
//
// The channel must be a localChan (see chanuse.go). What is reported: a
// close of the channel in a goroutine (the declaring function, or a go
// statement's literal) that also receives from it, either deferred or
// after one of its receives in the source, while some other goroutine
// sends on it. Left alone: a close that the goroutine reaches only after
// waiting for something else — a (*sync.WaitGroup).Wait or
// (*sync.Cond).Wait call, a receive from another channel outside a select
// that also has a case on this one, a range over another channel — since
// it may be waiting for the senders to finish (wg.Wait(); close(ch) is the
// correct pattern).
//
// The fix moves the close into the sender as defer close(ch) when the
// sole sender is one goroutine started in the function (not in a loop),
// that goroutine neither receives from the channel nor calls recover (a
// sender that recovers from the panic is designed around the close), all
// receives of the channel are in the closing goroutine, none in a select
// and none after a close that is not deferred, the close is the only one
// and a statement of its own (not in a deferred function literal, not the
// only statement of a block), and close and the channel's name mean the
// same at the insertion point. The receiver's close is replaced by a
// goroutine that drains the channel, so that a sender still sending when
// the receiver stopped can finish (and close) instead of blocking for ever;
// when the receiver only ranges until the close, there is nothing to drain
// and the close is deleted. When the sender already closes the channel on
// every path (defer close(ch)), the receiver's close is a second close
// waiting to happen: the fix only replaces it (or deletes it).
func CloseFromReceiver(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil {
		return nil
	}
	want := map[*types.Var]bool{}
	for c := range p.Inspector.Root().Preorder((*ast.CallExpr)(nil)) {
		call := c.Node().(*ast.CallExpr)
		if len(call.Args) != 1 || !cuBuiltin(p.Info, call.Fun, "close") {
			continue
		}
		if v, ok := p.Info.Uses[identOf(call.Args[0])].(*types.Var); ok {
			want[v] = true
		}
	}
	chans := cuChans(p, want)
	var ordered []*cuChan
	for _, lc := range chans {
		ordered = append(ordered, lc)
	}
	cuSort(ordered)
	var out []Finding
	for _, lc := range ordered {
		if lc.returned {
			continue // its receivers are the callers'
		}
		for _, op := range lc.ops {
			if op.kind != cuClose {
				continue
			}
			if fd, ok := crCheck(p, lc, op); ok {
				out = append(out, fd)
			}
		}
	}
	return out
}

func crCheck(p *Pass, lc *cuChan, cl cuOp) (Finding, bool) {
	r := cl.ctx
	recvs := lc.opsIn(r, cuRecv, cuRange)
	if len(recvs) == 0 {
		return Finding{}, false
	}
	if !cl.deferred {
		before := false
		for _, op := range recvs {
			if op.node.Pos() < cl.node.Pos() {
				before = true
			}
		}
		if !before {
			return Finding{}, false // closes before it receives: the drain pattern
		}
	}
	end := cl.node.Pos()
	if cl.deferred {
		end = r.body.End()
	}
	if crWaits(p, lc, r, end) {
		return Finding{}, false
	}
	var senders []*cuCtx
	for _, s := range lc.ctxsWith(cuSend) {
		if s != r {
			senders = append(senders, s)
		}
	}
	if len(senders) == 0 {
		return Finding{}, false
	}
	fd := Finding{
		Pos:     cl.node.Pos(),
		End:     cl.node.End(),
		Message: lc.name + " is closed by its receiver while another goroutine sends on it: a send after the close panics",
	}
	fd.Fix, fd.NoFix = crFix(p, lc, cl, senders)
	return fd, true
}

// crWaits reports whether the goroutine r, before end, waits for something
// that may be the senders finishing: a WaitGroup or Cond Wait, a receive
// from another channel (outside a select that also receives from or sends
// on the channel), or a range over another channel.
func crWaits(p *Pass, lc *cuChan, r *cuCtx, end token.Pos) bool {
	waits := false
	rc, ok := p.Inspector.Root().FindNode(r.body)
	if !ok {
		return true
	}
	rc.Inspect(nil, func(c inspector.Cursor) bool {
		if waits || c.Node().Pos() >= end {
			return false
		}
		switch n := c.Node().(type) {
		case *ast.FuncLit:
			return crRunsHere(c)
		case *ast.CallExpr:
			if crSyncWait(p.Info, n) {
				waits = true
			}
		case *ast.UnaryExpr:
			if n.Op == token.ARROW && !lc.is(p, n.X) && !crInSelectWith(p, lc, c) {
				waits = true
			}
		case *ast.RangeStmt:
			if t := p.Info.TypeOf(n.X); t != nil {
				if _, ok := t.Underlying().(*types.Chan); ok && !lc.is(p, n.X) {
					waits = true
				}
			}
		}
		return !waits
	})
	return waits
}

// crRunsHere reports whether the function literal at c runs in the
// goroutine that contains it: called on the spot or deferred.
func crRunsHere(c inspector.Cursor) bool {
	pc := c.Parent()
	for {
		if _, ok := pc.Node().(*ast.ParenExpr); !ok {
			break
		}
		pc = pc.Parent()
	}
	call, ok := pc.Node().(*ast.CallExpr)
	if !ok || ast.Unparen(call.Fun) != c.Node() {
		return false
	}
	_, isGo := pc.Parent().Node().(*ast.GoStmt)
	return !isGo
}

// crInSelectWith reports whether the receive at c is the communication of
// a select case whose select also has a case on the channel lc.
func crInSelectWith(p *Pass, lc *cuChan, c inspector.Cursor) bool {
	for e := range c.Enclosing((*ast.CommClause)(nil), (*ast.FuncLit)(nil), (*ast.BlockStmt)(nil)) {
		cc, ok := e.Node().(*ast.CommClause)
		if !ok {
			return false
		}
		if cc.Comm == nil || !(cc.Comm.Pos() <= c.Node().Pos() && c.Node().End() <= cc.Comm.End()) {
			return false
		}
		sel, ok := e.Parent().Parent().Node().(*ast.SelectStmt)
		if !ok {
			return false
		}
		for _, s := range sel.Body.List {
			other := s.(*ast.CommClause)
			if other.Comm == nil || other == cc {
				continue
			}
			found := false
			ast.Inspect(other.Comm, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && p.Info.Uses[id] == lc.obj {
					found = true
				}
				return !found
			})
			if found {
				return true
			}
		}
		return false
	}
	return false
}

// crSyncWait reports whether call is (*sync.WaitGroup).Wait or
// (*sync.Cond).Wait.
func crSyncWait(info *types.Info, call *ast.CallExpr) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	s := info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal {
		return false
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok || fn.Name() != "Wait" || fn.Pkg() == nil || fn.Pkg().Path() != "sync" {
		return false
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return false
	}
	t := recv.Type()
	if ptr, ok := t.(*types.Pointer); ok {
		t = ptr.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	name := named.Obj().Name()
	return name == "WaitGroup" || name == "Cond"
}

func crMoveMessage(name string, drain bool) string {
	if drain {
		return "move the close into the sending goroutine as defer close(" + name + ") and drain " + name + " where it was closed"
	}
	return "move the close into the sending goroutine as defer close(" + name + ")"
}

func crDeleteMessage(name string, drain bool) string {
	if drain {
		return "replace the receiver's close with a goroutine draining " + name + ": the sending goroutine closes it itself"
	}
	return "delete the receiver's close: the sending goroutine closes " + name + " itself"
}

// crRangesToClose reports whether every receive of the channel in r is a
// range with no way out of its body but the channel's close (no return,
// break, goto, labeled continue, or panic in sight): the receiver goes on
// only once the channel is closed, and there is nothing left to drain.
func crRangesToClose(p *Pass, lc *cuChan, r *cuCtx) bool {
	for _, op := range lc.opsIn(r, cuRecv, cuRange) {
		rs, ok := op.node.(*ast.RangeStmt)
		if !ok || op.kind != cuRange {
			return false
		}
		exits := false
		ast.Inspect(rs.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				exits = true
			case *ast.BranchStmt:
				if n.Tok != token.CONTINUE || n.Label != nil {
					exits = true
				}
			case *ast.CallExpr:
				if cuBuiltin(p.Info, n.Fun, "panic") || cuNoReturn(p.Info)(n) {
					exits = true
				}
			}
			return !exits
		})
		if exits {
			return false
		}
	}
	return true
}

// is reports whether e denotes the channel variable.
func (lc *cuChan) is(p *Pass, e ast.Expr) bool {
	return p.Info.Uses[identOf(e)] == lc.obj
}

// crFix returns the fix moving the close cl into the sole sender, or nil
// and the reason.
func crFix(p *Pass, lc *cuChan, cl cuOp, senders []*cuCtx) (*Fix, string) {
	s, r := senders[0], cl.ctx
	switch {
	case len(senders) > 1 || s.multi:
		return nil, "several goroutines send on " + lc.name + " (more than one go statement, or one in a loop): no single one can close it; close it once after all of them are done (sync.WaitGroup)"
	case s.goSt == nil:
		return nil, "the function itself sends on " + lc.name + ", not a goroutine it starts"
	}
	if _, isDefer := cl.stmt.(*ast.DeferStmt); cl.deferred && !isDefer {
		return nil, "the close is inside a deferred function literal"
	}
	closes, senderCloses := 0, 0
	for _, op := range lc.ops {
		if op.kind == cuClose {
			closes++
			if op.ctx == s {
				senderCloses++
			}
		}
	}
	if closes-senderCloses != 1 {
		return nil, lc.name + " is closed in more than one place"
	}
	// The sender may close the channel itself already. On every path: then
	// every execution that reaches the receiver's close panics (a send on,
	// or a second close of, the closed channel), and deleting the
	// receiver's close is the whole fix — the receives keep seeing the
	// sender's close as before.
	deleteOnly := senderCloses > 0
	if deleteOnly && cuReturnAvoiding(cuCFG(p.Info, s.body), nil, func(n ast.Node) bool { return cuClosesChan(p.Info, n, lc.obj) }, nil) {
		return nil, "the sender closes " + lc.name + " too, but not on every path"
	}
	for _, op := range lc.ops {
		switch op.kind {
		case cuSend:
			if op.ctx == r {
				return nil, "the closing goroutine also sends on " + lc.name
			}
		case cuRecv, cuRange:
			switch {
			case op.ctx == s:
				return nil, "the sending goroutine also receives from " + lc.name
			case deleteOnly:
			case op.ctx != r:
				return nil, "another goroutine receives from " + lc.name + " too: the time of the close matters to it"
			case op.inSelect:
				return nil, lc.name + " is received in a select: once the sender closes it, that case would fire where the select used to wait on its other cases"
			case !cl.deferred && op.node.Pos() > cl.node.Pos():
				return nil, lc.name + " is received after the close: that receive would now wait for the sender"
			}
		}
	}
	if cuContainsCall(s.body, func(c *ast.CallExpr) bool { return cuBuiltin(p.Info, c.Fun, "recover") }) {
		return nil, "the sender recovers from panics: the panic of a send on the closed channel is its way out, and after the move it would block for ever instead"
	}
	sc, ok := p.Inspector.Root().FindNode(cl.stmt)
	if !ok {
		return nil, "the close statement is not in the file's syntax tree"
	}
	list := sc.Parent().Node()
	switch l := list.(type) {
	case *ast.BlockStmt:
		if len(l.List) == 1 {
			return nil, "the close is the only statement of its block: deleting it would leave the block empty"
		}
	case *ast.CaseClause, *ast.CommClause:
	default:
		return nil, "the close is not in a statement list"
	}
	drain := !crRangesToClose(p, lc, r)
	if deleteOnly {
		return &Fix{
			Message: crDeleteMessage(lc.name, drain),
			Anchor:  cl.stmt,
			Lists:   []ast.Node{list},
			Data:    CloseRecvFix{ChanCloseInsert: ChanCloseInsert{Name: lc.name}, Remove: cl.stmt, Drain: drain},
		}, ""
	}
	after := cuLeadingDefers(s.body)
	pos := s.body.Lbrace + 1
	if after > 0 {
		pos = s.body.List[after-1].End()
	}
	if !cuResolvesTo(p, pos, "close", types.Universe.Lookup("close")) || !cuResolvesTo(p, pos, lc.name, lc.obj) {
		return nil, "close or " + lc.name + " means something else in the sending goroutine"
	}
	return &Fix{
		Message: crMoveMessage(lc.name, drain),
		Anchor:  cl.stmt,
		Lists:   []ast.Node{list, s.body},
		Data: CloseRecvFix{
			ChanCloseInsert: ChanCloseInsert{Body: s.body, After: after, Name: lc.name},
			Remove:          cl.stmt,
			Drain:           drain,
		},
	}, ""
}
