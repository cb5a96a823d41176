package matchers

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"go/version"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/cfg"
)

// TickLeakFix is the Fix.Data of a tick-leak finding: the rewrite declares
// `Name := time.NewTicker(d)` and `defer Name.Stop()` before Stmt (d is the
// Tick call's argument) and replaces Fix.Anchor, the time.Tick call, with
// Name.C.
type TickLeakFix struct {
	Name string
	Stmt ast.Stmt
}

// TickLeak finds calls of time.Tick in functions that return, in files
// whose Go version is older than 1.23:
//
//	func poll(ready func() bool) {
//		for range time.Tick(time.Second) {
//			if ready() {
//				return // the ticker keeps running, unreachable
//			}
//		}
//	}
//
// time.Tick starts a time.Ticker that nothing can stop. Before Go 1.23 the
// runtime kept every unstopped ticker alive, so each call of such a
// function leaked one ticker for the rest of the program (and kept it
// firing). Since Go 1.23 the garbage collector frees unreferenced tickers:
// packages whose module is at go1.23 or later are left alone (see
// tlCollected for why the module's version and not the file's; unknown
// counts as older).
//
// Also left alone, as staticcheck's SA1015 does: test files, the main
// function of package main and init functions (they run once), calls with
// a constant duration ≤ 0 (time.Tick returns nil, no ticker), and calls
// in a function that never returns (an endless for loop, or a range over
// the tick channel with no break or return: the ticker is used for as long
// as the function runs — for ever). The function is the innermost one: a
// handler literal inside main is checked.
//
// The fix, a time.NewTicker with a deferred Stop and the ticker's channel
// where the call was, is offered when:
//   - the channel does not outlive the function: the call is ranged over,
//     received from, or assigned to a local variable that is only ranged
//     over or received from, in the same function (not returned, stored,
//     passed, or used in a function literal);
//   - the duration is a constant > 0: time.NewTicker panics on d ≤ 0, where
//     time.Tick returns nil;
//   - the statement holding the call is in a statement list, evaluates the
//     call once, and is not inside a loop of the function (a deferred Stop
//     per iteration would pile up until the function returns);
//   - the file can refer to package time there (not dot-imported, not
//     shadowed).
func TickLeak(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil || !p.Imports("time") || tlCollected(p) {
		return nil
	}
	if tf := p.Fset.File(p.File.Pos()); tf == nil || strings.HasSuffix(tf.Name(), "_test.go") {
		return nil
	}
	var out []Finding
	for c := range p.Inspector.Root().Preorder((*ast.CallExpr)(nil)) {
		call := c.Node().(*ast.CallExpr)
		if !tlIsTick(p.Info, call) {
			continue
		}
		if fd, ok := tlCheck(p, c, call); ok {
			out = append(out, fd)
		}
	}
	return out
}

// tlCollected reports whether unreferenced tickers are garbage collected
// in the programs that build the file: the package's Go version (its
// module's go line) is at least go1.23. That version, not the file's, is
// what counts: the runtime takes its GODEBUG defaults (asynctimerchan)
// from the main module's go line, which is at least the module's own, and
// a //go:build go1.23 line that raises a file's language version does not
// change them. When the package's version is unknown, the file's is used;
// when both are unknown: older.
func tlCollected(p *Pass) bool {
	if p.Pkg != nil && p.Pkg.GoVersion() != "" {
		return version.Compare(p.Pkg.GoVersion(), "go1.23") >= 0
	}
	return p.AtLeast("go1.23")
}

// tlIsTick reports whether call calls the function time.Tick.
func tlIsTick(info *types.Info, call *ast.CallExpr) bool {
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
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "time" || fn.Name() != "Tick" || len(call.Args) != 1 {
		return false
	}
	sig, ok := fn.Type().(*types.Signature)
	return ok && sig.Recv() == nil
}

// tlUse is how the tick channel is used.
type tlUse struct {
	escapes bool
	v       *types.Var       // the local variable holding it, if any
	ranges  []*ast.RangeStmt // ranges over the channel (never end)
}

