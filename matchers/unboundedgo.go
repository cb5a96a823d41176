package matchers

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"
	"unicode/utf8"

	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// DefaultIOLimit is the bound the unbounded-go fix uses for goroutines that
// do I/O, unless the run sets Limits.IOLimit (--io-limit) or Limits.Limit
// (--limit). I/O-bound goroutines spend their time waiting, so more of them
// than there are processors keeps the work flowing; 32 stays well under the
// usual limit of 1024 open files per process.
const DefaultIOLimit = 32

// Limits are a run's settings for rules that bound concurrency
// (unbounded-go). The zero value means the rules' defaults.
type Limits struct {
	// Limit is the bound for every loop (--limit); 0: chosen per loop,
	// runtime.GOMAXPROCS(0) for CPU-bound goroutines and IOLimit for
	// goroutines that do I/O.
	Limit int
	// IOLimit is the bound for goroutines that do I/O (--io-limit); 0:
	// DefaultIOLimit.
	IOLimit int
}

// ioLimit returns the bound for I/O-bound goroutines.
func (l Limits) ioLimit() int {
	if l.IOLimit > 0 {
		return l.IOLimit
	}
	return DefaultIOLimit
}

// constLimit returns the bound a constant loop count is compared with: the
// --limit when set, the I/O bound otherwise (a constant fan-out no larger
// than that is a deliberate, fixed degree of concurrency).
func (l Limits) constLimit() int {
	if l.Limit > 0 {
		return l.Limit
	}
	return l.ioLimit()
}

// UnboundedGoFix is the Fix.Data of an unbounded-go finding.
//
// With SetLimit, the rewrite inserts `Group.SetLimit(N)` right after
// Fix.Nodes[0], the statement that declares the errgroup.Group.
//
// Otherwise it bounds the loop with a semaphore; Fix.Nodes are:
//
//	[0] the statement of the loop in its list (the loop, or the labeled
//	    statement around it): `Sem := make(chan struct{}, N)` goes before it
//	[1] the loop (*ast.ForStmt or *ast.RangeStmt)
//	[2] the statement the acquire goes before: the spawn, or the first of
//	    the wg.Add statements right before it
//	[3] the spawn: the *ast.GoStmt, or the *ast.ExprStmt of wg.Go(…)
//	[4] the body of the goroutine's function literal, where the release
//	    goes first (absent when Wrap)
type UnboundedGoFix struct {
	SetLimit bool   // errgroup: limit the group instead of a semaphore
	Group    string // errgroup: the group variable's name
	Sem      string // the semaphore's name (fresh at the loop)
	// N is the bound when it is a number; 0 means runtime.GOMAXPROCS(0).
	N int
	// Ctx names the context.Context the acquire selects on, so that it
	// leaves the loop when the context is done; "" for a plain acquire.
	Ctx string
	// Label is the loop's label that the select's break names; NewLabel:
	// the rewrite adds it to the loop.
	Label    string
	NewLabel bool
	// Wrap: the go statement calls a named function (go f(x)); it becomes
	// go func() { defer func() { <-Sem }(); f(x) }().
	Wrap bool
}

// Limit returns N as Go source.
func (d *UnboundedGoFix) Limit() string {
	if d.N == 0 {
		return "runtime.GOMAXPROCS(0)"
	}
	return fmt.Sprint(d.N)
}

const unboundedGoMessage = "goroutine started on every loop iteration with no bound on how many run at once"

// UnboundedGo finds loops over data that start a goroutine on every
// iteration with nothing bounding how many run at once:
//
//	for _, u := range urls {
//		go fetch(u)
//	}
//
// The loop ranges over a slice, map, string, channel, iterator function or
// non-constant integer, or counts to a non-constant bound (for i := 0;
// i < n; i++); a constant count no larger than the bound N, a count that
// follows the machine (runtime.NumCPU, GOMAXPROCS, a slice made with that
// length) or one named as a degree of concurrency (workers, concurrency…)
// is left alone. The spawn is a go statement, a sync.WaitGroup.Go call or
// an errgroup.Group.Go call in the loop's body (possibly in an if, switch
// or select there), the loop being the innermost one around it.
//
// Left alone: loops that already gate their goroutines (a channel send,
// receive or blocking select in the loop body, a call of an Acquire or Wait
// method there, a goroutine whose first statement takes a slot of a
// semaphore it gives back, an errgroup with SetLimit or TryGo, or one the
// function does not own), and worker pools (goroutines whose own code loops
// receiving from a channel, loops forever, or takes items from an atomic
// counter).
//
// Reported without a fix (Finding.NoFix says why): goroutines that could
// wait for one another, for the code after the loop or forever — they
// receive from a channel, send on one that is not buffered for every item,
// wait on a WaitGroup, sync.Cond or errgroup, spin on an atomic value,
// serve a listener, run a loop that never ends — or that the function
// starts while holding a mutex: a bound would make the loop wait for a
// goroutine that cannot end, a deadlock. The goroutine's code is followed
// into the package's functions, methods and local function variables set
// once to a literal, a few calls deep; code the rule cannot see (other
// packages, function values, interface methods) is assumed not to wait for
// the loop. Also without a fix: loops in _test.go files (tests start
// goroutines together on purpose), nested loops, several spawns in one
// loop, and shapes the rewrite cannot express (see semFix, groupFix).
//
// The bound N is --limit when set; otherwise the I/O bound (DefaultIOLimit,
// --io-limit) when the goroutine's code uses net, os, os/exec,
// database/sql, io, bufio, syscall or time.Sleep, waits on a timer, or
// calls a function that takes a context.Context or (in another package)
// an I/O package's type; otherwise runtime.GOMAXPROCS(0), for CPU-bound
// work.
func UnboundedGo(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil || p.File == nil {
		return nil
	}
	u := &unboundedGo{pass: p, memo: map[ubMemoKey]*ubEffects{}}
	type loopSpawns struct {
		loop   inspector.Cursor
		spawns []ubSpawn
	}
	var loops []*loopSpawns
	byLoop := map[ast.Node]*loopSpawns{}
	for c := range p.Inspector.Root().Preorder((*ast.GoStmt)(nil), (*ast.ExprStmt)(nil)) {
		sp, ok := u.spawnAt(c)
		if !ok {
			continue
		}
		lc, ok := ubEnclosingLoop(c)
		if !ok {
			continue
		}
		ls := byLoop[lc.Node()]
		if ls == nil {
			ls = &loopSpawns{loop: lc}
			byLoop[lc.Node()] = ls
			loops = append(loops, ls)
		}
		ls.spawns = append(ls.spawns, sp)
	}
	var out []Finding
	for _, ls := range loops {
		out = append(out, u.loop(ls.loop, ls.spawns)...)
	}
	return out
}

// ubMemoKey names what calling a function does, seen directly from a
// goroutine (shallow) or deeper.
type ubMemoKey struct {
	fn      *types.Func
	shallow bool
}

type unboundedGo struct {
	pass  *Pass
	memo  map[ubMemoKey]*ubEffects
	decls map[*types.Func]*ast.FuncDecl
	// fnBody is the body of the function holding the loop being looked at.
	fnBody *ast.BlockStmt
	// closures caches the literal held by local function variables;
	// visitingLit guards against a closure that calls itself.
	closures    map[*types.Var]*ast.FuncLit
	visitingLit map[*ast.FuncLit]bool
}

type ubSpawnKind int

const (
	ubGo       ubSpawnKind = iota // go f(…)
	ubWgGo                        // wg.Go(f)
	ubErrgroup                    // g.Go(f)
)

// ubSpawn is one statement that starts a goroutine.
type ubSpawn struct {
	c    inspector.Cursor // at stmt
	stmt ast.Stmt         // *ast.GoStmt or *ast.ExprStmt
	call *ast.CallExpr    // the go statement's call, or the Go method call
	kind ubSpawnKind
	fn   ast.Expr     // the function the goroutine runs
	lit  *ast.FuncLit // fn when it is a literal
	recv ast.Expr     // WaitGroup or Group (ubWgGo, ubErrgroup)
}

// spawnAt reports whether the statement at c starts a goroutine.
func (u *unboundedGo) spawnAt(c inspector.Cursor) (ubSpawn, bool) {
	switch s := c.Node().(type) {
	case *ast.GoStmt:
		sp := ubSpawn{c: c, stmt: s, call: s.Call, kind: ubGo, fn: ast.Unparen(s.Call.Fun)}
		sp.lit, _ = sp.fn.(*ast.FuncLit)
		return sp, true
	case *ast.ExprStmt:
		call, ok := ast.Unparen(s.X).(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return ubSpawn{}, false
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return ubSpawn{}, false
		}
		fn, ok := typeutil.Callee(u.pass.Info, call).(*types.Func)
		if !ok || fn.Name() != "Go" {
			return ubSpawn{}, false
		}
		sp := ubSpawn{c: c, stmt: s, call: call, fn: ast.Unparen(call.Args[0]), recv: sel.X}
		switch {
		case ubIsMethodOf(fn, "sync", "WaitGroup"):
			sp.kind = ubWgGo
		case ubIsErrgroupMethod(fn):
			sp.kind = ubErrgroup
		default:
			return ubSpawn{}, false
		}
		sp.lit, _ = sp.fn.(*ast.FuncLit)
		return sp, true
	}
	return ubSpawn{}, false
}

// ubIsMethodOf reports whether fn is a method of the named type pkgPath.name.
func ubIsMethodOf(fn *types.Func, pkgPath, name string) bool {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil || fn.Pkg() == nil || fn.Pkg().Path() != pkgPath {
		return false
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == name
}

// ubIsErrgroupPath reports whether path is golang.org/x/sync/errgroup (or a
// vendored copy of it).
func ubIsErrgroupPath(path string) bool {
	return path == "golang.org/x/sync/errgroup" || strings.HasSuffix(path, "/golang.org/x/sync/errgroup")
}

func ubIsErrgroupMethod(fn *types.Func) bool {
	return fn.Pkg() != nil && ubIsErrgroupPath(fn.Pkg().Path()) && ubIsMethodOf(fn, fn.Pkg().Path(), "Group")
}

// ubEnclosingLoop returns the innermost for or range loop around the spawn
// at c whose body holds it, within the same function.
func ubEnclosingLoop(c inspector.Cursor) (inspector.Cursor, bool) {
	for e := range c.Parent().Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncLit)(nil), (*ast.FuncDecl)(nil)) {
		switch l := e.Node().(type) {
		case *ast.ForStmt:
			return e, ubInside(l.Body, c.Node())
		case *ast.RangeStmt:
			return e, ubInside(l.Body, c.Node())
		}
		return inspector.Cursor{}, false
	}
	return inspector.Cursor{}, false
}

func ubInside(outer, n ast.Node) bool {
	return outer != nil && n.Pos() >= outer.Pos() && n.End() <= outer.End()
}

// ubEnclosingFunc returns the innermost function (declaration or literal)
// around c, and its body.
func ubEnclosingFunc(c inspector.Cursor) (ast.Node, *ast.BlockStmt) {
	for e := range c.Enclosing((*ast.FuncLit)(nil), (*ast.FuncDecl)(nil)) {
		switch f := e.Node().(type) {
		case *ast.FuncLit:
			return f, f.Body
		case *ast.FuncDecl:
			return f, f.Body
		}
	}
	return nil, nil
}

