package matchers

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
)

// This file holds what select-ctx-done and goroutine-no-exit share: which
// context variable is in scope at a point, which channel operations block,
// whether a loop can be left, and the description of the fix both rules
// make (a blocking operation wrapped in a select with <-ctx.Done(), or a
// case <-ctx.Done() added to a select), which rewrites.CtxDone carries out.

// CtxDoneFix is the Fix.Data of select-ctx-done and goroutine-no-exit.
type CtxDoneFix struct {
	Ctx    string      // the context variable, resolved at every operation
	Ops    []CtxDoneOp // the operations to guard
	Return []ZeroValue // the results of the return in the ctx.Done() case
	// CaseBody, when not empty, are indexes into Fix.Nodes of the
	// statements of the function's own <-ctx.Done() case, copied as the
	// new cases' body instead of the synthesized return.
	CaseBody []int
}

// CtxDoneOpKind says how one operation is guarded.
type CtxDoneOpKind int

const (
	// WrapInSelect replaces a send or receive statement by
	// select { case <op>: case <-ctx.Done(): return … }.
	WrapInSelect CtxDoneOpKind = iota
	// AddDoneCase appends case <-ctx.Done(): return … to a select.
	AddDoneCase
)

// CtxDoneOp is one operation of a CtxDoneFix.
type CtxDoneOp struct {
	Kind CtxDoneOpKind
	Node int // index into Fix.Nodes: the statement (WrapInSelect) or the *ast.SelectStmt
	// Decls are the variables a `v := <-ch` declared: the rewrite declares
	// them (var v T) before the select and the case assigns them.
	Decls []VarDecl
}

// VarDecl is a variable a fix declares with an explicit type.
type VarDecl struct {
	Name string
	Type types.Type
}

// ZeroValue is one result of the return in a ctx.Done() case.
type ZeroValue struct {
	Lit      string // "0", `""`, "false" or "nil"; empty for the forms below
	TypeNode int    // index into Fix.Nodes of the result's type expression, or -1
	Deref    bool   // *new(T) (a type parameter) instead of T{}
	CtxErr   bool   // ctx.Err()
}

// ctxEnv is what the context rules know about one file.
type ctxEnv struct {
	p         *Pass
	ctxType   types.Type // context.Context, or nil when unreachable
	mayReturn func(*ast.CallExpr) bool
	chans     map[*types.Var]*chanFacts // chan-leak facts, computed on demand
}

func newCtxEnv(p *Pass) *ctxEnv {
	e := &ctxEnv{p: p, ctxType: contextType(p.Pkg)}
	lc := &lostCancel{pass: p}
	e.mayReturn = lc.mayReturn
	return e
}

// contextType returns context.Context as pkg's types see it: the package
// "context" among pkg's imports, direct or not (a package can hold a
// context without importing context: r.Context(), an alias of another
// package), or nil.
func contextType(pkg *types.Package) types.Type {
	if pkg == nil {
		return nil
	}
	seen := map[*types.Package]bool{}
	var find func(*types.Package) *types.Package
	find = func(p *types.Package) *types.Package {
		if seen[p] {
			return nil
		}
		seen[p] = true
		if p.Path() == "context" {
			return p
		}
		for _, q := range p.Imports() {
			if c := find(q); c != nil {
				return c
			}
		}
		return nil
	}
	var ctx *types.Package
	if pkg.Path() == "context" {
		ctx = pkg
	} else {
		for _, q := range pkg.Imports() {
			if ctx = find(q); ctx != nil {
				break
			}
		}
	}
	if ctx == nil {
		return nil
	}
	tn, ok := ctx.Scope().Lookup("Context").(*types.TypeName)
	if !ok {
		return nil
	}
	return tn.Type()
}

// isContext reports whether t is context.Context (through aliases).
func (e *ctxEnv) isContext(t types.Type) bool {
	return e.ctxType != nil && t != nil && types.Identical(t, e.ctxType)
}

// implementsContext reports whether t is or implements context.Context.
func (e *ctxEnv) implementsContext(t types.Type) bool {
	if e.ctxType == nil || t == nil {
		return false
	}
	if e.isContext(t) {
		return true
	}
	iface, ok := e.ctxType.Underlying().(*types.Interface)
	return ok && types.Implements(t, iface)
}

// ctxInScope is the answer to "which context can a fix use here".
type ctxInScope struct {
	v     *types.Var // the one context; nil when none or ambiguous
	names []string   // every candidate of the innermost scope that has one
}

