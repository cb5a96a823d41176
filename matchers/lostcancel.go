package matchers

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/cfg"
	"golang.org/x/tools/go/types/typeutil"
)

// LostCancelFix is the Fix.Data of a lostcancel finding: the rewrite inserts
// `defer Name()` (or `defer Name(nil)` when NilCause) after Fix.Anchor.
type LostCancelFix struct {
	Name     string // the cancel variable, as written in the assignment
	NilCause bool   // the cancel func takes a cause (context.CancelCauseFunc)
}

// lostCancelFuncs are the context functions that return a cancel func as
// their second result.
var lostCancelFuncs = map[string]bool{
	"WithCancel":        true,
	"WithCancelCause":   true,
	"WithTimeout":       true,
	"WithTimeoutCause":  true,
	"WithDeadline":      true,
	"WithDeadlineCause": true,
}

// LostCancel finds the cancel func of context.WithCancel (and its Timeout,
// Deadline and Cause variants) not called on every path from the assignment
// to a return — the reference is vet's lostcancel, whose findings it
// includes. Where inserting `defer cancel()` right after the assignment
// keeps the program's behaviour, the finding carries that fix.
//
// A path "uses" cancel when it mentions the variable anywhere (a call, an
// escape into a field, a closure, a return...), as in vet, except in a blank
// assignment `_ = cancel`, which only silences the compiler (reported, but
// not fixed: it may say the context is meant to live on). The fix is
// withheld when cancel, the context or a value derived from it escapes the
// function (returned, stored, handed to a goroutine, captured by a function
// literal that is not called on the spot; for cancel also assigned to another
// variable or passed to a call), when the assignment is in no statement list
// (an if/switch init), and when it sits on a loop of its own function (a
// defer per iteration would pile up until the return).
func LostCancel(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil || !p.Imports("context") {
		return nil
	}
	lc := &lostCancel{pass: p}
	var out []Finding
	for cur := range p.Inspector.Root().Preorder((*ast.CallExpr)(nil)) {
		call := cur.Node().(*ast.CallExpr)
		fn := lcWithCancelFunc(p.Info, call)
		if fn == nil {
			continue
		}
		c, ok := lc.candidate(cur, fn)
		if !ok {
			continue
		}
		if c.id.Name == "_" {
			out = append(out, Finding{
				Pos: c.id.Pos(),
				End: c.id.End(),
				Message: fmt.Sprintf("the cancel function returned by context.%s should be called, not discarded, to avoid a context leak",
					fn.Name()),
				NoFix: "the cancel func is discarded: name it and call it (defer) where the context's work ends",
			})
			continue
		}
		if f, ok := lc.check(c); ok {
			out = append(out, f)
		}
	}
	return out
}

// lcWithCancelFunc returns the context.With* function call calls, or nil.
func lcWithCancelFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident: // dot import
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	default:
		return nil
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "context" || !lostCancelFuncs[fn.Name()] {
		return nil
	}
	if sig, ok := fn.Type().(*types.Signature); !ok || sig.Recv() != nil {
		return nil
	}
	return fn
}

// A lcAssign is one `ctx, cancel := context.WithX(...)`.
type lcAssign struct {
	stmt   ast.Node         // *ast.AssignStmt or *ast.ValueSpec (the CFG node)
	anchor ast.Stmt         // the statement holding stmt
	stmtC  inspector.Cursor // cursor of anchor
	ctx    ast.Expr         // left-hand side for the context
	id     *ast.Ident       // left-hand side for the cancel func
	fnC    inspector.Cursor // innermost enclosing FuncDecl or FuncLit
}

type lostCancel struct {
	pass  *Pass
	cfgs  map[ast.Node]*cfg.CFG                          // per function node
	index map[ast.Node]map[*types.Var][]inspector.Cursor // refIndex
	decls map[*types.Func]*ast.FuncDecl
	state map[*types.Func]int8 // 1 building, 2 may return, 3 never returns
}

