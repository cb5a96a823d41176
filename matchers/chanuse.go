package matchers

import (
	"go/ast"
	"go/token"
	"go/types"
	"sort"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/cfg"
)

// This file holds what close-from-receiver and missing-close share: finding
// who sends on, receives from and closes a channel that a function makes
// for itself, and in which goroutine each of them runs.

// A cuChan is a channel variable declared by a function and initialised
// with make, whose every use is a channel operation the rules understand:
// send, receive, range, close, len, cap, or a comparison with nil. A channel
// used in any other way (passed to a call, returned other than as a
// receive-only channel, stored, assigned,
// captured by a function literal that is neither called on the spot nor
// deferred nor started by a go statement) escapes, and is not a cuChan:
// someone the rules cannot see may send on it or close it.
type cuChan struct {
	obj      *types.Var
	name     string
	decl     ast.Stmt         // the *ast.AssignStmt or *ast.DeclStmt declaring it
	declC    inspector.Cursor // cursor of decl
	make     *ast.CallExpr    // the make call
	fn       ast.Node         // the innermost *ast.FuncDecl or *ast.FuncLit around decl
	fnBody   *ast.BlockStmt
	buffered bool // make with a capacity that is not the constant 0
	// returned: the declaring function returns the channel as a
	// receive-only channel (a generator): its callers can receive from it
	// but neither send on it nor close it, so every sender and closer is
	// still in view; its receivers are not.
	returned bool
	ops      []cuOp
	ctxs     map[ast.Node]*cuCtx
}

// cuOpKind is what a use of a channel does.
type cuOpKind uint8

const (
	cuSend  cuOpKind = iota // ch <- v
	cuRecv                  // <-ch
	cuRange                 // for … range ch
	cuClose                 // close(ch)
	cuOther                 // len(ch), cap(ch), ch == nil: no synchronisation
)

// A cuOp is one use of a cuChan.
type cuOp struct {
	kind cuOpKind
	node ast.Node // *ast.SendStmt, *ast.UnaryExpr, *ast.RangeStmt, *ast.CallExpr (close), *ast.Ident
	c    inspector.Cursor
	// stmt is, for a close, the statement holding the call: an
	// *ast.ExprStmt or an *ast.DeferStmt (nil when the call is elsewhere).
	stmt ast.Stmt
	ctx  *cuCtx
	// inSelect: the send or receive is the communication of a select case.
	inSelect bool
	// commaOK: the receive is v, ok := <-ch (or =, or var … =).
	commaOK bool
	// deferred: the operation runs when its goroutine's function returns
	// (defer close(ch), or inside a deferred function literal).
	deferred bool
}

// A cuCtx is a goroutine in which operations on the channel run: the
// declaring function's own, or the function literal of a go statement.
type cuCtx struct {
	fn   ast.Node // lc.fn, or the *ast.FuncLit started by goStmt
	body *ast.BlockStmt
	goSt *ast.GoStmt // nil for the declaring function
	// multi: the go statement can run more than once per channel (it is
	// in a loop that does not also make the channel), so the literal
	// stands for several goroutines.
	multi bool
}

// localChans returns the channels of the file that are localChans, keyed
// by their variable. Only variables among want are analysed (the rules ask
// for the channels they care about: those that are closed, or ranged over).
func cuChans(p *Pass, want map[*types.Var]bool) map[*types.Var]*cuChan {
	out := map[*types.Var]*cuChan{}
	if len(want) == 0 {
		return out
	}
	uses := map[*types.Var][]inspector.Cursor{}
	decls := map[*types.Var]inspector.Cursor{}
	for c := range p.Inspector.Root().Preorder((*ast.Ident)(nil)) {
		id := c.Node().(*ast.Ident)
		if v, ok := p.Info.Uses[id].(*types.Var); ok && want[v] {
			uses[v] = append(uses[v], c)
		} else if v, ok := p.Info.Defs[id].(*types.Var); ok && want[v] {
			decls[v] = c
		}
	}
	for v, dc := range decls {
		if lc := cuNewChan(p, v, dc, uses[v]); lc != nil {
			out[v] = lc
		}
	}
	return out
}

