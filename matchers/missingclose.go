package matchers

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/inspector"
)

// MissingCloseFix is the Fix.Data of a missing-close finding: the rewrite
// inserts `defer close(Name)` in Body after its first After statements,
// and deletes Remove (the sender's own trailing close(ch), which the
// deferred close replaces) when not nil.
type MissingCloseFix struct {
	ChanCloseInsert
	Remove ast.Stmt
}

// MissingClose finds a channel that a function makes, that some goroutine
// ranges over, and that its sender does not close on every path:
//
//	ch := make(chan T)
//	go func() {
//		for _, x := range xs {
//			if bad(x) {
//				return // ch is not closed: the range below never ends
//			}
//			ch <- f(x)
//		}
//		close(ch)
//	}()
//	for v := range ch { … }
//
// A range over a channel ends only when the channel is closed: once the
// sender has returned without closing it, the ranging goroutine waits
// forever.
//
// The channel must be a cuChan (made in the function, never passed
// anywhere, or returned receive-only by a generator); the finding is at its
// make call. What is reported:
//   - the senders are goroutines or the function itself (not a goroutine
//     that also ranges), nothing but the senders closes the channel (a
//     separate closer, for example after wg.Wait, or a receiver that closes
//     it are someone else's business: close-from-receiver), and
//   - one sender that can return on a path that does not close the channel
//     (paths found on the control-flow graph of golang.org/x/tools/go/cfg;
//     a sender that never returns — for { ch <- x } — is fine), or several
//     senders and no close at all;
//   - a path that signals a channel every ranging goroutine receives from
//     before its range does not count (the range is not reached there);
//   - a generator (the channel returned receive-only) only when its sender
//     closes it on some path: the callers are meant to see the close.
//
// The fix, `defer close(ch)` in the sender, is offered when the sole sender
// is one goroutine started in the function (not a go statement in a loop,
// which starts several), that goroutine does not receive from the channel,
// every receive of the channel is a range or a comma-ok receive outside a
// select (they are written for a closed channel; a plain receive would read
// a zero value, a select case would fire again and again), the close is
// not shadowed in the goroutine, and any close(ch) the goroutine already
// has is its body's last statement with no defer statement after the
// leading ones (that close is then replaced: it ran before the deferred
// calls, and so does a defer inserted after the leading defers), or a
// top-level defer close(ch) with no defer statement between the leading
// defers and it (it moves up; the deferred calls keep their order).
func MissingClose(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil {
		return nil
	}
	// The channels ranged over, and those closed somewhere (a generator
	// that closes on some paths).
	want := map[*types.Var]bool{}
	for c := range p.Inspector.Root().Preorder((*ast.RangeStmt)(nil), (*ast.CallExpr)(nil)) {
		var x ast.Expr
		switch n := c.Node().(type) {
		case *ast.RangeStmt:
			x = n.X
		case *ast.CallExpr:
			if len(n.Args) == 1 && cuBuiltin(p.Info, n.Fun, "close") {
				x = n.Args[0]
			}
		}
		if v, ok := p.Info.Uses[identOf(x)].(*types.Var); ok {
			if _, ok := types.Unalias(v.Type()).Underlying().(*types.Chan); ok {
				want[v] = true
			}
		}
	}
	chans := cuChans(p, want)
	var out []Finding
	// Report in source order of the make calls.
	var ordered []*cuChan
	for _, lc := range chans {
		ordered = append(ordered, lc)
	}
	cuSort(ordered)
	for _, lc := range ordered {
		if fd, ok := mcCheck(p, lc); ok {
			out = append(out, fd)
		}
	}
	return out
}