// candidate recognises the assignment forms vet's lostcancel knows:
//
//	ctx, cancel    := context.WithCancel(...)
//	ctx, cancel     = context.WithCancel(...)
//	var ctx, cancel = context.WithCancel(...)
func (lc *lostCancel) candidate(callC inspector.Cursor, fn *types.Func) (lcAssign, bool) {
	var c lcAssign
	parent := callC.Parent()
	switch s := parent.Node().(type) {
	case *ast.AssignStmt:
		if len(s.Lhs) != 2 || len(s.Rhs) != 1 || callC.ParentEdgeKind() != edge.AssignStmt_Rhs {
			return c, false
		}
		id, ok := s.Lhs[1].(*ast.Ident)
		if !ok {
			return c, false // a field or element: stored, not ours to judge
		}
		c.stmt, c.anchor, c.stmtC, c.ctx, c.id = s, s, parent, s.Lhs[0], id
	case *ast.ValueSpec:
		if len(s.Names) != 2 || len(s.Values) != 1 || callC.ParentEdgeKind() != edge.ValueSpec_Values {
			return c, false
		}
		declC := parent.Parent().Parent() // ValueSpec → GenDecl → DeclStmt (or File)
		ds, ok := declC.Node().(*ast.DeclStmt)
		if !ok {
			return c, false // package-level var
		}
		c.stmt, c.anchor, c.stmtC, c.ctx, c.id = s, ds, declC, s.Names[0], s.Names[1]
	default:
		return c, false
	}
	for f := range parent.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		c.fnC = f
		return c, true
	}
	return c, false // package level
}

// check runs the path analysis for one named cancel variable and returns the
// finding, with its fix when the fix is safe.
func (lc *lostCancel) check(c lcAssign) (Finding, bool) {
	info := lc.pass.Info
	var ftype *ast.FuncType
	var body *ast.BlockStmt
	var sig *types.Signature
	switch fn := c.fnC.Node().(type) {
	case *ast.FuncDecl:
		ftype, body = fn.Type, fn.Body
		obj, _ := info.Defs[fn.Name].(*types.Func)
		if obj == nil {
			return Finding{}, false
		}
		sig, _ = obj.Type().(*types.Signature)
		if sig != nil && sig.Recv() == nil && fn.Name.Name == "main" && lc.pass.Pkg != nil && lc.pass.Pkg.Name() == "main" {
			// Returning from main.main ends the process (as in vet).
			return Finding{}, false
		}
	case *ast.FuncLit:
		ftype, body = fn.Type, fn.Body
		if tv, ok := info.Types[fn]; ok {
			sig, _ = tv.Type.(*types.Signature)
		}
	}
	if body == nil || sig == nil {
		return Finding{}, false
	}
	funcScope := info.Scopes[ftype]
	v, ok := info.Uses[c.id].(*types.Var)
	if ok {
		// Assigned, not declared, here: a variable of a wider scope may
		// have other uses (as in vet).
		if funcScope == nil || !funcScope.Contains(v.Pos()) {
			return Finding{}, false
		}
	} else if v, ok = info.Defs[c.id].(*types.Var); !ok {
		return Finding{}, false
	}

	refs := lc.refs(c.fnC, v)
	g := lc.cfg(c.fnC.Node(), body)
	lost, defblock := lostCancelPath(info, g, v, c.stmt, sig, refs.blank)
	if !lost {
		return Finding{}, false
	}
	fd := Finding{
		Pos:     c.id.Pos(),
		End:     c.id.End(),
		Message: fmt.Sprintf("the %s function is not used on all paths (possible context leak)", v.Name()),
	}
	fd.Fix, fd.NoFix = lc.fix(c, v, sig, funcScope, refs, defblock)
	return fd, true
}

// fix returns the fix for a lost cancel, or nil and the reason when
// inserting the defer could change behaviour or has no place to go.
func (lc *lostCancel) fix(c lcAssign, v *types.Var, sig *types.Signature, funcScope *types.Scope, refs lcRefs, defblock *cfg.Block) (*Fix, string) {
	if refs.escapes || lcTupleHas(sig.Results(), v) {
		return nil, "the cancel func is handed on (returned, stored, sent or passed) on some path: its new owner may call it"
	}
	if len(refs.blank) > 0 {
		return nil, "`_ = cancel` may mean the context is meant to outlive the function"
	}
	if lc.ctxEscapes(c, sig, funcScope) {
		return nil, "the context (or a value derived from it) outlives the function: a deferred cancel would cut it short"
	}
	nilCause := false
	fsig, ok := v.Type().Underlying().(*types.Signature)
	if !ok {
		return nil, "the cancel func has an unexpected type"
	}
	switch {
	case fsig.Params().Len() == 0:
	case fsig.Params().Len() == 1 && !fsig.Variadic():
		nilCause = true
	default:
		return nil, "the cancel func has an unexpected signature"
	}
	list := c.stmtC.Parent()
	switch list.Node().(type) {
	case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
	default:
		return nil, "the assignment is an if/switch/for init or labeled statement: no place to insert the defer"
	}
	if lcOnCycle(defblock) {
		return nil, "the assignment is in a loop: a defer per iteration would pile up until the function returns"
	}
	arg := ""
	if nilCause {
		arg = "nil"
	}
	return &Fix{
		Message: fmt.Sprintf("insert defer %s(%s) after the call", c.id.Name, arg),
		Anchor:  c.anchor,
		Lists:   []ast.Node{list.Node()},
		Nodes:   []ast.Node{c.id},
		Data:    LostCancelFix{Name: c.id.Name, NilCause: nilCause},
	}, ""
}

