package matchers

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/inspector"
)

// WgAddInGoroutine finds goroutines that add themselves to a
// sync.WaitGroup:
//
//	go func() {
//		wg.Add(1)
//		defer wg.Done()
//		…
//	}()
//
// A Wait that runs before the goroutine is scheduled sees a zero counter and
// returns early. The method is recognised by object identity, as
// (*sync.WaitGroup).Add, whatever the spelling: an aliased or dot import, a
// field (s.wg.Add), a pointer, or a promoted method of an embedded
// WaitGroup (s.Add). A user type's own Add is never matched.
//
// What is reported:
//   - an Add among the leading statements of the literal's body (only Adds
//     before it): with a fix when the move to just before the go statement
//     keeps its meaning (see movable), without one otherwise;
//   - an Add further into the goroutine (after other work, or nested in an
//     if or a loop), without a fix, unless the goroutine is already counted
//     (a Done, or a negative Add, on the same WaitGroup comes first: the
//     counter is positive while it adds) or the Add is directly followed by
//     the go statement it counts (the right order for that nested
//     goroutine; whether the outer one is waited for is beyond the rule).
//
// An Add with a constant delta ≤ 0 is a Done in disguise and is left alone.
//
// The fix's Anchor is the Add's *ast.ExprStmt and Nodes is {the
// *ast.GoStmt}. The anchor is the Add, not the go statement, because the
// engine names a fix across rounds by its anchor's text: when two leading
// Adds of one goroutine move in successive rounds, the go statement's text
// changes in between, the Add's does not.
func WgAddInGoroutine(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil {
		return nil
	}
	var out []Finding
	for gc := range p.Inspector.Root().Preorder((*ast.GoStmt)(nil)) {
		g := gc.Node().(*ast.GoStmt)
		lit, ok := ast.Unparen(g.Call.Fun).(*ast.FuncLit)
		if !ok || lit.Body == nil {
			continue
		}
		lc, ok := gc.FindNode(lit)
		if !ok {
			continue
		}
		out = append(out, wgAddsIn(p, gc, lc)...)
	}
	return out
}

// wgCall is one WaitGroup method call inside a goroutine's literal.
type wgCall struct {
	call *ast.CallExpr
	recv ast.Expr // the receiver expression as written (sel.X)
	add  bool     // Add with a delta that is not a constant ≤ 0
	done bool     // Done, or Add with a negative constant delta
	c    inspector.Cursor
	// nested: in a function literal nested in the goroutine's literal
	nested bool
}

// startedByGo reports whether the function literal at c is the function of
// a go statement: go func() {…}().
func startedByGo(c inspector.Cursor) bool {
	for p := c.Parent(); p.Index() >= 0; p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.ParenExpr:
			continue
		case *ast.CallExpr:
			if ast.Unparen(n.Fun) != c.Node() {
				return false
			}
			g, ok := p.Parent().Node().(*ast.GoStmt)
			return ok && g.Call == n
		}
		return false
	}
	return false
}

// enclosingLit returns the innermost function literal around c.
func enclosingLit(c inspector.Cursor) *ast.FuncLit {
	for e := range c.Enclosing((*ast.FuncLit)(nil)) {
		return e.Node().(*ast.FuncLit)
	}
	return nil
}