// loop examines one loop and the spawns in its body.
func (u *unboundedGo) loop(lc inspector.Cursor, spawns []ubSpawn) []Finding {
	p := u.pass
	loop := lc.Node().(ast.Stmt)
	var body *ast.BlockStmt
	switch l := loop.(type) {
	case *ast.ForStmt:
		body = l.Body
	case *ast.RangeStmt:
		body = l.Body
	}
	fn, fnBody := ubEnclosingFunc(lc)
	if fn == nil || fnBody == nil {
		return nil
	}
	u.fnBody = fnBody
	count, known, matched := u.iterations(loop)
	if !matched {
		return nil
	}
	lim := p.Limits
	if known && count <= int64(lim.constLimit()) {
		return nil
	}
	if u.gatedBody(body) {
		return nil
	}
	effects := make([]*ubEffects, len(spawns))
	for i, sp := range spawns {
		e := u.spawnEffects(sp)
		if e.gate || e.pool {
			return nil
		}
		if sp.kind == ubErrgroup {
			switch u.groupState(sp, fnBody) {
			case ubGroupLimited, ubGroupUnknown:
				return nil
			}
		}
		effects[i] = e
	}

	report := func(sp ubSpawn, reason string, fix *Fix) Finding {
		fd := Finding{Pos: sp.stmt.Pos(), End: sp.stmt.End(), Message: unboundedGoMessage, Fix: fix}
		if fix == nil {
			fd.NoFix = reason
		}
		return fd
	}
	if len(spawns) > 1 {
		var out []Finding
		for _, sp := range spawns {
			out = append(out, report(sp, fmt.Sprintf("the loop starts goroutines in %d places", len(spawns)), nil))
		}
		return out
	}
	sp, eff := spawns[0], effects[0]
	if reason := u.deadlockReason(sp, eff, loop, body, fn, fnBody, count, known); reason != "" {
		return []Finding{report(sp, reason, nil)}
	}
	if _, outer := ubEnclosingLoopOf(lc); outer {
		return []Finding{report(sp, "the loop is inside another loop, whose iterations would each get a bound of their own", nil)}
	}
	if name := p.Fset.File(p.File.Pos()).Name(); strings.HasSuffix(name, "_test.go") {
		return []Finding{report(sp, "in a test, goroutines started together are usually meant to run at once (a stress or race test, or I/O whose other end the test drives after the loop)", nil)}
	}
	n, why := u.bound(eff)
	if sp.kind == ubErrgroup {
		fix, reason := u.groupFix(sp, loop, fnBody, n, why)
		return []Finding{report(sp, reason, fix)}
	}
	fix, reason := u.semFix(sp, eff, lc, loop, fn, fnBody, n, why)
	return []Finding{report(sp, reason, fix)}
}

// ubEnclosingLoopOf reports whether the loop at lc is itself inside another
// loop of the same function.
func ubEnclosingLoopOf(lc inspector.Cursor) (inspector.Cursor, bool) {
	for e := range lc.Parent().Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncLit)(nil), (*ast.FuncDecl)(nil)) {
		switch e.Node().(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			return e, true
		}
		return inspector.Cursor{}, false
	}
	return inspector.Cursor{}, false
}

// iterations reports how many times the loop runs when that is a constant
// (known), and whether the loop is of a form the rule matches at all: a
// range over a slice, array, map, string, channel, integer or iterator
// function, or a counted for loop (i := a; i < b; i++, and the like).
// Loops whose count is bounded by runtime.NumCPU() or GOMAXPROCS are not
// matched: their fan-out follows the machine.
func (u *unboundedGo) iterations(loop ast.Stmt) (count int64, known, matched bool) {
	info := u.pass.Info
	switch l := loop.(type) {
	case *ast.RangeStmt:
		t := info.TypeOf(l.X)
		if t == nil {
			return 0, false, false
		}
		if tv := info.Types[l.X]; tv.Value != nil {
			switch tv.Value.Kind() {
			case constant.Int:
				n, ok := constant.Int64Val(tv.Value)
				return n, ok, true
			case constant.String:
				return int64(utf8.RuneCountInString(constant.StringVal(tv.Value))), true, true
			}
		}
		if u.machineBound(l.X, 0) || u.machineSized(l.X) || isIntegerRange(info, l) && ubPoolSize(l.X) {
			return 0, false, false
		}
		if cl, ok := ast.Unparen(l.X).(*ast.CompositeLit); ok {
			keyed := false
			for _, e := range cl.Elts {
				if _, ok := e.(*ast.KeyValueExpr); ok {
					keyed = true
				}
			}
			if _, isMap := t.Underlying().(*types.Map); isMap || !keyed {
				if _, isArr := t.Underlying().(*types.Array); !isArr {
					return int64(len(cl.Elts)), true, true
				}
			}
		}
		switch ut := t.Underlying().(type) {
		case *types.Array:
			return ut.Len(), true, true
		case *types.Pointer:
			if a, ok := ut.Elem().Underlying().(*types.Array); ok {
				return a.Len(), true, true
			}
			return 0, false, false
		case *types.Slice, *types.Map, *types.Chan, *types.Signature, *types.Basic, *types.Interface:
			// Basic: a string or an integer; Interface: a type
			// parameter's constraint (a generic slice, map…).
			return 0, false, true
		}
		return 0, false, false
	case *ast.ForStmt:
		v := ubCountedVar(info, l)
		if v == nil {
			return 0, false, false
		}
		cond := l.Cond.(*ast.BinaryExpr)
		bound := cond.Y
		if id := identOf(cond.Y); id != nil && info.Uses[id] == v {
			bound = cond.X
		}
		if u.machineBound(bound, 0) || u.machineSized(bound) || ubPoolSize(bound) {
			return 0, false, false
		}
		if tv := info.Types[bound]; tv.Value != nil && tv.Value.Kind() == constant.Int {
			n, ok := constant.Int64Val(tv.Value)
			if start := ubForStart(info, l); ok && start != nil {
				if s, ok2 := constant.Int64Val(start); ok2 {
					if n < s {
						n, s = s, n
					}
					return n - s, true, true
				}
			}
			return n, ok, true
		}
		return 0, false, true
	}
	return 0, false, false
}

// machineBound reports whether e is runtime.NumCPU() or
// runtime.GOMAXPROCS(…), or a local variable set to one of them once and
// never changed.
func (u *unboundedGo) machineBound(e ast.Expr, depth int) bool {
	info := u.pass.Info
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		if ubIsBuiltin(info, x.Fun, "min") {
			// min(len(xs), runtime.NumCPU()): at most one per processor.
			for _, a := range x.Args {
				if u.machineBound(a, depth) {
					return true
				}
			}
			return false
		}
		fn, ok := typeutil.Callee(info, x).(*types.Func)
		return ok && fn.Pkg() != nil && fn.Pkg().Path() == "runtime" && (fn.Name() == "NumCPU" || fn.Name() == "GOMAXPROCS")
	case *ast.BinaryExpr:
		// k * runtime.GOMAXPROCS(0), GOMAXPROCS(0) + 1: scales with the
		// machine (testing's RunParallel: parallelism × procs).
		switch x.Op {
		case token.MUL, token.ADD, token.SUB, token.QUO, token.SHL:
			return u.machineBound(x.X, depth) || u.machineBound(x.Y, depth)
		}
	case *ast.Ident:
		if init := u.onlyValue(x); init != nil && depth < 2 {
			return u.machineBound(init, depth+1)
		}
	}
	return false
}

// isIntegerRange reports whether l ranges over an integer (range n).
func isIntegerRange(info *types.Info, l *ast.RangeStmt) bool {
	return ubIsInteger(info.TypeOf(l.X))
}

// ubPoolSize reports whether a loop's count is named as a degree of
// concurrency — workers, concurrency, parallelism, threads, procs, shards,
// pool size — which the code chose: the loop starts a pool, not a goroutine
// per item.
func ubPoolSize(e ast.Expr) bool {
	var name string
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		name = x.Name
	case *ast.SelectorExpr:
		name = x.Sel.Name
	case *ast.CallExpr:
		name = ubCalleeName(x)
	default:
		return false
	}
	name = strings.ToLower(name)
	for _, w := range []string{"worker", "concurren", "parallel", "thread", "procs", "shard", "pool"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// machineSized reports whether e is len(X) or X for a local slice X made
// once with a length that follows the machine (make([]T,
// runtime.GOMAXPROCS(0))) and never assigned again: one goroutine per
// processor.
func (u *unboundedGo) machineSized(e ast.Expr) bool {
	e = ast.Unparen(e)
	if call, ok := e.(*ast.CallExpr); ok && ubIsBuiltin(u.pass.Info, call.Fun, "len") && len(call.Args) == 1 {
		e = ast.Unparen(call.Args[0])
	}
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	mk, ok := ast.Unparen(u.onlyValue(id)).(*ast.CallExpr)
	return ok && ubIsBuiltin(u.pass.Info, mk.Fun, "make") && len(mk.Args) >= 2 && u.machineBound(mk.Args[1], 0)
}

// onlyValue returns the expression a local variable of the spawning
// function is initialised with, when nothing assigns it afterwards or
// takes its address; nil otherwise.
func (u *unboundedGo) onlyValue(id *ast.Ident) ast.Expr {
	info := u.pass.Info
	v, ok := info.Uses[id].(*types.Var)
	if !ok || u.fnBody == nil || !ubInside(u.fnBody, ubPosNode(v.Pos())) {
		return nil
	}
	var init ast.Expr
	other := false
	ast.Inspect(u.fnBody, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				lid := identOf(l)
				if lid == nil || info.ObjectOf(lid) != v {
					continue
				}
				if info.Defs[lid] == v && len(n.Rhs) == len(n.Lhs) {
					init = n.Rhs[i]
				} else {
					other = true
				}
			}
		case *ast.ValueSpec:
			for i, nid := range n.Names {
				if info.Defs[nid] == v && len(n.Values) == len(n.Names) {
					init = n.Values[i]
				}
			}
		case *ast.IncDecStmt:
			if lid := identOf(n.X); lid != nil && info.Uses[lid] == v {
				other = true
			}
		case *ast.UnaryExpr:
			if lid := identOf(n.X); n.Op == token.AND && lid != nil && info.Uses[lid] == v {
				other = true
			}
		}
		return !other
	})
	if other {
		return nil
	}
	return init
}

// ubCountedVar returns the variable of a counted for loop: init declares or
// sets it, cond compares it, post increments or decrements it.
func ubCountedVar(info *types.Info, l *ast.ForStmt) types.Object {
	as, ok := l.Init.(*ast.AssignStmt)
	if !ok || len(as.Lhs) != 1 {
		return nil
	}
	id := identOf(as.Lhs[0])
	if id == nil {
		return nil
	}
	v := info.ObjectOf(id)
	if v == nil {
		return nil
	}
	cond, ok := l.Cond.(*ast.BinaryExpr)
	if !ok {
		return nil
	}
	switch cond.Op {
	case token.LSS, token.LEQ, token.GTR, token.GEQ, token.NEQ:
	default:
		return nil
	}
	x, y := identOf(cond.X), identOf(cond.Y)
	if (x == nil || info.Uses[x] != v) && (y == nil || info.Uses[y] != v) {
		return nil
	}
	switch post := l.Post.(type) {
	case *ast.IncDecStmt:
		if pid := identOf(post.X); pid == nil || info.Uses[pid] != v {
			return nil
		}
	case *ast.AssignStmt:
		if post.Tok != token.ADD_ASSIGN && post.Tok != token.SUB_ASSIGN || len(post.Lhs) != 1 {
			return nil
		}
		if pid := identOf(post.Lhs[0]); pid == nil || info.Uses[pid] != v {
			return nil
		}
	default:
		return nil
	}
	return v
}