func mcCheck(p *Pass, lc *cuChan) (Finding, bool) {
	rangers := lc.ctxsWith(cuRange)
	senders := lc.ctxsWith(cuSend)
	if len(senders) == 0 || len(rangers) == 0 && !lc.returned {
		return Finding{}, false
	}
	isSender := map[*cuCtx]bool{}
	for _, s := range senders {
		isSender[s] = true
	}
	for _, r := range rangers {
		if isSender[r] {
			return Finding{}, false // a goroutine that feeds its own range
		}
	}
	closes := 0
	for _, op := range lc.ops {
		if op.kind == cuClose {
			if !isSender[op.ctx] {
				return Finding{}, false // closed by someone else
			}
			closes++
		}
	}
	if lc.returned && closes == 0 {
		// A generator that never closes: its callers may count their
		// receives rather than range.
		return Finding{}, false
	}
	fd := Finding{Pos: lc.make.Pos(), End: lc.make.End()}
	if len(senders) > 1 || senders[0].multi {
		if closes > 0 {
			return Finding{}, false // several senders that close: beyond the rule
		}
		fd.Message = lc.name + " is ranged over but never closed: the range never ends after the last send"
		fd.NoFix = "several goroutines send on " + lc.name + " (more than one go statement, or one in a loop): close it once after all of them are done, with a sync.WaitGroup and a closer goroutine"
		return fd, true
	}
	s := senders[0]
	g := cuCFG(p.Info, s.body)
	var start ast.Node
	if s.goSt == nil {
		// The declaring function: paths from the declaration on.
		start = lc.decl
		if ds, ok := lc.decl.(*ast.DeclStmt); ok {
			for _, spec := range ds.Decl.(*ast.GenDecl).Specs {
				if vs, ok := spec.(*ast.ValueSpec); ok {
					for _, n := range vs.Names {
						if p.Info.Defs[n] == lc.obj {
							start = vs
						}
					}
				}
			}
		}
	}
	// A path that signals a channel the ranging goroutines wait on before
	// they range (errs <- err; return, while the caller selects on errs
	// before its range) is coordinated: the range is not reached there.
	waited := mcWaitedBefore(p, lc, rangers)
	stop := func(n ast.Node) bool {
		return cuClosesChan(p.Info, n, lc.obj) || mcSignals(p.Info, n, waited)
	}
	if !cuReturnAvoiding(g, start, stop, nil) {
		return Finding{}, false
	}
	switch {
	case closes == 0:
		fd.Message = lc.name + " is ranged over but never closed: the range never ends after the last send"
	case len(rangers) == 0:
		fd.Message = lc.name + " is returned to be received from, but its sender does not close it on every path: a range over it may never end"
	default:
		fd.Message = lc.name + " is ranged over but its sender does not close it on every path: the range may never end"
	}
	fd.Fix, fd.NoFix = mcFix(p, lc, s)
	return fd, true
}

// mcWaitedBefore returns the channel variables (other than the channel
// itself) that every ranging goroutine receives from before its first
// range over the channel, in its own goroutine.
func mcWaitedBefore(p *Pass, lc *cuChan, rangers []*cuCtx) map[*types.Var]bool {
	var out map[*types.Var]bool
	for _, r := range rangers {
		first := token.NoPos
		for _, op := range lc.opsIn(r, cuRange) {
			if !first.IsValid() || op.node.Pos() < first {
				first = op.node.Pos()
			}
		}
		got := map[*types.Var]bool{}
		rc, ok := p.Inspector.Root().FindNode(r.body)
		if !ok {
			return nil
		}
		rc.Inspect(nil, func(c inspector.Cursor) bool {
			n := c.Node()
			if n.Pos() >= first {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				return crRunsHere(c)
			case *ast.UnaryExpr:
				if v, ok := p.Info.Uses[identOf(n.X)].(*types.Var); ok && n.Op == token.ARROW && v != lc.obj {
					got[v] = true
				}
			}
			return true
		})
		if out == nil {
			out = got
			continue
		}
		for v := range out {
			if !got[v] {
				delete(out, v)
			}
		}
	}
	return out
}

// mcSignals reports whether the cfg node n sends on or closes one of the
// channels in chans.
func mcSignals(info *types.Info, n ast.Node, chans map[*types.Var]bool) bool {
	if len(chans) == 0 {
		return false
	}
	switch s := n.(type) {
	case *ast.SendStmt:
		v, ok := info.Uses[identOf(s.Chan)].(*types.Var)
		return ok && chans[v]
	case *ast.ExprStmt, *ast.DeferStmt:
		for v := range chans {
			if cuClosesChan(info, n, v) {
				return true
			}
		}
	}
	return false
}