func (c ctxInScope) none() bool      { return len(c.names) == 0 }
func (c ctxInScope) ambiguous() bool { return len(c.names) > 1 }

// ctxAt finds the context variables visible at pos inside a function:
// local variables and parameters (not package variables) whose type is
// context.Context, not shadowed at pos. Variables that may hold a nil
// context are left out: named results and `var ctx context.Context`
// without a value. Of several, the innermost scope wins; two or more in
// that scope are ambiguous.
func (e *ctxEnv) ctxAt(pos token.Pos) ctxInScope {
	var out ctxInScope
	if e.ctxType == nil {
		return out
	}
	scope := e.p.ScopeAt(pos)
	pkgScope := e.p.Pkg.Scope()
	for s := scope; s != nil && s != pkgScope && s != types.Universe; s = s.Parent() {
		var found []*types.Var
		for _, name := range s.Names() {
			v, ok := s.Lookup(name).(*types.Var)
			if !ok || v.IsField() || !e.isContext(v.Type()) {
				continue
			}
			if _, obj := scope.LookupParent(name, pos); obj != v {
				continue // declared after pos, or shadowed at pos
			}
			if e.maybeNilCtx(v) {
				continue
			}
			found = append(found, v)
		}
		if len(found) > 0 {
			sort.Slice(found, func(i, j int) bool { return found[i].Pos() < found[j].Pos() })
			for _, v := range found {
				out.names = append(out.names, v.Name())
			}
			out.v = e.mostDerived(found)
			if out.v != nil {
				out.names = []string{out.v.Name()}
			}
			return out
		}
	}
	return out
}

// mostDerived returns the one candidate that is derived from every other
// one (ctx, cancel := context.WithCancel(parent): ctx is done whenever
// parent is, so watching ctx watches both), or nil.
func (e *ctxEnv) mostDerived(cands []*types.Var) *types.Var {
	if len(cands) == 1 {
		return cands[0]
	}
	from := map[*types.Var]map[*types.Var]bool{} // v → the candidates its value mentions
	for _, v := range cands {
		rhs := e.definingValue(v)
		if rhs == nil {
			continue
		}
		m := map[*types.Var]bool{}
		ast.Inspect(rhs, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if u, ok := e.p.Info.Uses[id].(*types.Var); ok {
					m[u] = true
				}
			}
			return true
		})
		from[v] = m
	}
	var derives func(v, u *types.Var, depth int) bool
	derives = func(v, u *types.Var, depth int) bool {
		if depth > len(cands) {
			return false
		}
		for w := range from[v] {
			if w == u || derives(w, u, depth+1) {
				return true
			}
		}
		return false
	}
	var best *types.Var
	for _, v := range cands {
		all := true
		for _, u := range cands {
			if u != v && !derives(v, u, 0) {
				all = false
				break
			}
		}
		if all {
			if best != nil {
				return nil
			}
			best = v
		}
	}
	return best
}

// definingValue returns the expression that declares v's value (the
// right-hand side of its := or var declaration), or nil.
func (e *ctxEnv) definingValue(v *types.Var) ast.Expr {
	path, _ := astutil.PathEnclosingInterval(e.p.File, v.Pos(), v.Pos())
	if len(path) < 2 {
		return nil
	}
	id, ok := path[0].(*ast.Ident)
	if !ok {
		return nil
	}
	switch s := path[1].(type) {
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			return s.Rhs[0]
		}
		for i, l := range s.Lhs {
			if l == id && i < len(s.Rhs) {
				return s.Rhs[i]
			}
		}
	case *ast.ValueSpec:
		if len(s.Values) == 1 {
			return s.Values[0]
		}
		for i, n := range s.Names {
			if n == id && i < len(s.Values) {
				return s.Values[i]
			}
		}
	}
	return nil
}

// maybeNilCtx reports whether v is a named result or declared by
// `var v context.Context` without a value: it may be nil when used.
func (e *ctxEnv) maybeNilCtx(v *types.Var) bool {
	path, _ := astutil.PathEnclosingInterval(e.p.File, v.Pos(), v.Pos())
	if len(path) < 2 {
		return true // not in this file: be careful
	}
	switch parent := path[1].(type) {
	case *ast.ValueSpec:
		return len(parent.Values) == 0
	case *ast.Field:
		if len(path) >= 4 {
			if ft, ok := path[3].(*ast.FuncType); ok && ft.Results != nil && path[2] == ast.Node(ft.Results) {
				return true
			}
		}
	}
	return false
}

