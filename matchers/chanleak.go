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

// neverBlocksForever reports whether the sends and receives on the local
// channel v cannot block forever as far as the chan-leak analysis can
// tell, or whether chan-leak-early-return fixes it: every reference is
// visible, and either the channel is buffered for every send (or with a
// capacity computed at run time, assumed sized for its senders), or no
// path leaks, or the buffering fix applies.
func (e *ctxEnv) neverBlocksForever(ch ast.Expr) bool {
	id, ok := ast.Unparen(ch).(*ast.Ident)
	if !ok {
		return false
	}
	v, ok := e.p.Info.Uses[id].(*types.Var)
	if !ok {
		return false
	}
	cf := e.chanFactsOf(v)
	if cf == nil || !cf.visible {
		return false
	}
	if cf.buffered {
		return cf.capConst < 0 || (cf.k >= 0 && int64(cf.k) <= cf.capConst)
	}
	return !cf.leak || cf.fixable()
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
		if !ok {
			known = false
			continue
		}
		total += w
	}
	// A go statement in a loop of the function (one that does not make
	// the channel again) starts any number of goroutines.
	for c := range cf.fn.Preorder((*ast.GoStmt)(nil)) {
		if f, _ := funcOf(c); f != cf.fn || !e.sendsIn(cf, c.Node()) {
			continue
		}
		if _, ok := cf.repeatingLoop(c); ok {
			known = false
		}
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

// maxSends is the most sends on the channel along one run of stmt.
func (e *ctxEnv) maxSends(cf *chanFacts, stmt ast.Stmt) (int, bool) {
	list := func(l []ast.Stmt) (int, bool) {
		sum := 0
		for _, s := range l {
			n, ok := e.maxSends(cf, s)
			if !ok {
				return 0, false
			}
			sum += n
		}
		return sum, true
	}
	switch s := stmt.(type) {
	case nil:
		return 0, true
	case *ast.SendStmt:
		if e.isChanRef(cf, s.Chan) {
			return 1, true
		}
		return 0, true
	case *ast.GoStmt:
		return e.goWeight(cf, s)
	case *ast.BlockStmt:
		if s == nil {
			return 0, true
		}
		return list(s.List)
	case *ast.LabeledStmt:
		return e.maxSends(cf, s.Stmt)
	case *ast.IfStmt:
		i, ok1 := e.maxSends(cf, s.Init)
		t, ok2 := e.maxSends(cf, s.Body)
		f, ok3 := e.maxSends(cf, s.Else)
		return i + max(t, f), ok1 && ok2 && ok3
	case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
		var init ast.Stmt
		var body *ast.BlockStmt
		switch s := s.(type) {
		case *ast.SwitchStmt:
			init, body = s.Init, s.Body
		case *ast.TypeSwitchStmt:
			init, body = s.Init, s.Body
		case *ast.SelectStmt:
			body = s.Body
		}
		i, ok := e.maxSends(cf, init)
		if !ok {
			return 0, false
		}
		best := 0
		for _, cl := range body.List {
			var n int
			switch cl := cl.(type) {
			case *ast.CaseClause:
				n, ok = list(cl.Body)
			case *ast.CommClause:
				var c int
				c, ok = e.maxSends(cf, cl.Comm)
				if ok {
					n, ok = list(cl.Body)
					n += c
				}
			}
			if !ok {
				return 0, false
			}
			best = max(best, n)
		}
		return i + best, true
	case *ast.ForStmt, *ast.RangeStmt:
		if e.sendsIn(cf, s) {
			return 0, false
		}
		return 0, true
	}
	return 0, true
}

// sendEndsGoroutine reports whether nothing of its goroutine runs after the
// send at sc but a bare return, further sends on the channel, and the
// goroutine's deferred calls, which must all be WaitGroup.Done.
func (e *ctxEnv) sendEndsGoroutine(cf *chanFacts, sc inspector.Cursor) bool {
	litC, _ := funcOf(sc)
	lit, ok := litC.Node().(*ast.FuncLit)
	if !ok || lit.Type.Results != nil && len(lit.Type.Results.List) > 0 {
		return false
	}
	harmless := func(l []ast.Stmt, after ast.Node) bool {
		seen := false
		for _, s := range l {
			if s == after {
				seen = true
				continue
			}
			if !seen {
				continue
			}
			switch s := s.(type) {
			case *ast.EmptyStmt:
			case *ast.ReturnStmt:
				if len(s.Results) > 0 {
					return false
				}
			case *ast.SendStmt:
				if !e.isChanRef(cf, s.Chan) {
					return false
				}
			default:
				return false
			}
		}
		return seen
	}
	cur := sc
	for {
		parent := cur.Parent()
		switch pn := parent.Node().(type) {
		case *ast.BlockStmt:
			if !harmless(pn.List, cur.Node()) {
				return false
			}
			if pn == lit.Body {
				return e.onlyDoneDeferred(lit)
			}
			cur = parent
		case *ast.CaseClause:
			if !harmless(pn.Body, cur.Node()) {
				return false
			}
			cur = parent.Parent().Parent() // clause → body → switch
		case *ast.CommClause:
			if cur.ParentEdgeKind() != edge.CommClause_Body || !harmless(pn.Body, cur.Node()) {
				return false
			}
			cur = parent.Parent().Parent() // clause → body → select
		case *ast.IfStmt:
			if cur.ParentEdgeKind() == edge.IfStmt_Init {
				return false
			}
			cur = parent
		case *ast.LabeledStmt:
			cur = parent
		default:
			return false
		}
	}
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
	goW := map[ast.Node]int{}
	kKnown := cf.k >= 0
	for _, gs := range e.goStmtsOf(cf) {
		w, ok := e.goWeight(cf, gs)
		if !ok {
			w = 1 // at least one, count unknown
		}
		goW[gs] = w
	}
	commRecv := map[ast.Node]bool{}
	for _, rc := range cf.recvs {
		if _, isComm := recvStmt(rc); isComm {
			commRecv[rc.Node()] = true
		}
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
						w.recvs++
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
						w.recvs++
					}
					return true
				})
			}
		}
		blockW[b] = w
	}
	// The graph from the make: edges into the make's block end a path (the
	// next iteration makes a new channel).
	succs := func(b *cfg.Block) []*cfg.Block {
		var out []*cfg.Block
		for _, s := range b.Succs {
			if s != makeBlock {
				out = append(out, s)
			}
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
		if r := firstReturn(loopC.Node()); r != nil {
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
	// (iii) senders started in a loop against a fixed number of receives.
	if cf.k < 0 && recvKnown && !e.anyRecvInLoop(cf) {
		cf.leak = true
		cf.msg = fmt.Sprintf("goroutine leak: goroutines started in a loop send on unbuffered channel %s, which is received at most %s",
			name, plural(len(cf.recvs), "time"))
	}
}

func (e *ctxEnv) anyRecvInLoop(cf *chanFacts) bool {
	for _, rc := range cf.recvs {
		if _, ok := cf.repeatingLoop(rc); ok {
			return true
		}
	}
	return false
}

// repeatingLoop returns the innermost loop of the channel's function around
// c that does not also make the channel (a loop that makes it runs each
// iteration with a new channel), if any.
func (cf *chanFacts) repeatingLoop(c inspector.Cursor) (inspector.Cursor, bool) {
	for l := range c.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		if l == c {
			continue
		}
		if l == cf.fn {
			break
		}
		switch n := l.Node().(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			if !(n.Pos() <= cf.makeStmt.Pos() && cf.makeStmt.End() <= n.End()) {
				return l, true
			}
		}
	}
	return inspector.Cursor{}, false
}

// firstReturn returns the first return statement in n, outside function
// literals.
func firstReturn(n ast.Node) *ast.ReturnStmt {
	var r *ast.ReturnStmt
	ast.Inspect(n, func(x ast.Node) bool {
		if r != nil {
			return false
		}
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			r = x
		}
		return r == nil
	})
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