// wgAddsIn reports the Adds of one goroutine, whose go statement is at gc
// and whose function literal is at lc.
func wgAddsIn(p *Pass, gc, lc inspector.Cursor) []Finding {
	lit := lc.Node().(*ast.FuncLit)
	var calls []wgCall
	lc.Inspect([]ast.Node{(*ast.FuncLit)(nil), (*ast.CallExpr)(nil)}, func(c inspector.Cursor) bool {
		switch n := c.Node().(type) {
		case *ast.FuncLit:
			// Another goroutine is matched on its own; a nested literal
			// that is not started by a go statement runs in this
			// goroutine at another time: only its Done calls count
			// (defer func() { …; wg.Done() }()).
			return n == lit || !startedByGo(c)
		case *ast.CallExpr:
			if wc, ok := waitGroupCall(p.Info, n); ok {
				wc.c = c
				wc.nested = enclosingLit(c) != lit
				calls = append(calls, wc)
			}
		}
		return true
	})
	var out []Finding
	for _, wc := range calls {
		if !wc.add || wc.nested {
			continue
		}
		sc := wc.c.Parent()
		stmt, ok := sc.Node().(*ast.ExprStmt)
		if !ok {
			continue // go wg.Add(1), defer wg.Add(1): not this pattern
		}
		leading := sc.Parent().Node() == lit.Body && leadingAdd(p.Info, lit.Body, stmt)
		if !leading {
			if next, ok := sc.NextSibling(); ok {
				if _, ok := next.Node().(*ast.GoStmt); ok {
					continue // counts the goroutine started next
				}
			}
			if countedBefore(p.Info, calls, wc) {
				continue
			}
			if startsNext(sc) || waitsAfter(p.Info, lit, wc) {
				continue
			}
		}
		recv := types.ExprString(wc.recv)
		fd := Finding{
			Pos:     wc.call.Pos(),
			End:     wc.call.End(),
			Message: recv + ".Add called inside the goroutine it counts; Wait may return before it runs",
		}
		switch {
		case !leading:
			fd.NoFix = "the Add is not at the top of the goroutine: moving it would skip or reorder the work before it"
		case !movable(p, gc, lit, wc):
			fd.NoFix = "the Add's receiver or count is computed inside the goroutine (or may change before it runs)"
		default:
			fd.Fix = &Fix{
				Message: "move " + types.ExprString(wc.call) + " before the go statement",
				Anchor:  stmt,
				Lists:   []ast.Node{gc.Parent().Node(), lit.Body},
				Nodes:   []ast.Node{gc.Node()},
			}
		}
		out = append(out, fd)
	}
	return out
}

// startsNext reports whether the statement at sc (an Add) is followed, past
// other Adds, by a statement that starts a goroutine through a helper: a
// call that takes a function literal (srv.startGoRoutine(func() {...})),
// the way a go statement right after the Add does. The Add then counts that
// goroutine, not the one it runs in.
func startsNext(sc inspector.Cursor) bool {
	for next, ok := sc.NextSibling(); ok; next, ok = next.NextSibling() {
		if es, ok := next.Node().(*ast.ExprStmt); ok {
			if call, ok := es.X.(*ast.CallExpr); ok {
				if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Add" && !hasFuncLitArg(call) {
					continue
				}
			}
		}
		found := false
		ast.Inspect(next.Node(), func(n ast.Node) bool {
			if found {
				return false
			}
			if _, ok := n.(*ast.FuncLit); ok {
				return false // its body runs elsewhere
			}
			if call, ok := n.(*ast.CallExpr); ok && hasFuncLitArg(call) {
				found = true
			}
			return true
		})
		return found
	}
	return false
}

func hasFuncLitArg(call *ast.CallExpr) bool {
	for _, a := range call.Args {
		if _, ok := ast.Unparen(a).(*ast.FuncLit); ok {
			return true
		}
	}
	return false
}

// waitsAfter reports whether the goroutine's own body (not a nested
// literal) calls Wait on the Add's WaitGroup after the Add: the Add happens
// before that Wait, and a goroutine does not wait for itself.
func waitsAfter(info *types.Info, lit *ast.FuncLit, wc wgCall) bool {
	found := false
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		if found {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok || call.Pos() <= wc.call.Pos() {
			return true
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if s := info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
			if fn, ok := s.Obj().(*types.Func); ok && fn.Origin() == waitGroupMethod(fn, "Wait") && sameRef(info, sel.X, wc.recv) {
				found = true
			}
		}
		return true
	})
	return found
}

// waitGroupCall reports whether call is a call of (*sync.WaitGroup).Add or
// Done, by object identity, and describes it.
func waitGroupCall(info *types.Info, call *ast.CallExpr) (wgCall, bool) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return wgCall{}, false
	}
	s := info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal {
		return wgCall{}, false
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok {
		return wgCall{}, false
	}
	fn = fn.Origin()
	wc := wgCall{call: call, recv: sel.X}
	switch fn {
	case waitGroupMethod(fn, "Add"):
		if len(call.Args) != 1 {
			return wgCall{}, false
		}
		if v := info.Types[call.Args[0]].Value; v != nil && v.Kind() == constant.Int {
			switch constant.Sign(v) {
			case 1:
				wc.add = true
			case -1:
				wc.done = true
			}
		} else {
			wc.add = true
		}
	case waitGroupMethod(fn, "Done"):
		wc.done = true
	default:
		return wgCall{}, false
	}
	return wc, true
}