// cuNewChan checks the declaration of v (at its defining identifier dc)
// and classifies its uses; nil when v is not a cuChan.
func cuNewChan(p *Pass, v *types.Var, dc inspector.Cursor, uses []inspector.Cursor) *cuChan {
	id := dc.Node().(*ast.Ident)
	lc := &cuChan{obj: v, name: id.Name, ctxs: map[ast.Node]*cuCtx{}}
	var value ast.Expr
	switch parent := dc.Parent().Node().(type) {
	case *ast.AssignStmt:
		if parent.Tok != token.DEFINE || len(parent.Lhs) != len(parent.Rhs) || dc.ParentEdgeKind() != edge.AssignStmt_Lhs {
			return nil
		}
		value = parent.Rhs[dc.ParentEdgeIndex()]
		lc.decl, lc.declC = parent, dc.Parent()
	case *ast.ValueSpec:
		if len(parent.Names) != len(parent.Values) || dc.ParentEdgeKind() != edge.ValueSpec_Names {
			return nil
		}
		value = parent.Values[dc.ParentEdgeIndex()]
		declC := dc.Parent().Parent().Parent() // ValueSpec → GenDecl → DeclStmt
		ds, ok := declC.Node().(*ast.DeclStmt)
		if !ok {
			return nil
		}
		lc.decl, lc.declC = ds, declC
	default:
		return nil
	}
	switch lc.declC.Parent().Node().(type) {
	case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
	default:
		return nil // an if/switch/for init: keep to plain declarations
	}
	call, ok := ast.Unparen(value).(*ast.CallExpr)
	if !ok || !cuBuiltin(p.Info, call.Fun, "make") || len(call.Args) == 0 {
		return nil
	}
	ch, ok := types.Unalias(v.Type()).Underlying().(*types.Chan)
	if !ok || ch.Dir() != types.SendRecv {
		return nil
	}
	lc.make = call
	if len(call.Args) > 1 {
		tv := p.Info.Types[call.Args[1]]
		lc.buffered = tv.Value == nil || tv.Value.String() != "0"
	}
	for fc := range lc.declC.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		switch f := fc.Node().(type) {
		case *ast.FuncDecl:
			lc.fn, lc.fnBody = f, f.Body
		case *ast.FuncLit:
			lc.fn, lc.fnBody = f, f.Body
		}
		break
	}
	if lc.fn == nil || lc.fnBody == nil {
		return nil
	}
	lc.ctxs[lc.fn] = &cuCtx{fn: lc.fn, body: lc.fnBody}
	for _, uc := range uses {
		op, ok := lc.classify(p, uc)
		if !ok {
			return nil // escapes
		}
		lc.ops = append(lc.ops, op)
	}
	return lc
}

// classify describes the use of the channel at uc, or reports false when
// the use lets the channel escape.
func (lc *cuChan) classify(p *Pass, uc inspector.Cursor) (cuOp, bool) {
	op := cuOp{c: uc}
	c := uc
	for {
		if _, ok := c.Parent().Node().(*ast.ParenExpr); !ok {
			break
		}
		c = c.Parent()
	}
	pc := c.Parent()
	switch n := pc.Node().(type) {
	case *ast.SendStmt:
		if c.ParentEdgeKind() != edge.SendStmt_Chan {
			return op, false // sending the channel itself
		}
		op.kind, op.node = cuSend, n
		op.inSelect = pc.ParentEdgeKind() == edge.CommClause_Comm
	case *ast.UnaryExpr:
		if n.Op != token.ARROW {
			return op, false // &ch
		}
		op.kind, op.node = cuRecv, n
		ec := pc
		for {
			if _, ok := ec.Parent().Node().(*ast.ParenExpr); !ok {
				break
			}
			ec = ec.Parent()
		}
		switch s := ec.Parent().Node().(type) {
		case *ast.ExprStmt:
			op.inSelect = ec.Parent().ParentEdgeKind() == edge.CommClause_Comm
		case *ast.AssignStmt:
			op.commaOK = len(s.Lhs) == 2 && len(s.Rhs) == 1
			op.inSelect = ec.Parent().ParentEdgeKind() == edge.CommClause_Comm
		case *ast.ValueSpec:
			op.commaOK = len(s.Names) == 2 && len(s.Values) == 1
		}
	case *ast.RangeStmt:
		if c.ParentEdgeKind() != edge.RangeStmt_X {
			return op, false
		}
		op.kind, op.node = cuRange, n
		if cuRunsOnce(p.Info, n) {
			// for err := range errs { t.Fatal(err) }: one receive, written
			// for a closed channel (the body is skipped), not a range that
			// waits for the close.
			op.kind, op.commaOK = cuRecv, true
		}
	case *ast.CallExpr:
		if c.ParentEdgeKind() != edge.CallExpr_Args {
			return op, false
		}
		switch {
		case cuBuiltin(p.Info, n.Fun, "close"):
			op.kind, op.node = cuClose, n
			switch s := pc.Parent().Node().(type) {
			case *ast.ExprStmt:
				op.stmt = s
			case *ast.DeferStmt:
				op.stmt, op.deferred = s, true
			default:
				return op, false // go close(ch): runs at an unknown time
			}
		case cuBuiltin(p.Info, n.Fun, "len"), cuBuiltin(p.Info, n.Fun, "cap"):
			op.kind, op.node = cuOther, n
		default:
			return op, false // passed to a function
		}
	case *ast.ReturnStmt:
		if !lc.returnsRecvOnly(p, c) {
			return op, false
		}
		op.kind, op.node = cuOther, n
		lc.returned = true
	case *ast.BinaryExpr:
		if n.Op != token.EQL && n.Op != token.NEQ {
			return op, false
		}
		other := n.X
		if c.ParentEdgeKind() == edge.BinaryExpr_X {
			other = n.Y
		}
		if _, isNil := p.Info.Uses[identOf(other)].(*types.Nil); !isNil {
			return op, false
		}
		op.kind, op.node = cuOther, n
	default:
		return op, false
	}
	ctx, deferred, ok := lc.contextOf(uc)
	if !ok {
		return op, false
	}
	op.ctx = ctx
	op.deferred = op.deferred || deferred
	return op, true
}