func ubForStart(info *types.Info, l *ast.ForStmt) constant.Value {
	as := l.Init.(*ast.AssignStmt)
	if len(as.Rhs) != 1 {
		return nil
	}
	return info.Types[as.Rhs[0]].Value
}

// gatedBody reports whether the loop's body (outside the goroutines it
// starts and other function literals) synchronises on every iteration: a
// channel send or receive, a select without a default, or a call of a
// method or function whose name says it acquires or waits (Acquire,
// TryAcquire, Wait, WaitN, Take, acquire…).
func (u *unboundedGo) gatedBody(body *ast.BlockStmt) bool {
	gated := false
	ast.Inspect(body, func(n ast.Node) bool {
		if gated {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.SendStmt:
			gated = true
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				gated = true
			}
		case *ast.SelectStmt:
			if !ubHasDefault(n) {
				gated = true
			}
			// A select with a default polls: its comm clauses do not wait.
			for _, s := range n.Body.List {
				for _, b := range s.(*ast.CommClause).Body {
					ast.Inspect(b, func(m ast.Node) bool {
						if _, ok := m.(*ast.FuncLit); ok {
							return false
						}
						if !gated {
							if _, ok := m.(ast.Stmt); ok {
								gated = gated || u.gatedBody(&ast.BlockStmt{List: []ast.Stmt{m.(ast.Stmt)}})
								return false
							}
						}
						return true
					})
				}
			}
			return false
		case *ast.CallExpr:
			if ubGateName(ubCalleeName(n)) {
				gated = true
			}
		}
		return true
	})
	return gated
}

func ubHasDefault(s *ast.SelectStmt) bool {
	for _, c := range s.Body.List {
		if c.(*ast.CommClause).Comm == nil {
			return true
		}
	}
	return false
}

// ubCalleeName returns the name of the function or method called, as
// written.
func ubCalleeName(call *ast.CallExpr) string {
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	case *ast.IndexExpr:
		if id := identOf(f.X); id != nil {
			return id.Name
		}
	}
	return ""
}

// ubGateName reports whether a function of that name acquires a slot or
// waits for one.
func ubGateName(name string) bool {
	switch name {
	case "Acquire", "TryAcquire", "Wait", "WaitN", "Take":
		return true
	}
	return strings.Contains(strings.ToLower(name), "acquire")
}

// ubEffects is what the code a goroutine runs does, as far as the rule can
// see it.
type ubEffects struct {
	io    string // why the code counts as I/O ("calls os.ReadFile"); "" none
	block string // why a bound could deadlock the goroutines; "" none
	pool  bool   // a worker: loops receiving from a channel
	gate  bool   // its first statement acquires a slot (a send, a receive, an Acquire call)
	// signals: the code sends on or closes a channel, or counts down a
	// WaitGroup it does not own; code after the loop may wait for every
	// item's signal, so the loop must not be left early.
	signals bool
	// sends are the literal's own send statements outside a select with a
	// default, with whether each is in a loop of the goroutine.
	sends []ubSend
	// locks are the mutexes the literal locks, as written; lockFields the
	// struct fields of the mutexes locked in the functions it calls.
	locks      []ast.Expr
	lockFields []types.Object
	// dones are the WaitGroups whose Done the literal calls, as written.
	dones []ast.Expr
	// unseen: the goroutine runs a function value whose code the rule
	// cannot see at all.
	unseen bool
}

type ubSend struct {
	s      *ast.SendStmt
	inLoop bool
}

// spawnEffects analyses the code the spawn's goroutine runs.
func (u *unboundedGo) spawnEffects(sp ubSpawn) *ubEffects {
	if sp.lit != nil {
		e := &ubEffects{}
		u.walk(sp.lit.Body, e, true, 0, map[*types.Func]bool{})
		e.gate = u.startsGated(sp.lit.Body)
		return e
	}
	// A named function: go f(x), wg.Go(f), g.Go(f).
	var fn *types.Func
	if sp.kind == ubGo {
		fn, _ = typeutil.Callee(u.pass.Info, sp.call).(*types.Func)
	} else {
		switch f := sp.fn.(type) {
		case *ast.Ident:
			fn, _ = u.pass.Info.Uses[f].(*types.Func)
		case *ast.SelectorExpr:
			fn, _ = u.pass.Info.Uses[f.Sel].(*types.Func)
		}
	}
	if fn == nil {
		fun := sp.fn
		if sp.kind == ubGo {
			fun = sp.call.Fun
		}
		if lit := u.closure(fun); lit != nil {
			// go walk(dir), with walk a local variable set once to a
			// literal: its code is known.
			e := &ubEffects{}
			u.walk(lit.Body, e, false, 0, map[*types.Func]bool{})
			e.gate = u.startsGated(lit.Body)
			return e
		}
		return &ubEffects{unseen: true}
	}
	e := &ubEffects{}
	u.callEffects(fn, e, 0, map[*types.Func]bool{})
	if d := u.decl(fn); d != nil && d.Body != nil {
		e.gate = u.startsGated(d.Body)
	}
	return e
}

// startsGated reports whether the goroutine's body starts by taking a slot
// of a semaphore it gives back: its first statement sends a constant value
// (sem <- struct{}{}) on a channel that it also receives from, or receives
// from a channel (<-tokens) that it also sends on; or the first statement
// calls a function whose name says it acquires (sem.Acquire(ctx, 1), if
// !s.acquire() …). The goroutines exist at once, but their work is bounded.
// A first receive that nothing gives back (<-start, <-ctx.Done()) is not a
// gate: it waits for a signal.
func (u *unboundedGo) startsGated(body *ast.BlockStmt) bool {
	if body == nil || len(body.List) == 0 {
		return false
	}
	info := u.pass.Info
	acquires := func(e ast.Expr) bool {
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		return ok && strings.Contains(strings.ToLower(ubCalleeName(call)), "acquire")
	}
	// gives reports whether body sends on (send) or receives from (!send)
	// the channel ch anywhere.
	gives := func(ch ast.Expr, send bool) bool {
		found := false
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SendStmt:
				found = found || send && sameRef(info, n.Chan, ch)
			case *ast.UnaryExpr:
				found = found || !send && n.Op == token.ARROW && sameRef(info, n.X, ch)
			}
			return !found
		})
		return found
	}
	constValue := func(v ast.Expr) bool {
		if tv := info.Types[v]; tv.Value != nil {
			return true
		}
		cl, ok := ast.Unparen(v).(*ast.CompositeLit)
		return ok && len(cl.Elts) == 0
	}
	recvFrom := func(e ast.Expr) ast.Expr {
		if x, ok := ast.Unparen(e).(*ast.UnaryExpr); ok && x.Op == token.ARROW {
			if _, call := ast.Unparen(x.X).(*ast.CallExpr); !call {
				return x.X
			}
		}
		return nil
	}
	switch s := body.List[0].(type) {
	case *ast.SendStmt:
		return constValue(s.Value) && gives(s.Chan, false)
	case *ast.ExprStmt:
		if ch := recvFrom(s.X); ch != nil {
			return gives(ch, true)
		}
		return acquires(s.X)
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			if ch := recvFrom(s.Rhs[0]); ch != nil {
				return gives(ch, true)
			}
			return acquires(s.Rhs[0])
		}
	case *ast.IfStmt:
		if c, ok := ast.Unparen(s.Cond).(*ast.UnaryExpr); ok && c.Op == token.NOT && acquires(c.X) {
			return true
		}
		if as, ok := s.Init.(*ast.AssignStmt); ok && len(as.Rhs) == 1 {
			return acquires(as.Rhs[0])
		}
	}
	return false
}

// decl returns the declaration of fn in the package, or nil.
func (u *unboundedGo) decl(fn *types.Func) *ast.FuncDecl {
	if u.decls == nil {
		u.decls = map[*types.Func]*ast.FuncDecl{}
		for _, f := range u.pass.Files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				if obj, ok := u.pass.Info.Defs[fd.Name].(*types.Func); ok {
					u.decls[obj] = fd
				}
			}
		}
	}
	return u.decls[fn.Origin()]
}

// ubMaxCallDepth bounds how deep the rule follows calls into the package's
// functions.
const ubMaxCallDepth = 4

// callEffects adds to e the effects of calling fn.
func (u *unboundedGo) callEffects(fn *types.Func, e *ubEffects, depth int, visiting map[*types.Func]bool) {
	fn = fn.Origin()
	if why := ubIoFunc(fn); why != "" {
		ubSetIO(e, why)
		return
	}
	if why := ubBlockingFunc(fn); why != "" {
		ubSetBlock(e, why)
		return
	}
	d := u.decl(fn)
	if d == nil || d.Body == nil {
		if why := ubIoSignature(fn); why != "" {
			ubSetIO(e, why)
		}
		return
	}
	if ubTakesContext(fn) {
		// Written to be cancelled: blocking work, whatever its body
		// shows within the depth the rule follows.
		ubSetIO(e, "calls "+fn.Name()+", which takes a context.Context")
	}
	if depth >= ubMaxCallDepth || visiting[fn] {
		return
	}
	key := ubMemoKey{fn, depth+1 <= 1}
	ce, ok := u.memo[key]
	if !ok {
		visiting[fn] = true
		ce = &ubEffects{}
		u.walk(d.Body, ce, false, depth+1, visiting)
		delete(visiting, fn)
		u.memo[key] = ce
	}
	name := fn.Name()
	if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
		name = ubRecvName(sig) + "." + name
	}
	if ce.io != "" && e.io == "" {
		e.io = "calls " + name + ", which " + ce.io
	}
	if ce.block != "" && e.block == "" {
		e.block = "call " + name + ", which " + ubSingular(ce.block)
	}
	e.pool = e.pool || ce.pool
	e.signals = e.signals || ce.signals
	e.lockFields = append(e.lockFields, ce.lockFields...)
}

func ubRecvName(sig *types.Signature) string {
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return types.TypeString(t, func(*types.Package) string { return "" })
}

func ubSetIO(e *ubEffects, why string) {
	if e.io == "" {
		e.io = why
	}
}

// ubSingular turns a reason for the goroutines (plural: "receive from a
// channel") into one for a function they call ("receives from a channel").
func ubSingular(why string) string {
	verb, rest, _ := strings.Cut(why, " ")
	return verb + "s " + rest
}

// ubSetBlock records why the code could wait for other goroutines, as a
// verb phrase for "the goroutines …" ("receive from a channel").
func ubSetBlock(e *ubEffects, why string) {
	if e.block == "" {
		e.block = why
	}
}