// isCtxDone reports whether e is a call x.Done() of a value that implements
// context.Context.
func (e *ctxEnv) isCtxDone(x ast.Expr) bool {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok || len(call.Args) != 0 {
		return false
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Done" {
		return false
	}
	s := e.p.Info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal {
		return false
	}
	return e.implementsContext(s.Recv())
}

// isSignalChan reports whether ch's element type is struct{}: a channel
// that only signals (a done, quit or stop channel, a context's Done).
func (e *ctxEnv) isSignalChan(ch ast.Expr) bool {
	t := e.p.Info.TypeOf(ch)
	if t == nil {
		return false
	}
	c, ok := t.Underlying().(*types.Chan)
	if !ok {
		return false
	}
	st, ok := c.Elem().Underlying().(*types.Struct)
	return ok && st.NumFields() == 0
}

// isTimerChan reports whether ch is a channel of package time that always
// delivers: time.After(d), time.Tick(d), or the C field of a time.Timer or
// time.Ticker.
func (e *ctxEnv) isTimerChan(ch ast.Expr) bool {
	switch x := ast.Unparen(ch).(type) {
	case *ast.CallExpr:
		var id *ast.Ident
		switch fun := ast.Unparen(x.Fun).(type) {
		case *ast.Ident:
			id = fun
		case *ast.SelectorExpr:
			id = fun.Sel
		default:
			return false
		}
		fn, ok := e.p.Info.Uses[id].(*types.Func)
		return ok && fn.Pkg() != nil && fn.Pkg().Path() == "time" && (fn.Name() == "After" || fn.Name() == "Tick")
	case *ast.SelectorExpr:
		s := e.p.Info.Selections[x]
		if s == nil || s.Kind() != types.FieldVal || x.Sel.Name != "C" {
			return false
		}
		f := s.Obj()
		return f.Pkg() != nil && f.Pkg().Path() == "time"
	}
	return false
}

// funcOf returns the innermost function (FuncDecl or FuncLit) around c, and
// whether it is a function literal started by a go statement.
func funcOf(c inspector.Cursor) (inspector.Cursor, bool) {
	for f := range c.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		if f == c {
			continue
		}
		_, lit := f.Node().(*ast.FuncLit)
		return f, lit && startedByGo(f)
	}
	return inspector.Cursor{}, false
}

// loopOf returns the innermost for or range loop around c inside fn, or an
// invalid cursor.
func loopOf(c, fn inspector.Cursor) (inspector.Cursor, bool) {
	for l := range c.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		if l == c {
			continue
		}
		switch l.Node().(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return inspector.Cursor{}, false
		}
		if l.Node() == fn.Node() {
			return inspector.Cursor{}, false
		}
		return l, true
	}
	return inspector.Cursor{}, false
}

// funcParts returns a function node's type and body.
func funcParts(n ast.Node) (*ast.FuncType, *ast.BlockStmt) {
	switch f := n.(type) {
	case *ast.FuncDecl:
		return f.Type, f.Body
	case *ast.FuncLit:
		return f.Type, f.Body
	}
	return nil, nil
}

// leavesLoop reports whether running stmts (inside loop, with depth
// breakable statements between them and the loop) can leave the loop: a
// return, a goto, a break or continue that targets the loop or a statement
// around it, or a call that does not return (panic, os.Exit, log.Fatal,
// runtime.Goexit…). It returns the position of the first such statement.
// Function literals are not entered.
func (e *ctxEnv) leavesLoop(loopC inspector.Cursor, stmts []ast.Stmt, depth int) (bool, token.Pos) {
	loop := loopC.Node()
	var loopLabel string
	if ls, ok := loopC.Parent().Node().(*ast.LabeledStmt); ok {
		loopLabel = ls.Label.Name
	}
	inner := map[string]bool{} // labels declared inside the loop
	ast.Inspect(loop, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.LabeledStmt:
			inner[n.Label.Name] = true
		}
		return true
	})
	var pos token.Pos
	var walk func(n ast.Node, depth int) bool
	walk = func(n ast.Node, depth int) bool {
		found := false
		ast.Inspect(n, func(n ast.Node) bool {
			if found || n == nil {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				found, pos = true, n.Pos()
			case *ast.BranchStmt:
				switch n.Tok {
				case token.GOTO:
					found, pos = true, n.Pos()
				case token.BREAK:
					if n.Label != nil {
						if !inner[n.Label.Name] || n.Label.Name == loopLabel {
							found, pos = true, n.Pos()
						}
					} else if depth == 0 {
						found, pos = true, n.Pos()
					}
				case token.CONTINUE:
					if n.Label != nil && n.Label.Name != loopLabel && !inner[n.Label.Name] {
						found, pos = true, n.Pos()
					}
				}
			case *ast.ExprStmt:
				if call, ok := ast.Unparen(n.X).(*ast.CallExpr); ok && !e.mayReturn(call) {
					found, pos = true, n.Pos()
				}
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				// Children run one breakable level deeper.
				for _, c := range childStmts(n) {
					if walk(c, depth+1) {
						found = true
						return false
					}
				}
				for _, c := range headerNodes(n) {
					if walk(c, depth) {
						found = true
						return false
					}
				}
				return false
			}
			return !found
		})
		return found
	}
	for _, s := range stmts {
		if walk(s, depth) {
			return true, pos
		}
	}
	return false, token.NoPos
}