// returnsRecvOnly reports whether the use at c, a result of a return
// statement, returns the channel from the declaring function itself as a
// receive-only channel.
func (lc *cuChan) returnsRecvOnly(p *Pass, c inspector.Cursor) bool {
	if c.ParentEdgeKind() != edge.ReturnStmt_Results {
		return false
	}
	for fc := range c.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		if fc.Node() != lc.fn {
			return false
		}
		break
	}
	var sig *types.Signature
	switch f := lc.fn.(type) {
	case *ast.FuncDecl:
		if obj, ok := p.Info.Defs[f.Name].(*types.Func); ok {
			sig, _ = obj.Type().(*types.Signature)
		}
	case *ast.FuncLit:
		sig, _ = p.Info.TypeOf(f).(*types.Signature)
	}
	i := c.ParentEdgeIndex()
	if sig == nil || i < 0 || i >= sig.Results().Len() {
		return false
	}
	ch, ok := sig.Results().At(i).Type().Underlying().(*types.Chan)
	return ok && ch.Dir() == types.RecvOnly
}

// contextOf finds the goroutine the use at uc runs in. Function literals
// between the use and the declaring function must be called on the spot
// (func(){…}()), deferred (defer func(){…}()) or started by a go statement;
// any other literal may run at any time, from anywhere (reported as false).
func (lc *cuChan) contextOf(uc inspector.Cursor) (*cuCtx, bool, bool) {
	deferred := false
	for e := range uc.Enclosing((*ast.FuncLit)(nil)) {
		lit := e.Node().(*ast.FuncLit)
		if lit == lc.fn {
			break
		}
		call := e.Parent()
		for {
			if _, ok := call.Node().(*ast.ParenExpr); !ok {
				break
			}
			call = call.Parent()
		}
		ce, ok := call.Node().(*ast.CallExpr)
		if !ok || ast.Unparen(ce.Fun) != lit {
			return nil, false, false
		}
		switch s := call.Parent().Node().(type) {
		case *ast.GoStmt:
			if s.Call != ce {
				return nil, false, false
			}
			return lc.goCtx(call.Parent(), lit), deferred, true
		case *ast.DeferStmt:
			if s.Call != ce {
				return nil, false, false
			}
			deferred = true
		}
	}
	return lc.ctxs[lc.fn], deferred, true
}

// goCtx returns the context of the goroutine started by the go statement at
// gc with the function literal lit.
func (lc *cuChan) goCtx(gc inspector.Cursor, lit *ast.FuncLit) *cuCtx {
	if ctx, ok := lc.ctxs[lit]; ok {
		return ctx
	}
	ctx := &cuCtx{fn: lit, body: lit.Body, goSt: gc.Node().(*ast.GoStmt)}
	for l := range gc.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		n := l.Node()
		if n == lc.fn {
			break
		}
		switch n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			if !(n.Pos() <= lc.decl.Pos() && lc.decl.End() <= n.End()) {
				ctx.multi = true
			}
		}
	}
	lc.ctxs[lit] = ctx
	return ctx
}