// lcRefs summarises the references to the cancel variable in its function.
type lcRefs struct {
	blank   map[*ast.Ident]bool // `_ = cancel`: not a use
	escapes bool                // some reference hands the func on
}

// refs classifies every reference to v inside the function at fnC.
func (lc *lostCancel) refs(fnC inspector.Cursor, v *types.Var) lcRefs {
	r := lcRefs{blank: map[*ast.Ident]bool{}}
	for _, idC := range lc.refIndex(fnC)[v] {
		n := idC
		for n.ParentEdgeKind() == edge.ParenExpr_X {
			n = n.Parent()
		}
		kind, idx := n.ParentEdge()
		switch kind {
		case edge.CallExpr_Fun: // cancel(...), defer cancel(), go cancel()
		case edge.AssignStmt_Lhs: // reassigned
		case edge.BinaryExpr_X, edge.BinaryExpr_Y:
			if op := n.Parent().Node().(*ast.BinaryExpr).Op; op != token.EQL && op != token.NEQ {
				r.escapes = true
			}
		case edge.AssignStmt_Rhs:
			as := n.Parent().Node().(*ast.AssignStmt)
			if as.Tok == token.ASSIGN && len(as.Lhs) == len(as.Rhs) && lcIsBlank(as.Lhs[idx]) {
				r.blank[idC.Node().(*ast.Ident)] = true
			} else {
				r.escapes = true // another variable now holds it
			}
		default:
			r.escapes = true // returned, stored, passed, converted...
		}
		if !r.escapes && lcCapturedBeyond(idC, fnC) {
			r.escapes = true
		}
	}
	return r
}

// ctxEscapes reports whether the context the assignment declares (its first
// left-hand side), or a value derived from it, may be used after the
// function returns; a deferred cancel would then cut it short.
//
// Values are followed inside the function: a local variable assigned from an
// expression that mentions a followed variable is followed too (a request
// built with the context, the response of that request...), unless its type
// cannot reach a context or its behaviour (see lcInert). A followed value
// escapes when it is returned, stored anywhere but in a local variable, sent
// on a channel, handed to a go statement, or mentioned in a function literal
// that is not called on the spot. Passing it as an argument to an ordinary
// call is its normal use and allowed (the callee is assumed not to keep it);
// a call whose result is inert ends the trail.
func (lc *lostCancel) ctxEscapes(c lcAssign, sig *types.Signature, funcScope *types.Scope) bool {
	if lcIsBlank(c.ctx) {
		return false
	}
	id, ok := c.ctx.(*ast.Ident)
	if !ok {
		return true // a field or element
	}
	info := lc.pass.Info
	v, ok := info.Defs[id].(*types.Var)
	if !ok {
		if v, ok = info.Uses[id].(*types.Var); !ok {
			return true
		}
	}
	local := func(v *types.Var) bool {
		return funcScope != nil && funcScope.Contains(v.Pos()) && !lcTupleHas(sig.Results(), v)
	}
	if !local(v) {
		return true
	}
	refs := lc.refIndex(c.fnC)
	followed := map[*types.Var]bool{v: true}
	queue := []*types.Var{v}
	// follow adds the variable an expression flows into; false: it escapes.
	follow := func(lhs ast.Expr) bool {
		if lcIsBlank(lhs) {
			return true
		}
		id, ok := ast.Unparen(lhs).(*ast.Ident)
		if !ok {
			return false // stored in a field, element or through a pointer
		}
		w, ok := info.Defs[id].(*types.Var)
		if !ok {
			if w, ok = info.Uses[id].(*types.Var); !ok {
				return false // e.g. the implicit variable of a type switch
			}
		}
		if !local(w) {
			return false
		}
		if !followed[w] && !lcInert(w.Type()) {
			followed[w] = true
			queue = append(queue, w)
		}
		return true
	}
	for len(queue) > 0 {
		if len(followed) > 64 {
			return true // too much to follow: be conservative
		}
		w := queue[0]
		queue = queue[1:]
		for _, refC := range refs[w] {
			if lcCapturedBeyond(refC, c.fnC) {
				return true
			}
			if !lc.flowStays(refC, follow) {
				return true
			}
		}
	}
	return false
}