// walk adds the effects of a goroutine's code to e. top: body is the
// goroutine's own literal (its sends, locks and Dones are recorded for the
// spawning function's checks); otherwise a function it calls.
func (u *unboundedGo) walk(body *ast.BlockStmt, e *ubEffects, top bool, depth int, visiting map[*types.Func]bool) {
	info := u.pass.Info
	// shallow: the goroutine's own function or one it calls directly,
	// whose loops make it a worker of a pool.
	shallow := depth <= 1
	loops := 0
	var stack []ast.Node
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		if n == nil {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch top.(type) {
			case *ast.ForStmt, *ast.RangeStmt:
				loops--
			}
			return false
		}
		switch n := n.(type) {
		case *ast.GoStmt:
			// Another goroutine: its code does not hold this one up.
			// Its arguments are evaluated here.
			for _, a := range n.Call.Args {
				ast.Inspect(a, visit)
			}
			if _, ok := ast.Unparen(n.Call.Fun).(*ast.FuncLit); !ok {
				if sel, ok := ast.Unparen(n.Call.Fun).(*ast.SelectorExpr); ok {
					ast.Inspect(sel.X, visit)
				}
			}
			return false
		case *ast.ForStmt, *ast.RangeStmt:
			loops++
			if f, ok := n.(*ast.ForStmt); ok && u.spinWait(f) {
				ubSetBlock(e, "spin until other goroutines change an atomic value")
			}
			if f, ok := n.(*ast.ForStmt); ok && ubForever(f) {
				// The goroutine's own loop (or that of the function
				// it runs): a worker for the program's lifetime.
				// Deeper: a goroutine per item that never ends.
				if shallow {
					e.pool = true
				} else {
					ubSetBlock(e, "run a loop that never ends")
				}
			}
			if f, ok := n.(*ast.ForStmt); ok && shallow && u.claimsWork(f) {
				// for { i := next.Add(1) - 1; if i >= n { return }; … }:
				// a worker taking items from a shared counter.
				e.pool = true
			}
			if r, ok := n.(*ast.RangeStmt); ok {
				if _, isChan := ubTypeUnder(info.TypeOf(r.X)).(*types.Chan); isChan {
					e.pool = e.pool || shallow
					ubSetBlock(e, "receive from a channel")
				}
			}
		case *ast.SelectStmt:
			if ubHasDefault(n) {
				// Polls: the comm clauses do not wait.
				for _, s := range n.Body.List {
					cc := s.(*ast.CommClause)
					if cc.Comm != nil {
						if ss, ok := cc.Comm.(*ast.SendStmt); ok {
							e.signals = true
							ast.Inspect(ss.Value, visit)
						}
					}
					for _, b := range cc.Body {
						ast.Inspect(b, visit)
					}
				}
				return false
			}
			if loops > 0 && shallow {
				e.pool = true
			}
			ubSetBlock(e, "wait in a select")
		case *ast.SendStmt:
			e.signals = true
			if top {
				e.sends = append(e.sends, ubSend{s: n, inLoop: loops > 0})
			} else {
				ubSetBlock(e, "send on a channel")
			}
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				if ubTimerChan(info, n.X) {
					ubSetIO(e, "waits on a timer")
					break
				}
				if loops > 0 && shallow {
					e.pool = true
				}
				if ubContextDone(info, n.X) {
					ubSetBlock(e, "wait until a context is done")
					break
				}
				ubSetBlock(e, "receive from a channel")
			}
		case *ast.CallExpr:
			u.call(n, e, top, depth, visiting)
		}
		stack = append(stack, n)
		return true
	}
	ast.Inspect(body, visit)
}

// claimsWork reports whether a for loop takes its items from a shared
// atomic counter (an Add of sync/atomic in its body, outside nested
// function literals): the goroutine running it is one worker of a pool.
func (u *unboundedGo) claimsWork(f *ast.ForStmt) bool {
	found := false
	ast.Inspect(f.Body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if call, ok := n.(*ast.CallExpr); ok {
			if fn, ok := typeutil.Callee(u.pass.Info, call).(*types.Func); ok && fn.Pkg() != nil && fn.Pkg().Path() == "sync/atomic" && strings.HasPrefix(fn.Name(), "Add") {
				// Only an Add whose result is used claims an item.
				found = found || !u.resultUnused(f.Body, call)
			}
		}
		return !found
	})
	return found
}

// resultUnused reports whether call is an expression statement of its own.
func (u *unboundedGo) resultUnused(root ast.Node, call *ast.CallExpr) bool {
	path := ubPathTo(root, call)
	if len(path) < 2 {
		return true
	}
	_, ok := path[len(path)-2].(*ast.ExprStmt)
	return ok
}

// ubForever reports whether a for loop has no condition and nothing that
// leaves it: no return, goto or break out of it (a panic aside). A goroutine
// running one is a worker for the program's lifetime, not one item's work.
func ubForever(f *ast.ForStmt) bool {
	if f.Cond != nil {
		return false
	}
	exits := false
	var visit func(n ast.Node, inner bool) bool
	visit = func(n ast.Node, inner bool) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			exits = true
		case *ast.BranchStmt:
			switch {
			case n.Tok == token.GOTO:
				exits = true
			case n.Tok == token.BREAK && (n.Label != nil || !inner):
				exits = true
			}
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			// An unlabeled break in there leaves that statement only.
			ast.Inspect(n, func(m ast.Node) bool {
				if m == n {
					return true
				}
				return visit(m, true)
			})
			return false
		}
		return !exits
	}
	ast.Inspect(f.Body, func(n ast.Node) bool {
		if n == f.Body {
			return true
		}
		return visit(n, false)
	})
	return !exits
}

// spinWait reports whether a for loop waits by spinning for other
// goroutines to change an atomic value: its condition loads one
// (for atomic.LoadInt32(&n) < k), or its body yields (runtime.Gosched) and
// reads or swaps one (a compare-and-swap taking turns).
func (u *unboundedGo) spinWait(f *ast.ForStmt) bool {
	info := u.pass.Info
	atomicOp := func(n ast.Node) bool {
		found := false
		ast.Inspect(n, func(m ast.Node) bool {
			if call, ok := m.(*ast.CallExpr); ok {
				if fn, ok := typeutil.Callee(info, call).(*types.Func); ok && fn.Pkg() != nil && fn.Pkg().Path() == "sync/atomic" &&
					(strings.HasPrefix(fn.Name(), "Load") || strings.HasPrefix(fn.Name(), "CompareAndSwap")) {
					found = true
				}
			}
			return !found
		})
		return found
	}
	if f.Cond != nil && atomicOp(f.Cond) {
		return true
	}
	yields := false
	ast.Inspect(f, func(m ast.Node) bool {
		if call, ok := m.(*ast.CallExpr); ok {
			if fn, ok := typeutil.Callee(info, call).(*types.Func); ok && fn.Pkg() != nil && fn.Pkg().Path() == "runtime" && fn.Name() == "Gosched" {
				yields = true
			}
		}
		return !yields
	})
	return yields && atomicOp(f)
}

// ubTypeUnder returns t's underlying type, or nil.
func ubTypeUnder(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	return t.Underlying()
}

// ubContextDone reports whether e is a call of the Done method of a
// context.Context.
func ubContextDone(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	fn, ok := typeutil.Callee(info, call).(*types.Func)
	return ok && fn.Name() == "Done" && fn.Pkg() != nil && fn.Pkg().Path() == "context"
}

// ubTimerChan reports whether e is time.After(…), time.Tick(…) or the C
// field of a time.Timer or time.Ticker: a receive that ends by itself.
func ubTimerChan(info *types.Info, e ast.Expr) bool {
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		fn, ok := typeutil.Callee(info, x).(*types.Func)
		return ok && fn.Pkg() != nil && fn.Pkg().Path() == "time" && (fn.Name() == "After" || fn.Name() == "Tick")
	case *ast.SelectorExpr:
		if x.Sel.Name != "C" {
			return false
		}
		t := info.TypeOf(x.X)
		if p, ok := ubTypeUnder(t).(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" {
			return n.Obj().Name() == "Timer" || n.Obj().Name() == "Ticker"
		}
	}
	return false
}

// call adds the effects of one call in a goroutine's code.
func (u *unboundedGo) call(call *ast.CallExpr, e *ubEffects, top bool, depth int, visiting map[*types.Func]bool) {
	info := u.pass.Info
	switch callee := typeutil.Callee(info, call).(type) {
	case *types.Builtin:
		if callee.Name() == "close" {
			e.signals = true
		}
		return
	case *types.Func:
		sel, _ := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		switch {
		case ubIsMethodOf(callee, "sync", "Mutex") && callee.Name() == "Lock",
			ubIsMethodOf(callee, "sync", "RWMutex") && (callee.Name() == "Lock" || callee.Name() == "RLock"):
			if sel != nil {
				if top {
					e.locks = append(e.locks, sel.X)
				}
				if f := ubLastField(info, sel.X); f != nil {
					e.lockFields = append(e.lockFields, f)
				}
			}
			return
		case ubIsMethodOf(callee, "sync", "WaitGroup") && callee.Name() == "Done":
			if top && sel != nil {
				e.dones = append(e.dones, sel.X)
			} else {
				e.signals = true
			}
			return
		case ubIsMethodOf(callee, "sync", "WaitGroup") && callee.Name() == "Add":
			e.signals = true
			return
		case ubIsMethodOf(callee, "sync", "Once") && callee.Name() == "Do" && len(call.Args) == 1:
			// once.Do(f) calls f (a literal is walked as part of the
			// code already).
			var f *types.Func
			switch a := ast.Unparen(call.Args[0]).(type) {
			case *ast.Ident:
				f, _ = info.Uses[a].(*types.Func)
			case *ast.SelectorExpr:
				f, _ = info.Uses[a.Sel].(*types.Func)
			}
			if f != nil {
				u.callEffects(f, e, depth, visiting)
			}
			return
		}
		if u.serves(call, callee) {
			ubSetBlock(e, "serve a listener, which runs until it is closed")
		}
		u.callEffects(callee, e, depth, visiting)
		return
	}
	if u.serves(call, nil) {
		ubSetBlock(e, "serve a listener, which runs until it is closed")
	}
	// A conversion, or a call of a function value: the rule cannot see
	// the code, but a function value that takes a context or an I/O
	// package's value is blocking work.
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() {
		return
	}
	if lit := u.closure(call.Fun); lit != nil {
		// A local function variable set once to a literal: walk it as a
		// function of the package.
		if depth < ubMaxCallDepth && !u.visitingLit[lit] {
			if u.visitingLit == nil {
				u.visitingLit = map[*ast.FuncLit]bool{}
			}
			u.visitingLit[lit] = true
			ce := &ubEffects{}
			u.walk(lit.Body, ce, false, depth+1, visiting)
			delete(u.visitingLit, lit)
			name := types.ExprString(call.Fun)
			if ce.io != "" {
				ubSetIO(e, "calls "+name+", which "+ce.io)
			}
			if ce.block != "" {
				ubSetBlock(e, "call "+name+", which "+ubSingular(ce.block))
			}
			e.pool = e.pool || ce.pool
			e.signals = e.signals || ce.signals
			e.lockFields = append(e.lockFields, ce.lockFields...)
		}
		return
	}
	if sig, ok := ubTypeUnder(info.TypeOf(call.Fun)).(*types.Signature); ok {
		name := types.ExprString(call.Fun)
		for v := range sig.Params().Variables() {
			if t := ubIOType(v.Type()); t != "" {
				ubSetIO(e, "calls "+name+", a function value that takes "+ubArticle(t)+" "+t)
				return
			}
		}
	}
}