// childStmts returns the bodies of a breakable statement.
func childStmts(n ast.Node) []ast.Node {
	switch n := n.(type) {
	case *ast.ForStmt:
		return []ast.Node{n.Body}
	case *ast.RangeStmt:
		return []ast.Node{n.Body}
	case *ast.SwitchStmt:
		return []ast.Node{n.Body}
	case *ast.TypeSwitchStmt:
		return []ast.Node{n.Body}
	case *ast.SelectStmt:
		return []ast.Node{n.Body}
	}
	return nil
}

// headerNodes returns the parts of a breakable statement outside its body.
func headerNodes(n ast.Node) []ast.Node {
	var out []ast.Node
	add := func(x ast.Node) {
		if x != nil {
			out = append(out, x)
		}
	}
	switch n := n.(type) {
	case *ast.ForStmt:
		add(n.Init)
		add(n.Cond)
		add(n.Post)
	case *ast.RangeStmt:
		add(n.X)
	case *ast.SwitchStmt:
		add(n.Init)
		add(n.Tag)
	case *ast.TypeSwitchStmt:
		add(n.Init)
		add(n.Assign)
	}
	return out
}

// isForever reports whether a for statement has no condition (or a
// constant true one).
func (e *ctxEnv) isForever(f *ast.ForStmt) bool {
	if f.Cond == nil {
		return true
	}
	tv, ok := e.p.Info.Types[f.Cond]
	return ok && tv.Value != nil && tv.Value.Kind() == constant.Bool && constant.BoolVal(tv.Value)
}

// opKind is the kind of a blocking channel operation.
type opKind int

const (
	opSend opKind = iota
	opRecv
	opSelect
)

// chanOp is one blocking channel operation: a send statement, a receive
// (in statement form — `<-ch`, `v := <-ch`, `v, ok = <-ch` — or inside
// another expression), or a select statement.
type chanOp struct {
	kind  opKind
	node  ast.Node // the *ast.SendStmt, *ast.UnaryExpr or *ast.SelectStmt
	c     inspector.Cursor
	stmt  ast.Stmt // the statement the fix replaces; nil when the receive is inside another expression
	stmtC inspector.Cursor
	ch    ast.Expr // the channel (send, receive)
}

// recvStmt returns the statement a receive is the whole right-hand side or
// expression of — `<-ch`, `v := <-ch`, `v, ok = <-ch` —, or nil. The
// second result reports whether the receive is the comm of a select case.
func recvStmt(uc inspector.Cursor) (inspector.Cursor, bool) {
	n := uc
	for n.ParentEdgeKind() == edge.ParenExpr_X {
		n = n.Parent()
	}
	p := n.Parent()
	switch n.ParentEdgeKind() {
	case edge.ExprStmt_X:
	case edge.AssignStmt_Rhs:
		s := p.Node().(*ast.AssignStmt)
		if len(s.Rhs) != 1 || (s.Tok != token.DEFINE && s.Tok != token.ASSIGN) || len(s.Lhs) > 2 {
			return inspector.Cursor{}, false
		}
	default:
		return inspector.Cursor{}, false
	}
	return p, p.ParentEdgeKind() == edge.CommClause_Comm
}

// inStmtList reports whether the statement at c sits directly in a
// statement list (a block, a case or a select case body).
func inStmtList(c inspector.Cursor) bool {
	switch c.Parent().Node().(type) {
	case *ast.BlockStmt, *ast.CaseClause:
		return true
	case *ast.CommClause:
		return c.ParentEdgeKind() == edge.CommClause_Body
	}
	return false
}

// opFix is the guarded form of one operation, or why there is none.
type opFix struct {
	op     CtxDoneOp
	nodes  []ast.Node // the statement or select (Node indexes into the fix's Nodes)
	lists  []ast.Node // statement lists the rewrite edits
	reason string     // non-empty: no fix
}