// mcFix returns the fix for the sole sender s, or nil and the reason.
func mcFix(p *Pass, lc *cuChan, s *cuCtx) (*Fix, string) {
	if s.goSt == nil {
		return nil, "the function itself sends on " + lc.name + ": close it after the last send, before the function waits for the goroutines that range over it"
	}
	for _, op := range lc.ops {
		if (op.kind == cuRecv || op.kind == cuRange) && op.ctx == s {
			return nil, "the sending goroutine also receives from " + lc.name
		}
		if op.kind == cuRecv && op.inSelect {
			return nil, lc.name + " is also received in a select: once closed, that case would fire again and again where the select used to wait"
		}
		if op.kind == cuRecv && !op.commaOK {
			return nil, lc.name + " is also received without the comma-ok form: after the close it would read a zero value where it used to block"
		}
	}
	after := cuLeadingDefers(s.body)
	data := MissingCloseFix{ChanCloseInsert: ChanCloseInsert{Body: s.body, After: after, Name: lc.name}}
	closes := lc.opsIn(s, cuClose)
	switch len(closes) {
	case 0:
	case 1:
		st := closes[0].stmt
		at := -1
		for i, x := range s.body.List {
			if x == st {
				at = i
			}
		}
		if _, isDefer := st.(*ast.DeferStmt); isDefer && at >= after {
			// defer close(ch) registered too late (after an early return):
			// register it earlier. With no defer statement in between,
			// the deferred calls keep their order.
			for _, x := range s.body.List[after:at] {
				if cuHasDefer(x) {
					return nil, "the sender's defer close(" + lc.name + ") follows other defer statements that come after an early return: moving it would change the order of the deferred calls"
				}
			}
			data.Remove = st
			break
		}
		if at < 0 || at != len(s.body.List)-1 || closes[0].deferred {
			return nil, "the sender's close(" + lc.name + ") is not the last statement of its body: a deferred close would run later than it does"
		}
		for _, x := range s.body.List[after:] {
			if cuHasDefer(x) {
				return nil, "the sender defers calls after its first statements: they would run before the deferred close, where they ran after the explicit one"
			}
		}
		data.Remove = st
	default:
		return nil, "the sender closes " + lc.name + " in several places"
	}
	pos := s.body.Lbrace + 1
	if after > 0 {
		pos = s.body.List[after-1].End()
	}
	if !cuResolvesTo(p, pos, "close", types.Universe.Lookup("close")) || !cuResolvesTo(p, pos, lc.name, lc.obj) {
		return nil, "close or " + lc.name + " means something else in the sending goroutine"
	}
	return &Fix{
		Message: "defer close(" + lc.name + ") in the sending goroutine",
		Anchor:  lc.decl,
		Lists:   []ast.Node{s.body},
		Data:    data,
	}, ""
}

// cuHasDefer reports whether a defer statement is in n, outside function
// literals.
func cuHasDefer(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		switch x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			found = true
		}
		return !found
	})
	return found
}

// cuClosesChan reports whether the cfg node n closes the channel v: close(v),
// defer close(v), or a function literal called or deferred on the spot
// that closes it anywhere.
func cuClosesChan(info *types.Info, n ast.Node, v *types.Var) bool {
	var call *ast.CallExpr
	switch s := n.(type) {
	case *ast.ExprStmt:
		call, _ = ast.Unparen(s.X).(*ast.CallExpr)
	case *ast.DeferStmt:
		call = s.Call
	}
	if call == nil {
		return false
	}
	isClose := func(c *ast.CallExpr) bool {
		return cuBuiltin(info, c.Fun, "close") && len(c.Args) == 1 && info.Uses[identOf(c.Args[0])] == v
	}
	if isClose(call) {
		return true
	}
	if lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
		return cuContainsCall(lit.Body, isClose)
	}
	return false
}