// opsIn returns the operations of kind k (all kinds when k < 0) in ctx.
func (lc *cuChan) opsIn(ctx *cuCtx, kinds ...cuOpKind) []cuOp {
	var out []cuOp
	for _, op := range lc.ops {
		if op.ctx != ctx {
			continue
		}
		for _, k := range kinds {
			if op.kind == k {
				out = append(out, op)
				break
			}
		}
	}
	return out
}

// ctxsWith returns the contexts that have an operation of one of kinds, in
// source order.
func (lc *cuChan) ctxsWith(kinds ...cuOpKind) []*cuCtx {
	var out []*cuCtx
	seen := map[*cuCtx]bool{}
	for _, op := range lc.ops {
		if seen[op.ctx] {
			continue
		}
		for _, k := range kinds {
			if op.kind == k {
				seen[op.ctx] = true
				out = append(out, op.ctx)
				break
			}
		}
	}
	return out
}

// cuBuiltin reports whether fun denotes the predeclared function name (not
// shadowed).
func cuBuiltin(info *types.Info, fun ast.Expr, name string) bool {
	id := identOf(fun)
	if id == nil {
		return false
	}
	b, ok := info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// cuResolvesTo reports whether name, written at pos, would denote obj
// (for a name a fix writes: close, the channel's own name).
func cuResolvesTo(p *Pass, pos token.Pos, name string, obj types.Object) bool {
	scope := p.ScopeAt(pos)
	if scope == nil {
		return false
	}
	_, found := scope.LookupParent(name, pos)
	return found == obj
}

// cuLeadingDefers returns the index in body's list just after its last
// leading defer statement: the defer statements that come before any
// statement other than a defer or a declaration that cannot fail or leave
// the function (var err error, x := 0, a function literal...). A close
// deferred at that index is registered on every path out of the body and
// runs before the calls those statements defer. 0 when there are none.
func cuLeadingDefers(body *ast.BlockStmt) int {
	n := 0
	for i, s := range body.List {
		if _, ok := s.(*ast.DeferStmt); ok {
			n = i + 1
			continue
		}
		if !cuQuietDecl(s) {
			break
		}
	}
	return n
}

// cuQuietDecl reports whether s only declares names with values that cannot
// panic, block or call anything.
func cuQuietDecl(s ast.Stmt) bool {
	var values []ast.Expr
	switch s := s.(type) {
	case *ast.DeclStmt:
		gd, ok := s.Decl.(*ast.GenDecl)
		if !ok {
			return false
		}
		for _, spec := range gd.Specs {
			if vs, ok := spec.(*ast.ValueSpec); ok {
				values = append(values, vs.Values...)
			}
		}
	case *ast.AssignStmt:
		if s.Tok != token.DEFINE {
			return false
		}
		values = s.Rhs
	default:
		return false
	}
	for _, v := range values {
		if !cuQuietExpr(v) {
			return false
		}
	}
	return true
}

func cuQuietExpr(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit, *ast.Ident, *ast.FuncLit:
		return true
	case *ast.ParenExpr:
		return cuQuietExpr(e.X)
	case *ast.SelectorExpr:
		_, ok := e.X.(*ast.Ident) // a qualified name or a field of a variable
		return ok
	case *ast.UnaryExpr:
		return e.Op == token.AND && cuQuietExpr(e.X)
	case *ast.CompositeLit:
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if !cuQuietExpr(kv.Key) || !cuQuietExpr(kv.Value) {
					return false
				}
			} else if !cuQuietExpr(el) {
				return false
			}
		}
		return true
	}
	return false
}

// ChanCloseInsert is the Fix.Data part that tells a rewrite where to insert
// `defer close(Name)` in a goroutine's body: after the first After
// statements of Body (its leading defer statements), so that the close runs
// before the deferred calls that were there.
type ChanCloseInsert struct {
	Body  *ast.BlockStmt
	After int
	Name  string
}