// waitGroupMethod returns the method name of sync.WaitGroup, looked up in
// fn's own package when that package is the standard library's sync (so
// that the comparison is by identity with the loaded sync, however it was
// reached: imported directly or only through another package's types), or
// nil.
func waitGroupMethod(fn *types.Func, name string) *types.Func {
	pkg := fn.Pkg()
	if pkg == nil || pkg.Path() != "sync" {
		return nil
	}
	tn, ok := pkg.Scope().Lookup("WaitGroup").(*types.TypeName)
	if !ok {
		return nil
	}
	named, ok := tn.Type().(*types.Named)
	if !ok {
		return nil
	}
	for m := range named.Methods() {
		if m.Name() == name {
			return m
		}
	}
	return nil
}

// leadingAdd reports whether stmt is in the leading run of body's
// statements that are all WaitGroup Adds (usually: stmt is the first).
func leadingAdd(info *types.Info, body *ast.BlockStmt, stmt *ast.ExprStmt) bool {
	for _, s := range body.List {
		if s == stmt {
			return true
		}
		es, ok := s.(*ast.ExprStmt)
		if !ok {
			return false
		}
		call, ok := ast.Unparen(es.X).(*ast.CallExpr)
		if !ok {
			return false
		}
		if wc, ok := waitGroupCall(info, call); !ok || !wc.add {
			return false
		}
	}
	return false
}

// countedBefore reports whether a Done (or negative Add) on the same
// WaitGroup as wc precedes it in the goroutine: the goroutine is counted by
// an Add outside it, so the counter is positive when wc runs.
func countedBefore(info *types.Info, calls []wgCall, wc wgCall) bool {
	for _, d := range calls {
		if d.done && d.call.Pos() < wc.call.Pos() && sameRef(info, d.recv, wc.recv) {
			return true
		}
	}
	return false
}

// sameRef reports whether a and b denote the same variable path (wg, s.wg,
// *p), comparing objects, not names. Dereferences and address-of are
// transparent: (*wg).Add and wg.Done use the same WaitGroup.
func sameRef(info *types.Info, a, b ast.Expr) bool {
	a, b = stripRef(a), stripRef(b)
	switch a := a.(type) {
	case *ast.Ident:
		b, ok := b.(*ast.Ident)
		if !ok {
			return false
		}
		oa, ob := info.Uses[a], info.Uses[b]
		return oa != nil && oa == ob
	case *ast.SelectorExpr:
		b, ok := b.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		oa, ob := info.Uses[a.Sel], info.Uses[b.Sel]
		if oa == nil || oa != ob {
			return false
		}
		if _, pkg := info.Uses[identOf(a.X)].(*types.PkgName); pkg {
			return true // a qualified package-level variable
		}
		return sameRef(info, a.X, b.X)
	}
	return false
}

func stripRef(e ast.Expr) ast.Expr {
	for {
		switch x := ast.Unparen(e).(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return x
			}
			e = x.X
		default:
			return x
		}
	}
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := ast.Unparen(e).(*ast.Ident)
	return id
}

// movable reports whether the leading Add wc of the goroutine started at gc
// can move to just before the go statement and keep its meaning:
//   - the go statement is in a statement list (not labeled);
//   - the receiver and the delta read only variables declared outside the
//     function literal, through field selections, dereferences, indexes of
//     slices and arrays, conversions, len and cap of slices, arrays and
//     strings, and arithmetic that cannot panic (no division or shift by a
//     variable) — no calls, no channel operations, no map reads. In a
//     race-free program such an expression has the same value at the go
//     statement as at the start of the goroutine: nothing synchronises
//     between the two, so any write in between would be a race;
//   - before Go 1.22 (or when the file's version is unknown), it reads no
//     variable of an enclosing loop: those are shared by all iterations and
//     written while earlier goroutines still read them;
//   - the go statement's arguments can be evaluated after the Add without
//     blocking on anything the Add could make wait: no receives and no
//     calls other than conversions, len and cap.
func movable(p *Pass, gc inspector.Cursor, lit *ast.FuncLit, wc wgCall) bool {
	switch gc.Parent().Node().(type) {
	case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
	default:
		return false
	}
	var read []types.Object
	inside := func(obj types.Object) bool {
		return obj.Pos() >= lit.Pos() && obj.Pos() < lit.End()
	}
	for _, e := range append([]ast.Expr{wc.recv}, wc.call.Args...) {
		if !pureExpr(p.Info, e, inside, &read) {
			return false
		}
	}
	g := gc.Node().(*ast.GoStmt)
	for _, e := range g.Call.Args {
		if !pureExpr(p.Info, e, func(types.Object) bool { return false }, nil) {
			return false
		}
	}
	if !p.AtLeast("go1.22") && readsLoopVar(p.Info, gc, read) {
		return false
	}
	return true
}