// flowStays climbs from a reference through the expressions holding it to
// the statement that uses the value, and reports whether the value stays in
// the function (follow is called for local variables it is assigned to).
func (lc *lostCancel) flowStays(refC inspector.Cursor, follow func(ast.Expr) bool) bool {
	info := lc.pass.Info
	n := refC
	for {
		parent := n.Parent()
		kind, idx := n.ParentEdge()
		if kind == edge.CallExpr_Args || kind == edge.CallExpr_Fun {
			switch parent.ParentEdgeKind() {
			case edge.GoStmt_Call:
				return false // runs after the return, maybe
			case edge.DeferStmt_Call:
				return true // runs at the return, before the inserted defer
			}
		}
		if e, ok := parent.Node().(ast.Expr); ok {
			if tv, ok := info.Types[e]; ok && tv.Type != nil && lcInert(tv.Type) {
				return true // a bool, a number, an error...: the trail ends
			}
			n = parent
			continue
		}
		switch kind {
		case edge.ExprStmt_X, edge.AssignStmt_Lhs, edge.IncDecStmt_X,
			edge.IfStmt_Cond, edge.ForStmt_Cond, edge.SwitchStmt_Tag,
			edge.CaseClause_List, edge.SendStmt_Chan:
			return true
		case edge.AssignStmt_Rhs:
			as := parent.Node().(*ast.AssignStmt)
			if as.Tok != token.ASSIGN && as.Tok != token.DEFINE {
				return true // x += v: an arithmetic operand
			}
			if len(as.Lhs) == len(as.Rhs) {
				return follow(as.Lhs[idx])
			}
			for _, l := range as.Lhs {
				if !follow(l) {
					return false
				}
			}
			return true
		case edge.ValueSpec_Values:
			vs := parent.Node().(*ast.ValueSpec)
			if len(vs.Names) == len(vs.Values) {
				return follow(vs.Names[idx])
			}
			for _, name := range vs.Names {
				if !follow(name) {
					return false
				}
			}
			return true
		case edge.RangeStmt_X:
			rs := parent.Node().(*ast.RangeStmt)
			for _, e := range []ast.Expr{rs.Key, rs.Value} {
				if e != nil && !follow(e) {
					return false
				}
			}
			return true
		}
		// Returned (from the function or a literal in it), sent, or a
		// place not foreseen: treat as escaping.
		return false
	}
}

// lcInert reports whether a value of type t cannot carry a context or
// anything cancelling it affects: basic types, error, and slices, arrays,
// pointers, maps and structs made only of those. Interfaces (but error),
// channels and functions are not inert.
func lcInert(t types.Type) bool {
	return lcInertRec(t, map[types.Type]bool{})
}

var lcErrorType = types.Universe.Lookup("error").Type()

func lcInertRec(t types.Type, seen map[types.Type]bool) bool {
	if tup, ok := t.(*types.Tuple); ok {
		for i := range tup.Len() {
			if !lcInertRec(tup.At(i).Type(), seen) {
				return false
			}
		}
		return true
	}
	if types.Identical(t, lcErrorType) {
		return true
	}
	if seen[t] {
		return true // a recursive type: inert unless something else says not
	}
	seen[t] = true
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return true
	case *types.Pointer:
		return lcInertRec(u.Elem(), seen)
	case *types.Slice:
		return lcInertRec(u.Elem(), seen)
	case *types.Array:
		return lcInertRec(u.Elem(), seen)
	case *types.Map:
		return lcInertRec(u.Key(), seen) && lcInertRec(u.Elem(), seen)
	case *types.Struct:
		for i := range u.NumFields() {
			if !lcInertRec(u.Field(i).Type(), seen) {
				return false
			}
		}
		return true
	}
	return false // interface, chan, func, type parameter
}