func tlCheck(p *Pass, c inspector.Cursor, call *ast.CallExpr) (Finding, bool) {
	fnC, ok := tlFunc(c)
	if !ok {
		return Finding{}, false
	}
	var body *ast.BlockStmt
	switch fn := fnC.Node().(type) {
	case *ast.FuncDecl:
		if fn.Recv == nil && (fn.Name.Name == "init" || fn.Name.Name == "main" && p.Pkg.Name() == "main") {
			return Finding{}, false
		}
		body = fn.Body
	case *ast.FuncLit:
		body = fn.Body
	}
	if body == nil {
		return Finding{}, false
	}
	d := call.Args[0]
	dv := p.Info.Types[d].Value
	if dv != nil && dv.Kind() != constant.Int && dv.Kind() != constant.Float {
		dv = nil
	}
	if dv != nil && constant.Sign(dv) <= 0 {
		return Finding{}, false // time.Tick returns nil: no ticker
	}
	use := tlUseOf(p, c, fnC)
	if tlEndless(p.Info, body, use.ranges) {
		return Finding{}, false
	}
	fd := Finding{
		Pos:     call.Pos(),
		End:     call.End(),
		Message: "time.Tick leaks its ticker when the function returns: before Go 1.23 an unstopped ticker is never freed",
	}
	switch {
	case use.escapes:
		fd.NoFix = "the tick channel outlives the function (returned, stored, passed on or used in a function literal): stopping the ticker at the return would silence it"
		return fd, true
	case dv == nil:
		fd.NoFix = "the duration is not a constant: time.NewTicker panics on a duration <= 0, where time.Tick returns nil"
		return fd, true
	}
	stmtC, why := tlStmt(c, fnC)
	if why != "" {
		fd.NoFix = why
		return fd, true
	}
	stmt := stmtC.Node().(ast.Stmt)
	for id := range tlIdents(d) {
		if obj := p.Info.Uses[id]; obj != nil && obj.Pos() >= stmt.Pos() && obj.Pos() < stmt.End() {
			fd.NoFix = "the duration uses a name declared in the statement itself"
			return fd, true
		}
	}
	switch {
	case tlImportCount(p.File, "time") > 1:
		fd.NoFix = "the file imports time more than once: the rewrite would rename the package's other uses"
		return fd, true
	case !p.CanQualify(stmt.Pos(), "time", "time"):
		fd.NoFix = "package time is dot-imported or its name is shadowed here"
		return fd, true
	}
	name := FreshName(p, fnC.Node(), stmt.Pos(), "ticker")
	fd.Fix = &Fix{
		Message: "use time.NewTicker and defer " + name + ".Stop()",
		Anchor:  call,
		Lists:   []ast.Node{stmtC.Parent().Node()},
		Data:    TickLeakFix{Name: name, Stmt: stmt},
	}
	return fd, true
}

// tlFunc returns the innermost function around c.
func tlFunc(c inspector.Cursor) (inspector.Cursor, bool) {
	for e := range c.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		return e, true
	}
	return inspector.Cursor{}, false
}