// guard describes how to guard op with ctx, given the fix's nodes so far.
func (e *ctxEnv) guard(op chanOp, ctx *types.Var, base int) opFix {
	if e.chanNameClash(op, ctx) {
		return opFix{reason: "the context's name means something else at the operation"}
	}
	switch op.kind {
	case opSelect:
		sel := op.node.(*ast.SelectStmt)
		return opFix{
			op:    CtxDoneOp{Kind: AddDoneCase, Node: base},
			nodes: []ast.Node{sel},
			lists: []ast.Node{sel.Body},
		}
	case opSend, opRecv:
		if op.stmt == nil {
			return opFix{reason: "the receive is part of a larger expression: it cannot become a select case on its own"}
		}
		if !inStmtList(op.stmtC) {
			return opFix{reason: "the operation is an if/switch/for init or a labeled statement: no statement list to put the select in"}
		}
		list := op.stmtC.Parent().Node()
		f := opFix{
			op:    CtxDoneOp{Kind: WrapInSelect, Node: base},
			nodes: []ast.Node{op.stmt},
			lists: []ast.Node{list},
		}
		if as, ok := op.stmt.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			decls, reason := e.defineDecls(as, op)
			if reason != "" {
				return opFix{reason: reason}
			}
			f.op.Decls = decls
		}
		return f
	}
	return opFix{reason: "unknown operation"}
}

// chanNameClash reports whether ctx's name does not resolve to ctx at the
// operation (it always does for ops found by ctxAt, but goroutine-no-exit
// checks every op of a loop against one variable).
func (e *ctxEnv) chanNameClash(op chanOp, ctx *types.Var) bool {
	_, obj := e.p.ScopeAt(op.node.Pos()).LookupParent(ctx.Name(), op.node.Pos())
	return obj != ctx
}

// defineDecls returns the variables `v, ok := <-ch` declares, with their
// types, when the rewrite can declare them before the select: every type
// can be written at that point, and the channel expression does not
// mention a name being declared.
func (e *ctxEnv) defineDecls(as *ast.AssignStmt, op chanOp) ([]VarDecl, string) {
	info := e.p.Info
	var decls []VarDecl
	newNames := map[string]bool{}
	for _, l := range as.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok {
			return nil, "unexpected left-hand side"
		}
		if id.Name == "_" {
			continue
		}
		v, ok := info.Defs[id].(*types.Var)
		if !ok {
			continue // redeclared: assigned
		}
		if !e.typeWritable(v.Type(), op.stmt.Pos()) {
			return nil, "the type of " + id.Name + " cannot be written at the receive (unexported, shadowed, or not expressible), so it cannot be declared before the select"
		}
		decls = append(decls, VarDecl{Name: id.Name, Type: v.Type()})
		newNames[id.Name] = true
	}
	mentions := false
	ast.Inspect(as.Rhs[0], func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && newNames[id.Name] {
			mentions = true
		}
		return !mentions
	})
	if mentions {
		return nil, "the channel expression mentions a name the statement declares: declaring it first would change what is received from"
	}
	return decls, ""
}