// refIndex returns the references (uses) of every variable in the function
// at fnC, nested function literals included, built once per function.
func (lc *lostCancel) refIndex(fnC inspector.Cursor) map[*types.Var][]inspector.Cursor {
	if r, ok := lc.index[fnC.Node()]; ok {
		return r
	}
	r := map[*types.Var][]inspector.Cursor{}
	for idC := range fnC.Preorder((*ast.Ident)(nil)) {
		if v, ok := lc.pass.Info.Uses[idC.Node().(*ast.Ident)].(*types.Var); ok {
			r[v] = append(r[v], idC)
		}
	}
	if lc.index == nil {
		lc.index = map[ast.Node]map[*types.Var][]inspector.Cursor{}
	}
	lc.index[fnC.Node()] = r
	return r
}

// lcCapturedBeyond reports whether ref sits in a function literal (nested in
// fn) that may run after fn returns: one that is not called on the spot, or
// is called by a go statement. `func() {...}()` and `defer func() {...}()`
// run before fn returns.
func lcCapturedBeyond(ref, fn inspector.Cursor) bool {
	for litC := range ref.Enclosing((*ast.FuncLit)(nil), (*ast.FuncDecl)(nil)) {
		if litC == fn {
			return false
		}
		if _, ok := litC.Node().(*ast.FuncDecl); ok {
			return true // cannot happen: fn encloses ref
		}
		n := litC
		for n.ParentEdgeKind() == edge.ParenExpr_X {
			n = n.Parent()
		}
		if n.ParentEdgeKind() != edge.CallExpr_Fun || n.Parent().ParentEdgeKind() == edge.GoStmt_Call {
			return true
		}
	}
	return false
}

// cfg returns the control-flow graph of the function node, built once.
func (lc *lostCancel) cfg(fn ast.Node, body *ast.BlockStmt) *cfg.CFG {
	if g, ok := lc.cfgs[fn]; ok {
		return g
	}
	if lc.cfgs == nil {
		lc.cfgs = map[ast.Node]*cfg.CFG{}
	}
	g := cfg.New(body, lc.mayReturn)
	lc.cfgs[fn] = g
	return g
}

var lcPanicBuiltin = types.Universe.Lookup("panic")

// lcNoReturnFuncs never return (by FullName), as vet's ctrlflow knows them
// (directly or through the facts it derives for the standard library).
var lcNoReturnFuncs = map[string]bool{
	"os.Exit":                                 true,
	"syscall.Exit":                            true,
	"runtime.Goexit":                          true,
	"log.Fatal":                               true,
	"log.Fatalf":                              true,
	"log.Fatalln":                             true,
	"log.Panic":                               true,
	"log.Panicf":                              true,
	"log.Panicln":                             true,
	"(*log.Logger).Fatal":                     true,
	"(*log.Logger).Fatalf":                    true,
	"(*log.Logger).Fatalln":                   true,
	"(*log.Logger).Panic":                     true,
	"(*log.Logger).Panicf":                    true,
	"(*log.Logger).Panicln":                   true,
	"(*testing.common).FailNow":               true,
	"(*testing.common).Fatal":                 true,
	"(*testing.common).Fatalf":                true,
	"(*testing.common).SkipNow":               true,
	"(*testing.common).Skip":                  true,
	"(*testing.common).Skipf":                 true,
	"(*go.uber.org/zap.Logger).Fatal":         true,
	"(*go.uber.org/zap.Logger).Panic":         true,
	"(*go.uber.org/zap.SugaredLogger).Fatal":  true,
	"(*go.uber.org/zap.SugaredLogger).Fatalf": true,
	"(*go.uber.org/zap.SugaredLogger).Fatalw": true,
	"(*go.uber.org/zap.SugaredLogger).Panic":  true,
	"(*go.uber.org/zap.SugaredLogger).Panicf": true,
	"(*go.uber.org/zap.SugaredLogger).Panicw": true,
	"k8s.io/klog.Fatal":                       true,
	"k8s.io/klog.Fatalf":                      true,
	"k8s.io/klog.Fatalln":                     true,
	"k8s.io/klog.Exit":                        true,
	"k8s.io/klog.Exitf":                       true,
	"k8s.io/klog.Exitln":                      true,
	"k8s.io/klog/v2.Fatal":                    true,
	"k8s.io/klog/v2.Fatalf":                   true,
	"k8s.io/klog/v2.Fatalln":                  true,
	"k8s.io/klog/v2.Exit":                     true,
	"k8s.io/klog/v2.Exitf":                    true,
	"k8s.io/klog/v2.Exitln":                   true,
}