// closure returns the function literal a called function variable holds,
// when the variable is local to the file's code and the literal is the only
// value ever given to it (var walk func(string); walk = func(…) {…}).
func (u *unboundedGo) closure(fun ast.Expr) *ast.FuncLit {
	id := identOf(fun)
	if id == nil {
		return nil
	}
	v, ok := u.pass.Info.Uses[id].(*types.Var)
	if !ok || v.IsField() || v.Parent() == nil || v.Parent() == u.pass.Pkg.Scope() || v.Pos() < u.pass.File.Pos() || v.Pos() > u.pass.File.End() {
		return nil
	}
	if lit, ok := u.closures[v]; ok {
		return lit
	}
	info := u.pass.Info
	var lit *ast.FuncLit
	values := 0
	ast.Inspect(u.pass.File, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if lid := identOf(l); lid != nil && info.ObjectOf(lid) == v {
					values++
					if len(n.Rhs) == len(n.Lhs) {
						lit, _ = ast.Unparen(n.Rhs[i]).(*ast.FuncLit)
					}
				}
			}
		case *ast.ValueSpec:
			for i, nid := range n.Names {
				if info.Defs[nid] == v && len(n.Values) > 0 {
					values++
					if len(n.Values) == len(n.Names) {
						lit, _ = ast.Unparen(n.Values[i]).(*ast.FuncLit)
					}
				}
			}
		case *ast.UnaryExpr:
			if lid := identOf(n.X); n.Op == token.AND && lid != nil && info.Uses[lid] == v {
				values += 2
			}
		}
		return true
	})
	if values != 1 {
		lit = nil
	}
	if u.closures == nil {
		u.closures = map[*types.Var]*ast.FuncLit{}
	}
	u.closures[v] = lit
	return lit
}

// ubIOType returns the name of t (context.Context, net.Conn, *os.File…) when
// it is a context or a type of an I/O package, or "".
func ubIOType(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return ""
	}
	path := n.Obj().Pkg().Path()
	if ubIoPackage(path) || path == "context" && n.Obj().Name() == "Context" {
		return n.Obj().Pkg().Name() + "." + n.Obj().Name()
	}
	return ""
}

// serves reports whether a call serves connections until its listener is
// closed: a method named Serve, ServeTLS, ListenAndServe, ListenAndServeTLS
// or Accept, or a call handed a net.Listener.
func (u *unboundedGo) serves(call *ast.CallExpr, callee *types.Func) bool {
	if callee != nil {
		switch callee.Name() {
		case "Serve", "ServeTLS", "ListenAndServe", "ListenAndServeTLS", "Accept":
			return true
		}
	}
	for _, a := range call.Args {
		t := u.pass.Info.TypeOf(a)
		if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "net" && n.Obj().Name() == "Listener" {
			return true
		}
	}
	return false
}

// ubLastField returns the struct field a selector expression ends in (s.mu →
// the field mu), or nil.
func ubLastField(info *types.Info, e ast.Expr) types.Object {
	sel, ok := ast.Unparen(stripRef(e)).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	if s := info.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
		return s.Obj()
	}
	return nil
}

// ubIoPackage reports whether a package's functions and methods count as I/O.
func ubIoPackage(path string) bool {
	switch path {
	case "net/url", "net/netip", "net/mail", "net/textproto":
		return false
	case "os", "os/exec", "io", "io/fs", "io/ioutil", "bufio", "syscall",
		"database/sql", "database/sql/driver", "crypto/tls":
		return true
	}
	return path == "net" || strings.HasPrefix(path, "net/")
}

// ubOsPure are functions of package os that do no I/O.
var ubOsPure = map[string]bool{
	"Getenv": true, "LookupEnv": true, "Expand": true, "ExpandEnv": true, "Environ": true,
	"IsExist": true, "IsNotExist": true, "IsPermission": true, "IsTimeout": true,
	"IsPathSeparator": true, "NewSyscallError": true, "Getpid": true, "Getppid": true,
	"Getuid": true, "Geteuid": true, "Getgid": true, "Getegid": true, "Getpagesize": true,
	"Exit": true,
}

// ubGetter are method names of I/O packages' types that only read a field
// (fs.FileInfo, fs.DirEntry, http.Request, os.File…): no I/O.
var ubGetter = map[string]bool{
	"Name": true, "Size": true, "Mode": true, "ModTime": true, "IsDir": true, "Sys": true,
	"Type": true, "String": true, "Error": true, "Fd": true, "Perm": true, "IsRegular": true,
	"Context": true, "Header": true, "Network": true, "LocalAddr": true, "RemoteAddr": true,
	"Unwrap": true, "Timeout": true, "Temporary": true,
}

// ubIoFunc says why calling fn is I/O, or "".
func ubIoFunc(fn *types.Func) string {
	pkg := fn.Pkg()
	if pkg == nil {
		return ""
	}
	path := pkg.Path()
	sig, _ := fn.Type().(*types.Signature)
	name := path + "." + fn.Name()
	if sig != nil && sig.Recv() != nil {
		name = ubRecvName(sig) + "." + fn.Name()
		if rp := ubRecvPkg(sig); rp != "" {
			name = rp + "." + name
		}
	}
	if sig != nil && sig.Recv() != nil && ubGetter[fn.Name()] {
		return "" // fi.Name(), fi.IsDir(), r.Context()…
	}
	switch {
	case path == "time":
		switch fn.Name() {
		case "Sleep":
			return "sleeps (time.Sleep)"
		}
		return ""
	case path == "os" && (sig == nil || sig.Recv() == nil) && ubOsPure[fn.Name()]:
		return ""
	case path == "path/filepath":
		switch fn.Name() {
		case "Walk", "WalkDir", "Glob", "EvalSymlinks":
			return "calls " + name
		}
		return ""
	case ubIoPackage(path):
		return "calls " + name
	}
	return ""
}

func ubRecvPkg(sig *types.Signature) string {
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil {
		return n.Obj().Pkg().Name()
	}
	return ""
}

// ubBlockingFunc says why calling fn waits for other goroutines, or "".
func ubBlockingFunc(fn *types.Func) string {
	switch {
	case ubIsMethodOf(fn, "sync", "WaitGroup") && fn.Name() == "Wait":
		return "wait on a sync.WaitGroup"
	case ubIsMethodOf(fn, "sync", "Cond") && fn.Name() == "Wait":
		return "wait on a sync.Cond"
	case ubIsErrgroupMethod(fn) && fn.Name() == "Wait":
		return "wait on an errgroup.Group"
	case fn.Pkg() != nil && strings.HasSuffix(fn.Pkg().Path(), "golang.org/x/sync/semaphore") && fn.Name() == "Acquire":
		return "acquire a semaphore"
	}
	return ""
}

// ubIoSignature says why a function of another package counts as I/O by its
// signature: it takes or returns a value of an I/O package's type, or a
// context.Context (blocking, cancellable work). "" otherwise.
func ubIoSignature(fn *types.Func) string {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || fn.Pkg() != nil && fn.Pkg().Path() == "context" {
		return ""
	}
	check := ubIOType
	tuples := []*types.Tuple{sig.Params(), sig.Results()}
	name := fn.Name()
	if sig.Recv() != nil {
		// A method of an I/O package's type (an interface such as
		// io.Reader or net.Conn); context.Context's own methods are not.
		if t := check(sig.Recv().Type()); t != "" && !strings.HasPrefix(t, "context.") {
			return "calls " + ubRecvName(sig) + "." + name + ", a method of " + t
		}
		name = ubRecvName(sig) + "." + name
	}
	if fn.Pkg() != nil {
		name = fn.Pkg().Name() + "." + name
	}
	for _, tu := range tuples {
		for v := range tu.Variables() {
			if t := check(v.Type()); t != "" {
				return "calls " + name + ", which takes or returns " + ubArticle(t) + " " + t
			}
		}
	}
	return ""
}

// ubTakesContext reports whether fn has a context.Context parameter.
func ubTakesContext(fn *types.Func) bool {
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return false
	}
	for v := range sig.Params().Variables() {
		if n, ok := types.Unalias(v.Type()).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context" {
			return true
		}
	}
	return false
}

// ubArticle returns "a" or "an" for the word w.
func ubArticle(w string) string {
	if w != "" && strings.ContainsRune("aeiouAEIOU", rune(w[0])) {
		return "an"
	}
	return "a"
}

// ubGroupState is what the rule knows about an errgroup.Group.
type ubGroupState int

const (
	ubGroupUnlimited ubGroupState = iota // declared here, never limited
	ubGroupLimited                       // SetLimit is called on it
	ubGroupUnknown                       // declared elsewhere: perhaps limited by its owner
)

// groupVar returns the local variable the spawn's group is, or nil.
func (u *unboundedGo) groupVar(sp ubSpawn) *types.Var {
	id := identOf(stripRef(sp.recv))
	if id == nil {
		return nil
	}
	v, _ := u.pass.Info.Uses[id].(*types.Var)
	if v == nil || v.IsField() {
		return nil
	}
	return v
}

// groupState tells whether the spawn's errgroup.Group is declared in the
// spawning function and whether anything limits it there.
func (u *unboundedGo) groupState(sp ubSpawn, fnBody *ast.BlockStmt) ubGroupState {
	v := u.groupVar(sp)
	if v == nil || fnBody == nil || !ubInside(fnBody, ubPosNode(v.Pos())) {
		return ubGroupUnknown
	}
	state := ubGroupUnlimited
	ast.Inspect(fnBody, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok || u.pass.Info.Uses[identOf(stripRef(sel.X))] != v {
			return true
		}
		if sel.Sel.Name == "SetLimit" || sel.Sel.Name == "TryGo" {
			state = ubGroupLimited
		}
		return true
	})
	return state
}

// ubPosNode is a zero-width node at pos, for range checks.
type ubPosNode token.Pos

func (p ubPosNode) Pos() token.Pos { return token.Pos(p) }
func (p ubPosNode) End() token.Pos { return token.Pos(p) }