// typeWritable reports whether the rewrite can write t at pos (see
// rewrites.TypeExpr): predeclared types, types of this package, exported
// types of packages the file imports by a visible name, type parameters,
// and pointers, slices, arrays, maps and channels of those, the empty
// interface and struct{} — each name meaning the same object at pos.
func (e *ctxEnv) typeWritable(t types.Type, pos token.Pos) bool {
	scope := e.p.ScopeAt(pos)
	resolves := func(name string, obj types.Object) bool {
		_, o := scope.LookupParent(name, pos)
		return o == obj
	}
	var ok func(t types.Type, depth int) bool
	ok = func(t types.Type, depth int) bool {
		if depth > 8 {
			return false
		}
		switch t := t.(type) {
		case *types.Basic:
			if t.Kind() == types.UnsafePointer || t.Info()&types.IsUntyped != 0 {
				return false
			}
			return resolves(t.Name(), types.Universe.Lookup(t.Name()))
		case *types.Alias, *types.Named:
			var obj *types.TypeName
			var targs *types.TypeList
			switch t := t.(type) {
			case *types.Alias:
				obj, targs = t.Obj(), t.TypeArgs()
			case *types.Named:
				obj, targs = t.Obj(), t.TypeArgs()
			}
			if obj.Parent() != nil && obj.Parent() != obj.Pkg().Scope() && obj.Pkg() != nil {
				if !resolves(obj.Name(), obj) {
					return false // a local type: only if visible here
				}
			} else if obj.Pkg() == nil {
				if !resolves(obj.Name(), obj) { // error, comparable
					return false
				}
			} else if obj.Pkg() == e.p.Pkg {
				if !resolves(obj.Name(), obj) {
					return false
				}
			} else {
				if !obj.Exported() || !e.fileImports(obj.Pkg().Path()) || !e.p.CanQualify(pos, obj.Pkg().Path(), obj.Pkg().Name()) {
					return false
				}
			}
			if targs != nil {
				for a := range targs.Types() {
					if !ok(a, depth+1) {
						return false
					}
				}
			}
			return true
		case *types.TypeParam:
			return resolves(t.Obj().Name(), t.Obj())
		case *types.Pointer:
			return ok(t.Elem(), depth+1)
		case *types.Slice:
			return ok(t.Elem(), depth+1)
		case *types.Array:
			return ok(t.Elem(), depth+1)
		case *types.Map:
			return ok(t.Key(), depth+1) && ok(t.Elem(), depth+1)
		case *types.Chan:
			return ok(t.Elem(), depth+1)
		case *types.Interface:
			return t.Empty() && !t.IsImplicit() && e.emptyIfaceName(pos) != ""
		case *types.Struct:
			return t.NumFields() == 0
		}
		return false
	}
	return ok(t, 0)
}

// emptyIfaceName is how the rewrite writes interface{} at pos: "any" when
// the file's Go version has it and the name means the predeclared alias,
// "interface{}" otherwise.
func (e *ctxEnv) emptyIfaceName(pos token.Pos) string {
	return EmptyInterfaceName(e.p, pos)
}

// EmptyInterfaceName is how a fix writes the empty interface at pos: "any"
// from Go 1.18 on when the name is not shadowed there, else "interface{}".
func EmptyInterfaceName(p *Pass, pos token.Pos) string {
	if p.AtLeast("go1.18") {
		if _, obj := p.ScopeAt(pos).LookupParent("any", pos); obj == types.Universe.Lookup("any") {
			return "any"
		}
	}
	return "interface{}"
}

// fileImports reports whether the pass's file imports path (under any name
// but _ and .).
func (e *ctxEnv) fileImports(path string) bool {
	for _, spec := range e.p.File.Imports {
		if spec.Path.Value == fmt.Sprintf("%q", path) {
			return spec.Name == nil || (spec.Name.Name != "_" && spec.Name.Name != ".")
		}
	}
	return false
}

// ctxReturn describes the return statement of a ctx.Done() case inside the
// function fn, at pos: a bare return when fn has no results; the zero
// values and ctx.Err() when its last result is an error; nothing (with a
// reason) otherwise. The type expressions it needs are appended to nodes.
func (e *ctxEnv) ctxReturn(fn ast.Node, pos token.Pos, nodes *[]ast.Node) ([]ZeroValue, string) {
	ft, _ := funcParts(fn)
	if ft == nil {
		return nil, "no function"
	}
	if ft.Results == nil || len(ft.Results.List) == 0 {
		return nil, ""
	}
	var types_ []ast.Expr
	for _, f := range ft.Results.List {
		n := len(f.Names)
		if n == 0 {
			n = 1
		}
		for range n {
			types_ = append(types_, f.Type)
		}
	}
	info := e.p.Info
	last := info.TypeOf(types_[len(types_)-1])
	if last == nil || !types.Identical(last, types.Universe.Lookup("error").Type()) {
		return nil, "the function's last result is not an error: returning zero values would hide the cancellation from the caller"
	}
	scope := e.p.ScopeAt(pos)
	universe := func(name string) bool {
		_, o := scope.LookupParent(name, pos)
		return o == types.Universe.Lookup(name)
	}
	var out []ZeroValue
	for _, te := range types_[:len(types_)-1] {
		t := info.TypeOf(te)
		if t == nil {
			return nil, "unknown result type"
		}
		z := ZeroValue{TypeNode: -1}
		switch u := t.Underlying().(type) {
		case *types.Basic:
			switch {
			case u.Info()&types.IsNumeric != 0:
				z.Lit = "0"
			case u.Info()&types.IsString != 0:
				z.Lit = `""`
			case u.Info()&types.IsBoolean != 0:
				z.Lit = "false"
			case u.Kind() == types.UnsafePointer:
				z.Lit = "nil"
			default:
				return nil, "unknown result type"
			}
		case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Signature:
			z.Lit = "nil"
		case *types.Interface:
			if _, tp := types.Unalias(t).(*types.TypeParam); tp {
				z.Deref = true
			} else {
				z.Lit = "nil"
			}
		case *types.Struct, *types.Array:
			if !e.exprResolvesAt(te, pos) {
				return nil, "a result type's name means something else at the operation: its zero value cannot be written there"
			}
		default:
			return nil, "unknown result type"
		}
		if _, tp := types.Unalias(t).(*types.TypeParam); tp {
			z.Lit, z.Deref = "", true
		}
		if z.Lit == "" {
			if !e.exprResolvesAt(te, pos) {
				return nil, "a result type's name means something else at the operation: its zero value cannot be written there"
			}
			if z.Deref && !universe("new") {
				return nil, "new is shadowed"
			}
			z.TypeNode = len(*nodes)
			*nodes = append(*nodes, te)
		} else if (z.Lit == "nil" || z.Lit == "false") && !universe(z.Lit) {
			return nil, z.Lit + " is shadowed"
		}
		out = append(out, z)
	}
	out = append(out, ZeroValue{TypeNode: -1, CtxErr: true})
	return out, ""
}