// pureExpr reports whether e only reads memory (see movable) and reads no
// variable for which inside reports true. It appends the variables it reads
// to read, when not nil.
func pureExpr(info *types.Info, e ast.Expr, inside func(types.Object) bool, read *[]types.Object) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.ParenExpr:
		return pureExpr(info, e.X, inside, read)
	case *ast.Ident:
		switch obj := info.Uses[e].(type) {
		case *types.Var:
			if inside(obj) {
				return false
			}
			if read != nil {
				*read = append(*read, obj)
			}
			return true
		case *types.Const, *types.TypeName, *types.Nil:
			return true
		}
		return false
	case *ast.SelectorExpr:
		if s := info.Selections[e]; s != nil {
			return s.Kind() == types.FieldVal && pureExpr(info, e.X, inside, read)
		}
		// A qualified identifier: a package-level name of another package.
		switch info.Uses[e.Sel].(type) {
		case *types.Var, *types.Const, *types.TypeName:
			return true
		}
		return false
	case *ast.StarExpr:
		return pureExpr(info, e.X, inside, read)
	case *ast.UnaryExpr:
		return e.Op != token.ARROW && pureExpr(info, e.X, inside, read)
	case *ast.BinaryExpr:
		switch e.Op {
		case token.QUO, token.REM, token.SHL, token.SHR:
			if info.Types[e.Y].Value == nil {
				return false // may panic: division by zero, negative shift
			}
		}
		return pureExpr(info, e.X, inside, read) && pureExpr(info, e.Y, inside, read)
	case *ast.IndexExpr:
		if !indexable(info.TypeOf(e.X)) {
			return false
		}
		return pureExpr(info, e.X, inside, read) && pureExpr(info, e.Index, inside, read)
	case *ast.CallExpr:
		if len(e.Args) != 1 || e.Ellipsis.IsValid() {
			return false
		}
		if tv, ok := info.Types[e.Fun]; ok && tv.IsType() {
			return pureExpr(info, e.Args[0], inside, read) // a conversion
		}
		id := identOf(e.Fun)
		if id == nil {
			return false
		}
		b, ok := info.Uses[id].(*types.Builtin)
		if !ok || (b != types.Universe.Lookup("len") && b != types.Universe.Lookup("cap")) {
			return false
		}
		return indexable(info.TypeOf(e.Args[0])) && pureExpr(info, e.Args[0], inside, read)
	}
	return false
}

// indexable reports whether t is a slice, an array, a pointer to an array
// or a string: whose len and elements change only by writes to memory (not
// a map, whose reads and len we leave alone, nor a channel, whose len
// changes by itself, nor a type parameter).
func indexable(t types.Type) bool {
	if t == nil {
		return false
	}
	if _, ok := types.Unalias(t).(*types.TypeParam); ok {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Slice, *types.Array:
		return true
	case *types.Basic:
		return u.Info()&types.IsString != 0
	case *types.Pointer:
		_, ok := u.Elem().Underlying().(*types.Array)
		return ok
	}
	return false
}

// readsLoopVar reports whether any of read is a variable declared by the
// header of a for or range loop enclosing the go statement at gc.
func readsLoopVar(info *types.Info, gc inspector.Cursor, read []types.Object) bool {
	if len(read) == 0 {
		return false
	}
	vars := map[types.Object]bool{}
	def := func(e ast.Expr) {
		if id := identOf(e); id != nil {
			if obj := info.Defs[id]; obj != nil {
				vars[obj] = true
			}
		}
	}
	for c := range gc.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil)) {
		switch l := c.Node().(type) {
		case *ast.RangeStmt:
			if l.Tok == token.DEFINE {
				def(l.Key)
				def(l.Value)
			}
		case *ast.ForStmt:
			if as, ok := l.Init.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
				for _, e := range as.Lhs {
					def(e)
				}
			}
		}
	}
	for _, obj := range read {
		if vars[obj] {
			return true
		}
	}
	return false
}