// mayReturn reports whether a call may return, for the CFG builder: not
// for panic, the functions above, and functions of this package whose body
// has no reachable return (computed on demand, as vet's ctrlflow does).
// Anything else may return — more paths, so at least vet's findings.
func (lc *lostCancel) mayReturn(call *ast.CallExpr) bool {
	info := lc.pass.Info
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && info.Uses[id] == lcPanicBuiltin {
		return false
	}
	fn := typeutil.StaticCallee(info, call)
	if fn == nil {
		return true
	}
	fn = fn.Origin()
	if lcNoReturnFuncs[fn.FullName()] {
		return false
	}
	if fn.Pkg() == nil || fn.Pkg() != lc.pass.Pkg {
		return true
	}
	if lc.state == nil {
		lc.state = map[*types.Func]int8{}
		lc.decls = map[*types.Func]*ast.FuncDecl{}
		for _, f := range lc.pass.Files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
					if obj, ok := info.Defs[fd.Name].(*types.Func); ok {
						lc.decls[obj] = fd
					}
				}
			}
		}
	}
	switch lc.state[fn] {
	case 1, 2: // being built (a cycle: assume it returns), or returns
		return true
	case 3:
		return false
	}
	fd := lc.decls[fn]
	if fd == nil {
		return true
	}
	lc.state[fn] = 1
	g := cfg.New(fd.Body, lc.mayReturn)
	if g.NoReturn() {
		lc.state[fn] = 3
		return false
	}
	lc.state[fn] = 2
	return true
}

// lostCancelPath reports whether there is a path through g from stmt (which
// assigns the cancel variable v) to a return that does not use v, and
// returns stmt's block. It follows vet's lostcancel; blank holds the
// references that do not count as uses.
func lostCancelPath(info *types.Info, g *cfg.CFG, v *types.Var, stmt ast.Node, sig *types.Signature, blank map[*ast.Ident]bool) (bool, *cfg.Block) {
	vIsNamedResult := lcTupleHas(sig.Results(), v)

	uses := func(stmts []ast.Node) bool {
		found := false
		for _, stmt := range stmts {
			ast.Inspect(stmt, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Ident:
					if info.Uses[n] == v && !blank[n] {
						found = true
					}
				case *ast.ReturnStmt:
					// A naked return uses the named results.
					if n.Results == nil && vIsNamedResult {
						found = true
					}
				}
				return !found
			})
			if found {
				break
			}
		}
		return found
	}

	var defblock *cfg.Block
	var rest []ast.Node
outer:
	for _, b := range g.Blocks {
		for i, n := range b.Nodes {
			if n == stmt {
				defblock = b
				rest = b.Nodes[i+1:]
				break outer
			}
		}
	}
	if defblock == nil {
		return false, nil // not in the graph: say nothing
	}
	if uses(rest) {
		return false, defblock
	}
	if defblock.Return() != nil {
		return true, defblock
	}

	memo := map[*cfg.Block]bool{}
	blockUses := func(b *cfg.Block) bool {
		res, ok := memo[b]
		if !ok {
			res = uses(b.Nodes)
			memo[b] = res
		}
		return res
	}
	seen := map[*cfg.Block]bool{}
	var search func(blocks []*cfg.Block) bool
	search = func(blocks []*cfg.Block) bool {
		for _, b := range blocks {
			if seen[b] {
				continue
			}
			seen[b] = true
			if blockUses(b) {
				continue
			}
			if b.Return() != nil {
				return true
			}
			if search(b.Succs) {
				return true
			}
		}
		return false
	}
	return search(defblock.Succs), defblock
}

// lcOnCycle reports whether b can be reached again from itself: its
// statements run once per iteration of a loop (for, range or goto).
func lcOnCycle(b *cfg.Block) bool {
	seen := map[*cfg.Block]bool{}
	stack := append([]*cfg.Block(nil), b.Succs...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == b {
			return true
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, n.Succs...)
	}
	return false
}

func lcTupleHas(t *types.Tuple, v *types.Var) bool {
	for i := range t.Len() {
		if t.At(i) == v {
			return true
		}
	}
	return false
}

func lcIsBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}