// exprResolvesAt reports whether every name in the type expression te
// (written in a signature) means the same object at pos.
func (e *ctxEnv) exprResolvesAt(te ast.Expr, pos token.Pos) bool {
	scope := e.p.ScopeAt(pos)
	ok := true
	ast.Inspect(te, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, isID := n.X.(*ast.Ident); isID {
				if pn, isPkg := e.p.Info.Uses[id].(*types.PkgName); isPkg {
					if _, o := scope.LookupParent(id.Name, pos); o != pn {
						ok = false
					}
					return false
				}
			}
		case *ast.Ident:
			obj := e.p.Info.Uses[n]
			if obj == nil {
				ok = false
				return false
			}
			if _, o := scope.LookupParent(n.Name, pos); o != obj {
				ok = false
			}
		case *ast.FuncLit:
			ok = false
		}
		return ok
	})
	return ok
}

// ownCancel returns the cancel func declared together with ctx
// (ctx, cancel := context.WithCancel(…)), or nil.
func (e *ctxEnv) ownCancel(ctx *types.Var) *types.Var {
	if ctx == nil {
		return nil
	}
	path, _ := astutil.PathEnclosingInterval(e.p.File, ctx.Pos(), ctx.Pos())
	if len(path) < 2 {
		return nil
	}
	var lhs []ast.Expr
	switch s := path[1].(type) {
	case *ast.AssignStmt:
		if len(s.Lhs) == 2 && len(s.Rhs) == 1 {
			lhs = s.Lhs
		}
	case *ast.ValueSpec:
		if len(s.Names) == 2 && len(s.Values) == 1 {
			lhs = []ast.Expr{s.Names[0], s.Names[1]}
		}
	}
	if lhs == nil {
		return nil
	}
	if id, ok := lhs[0].(*ast.Ident); !ok || id.Pos() != ctx.Pos() {
		return nil
	}
	id, ok := lhs[1].(*ast.Ident)
	if !ok {
		return nil
	}
	v, _ := e.p.Info.ObjectOf(id).(*types.Var)
	return v
}

// ownDoneCase returns the body of the function's own case <-ctx.Done() for
// the same context, when there is exactly one such body (by its text) that
// can be copied to pos: it ends in a return, holds only assignments,
// calls, increments and that return (no declarations, branches, nested
// functions), and every name in it means the same object at pos. The fix
// then stops the way the function already does (l.err = ctx.Err();
// return), not with a return of its own.
func (e *ctxEnv) ownDoneCase(fn inspector.Cursor, ctx *types.Var, pos token.Pos) ([]ast.Stmt, token.Pos) {
	var found []ast.Stmt
	var at token.Pos
	text := ""
	for c := range fn.Preorder((*ast.CommClause)(nil)) {
		if f, _ := funcOf(c); f != fn {
			continue
		}
		cc := c.Node().(*ast.CommClause)
		ch := commRecvChan(cc.Comm)
		if ch == nil || !e.isCtxDone(ch) || len(cc.Body) == 0 {
			continue
		}
		if as, ok := cc.Comm.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			continue
		}
		sel := ast.Unparen(ast.Unparen(ch).(*ast.CallExpr).Fun).(*ast.SelectorExpr)
		if id, ok := ast.Unparen(sel.X).(*ast.Ident); !ok || e.p.Info.Uses[id] != ctx {
			continue
		}
		if _, ok := cc.Body[len(cc.Body)-1].(*ast.ReturnStmt); !ok || !e.copyable(cc.Body, pos) {
			continue
		}
		var b strings.Builder
		for _, st := range cc.Body {
			b.WriteString(types.ExprString(stmtExprs(st)) + ";")
			fmt.Fprintf(&b, "%T;", st)
		}
		switch {
		case found == nil:
			found, at, text = cc.Body, cc.Pos(), b.String()
		case b.String() != text:
			return nil, token.NoPos // two different ways of stopping: do not choose
		}
	}
	return found, at
}