// tlUseOf follows the tick channel of the call at c, inside the function
// at fnC.
func tlUseOf(p *Pass, c inspector.Cursor, fnC inspector.Cursor) tlUse {
	var use tlUse
	at := c
	for {
		if _, ok := at.Parent().Node().(*ast.ParenExpr); !ok {
			break
		}
		at = at.Parent()
	}
	var id *ast.Ident
	switch n := at.Parent().Node().(type) {
	case *ast.RangeStmt:
		if at.ParentEdgeKind() == edge.RangeStmt_X {
			use.ranges = append(use.ranges, n)
			return use
		}
	case *ast.UnaryExpr:
		if n.Op == token.ARROW {
			return use
		}
	case *ast.AssignStmt:
		if n.Tok == token.DEFINE && len(n.Lhs) == len(n.Rhs) && at.ParentEdgeKind() == edge.AssignStmt_Rhs {
			id, _ = n.Lhs[at.ParentEdgeIndex()].(*ast.Ident)
		}
	case *ast.ValueSpec:
		if len(n.Names) == len(n.Values) && at.ParentEdgeKind() == edge.ValueSpec_Values {
			id = n.Names[at.ParentEdgeIndex()]
		}
	}
	if id == nil {
		use.escapes = true
		return use
	}
	v, ok := p.Info.Defs[id].(*types.Var)
	if !ok || v.Parent() == nil || v.Parent() == p.Pkg.Scope() {
		use.escapes = true
		return use
	}
	use.v = v
	for uc := range fnC.Preorder((*ast.Ident)(nil)) {
		if p.Info.Uses[uc.Node().(*ast.Ident)] != v {
			continue
		}
		if f, _ := tlFunc(uc); f.Node() != fnC.Node() {
			use.escapes = true // in a function literal: may outlive the call
			return use
		}
		u := uc
		for {
			if _, ok := u.Parent().Node().(*ast.ParenExpr); !ok {
				break
			}
			u = u.Parent()
		}
		switch n := u.Parent().Node().(type) {
		case *ast.RangeStmt:
			if u.ParentEdgeKind() == edge.RangeStmt_X {
				use.ranges = append(use.ranges, n)
				continue
			}
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				continue
			}
		}
		use.escapes = true
		return use
	}
	return use
}

// tlEndless reports whether the function body never returns, counting a
// range over the tick channel (in ranges) as endless: it ends only through
// a break, return or goto.
func tlEndless(info *types.Info, body *ast.BlockStmt, ranges []*ast.RangeStmt) bool {
	g := cuCFG(info, body)
	isTick := map[ast.Stmt]bool{}
	for _, r := range ranges {
		isTick[r] = true
	}
	cut := func(from, to *cfg.Block) bool {
		return from.Kind == cfg.KindRangeLoop && to.Kind == cfg.KindRangeDone && isTick[from.Stmt] && to.Stmt == from.Stmt
	}
	return !cuReturnAvoiding(g, nil, func(ast.Node) bool { return false }, cut)
}

// tlStmt returns the statement that holds the call at c and is an element
// of a statement list, or why there is none fit for the fix: the call must
// be evaluated exactly once per execution of that statement and the
// statement must not be inside a loop of the function at fnC. (The call
// is in fnC itself: tlFunc found it as the innermost function.)
func tlStmt(c, fnC inspector.Cursor) (inspector.Cursor, string) {
	var stmtC inspector.Cursor
	for at := c; at.Node() != fnC.Node(); at = at.Parent() {
		switch at.Parent().Node().(type) {
		case *ast.ForStmt:
			switch at.ParentEdgeKind() {
			case edge.ForStmt_Cond, edge.ForStmt_Post:
				return stmtC, "time.Tick is called in a loop's condition or post statement, once per iteration"
			}
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
			if _, ok := at.Node().(ast.Stmt); ok {
				stmtC = at
			}
		}
		if stmtC.Valid() {
			break
		}
	}
	if !stmtC.Valid() {
		return stmtC, "the call is in no statement list"
	}
	for l := range stmtC.Parent().Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncLit)(nil), (*ast.FuncDecl)(nil)) {
		switch l.Node().(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			return stmtC, "time.Tick runs once per loop iteration: hoisting it would change when the ticks come, and a deferred Stop per iteration would pile up (use time.After, or one ticker outside the loop)"
		}
		break
	}
	return stmtC, ""
}

// tlImportCount returns how many import declarations of f import path.
// A file that imports time twice (time and clock "time") is not fixed: the
// dst restorer writes one name per path, and would rename every reference
// to the package in the file, far from the fix.
func tlImportCount(f *ast.File, path string) int {
	n := 0
	for _, spec := range f.Imports {
		if ip, err := strconv.Unquote(spec.Path.Value); err == nil && ip == path {
			n++
		}
	}
	return n
}

// tlIdents yields the identifiers of e.
func tlIdents(e ast.Expr) func(func(*ast.Ident) bool) {
	return func(yield func(*ast.Ident) bool) {
		ast.Inspect(e, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				return yield(id)
			}
			return true
		})
	}
}