// cuNoReturn reports whether a call never returns: panic, os.Exit,
// log.Fatal*, log.Panic*, runtime.Goexit (deferred calls run, but the
// goroutine ends without returning to its caller).
func cuNoReturn(info *types.Info) func(*ast.CallExpr) bool {
	return func(call *ast.CallExpr) bool {
		if cuBuiltin(info, call.Fun, "panic") {
			return true
		}
		var id *ast.Ident
		switch f := ast.Unparen(call.Fun).(type) {
		case *ast.Ident:
			id = f
		case *ast.SelectorExpr:
			id = f.Sel
		default:
			return false
		}
		fn, ok := info.Uses[id].(*types.Func)
		if !ok || fn.Pkg() == nil {
			return false
		}
		if sig, ok := fn.Type().(*types.Signature); !ok || sig.Recv() != nil {
			return false
		}
		switch fn.Pkg().Path() + "." + fn.Name() {
		case "os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "log.Panicln":
			return true
		}
		return false
	}
}

// cuCFG builds the control-flow graph of a function body.
func cuCFG(info *types.Info, body *ast.BlockStmt) *cfg.CFG {
	noRet := cuNoReturn(info)
	return cfg.New(body, func(call *ast.CallExpr) bool { return !noRet(call) })
}

// cuReturnAvoiding reports whether a path leads from the entry of g (or from
// just after the node start, when not nil) to a return, and along it no
// node for which stop reports true, and no edge for which cut reports true
// (cut may be nil).
func cuReturnAvoiding(g *cfg.CFG, start ast.Node, stop func(ast.Node) bool, cut func(from, to *cfg.Block) bool) bool {
	type pos struct {
		b *cfg.Block
		i int
	}
	var first pos
	if start == nil {
		first = pos{g.Blocks[0], 0}
	} else {
		found := false
		for _, b := range g.Blocks {
			for i, n := range b.Nodes {
				if n == start {
					first, found = pos{b, i + 1}, true
				}
			}
		}
		if !found {
			return true // not in the graph: assume the worst
		}
	}
	seen := map[*cfg.Block]bool{}
	stack := []pos{first}
	for len(stack) > 0 {
		at := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		blocked := false
		for _, n := range at.b.Nodes[at.i:] {
			if stop(n) {
				blocked = true
				break
			}
		}
		if blocked {
			continue
		}
		if at.b.Return() != nil {
			return true
		}
		for _, s := range at.b.Succs {
			if seen[s] || (cut != nil && cut(at.b, s)) {
				continue
			}
			seen[s] = true
			stack = append(stack, pos{s, 0})
		}
	}
	return false
}

// cuContainsCall reports whether n contains a call for which match reports
// true (function literals included).
func cuContainsCall(n ast.Node, match func(*ast.CallExpr) bool) bool {
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		if found {
			return false
		}
		if call, ok := x.(*ast.CallExpr); ok && match(call) {
			found = true
		}
		return true
	})
	return found
}

// cuRunsOnce reports whether the range loop's body ends, on every path,
// with a statement that leaves the loop: return, break, goto, panic, a call
// that never returns (os.Exit, log.Fatal) or one that ends the test
// (t.Fatal, t.FailNow, t.Skip... of package testing). Such a loop receives
// at most one value. Only the body's last statement is looked at, and an if
// with an else whose branches both end so.
func cuRunsOnce(info *types.Info, r *ast.RangeStmt) bool {
	var ends func(list []ast.Stmt) bool
	ends = func(list []ast.Stmt) bool {
		if len(list) == 0 {
			return false
		}
		switch s := list[len(list)-1].(type) {
		case *ast.ReturnStmt:
			return true
		case *ast.BranchStmt:
			return s.Tok == token.BREAK || s.Tok == token.GOTO
		case *ast.BlockStmt:
			return ends(s.List)
		case *ast.IfStmt:
			if s.Else == nil {
				return false
			}
			var els []ast.Stmt
			switch e := s.Else.(type) {
			case *ast.BlockStmt:
				els = e.List
			case *ast.IfStmt:
				els = []ast.Stmt{e}
			}
			return ends(s.Body.List) && ends(els)
		case *ast.ExprStmt:
			call, ok := ast.Unparen(s.X).(*ast.CallExpr)
			if !ok {
				return false
			}
			if cuNoReturn(info)(call) {
				return true
			}
			sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
			if !ok {
				return false
			}
			fn, ok := info.Uses[sel.Sel].(*types.Func)
			if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "testing" {
				return false
			}
			switch fn.Name() {
			case "Fatal", "Fatalf", "FailNow", "Skip", "Skipf", "SkipNow":
				return true
			}
		}
		return false
	}
	return ends(r.Body.List)
}

// cuSort orders channels by the position of their make calls.
func cuSort(lcs []*cuChan) {
	sort.Slice(lcs, func(i, j int) bool { return lcs[i].make.Pos() < lcs[j].make.Pos() })
}