// stmtExprs is a stand-in expression holding a simple statement's parts,
// for comparing bodies by text.
func stmtExprs(st ast.Stmt) ast.Expr {
	var parts []ast.Expr
	switch s := st.(type) {
	case *ast.AssignStmt:
		parts = append(append(parts, s.Lhs...), s.Rhs...)
	case *ast.ExprStmt:
		parts = append(parts, s.X)
	case *ast.IncDecStmt:
		parts = append(parts, s.X)
	case *ast.ReturnStmt:
		parts = append(parts, s.Results...)
	}
	return &ast.CompositeLit{Elts: parts}
}

// copyable reports whether statements can be copied to pos: simple
// statements only, no declarations, and every name means the same object
// at pos.
func (e *ctxEnv) copyable(stmts []ast.Stmt, pos token.Pos) bool {
	scope := e.p.ScopeAt(pos)
	for _, st := range stmts {
		switch s := st.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				return false
			}
		case *ast.ExprStmt, *ast.IncDecStmt, *ast.ReturnStmt:
		default:
			return false
		}
		ok := true
		ast.Inspect(st, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				ok = false
			case *ast.SelectorExpr:
				// A field, a method or a qualified name: only the operand's
				// names are looked up, not the selected one.
				ast.Inspect(n.X, func(x ast.Node) bool {
					if _, isLit := x.(*ast.FuncLit); isLit {
						ok = false
					}
					if id, isID := x.(*ast.Ident); isID && ok {
						ok = e.resolvesTo(scope, id, pos)
					}
					return ok
				})
				return false
			case *ast.Ident:
				ok = e.resolvesTo(scope, n, pos)
			}
			return ok
		})
		if !ok {
			return false
		}
	}
	return true
}

func (e *ctxEnv) resolvesTo(scope *types.Scope, id *ast.Ident, pos token.Pos) bool {
	obj := e.p.Info.Uses[id]
	if obj == nil {
		return false
	}
	if _, pkg := obj.(*types.PkgName); !pkg && obj.Parent() == nil {
		return true // a field or method name
	}
	_, o := scope.LookupParent(id.Name, pos)
	return o == obj
}

// cleanupAfter reports whether code that runs after pos inside the
// function body (not in a defer, not in a nested function literal) closes
// a channel, calls a method of a package sync type (Unlock, Done,
// Broadcast…) or calls a context cancel func: returning early at pos would
// skip it, and whoever waits for it could block. It returns the cleanup's
// description. The cancel func of the watched context itself does not
// count: once the context is done, calling it changes nothing.
func (e *ctxEnv) cleanupAfter(body *ast.BlockStmt, pos token.Pos, ctx *types.Var) string {
	own := e.ownCancel(ctx)
	what := ""
	ast.Inspect(body, func(n ast.Node) bool {
		if what != "" || n == nil {
			return false
		}
		if n.End() <= pos {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit, *ast.DeferStmt:
			return false
		case *ast.CallExpr:
			if n.Pos() < pos {
				return true
			}
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && e.p.Info.Uses[id] == types.Universe.Lookup("close") {
				what = "close"
				return false
			}
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok {
				if s := e.p.Info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
					if fn, ok := s.Obj().(*types.Func); ok && fn.Pkg() != nil && fn.Pkg().Path() == "sync" {
						what = "sync." + fn.Name()
						return false
					}
				}
			}
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && own != nil && e.p.Info.Uses[id] == own {
				return true // the watched context's own cancel: a no-op once it is done
			}
			if t := e.p.Info.TypeOf(n.Fun); t != nil {
				if named, ok := types.Unalias(t).(*types.Named); ok {
					obj := named.Obj()
					if obj.Pkg() != nil && obj.Pkg().Path() == "context" && strings.HasPrefix(obj.Name(), "Cancel") {
						what = "cancel"
						return false
					}
				}
			}
		}
		return true
	})
	return what
}