// groupFix builds the SetLimit fix for an errgroup spawn, or says why there
// is none.
func (u *unboundedGo) groupFix(sp ubSpawn, loop ast.Stmt, fnBody *ast.BlockStmt, n int, why string) (*Fix, string) {
	p := u.pass
	info := p.Info
	v := u.groupVar(sp)
	// The group's method set must have SetLimit (x/sync v0.1.0 and later).
	if obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(ubDerefType(v.Type())), false, v.Pkg(), "SetLimit"); obj == nil {
		return nil, "this version of errgroup has no SetLimit"
	}
	// Its declaration: a statement of a list in the function.
	var declStmt ast.Stmt
	var uses []*ast.Ident
	ast.Inspect(fnBody, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if info.Uses[n] == v {
				uses = append(uses, n)
			}
		case *ast.BlockStmt:
			for _, s := range n.List {
				if ubDeclares(info, s, v) {
					declStmt = s
				}
			}
		case *ast.CaseClause:
			for _, s := range n.Body {
				if ubDeclares(info, s, v) {
					declStmt = s
				}
			}
		case *ast.CommClause:
			for _, s := range n.Body {
				if ubDeclares(info, s, v) {
					declStmt = s
				}
			}
		}
		return true
	})
	if declStmt == nil {
		return nil, "the group is not declared by a statement of its own"
	}
	// Every use is a method call g.Go, g.Wait (with the group as is), so
	// that the limit reaches no code the rule has not seen; no Go is
	// called from a goroutine of the group (it would wait for a slot
	// while holding one).
	var goLits []ast.Node
	var others []ubSpawn
	for _, id := range uses {
		path := ubPathTo(fnBody, id)
		// path: …, call, selector, (star/paren…), id
		var sel *ast.SelectorExpr
		var call *ast.CallExpr
		for i := len(path) - 2; i >= 0; i-- {
			switch x := path[i].(type) {
			case *ast.ParenExpr, *ast.StarExpr:
				continue
			case *ast.UnaryExpr:
				if x.Op == token.AND {
					continue
				}
			case *ast.SelectorExpr:
				sel = x
				if i > 0 {
					call, _ = path[i-1].(*ast.CallExpr)
				}
			}
			break
		}
		if sel == nil || call == nil || ast.Unparen(call.Fun) != sel {
			return nil, "the group is used other than by its Go and Wait methods"
		}
		switch sel.Sel.Name {
		case "Go":
			for _, anc := range path {
				if fl, ok := anc.(*ast.FuncLit); ok {
					for _, gl := range goLits {
						if gl == fl {
							return nil, "a goroutine of the group starts another one in it"
						}
					}
				}
			}
			if len(call.Args) == 1 {
				if fl, ok := ast.Unparen(call.Args[0]).(*ast.FuncLit); ok {
					goLits = append(goLits, fl)
				}
				if call != sp.call {
					others = append(others, ubSpawn{call: call, kind: ubErrgroup, fn: ast.Unparen(call.Args[0]), recv: sel.X})
				}
			}
		case "Wait":
		default:
			return nil, "the group is used other than by its Go and Wait methods"
		}
	}
	// Go calls nested in the group's own goroutines (checked after all
	// literals are known).
	for _, id := range uses {
		path := ubPathTo(fnBody, id)
		for _, anc := range path {
			if fl, ok := anc.(*ast.FuncLit); ok {
				for _, gl := range goLits {
					if gl == fl && ubIsGoCall(path) {
						return nil, "a goroutine of the group starts another one in it"
					}
				}
			}
		}
	}
	// The limit applies to every goroutine of the group: each must finish
	// on its own.
	for _, o := range others {
		o.lit, _ = o.fn.(*ast.FuncLit)
		e := u.spawnEffects(o)
		if e.block != "" || e.pool {
			return nil, "another goroutine of the group could wait for this loop's (a bound could deadlock them)"
		}
	}
	if declStmt.Pos() > sp.stmt.Pos() {
		return nil, "the group is declared after the loop"
	}
	if ubInside(loop, declStmt) {
		return nil, "the group is declared inside the loop: a limit would bound one iteration's goroutines, not the loop's"
	}
	name := identOf(stripRef(sp.recv)).Name
	if n == 0 && !p.CanQualify(declStmt.End(), "runtime", "runtime") {
		return nil, "runtime cannot be named where the limit goes"
	}
	list, err := ubEnclosingListOf(p.File, declStmt)
	if err != nil {
		return nil, "the group's declaration is not in a statement list"
	}
	data := &UnboundedGoFix{SetLimit: true, Group: name, N: n}
	return &Fix{
		Message: fmt.Sprintf("limit %s to %s goroutines at once with %s.SetLimit (%s)", name, data.Limit(), name, why),
		Anchor:  declStmt,
		Lists:   []ast.Node{list},
		Nodes:   []ast.Node{declStmt},
		Data:    data,
	}, ""
}

func ubIsGoCall(path []ast.Node) bool {
	for i := len(path) - 1; i > 0; i-- {
		if sel, ok := path[i].(*ast.SelectorExpr); ok {
			call, ok := path[i-1].(*ast.CallExpr)
			return ok && ast.Unparen(call.Fun) == sel && sel.Sel.Name == "Go"
		}
	}
	return false
}

func ubDerefType(t types.Type) types.Type {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

// ubDeclares reports whether s declares v: var v T, v := …, v, w := ….
func ubDeclares(info *types.Info, s ast.Stmt, v types.Object) bool {
	switch s := s.(type) {
	case *ast.DeclStmt:
		gd, ok := s.Decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			return false
		}
		for _, spec := range gd.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				if info.Defs[n] == v {
					return true
				}
			}
		}
	case *ast.AssignStmt:
		if s.Tok != token.DEFINE {
			return false
		}
		for _, l := range s.Lhs {
			if id := identOf(l); id != nil && info.Defs[id] == v {
				return true
			}
		}
	}
	return false
}

// ubPathTo returns the nodes from root down to n.
func ubPathTo(root ast.Node, n ast.Node) []ast.Node {
	var path, found []ast.Node
	ast.Inspect(root, func(m ast.Node) bool {
		if found != nil {
			return false
		}
		if m == nil {
			path = path[:len(path)-1]
			return false
		}
		if m.Pos() > n.Pos() || m.End() < n.End() {
			return false
		}
		path = append(path, m)
		if m == n {
			found = append([]ast.Node(nil), path...)
			return false
		}
		return true
	})
	return found
}

// ubEnclosingListOf returns the block or clause whose statement list holds s.
func ubEnclosingListOf(file *ast.File, s ast.Stmt) (ast.Node, error) {
	path := ubPathTo(file, s)
	if len(path) < 2 {
		return nil, fmt.Errorf("not found")
	}
	switch l := path[len(path)-2].(type) {
	case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
		return l, nil
	}
	return nil, fmt.Errorf("not in a list")
}

// bound chooses N for the goroutines with effects e, and says why.
func (u *unboundedGo) bound(e *ubEffects) (int, string) {
	lim := u.pass.Limits
	if lim.Limit > 0 {
		return lim.Limit, "--limit"
	}
	if e.io != "" {
		return lim.ioLimit(), "the I/O bound, --io-limit: the goroutine " + e.io
	}
	return 0, "CPU-bound: no I/O found in the goroutine's code"
}

// deadlockReason says why bounding the loop's goroutines could deadlock
// them (or the code after the loop), or "" when it cannot as far as the
// rule can see.
func (u *unboundedGo) deadlockReason(sp ubSpawn, e *ubEffects, loop ast.Stmt, body *ast.BlockStmt, fn ast.Node, fnBody *ast.BlockStmt, count int64, known bool) string {
	const tail = " (a bound could deadlock them)"
	if e.unseen {
		return "the goroutine runs a function value whose code the rule cannot see"
	}
	if e.block != "" {
		return "the goroutines " + e.block + tail
	}
	for _, s := range e.sends {
		if why := u.unsizedSend(s, e, loop, body, fnBody, sp, count, known); why != "" {
			return why + tail
		}
	}
	// A lock the function holds while it starts the goroutines: they may
	// need it through code the rule cannot follow (starting them, rather
	// than calling, is often how the code avoids waiting for it), and the
	// loop would wait in the acquire while holding it.
	if m := u.heldAt(fnBody, sp); m != nil {
		return "the function holds " + types.ExprString(m) + " while it starts the goroutines" + tail
	}
	// Mutexes: the spawning function must not hold one the goroutines
	// take (it would wait in the acquire while they wait for it).
	if len(e.locks) > 0 || len(e.lockFields) > 0 {
		if name := ubFuncName(fn); strings.HasSuffix(name, "Locked") || strings.HasSuffix(name, "locked") {
			return "the function's name says it runs with a lock held, and the goroutines lock a mutex" + tail
		}
		held := u.spawnerLocks(fnBody, sp)
		for _, l := range e.locks {
			for _, h := range held {
				if sameRef(u.pass.Info, l, h) {
					return "the goroutines lock " + types.ExprString(l) + ", which the function also locks" + tail
				}
			}
		}
		for _, f := range e.lockFields {
			for _, h := range held {
				if ubLastField(u.pass.Info, h) == f {
					return "the goroutines lock " + f.Name() + ", which the function also locks" + tail
				}
			}
		}
	}
	return ""
}

// heldAt returns a mutex that the spawning function has locked (Lock or
// RLock, outside function literals) before the spawn and not unlocked again
// by a plain (not deferred) call between the two, or nil.
func (u *unboundedGo) heldAt(fnBody *ast.BlockStmt, sp ubSpawn) ast.Expr {
	info := u.pass.Info
	type op struct {
		m      ast.Expr
		pos    token.Pos
		unlock bool
		read   bool
	}
	var ops []op
	deferred := map[*ast.CallExpr]bool{}
	ast.Inspect(fnBody, func(n ast.Node) bool {
		if n == nil || n.Pos() >= sp.stmt.Pos() {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			deferred[n.Call] = true
		case *ast.CallExpr:
			fn, ok := typeutil.Callee(info, n).(*types.Func)
			sel, ok2 := ast.Unparen(n.Fun).(*ast.SelectorExpr)
			if !ok || !ok2 || deferred[n] || !(ubIsMethodOf(fn, "sync", "Mutex") || ubIsMethodOf(fn, "sync", "RWMutex")) {
				return true
			}
			switch fn.Name() {
			case "Lock", "RLock":
				ops = append(ops, op{m: sel.X, pos: n.Pos(), read: fn.Name() == "RLock"})
			case "Unlock", "RUnlock":
				ops = append(ops, op{m: sel.X, pos: n.Pos(), unlock: true, read: fn.Name() == "RUnlock"})
			}
		}
		return true
	})
	for i, l := range ops {
		if l.unlock {
			continue
		}
		released := false
		for _, r := range ops[i+1:] {
			if r.unlock && r.read == l.read && sameRef(info, r.m, l.m) {
				released = true
			}
		}
		if !released {
			return l.m
		}
	}
	return nil
}

func ubFuncName(fn ast.Node) string {
	if fd, ok := fn.(*ast.FuncDecl); ok {
		return fd.Name.Name
	}
	return ""
}

// spawnerLocks returns the mutexes the spawning function locks outside
// the spawn's goroutine.
func (u *unboundedGo) spawnerLocks(fnBody *ast.BlockStmt, sp ubSpawn) []ast.Expr {
	var held []ast.Expr
	ast.Inspect(fnBody, func(n ast.Node) bool {
		if sp.lit != nil && n == sp.lit {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, ok := typeutil.Callee(u.pass.Info, call).(*types.Func)
		if !ok {
			return true
		}
		if (ubIsMethodOf(fn, "sync", "Mutex") || ubIsMethodOf(fn, "sync", "RWMutex")) && (fn.Name() == "Lock" || fn.Name() == "RLock") {
			if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
				held = append(held, sel.X)
			}
		}
		return true
	})
	return held
}

// unsizedSend says why a send of the goroutine could block until code
// after the loop (or a later goroutine) receives, or "" when it cannot: the
// channel is a local variable made in the spawning function with a buffer
// for every send — make(chan T, len(X)) before a range over X, make(chan T,
// n) before a loop counting to n, a constant buffer at least the constant
// count, or, for a channel made in the loop's body, a buffer of at least
// one — the goroutine sends on it at most once (a send in one of its loops
// does not count; sends followed by return do), and nothing else sends on
// it or takes it anywhere.
func (u *unboundedGo) unsizedSend(s ubSend, e *ubEffects, loop ast.Stmt, body *ast.BlockStmt, fnBody *ast.BlockStmt, sp ubSpawn, count int64, known bool) string {
	info := u.pass.Info
	name := types.ExprString(s.s.Chan)
	bad := "the goroutines send on " + name + ", which is not buffered for every item"
	id := identOf(s.s.Chan)
	if id == nil {
		return bad
	}
	v, _ := info.Uses[id].(*types.Var)
	if v == nil || !ubInside(fnBody, ubPosNode(v.Pos())) {
		return bad
	}
	if s.inLoop {
		return "the goroutines send on " + name + " in a loop"
	}
	// The sends on v in the goroutine: all but the last return right after.
	var mine []*ast.SendStmt
	for _, o := range e.sends {
		if identOf(o.s.Chan) != nil && info.Uses[identOf(o.s.Chan)] == v {
			if o.inLoop {
				return "the goroutines send on " + name + " in a loop"
			}
			mine = append(mine, o.s)
		}
	}
	for i, o := range mine[:len(mine)-1] {
		_ = i
		if !ubFollowedByReturn(sp.lit.Body, o) {
			return "the goroutines may send on " + name + " more than once"
		}
	}
	// Every other use of v in the function: its declaration, receives,
	// len, cap, close; the goroutine's own sends.
	var makeCall *ast.CallExpr
	ok := true
	ast.Inspect(fnBody, func(n ast.Node) bool {
		if !ok {
			return false
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				lid := identOf(l)
				if lid == nil || info.ObjectOf(lid) != v {
					continue
				}
				if n.Tok != token.DEFINE || info.Defs[lid] != v || len(n.Rhs) != len(n.Lhs) {
					ok = false
					return false
				}
				makeCall, _ = ast.Unparen(n.Rhs[i]).(*ast.CallExpr)
			}
		case *ast.ValueSpec:
			for i, nid := range n.Names {
				if info.Defs[nid] == v && i < len(n.Values) && len(n.Values) == len(n.Names) {
					makeCall, _ = ast.Unparen(n.Values[i]).(*ast.CallExpr)
				}
			}
		case *ast.SendStmt:
			if sid := identOf(n.Chan); sid != nil && info.Uses[sid] == v && !ubContainsNode(mine, n) {
				ok = false
			}
		case *ast.Ident:
			if info.Uses[n] == v && !u.harmlessChanUse(fnBody, n) {
				ok = false
			}
		}
		return true
	})
	if !ok || makeCall == nil || len(makeCall.Args) != 2 || !ubIsBuiltin(info, makeCall.Fun, "make") {
		return bad
	}
	capArg := makeCall.Args[1]
	if ubInside(body, makeCall) {
		// Made on every iteration, for this goroutine.
		if c := info.Types[capArg].Value; c != nil {
			if n, exact := constant.Int64Val(c); exact && n >= 1 {
				return ""
			}
		}
		return bad
	}
	if makeCall.Pos() > loop.Pos() {
		return bad
	}
	if c := info.Types[capArg].Value; c != nil {
		if n, exact := constant.Int64Val(c); exact && known && n >= count {
			return ""
		}
		return bad
	}
	switch l := loop.(type) {
	case *ast.RangeStmt:
		// make(chan T, len(X)) for range X; make(chan T, n) for range n.
		if call, isCall := ast.Unparen(capArg).(*ast.CallExpr); isCall && ubIsBuiltin(info, call.Fun, "len") && len(call.Args) == 1 {
			if _, isChan := ubTypeUnder(info.TypeOf(l.X)).(*types.Chan); !isChan && sameRef(info, call.Args[0], l.X) && ubStableIn(info, fnBody, call.Args[0], makeCall.End()) {
				return ""
			}
		}
		if ubIsInteger(info.TypeOf(l.X)) && sameRef(info, capArg, l.X) && ubStableIn(info, fnBody, capArg, makeCall.End()) {
			return ""
		}
	case *ast.ForStmt:
		cond := l.Cond.(*ast.BinaryExpr)
		v := ubCountedVar(info, l)
		bound := cond.Y
		if bid := identOf(cond.Y); bid != nil && info.Uses[bid] == v {
			bound = cond.X
		}
		if start := ubForStart(info, l); start != nil && constant.Sign(start) >= 0 && (cond.Op == token.LSS || cond.Op == token.NEQ) &&
			(sameRef(info, capArg, bound) || ubSameLen(info, capArg, bound)) && ubStableIn(info, fnBody, bound, makeCall.End()) {
			return ""
		}
	}
	return bad
}

func ubIsInteger(t types.Type) bool {
	b, ok := ubTypeUnder(t).(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// ubSameLen reports whether a and b are both len(X) of the same X.
func ubSameLen(info *types.Info, a, b ast.Expr) bool {
	ca, ok1 := ast.Unparen(a).(*ast.CallExpr)
	cb, ok2 := ast.Unparen(b).(*ast.CallExpr)
	return ok1 && ok2 && ubIsBuiltin(info, ca.Fun, "len") && ubIsBuiltin(info, cb.Fun, "len") &&
		len(ca.Args) == 1 && len(cb.Args) == 1 && sameRef(info, ca.Args[0], cb.Args[0])
}

// ubStableIn reports whether the variable e names (an identifier) is not
// assigned in fnBody after pos, so that a count taken at pos still holds
// at the loop.
func ubStableIn(info *types.Info, fnBody *ast.BlockStmt, e ast.Expr, pos token.Pos) bool {
	id := identOf(stripRef(e))
	if id == nil {
		return false
	}
	v := info.Uses[id]
	if v == nil {
		return false
	}
	stable := true
	ast.Inspect(fnBody, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if lid := identOf(l); lid != nil && info.Uses[lid] == v && n.Pos() > pos {
					stable = false
				}
			}
		case *ast.IncDecStmt:
			if lid := identOf(n.X); lid != nil && info.Uses[lid] == v && n.Pos() > pos {
				stable = false
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				if lid := identOf(n.X); lid != nil && info.Uses[lid] == v {
					stable = false
				}
			}
		}
		return stable
	})
	return stable
}

func ubContainsNode(l []*ast.SendStmt, s *ast.SendStmt) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func ubIsBuiltin(info *types.Info, fun ast.Expr, name string) bool {
	id := identOf(fun)
	if id == nil {
		return false
	}
	b, ok := info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// harmlessChanUse reports whether the use id of a channel variable only
// receives from it, closes it, or measures it: uses that cannot fill its
// buffer.
func (u *unboundedGo) harmlessChanUse(fnBody *ast.BlockStmt, id *ast.Ident) bool {
	path := ubPathTo(fnBody, id)
	if len(path) < 2 {
		return false
	}
	switch p := path[len(path)-2].(type) {
	case *ast.SendStmt:
		return p.Chan == id // checked by the caller
	case *ast.UnaryExpr:
		return p.Op == token.ARROW
	case *ast.RangeStmt:
		return p.X == id
	case *ast.CallExpr:
		for _, b := range []string{"close", "len", "cap"} {
			if ubIsBuiltin(u.pass.Info, p.Fun, b) {
				return true
			}
		}
		// append(futures, c) to a slice of receive-only channels.
		if ubIsBuiltin(u.pass.Info, p.Fun, "append") && len(p.Args) > 1 && p.Args[0] != id && !p.Ellipsis.IsValid() {
			if sl, ok := ubTypeUnder(u.pass.Info.TypeOf(p.Args[0])).(*types.Slice); ok {
				if ch, ok := ubTypeUnder(sl.Elem()).(*types.Chan); ok && ch.Dir() == types.RecvOnly {
					return true
				}
			}
		}
	}
	return false
}

// ubFollowedByReturn reports whether the statement after s in its list is a
// return statement.
func ubFollowedByReturn(root ast.Node, s ast.Stmt) bool {
	res := false
	ast.Inspect(root, func(n ast.Node) bool {
		var list []ast.Stmt
		switch n := n.(type) {
		case *ast.BlockStmt:
			list = n.List
		case *ast.CaseClause:
			list = n.Body
		case *ast.CommClause:
			list = n.Body
		}
		for i, x := range list {
			if x == s && i+1 < len(list) {
				_, res = list[i+1].(*ast.ReturnStmt)
			}
		}
		return true
	})
	return res
}

// semFix builds the semaphore fix, or says why there is none.
func (u *unboundedGo) semFix(sp ubSpawn, e *ubEffects, lc inspector.Cursor, loop ast.Stmt, fn ast.Node, fnBody *ast.BlockStmt, n int, why string) (*Fix, string) {
	p := u.pass
	info := p.Info
	if _, labeled := sp.c.Parent().Node().(*ast.LabeledStmt); labeled {
		return nil, "the go statement is labeled"
	}
	spawnList, err := ubEnclosingListOf(p.File, sp.stmt)
	if err != nil {
		return nil, "the go statement is not in a statement list"
	}
	// The loop's statement in its list: the loop or its label.
	outer := ast.Stmt(loop)
	label := ""
	if ls, ok := lc.Parent().Node().(*ast.LabeledStmt); ok {
		outer = ls
		label = ls.Label.Name
	}
	outerList, err := ubEnclosingListOf(p.File, outer)
	if err != nil {
		return nil, "the loop is not in a statement list"
	}
	if _, lab := ubOuterListParentLabeled(outer); lab {
		return nil, "the loop is not in a statement list"
	}

	data := &UnboundedGoFix{N: n}
	// The goroutine's function: a literal gets the release; go f(x)
	// becomes go func() { …; f(x) }() when that keeps what f(x) means.
	var lit *ast.FuncLit
	switch {
	case sp.lit != nil:
		lit = sp.lit
	case sp.kind == ubGo:
		if why := u.wrappable(sp, loop, fn, fnBody); why != "" {
			return nil, why
		}
		data.Wrap = true
	default:
		return nil, "wg.Go is given a function value, not a function literal"
	}
	// Names the fix writes must mean what they say at the loop.
	if !ubIsUniverse(p, loop.Pos(), "make") {
		return nil, "make is shadowed at the loop"
	}
	if n == 0 && !p.CanQualify(loop.Pos(), "runtime", "runtime") {
		return nil, "runtime cannot be named at the loop"
	}
	data.Sem = FreshName(p, fn, loop.Pos(), "sem")

	// Where the acquire goes: before the wg.Add statements that count the
	// goroutine, right before the spawn.
	before := ast.Stmt(sp.stmt)
	counted := map[types.Object]bool{}
	if bl := ubStmtList(spawnList); bl != nil {
		idx := -1
		for i, s := range bl {
			if s == sp.stmt {
				idx = i
			}
		}
		for i := idx - 1; i >= 0; i-- {
			wc, ok := ubWgAddStmt(info, bl[i])
			if !ok {
				break
			}
			before = bl[i]
			if obj := ubRefObject(info, wc.recv); obj != nil {
				counted[obj] = true
			}
		}
	}

	// With a context in scope, the acquire also waits for its Done and
	// leaves the loop — unless code after the loop may wait for every
	// item: the goroutines signal (send, close, count down a WaitGroup the
	// Adds right before the spawn do not count up), or the function adds
	// to a WaitGroup before the loop.
	if ctx := u.contextAt(sp, before.Pos(), loop); ctx != nil {
		leaveOK := !e.signals
		for _, d := range e.dones {
			if obj := ubRefObject(info, d); obj == nil || !counted[obj] {
				leaveOK = false
			}
		}
		if leaveOK && u.addsBefore(fnBody, loop) {
			leaveOK = false
		}
		if leaveOK {
			data.Ctx = ctx.Name()
			data.Label = label
			if label == "" {
				data.Label = FreshName(p, fn, loop.Pos(), "loop")
				data.NewLabel = true
			}
		}
	}

	nodes := []ast.Node{outer, loop, before, sp.stmt}
	lists := []ast.Node{outerList}
	if spawnList != outerList {
		lists = append(lists, spawnList)
	}
	if lit != nil {
		nodes = append(nodes, lit.Body)
		lists = append(lists, lit.Body)
	}
	msg := fmt.Sprintf("bound the loop's goroutines with a semaphore of %s (%s)", data.Limit(), why)
	if data.Ctx == "" && u.contextAt(sp, before.Pos(), loop) != nil {
		msg += "; the acquire does not leave the loop when the context is done, since code after the loop may wait for every item"
	}
	return &Fix{
		Message: msg,
		Anchor:  ubLoopHeader(loop),
		Lists:   lists,
		Nodes:   nodes,
		Data:    data,
	}, ""
}

// ubOuterListParentLabeled is a placeholder for loops whose labeled statement
// is itself labeled (L1: L2: for …), which the rule leaves alone.
func ubOuterListParentLabeled(s ast.Stmt) (ast.Stmt, bool) {
	if ls, ok := s.(*ast.LabeledStmt); ok {
		if _, ok := ls.Stmt.(*ast.LabeledStmt); ok {
			return ls, true
		}
	}
	return nil, false
}

// ubLoopHeader returns a node of the loop whose text the fix does not
// change: what the loop ranges over, or its condition.
func ubLoopHeader(loop ast.Stmt) ast.Node {
	switch l := loop.(type) {
	case *ast.RangeStmt:
		return l.X
	case *ast.ForStmt:
		return l.Cond
	}
	return loop
}

func ubStmtList(n ast.Node) []ast.Stmt {
	switch l := n.(type) {
	case *ast.BlockStmt:
		return l.List
	case *ast.CaseClause:
		return l.Body
	case *ast.CommClause:
		return l.Body
	}
	return nil
}

// ubWgAddStmt reports whether s is a statement wg.Add(n) with n > 0 (or not
// constant).
func ubWgAddStmt(info *types.Info, s ast.Stmt) (wgCall, bool) {
	es, ok := s.(*ast.ExprStmt)
	if !ok {
		return wgCall{}, false
	}
	call, ok := ast.Unparen(es.X).(*ast.CallExpr)
	if !ok {
		return wgCall{}, false
	}
	wc, ok := waitGroupCall(info, call)
	return wc, ok && wc.add
}

// ubRefObject returns the variable or field a reference (wg, s.wg, &wg)
// ends in.
func ubRefObject(info *types.Info, e ast.Expr) types.Object {
	switch x := stripRef(e).(type) {
	case *ast.Ident:
		return info.Uses[x]
	case *ast.SelectorExpr:
		return info.Uses[x.Sel]
	}
	return nil
}

// addsBefore reports whether the function adds to a WaitGroup before the
// loop (outside function literals): perhaps counting the loop's items.
func (u *unboundedGo) addsBefore(fnBody *ast.BlockStmt, loop ast.Stmt) bool {
	info := u.pass.Info
	// Adds that count the goroutine started right after them (wg.Add(1);
	// go …) count no item of this loop.
	countsGo := map[ast.Stmt]bool{}
	found := false
	ast.Inspect(fnBody, func(n ast.Node) bool {
		if found || n == nil || n.Pos() >= loop.Pos() {
			return false
		}
		if list := ubStmtList(n); list != nil {
			for i := len(list) - 1; i >= 0; i-- {
				if _, ok := ubWgAddStmt(info, list[i]); !ok {
					continue
				}
				for j := i + 1; j < len(list); j++ {
					if _, ok := list[j].(*ast.GoStmt); ok {
						countsGo[list[i]] = true
					}
					if _, ok := ubWgAddStmt(info, list[j]); !ok {
						break
					}
				}
			}
		}
		if es, ok := n.(*ast.ExprStmt); ok && countsGo[es] {
			return false
		}
		if call, ok := n.(*ast.CallExpr); ok {
			if wc, ok := waitGroupCall(info, call); ok && wc.add {
				found = true
			}
		}
		return true
	})
	return found
}

func ubIsUniverse(p *Pass, pos token.Pos, name string) bool {
	scope := p.ScopeAt(pos)
	if scope == nil {
		return false
	}
	_, obj := scope.LookupParent(name, pos)
	return obj == types.Universe.Lookup(name)
}

// contextAt returns the context.Context variable the acquire selects on:
// one declared before the loop (a context made for one item, inside the
// loop, must not end the whole loop) that the goroutine's code uses, or
// else the innermost one in scope at pos; nil when there is none.
func (u *unboundedGo) contextAt(sp ubSpawn, pos token.Pos, loop ast.Stmt) *types.Var {
	p := u.pass
	info := p.Info
	isCtx := func(v *types.Var) bool {
		if v == nil || v.IsField() || v.Parent() == nil || v.Parent() == p.Pkg.Scope() || v.Pos() >= loop.Pos() {
			return false
		}
		n, ok := types.Unalias(v.Type()).(*types.Named)
		return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
	}
	scope := p.ScopeAt(pos)
	if scope == nil {
		return nil
	}
	visible := func(v *types.Var) bool {
		_, obj := scope.LookupParent(v.Name(), pos)
		return obj == v
	}
	var used *types.Var
	ast.Inspect(sp.call, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && used == nil {
			if v, ok := info.Uses[id].(*types.Var); ok && isCtx(v) && visible(v) {
				used = v
			}
		}
		return used == nil
	})
	if used != nil {
		return used
	}
	for s := scope; s != nil && s != p.Pkg.Scope() && s != types.Universe; s = s.Parent() {
		var best *types.Var
		for _, name := range s.Names() {
			v, ok := s.Lookup(name).(*types.Var)
			if !ok || !isCtx(v) || v.Pos() > pos || !visible(v) {
				continue
			}
			if best == nil || v.Pos() > best.Pos() {
				best = v
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// wrappable says why go f(args) cannot become go func() { …; f(args) }()
// without changing what it means, or "": the function and its arguments
// must read the same values when the goroutine starts as at the go
// statement — constants, literals, functions, &v, and variables that
// nothing assigns after the go statement (a loop's variable counts only
// from Go 1.22, where each iteration has its own).
func (u *unboundedGo) wrappable(sp ubSpawn, loop ast.Stmt, fn ast.Node, fnBody *ast.BlockStmt) string {
	info := u.pass.Info
	if sp.call.Ellipsis.IsValid() {
		return "the go statement passes a variadic argument"
	}
	var stable func(e ast.Expr) bool
	stable = func(e ast.Expr) bool {
		e = ast.Unparen(e)
		if tv, ok := info.Types[e]; ok && (tv.Value != nil || tv.IsType() || tv.IsNil()) {
			return true
		}
		switch x := e.(type) {
		case *ast.BasicLit, *ast.FuncLit:
			return true
		case *ast.Ident:
			switch obj := info.Uses[x].(type) {
			case *types.Func, *types.Const, *types.Nil:
				return true
			case *types.Var:
				return u.finalVar(obj, loop, fn, fnBody)
			}
			return false
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				if id := identOf(x.X); id != nil {
					_, isVar := info.Uses[id].(*types.Var)
					return isVar
				}
			}
			return false
		case *ast.SelectorExpr:
			if s := info.Selections[x]; s != nil {
				// A method value x.m: the receiver is evaluated at the go
				// statement.
				return s.Kind() == types.MethodVal && stable(x.X)
			}
			_, isFunc := info.Uses[x.Sel].(*types.Func)
			return isFunc // pkg.F
		case *ast.IndexExpr, *ast.IndexListExpr:
			// A generic function instantiated: f[int].
			var base ast.Expr
			if ie, ok := x.(*ast.IndexExpr); ok {
				base = ie.X
			} else {
				base = x.(*ast.IndexListExpr).X
			}
			id := identOf(base)
			if id == nil {
				if sel, ok := base.(*ast.SelectorExpr); ok {
					id = sel.Sel
				}
			}
			_, isFunc := info.Uses[id].(*types.Func)
			return id != nil && isFunc
		}
		return false
	}
	// Before Go 1.22 the loop's variables are shared by all iterations.
	if !u.pass.AtLeast("go1.22") {
		for _, e := range append([]ast.Expr{sp.call.Fun}, sp.call.Args...) {
			found := false
			ast.Inspect(e, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if v, ok := info.Uses[id].(*types.Var); ok && ubLoopVar(info, loop, v) {
						found = true
					}
				}
				return !found
			})
			if found {
				return "the go statement passes a loop variable, which all iterations share before Go 1.22, to a function the fix would call later"
			}
		}
	}
	if !stable(sp.call.Fun) {
		return "the go statement's function value could change between the go statement and the start of the goroutine"
	}
	for _, a := range sp.call.Args {
		if !stable(a) {
			return "the go statement's arguments could change between the go statement and the start of the goroutine"
		}
	}
	return ""
}

// finalVar reports whether v holds the same value from the go statement
// on: it is a parameter or local variable of the spawning function fn that
// nothing assigns, increments or takes the address of after its
// declaration, and when it is the loop's own variable the file's Go version
// gives each iteration its own copy (Go 1.22).
func (u *unboundedGo) finalVar(v *types.Var, loop ast.Stmt, fn ast.Node, fnBody *ast.BlockStmt) bool {
	info := u.pass.Info
	if v.IsField() || v.Parent() == u.pass.Pkg.Scope() {
		return false
	}
	if fn == nil || fnBody == nil || !ubInside(fn, ubPosNode(v.Pos())) {
		// A variable of an enclosing function: it may be assigned there.
		return false
	}
	if ubLoopVar(info, loop, v) && !u.pass.AtLeast("go1.22") {
		return false
	}
	// A for loop's counter is incremented by the loop's post statement:
	// from Go 1.22 that increments the next iteration's copy.
	var post ast.Stmt
	if fs, ok := loop.(*ast.ForStmt); ok && ubCountedVar(info, fs) == types.Object(v) {
		post = fs.Post
	}
	final := true
	ast.Inspect(fnBody, func(n ast.Node) bool {
		if post != nil && n == post {
			return false
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if lid := identOf(l); lid != nil && info.Uses[lid] == v {
					final = false
				}
			}
		case *ast.IncDecStmt:
			if lid := identOf(n.X); lid != nil && info.Uses[lid] == v {
				final = false
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				if lid := identOf(n.X); lid != nil && info.Uses[lid] == v {
					final = false
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.ASSIGN {
				for _, l := range []ast.Expr{n.Key, n.Value} {
					if lid := identOf(l); lid != nil && info.Uses[lid] == v {
						final = false
					}
				}
			}
		}
		return final
	})
	return final
}

// ubLoopVar reports whether v is declared by the loop's header.
func ubLoopVar(info *types.Info, loop ast.Stmt, v *types.Var) bool {
	var ids []ast.Expr
	switch l := loop.(type) {
	case *ast.RangeStmt:
		if l.Tok == token.DEFINE {
			ids = []ast.Expr{l.Key, l.Value}
		}
	case *ast.ForStmt:
		if as, ok := l.Init.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			ids = as.Lhs
		}
	}
	for _, e := range ids {
		if id := identOf(e); id != nil && info.Defs[id] == v {
			return true
		}
	}
	return false
}
