package matchers

import (
	"go/ast"
	"go/token"
	"go/types"
	"go/version"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// Shared by ctx-threading (whole program) and ctx-variants (per file): where
// a function's context comes from, how a call site relates to the function
// whose context it may use, and whether a context-carrying value stays in
// the function that makes it.

// CtxExpr is a context expression a ctx fix writes: exactly one of Ident (a
// variable), Recv (Recv.Context(): r.Context(), t.Context()) or TODO
// (context.TODO()).
type CtxExpr struct {
	Ident string
	Recv  string
	TODO  bool
}

// String renders the expression as the fix writes it (context unqualified).
func (e CtxExpr) String() string {
	switch {
	case e.Ident != "":
		return e.Ident
	case e.Recv != "":
		return e.Recv + ".Context()"
	}
	return "context.TODO()"
}

// ctxKind says how a function has a context.
type ctxKind int8

const (
	ctxNone     ctxKind = iota
	ctxParam            // a context.Context parameter
	ctxRequest          // an HTTP handler: r.Context()
	ctxTest             // a *testing.T, B or F (or testing.TB) in a Go 1.24+ file: t.Context()
	ctxUnusable         // a context.Context parameter without a usable name
)

// ctxSource is where a function's context comes from.
type ctxSource struct {
	kind ctxKind
	v    *types.Var // the parameter (ctx, r or t)
	// name, when set, is the name a ctx-threading fix gives v, a blank
	// (_) request parameter of a handler.
	name string
}

// root reports whether the function has a context a fix can use.
func (s ctxSource) root() bool {
	return s.kind == ctxParam || s.kind == ctxRequest || s.kind == ctxTest
}

// expr is the source's context expression.
func (s ctxSource) expr() CtxExpr {
	switch s.kind {
	case ctxParam:
		return CtxExpr{Ident: s.v.Name()}
	case ctxRequest, ctxTest:
		if s.name != "" {
			return CtxExpr{Recv: s.name}
		}
		return CtxExpr{Recv: s.v.Name()}
	}
	return CtxExpr{TODO: true}
}

// isNamedType reports whether t (through aliases) is the named type
// path.name.
func isNamedType(t types.Type, path, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	obj := n.Obj()
	return obj.Pkg() != nil && obj.Pkg().Path() == path && obj.Name() == name
}

// isPointerTo reports whether t is *path.name.
func isPointerTo(t types.Type, path, name string) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && isNamedType(p.Elem(), path, name)
}

func isContextType(t types.Type) bool { return isNamedType(t, "context", "Context") }

// fileAtLeast reports whether file's Go version is known and at least v.
func fileAtLeast(info *types.Info, file *ast.File, v string) bool {
	if info == nil || info.FileVersions == nil {
		return false
	}
	fv, ok := info.FileVersions[file]
	return ok && fv != "" && version.Compare(fv, v) >= 0
}

// ctxSourceOf finds the context of a function with type ft in file: a
// context.Context parameter first, then an HTTP handler's request (a
// function taking both an http.ResponseWriter and a *http.Request), then a
// test's *testing.T/B/F or testing.TB when the file's Go version has
// t.Context() (1.24).
func ctxSourceOf(info *types.Info, file *ast.File, ft *ast.FuncType) ctxSource {
	if ft == nil || ft.Params == nil {
		return ctxSource{}
	}
	var req, test *types.Var
	writer := false
	unusable := false
	for _, field := range ft.Params.List {
		tv, ok := info.Types[field.Type]
		if !ok || tv.Type == nil {
			continue
		}
		t := tv.Type
		if len(field.Names) == 0 {
			if isContextType(t) {
				unusable = true
			}
			if isNamedType(t, "net/http", "ResponseWriter") {
				writer = true
			}
			continue
		}
		for _, name := range field.Names {
			v, _ := info.Defs[name].(*types.Var)
			usable := v != nil && name.Name != "_"
			switch {
			case isContextType(t):
				if usable {
					return ctxSource{kind: ctxParam, v: v}
				}
				unusable = true
			case isNamedType(t, "net/http", "ResponseWriter"):
				writer = true
			case isPointerTo(t, "net/http", "Request"):
				if usable && req == nil {
					req = v
				}
			case isPointerTo(t, "testing", "T"), isPointerTo(t, "testing", "B"),
				isPointerTo(t, "testing", "F"), isNamedType(t, "testing", "TB"):
				if usable && test == nil {
					test = v
				}
			}
		}
	}
	switch {
	case unusable:
		return ctxSource{kind: ctxUnusable}
	case writer && req != nil:
		return ctxSource{kind: ctxRequest, v: req}
	case test != nil && fileAtLeast(info, file, "go1.24"):
		return ctxSource{kind: ctxTest, v: test}
	}
	return ctxSource{}
}

// ctxOwnParamAt reports whether src is a context.Context parameter of the
// function at fn that its name still denotes at pos and that the function
// never assigns: the caller's own context, not one derived from it (which
// the function may cancel when it returns).
func ctxOwnParamAt(p *Pass, fn inspector.Cursor, src ctxSource, pos token.Pos) bool {
	if src.kind != ctxParam || src.v == nil {
		return false
	}
	scope := p.ScopeAt(pos)
	if scope == nil {
		return false
	}
	if _, obj := scope.LookupParent(src.v.Name(), pos); obj != src.v {
		return false
	}
	return !ctAssigned(p.Info, fn, src.v)
}

// ctxFuncType returns the type of a FuncDecl or FuncLit.
func ctxFuncType(n ast.Node) *ast.FuncType {
	switch n := n.(type) {
	case *ast.FuncDecl:
		return n.Type
	case *ast.FuncLit:
		return n.Type
	}
	return nil
}

// ctxFuncBody returns the body of a FuncDecl or FuncLit.
func ctxFuncBody(n ast.Node) *ast.BlockStmt {
	switch n := n.(type) {
	case *ast.FuncDecl:
		return n.Body
	case *ast.FuncLit:
		return n.Body
	}
	return nil
}

// ctxBackgroundCall returns "Background" or "TODO" when call is a call of
// context.Background or context.TODO (by object, through aliases and dot
// imports), else "".
func ctxBackgroundCall(info *types.Info, call *ast.CallExpr) string {
	if len(call.Args) != 0 {
		return ""
	}
	fn, ok := typeutil.Callee(info, call).(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "context" {
		return ""
	}
	if sig, ok := fn.Type().(*types.Signature); !ok || sig.Recv() != nil {
		return ""
	}
	if n := fn.Name(); n == "Background" || n == "TODO" {
		return n
	}
	return ""
}

// ctxSite is how a call site (or any expression) relates to the function
// whose context it would use.
type ctxSite struct {
	fn       inspector.Cursor   // the FuncDecl or FuncLit whose context applies; zero: none
	src      ctxSource          // fn's own context source (for a FuncLit root, or any fn)
	deferred bool               // runs when a function returns (a deferred call, or inside a deferred literal)
	spawns   []inspector.Cursor // the calls on the way that start a goroutine (go f(), wg.Go(f), g.Go(f))
}

// ok reports whether a context of fn may be used at the site: there is a
// function, the site is not deferred (a cleanup that must run after the
// context is done), and every goroutine started on the way is waited for
// (see ctxJoined).
func (s ctxSite) ok(info *types.Info) bool {
	if !s.fn.Valid() || s.deferred {
		return false
	}
	for _, sp := range s.spawns {
		if !ctxJoined(info, s.fn, sp) {
			return false
		}
	}
	return true
}

// ctxGoFuncs take a function they run in another goroutine, and the method
// that waits for it.
var ctxGoFuncs = map[string]string{
	"(*sync.WaitGroup).Go":                      "(*sync.WaitGroup).Wait",
	"(*golang.org/x/sync/errgroup.Group).Go":    "(*golang.org/x/sync/errgroup.Group).Wait",
	"(*golang.org/x/sync/errgroup.Group).TryGo": "(*golang.org/x/sync/errgroup.Group).Wait",
}

// ctxSiteOf walks out from the node at cur to the function whose context
// the node would use. Function literals are transparent when called on the
// spot (directly, deferred, or by a go statement) or run by
// sync.WaitGroup.Go or errgroup.Group.Go; a literal passed on (a callback)
// or stored ends the walk without a function. A literal with its own
// context (a ctx parameter, a handler, a test) is the function.
func ctxSiteOf(info *types.Info, file *ast.File, cur inspector.Cursor) ctxSite {
	var s ctxSite
	if _, ok := cur.Node().(*ast.CallExpr); ok {
		switch cur.ParentEdgeKind() {
		case edge.DeferStmt_Call:
			s.deferred = true
		case edge.GoStmt_Call:
			s.spawns = append(s.spawns, cur)
		}
	}
	for c := cur.Parent(); c.Valid(); c = c.Parent() {
		switch n := c.Node().(type) {
		case *ast.File, nil:
			return ctxSite{} // package level
		case *ast.FuncDecl:
			s.fn = c
			s.src = ctxSourceOf(info, file, n.Type)
			return s
		case *ast.FuncLit:
			if src := ctxSourceOf(info, file, n.Type); src.kind != ctxNone {
				s.fn, s.src = c, src
				return s
			}
			u := c
			for u.ParentEdgeKind() == edge.ParenExpr_X {
				u = u.Parent()
			}
			switch u.ParentEdgeKind() {
			case edge.CallExpr_Fun:
				call := u.Parent()
				switch call.ParentEdgeKind() {
				case edge.DeferStmt_Call:
					s.deferred = true
				case edge.GoStmt_Call:
					s.spawns = append(s.spawns, call)
				}
				c = call
			case edge.CallExpr_Args:
				call := u.Parent()
				fn := typeutil.StaticCallee(info, call.Node().(*ast.CallExpr))
				if fn == nil || ctxGoFuncs[fn.Origin().FullName()] == "" {
					return ctxSite{}
				}
				s.spawns = append(s.spawns, call)
				c = call
			default:
				return ctxSite{} // a callback or a stored function: runs who knows when
			}
		}
	}
	return ctxSite{}
}

// ctxJoined reports whether the goroutine started by the call at spawn is
// waited for by the function at fn: for sync.WaitGroup.Go and
// errgroup.Group.Go, fn calls the matching Wait; for a go statement, fn
// calls sync.WaitGroup.Wait and the goroutine is counted by a WaitGroup —
// its literal calls Done, or the function it runs gets a *sync.WaitGroup.
func ctxJoined(info *types.Info, fn, spawn inspector.Cursor) bool {
	call := spawn.Node().(*ast.CallExpr)
	wait := "(*sync.WaitGroup).Wait"
	if f := typeutil.StaticCallee(info, call); f != nil && spawn.ParentEdgeKind() != edge.GoStmt_Call {
		wait = ctxGoFuncs[f.Origin().FullName()]
	} else {
		counted := false
		if lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
			ast.Inspect(lit.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if f := typeutil.StaticCallee(info, c); f != nil && f.Origin().FullName() == "(*sync.WaitGroup).Done" {
						counted = true
					}
				}
				return !counted
			})
		} else {
			for _, arg := range call.Args {
				if tv, ok := info.Types[arg]; ok && isPointerTo(tv.Type, "sync", "WaitGroup") {
					counted = true
				}
			}
		}
		if !counted {
			return false
		}
	}
	for c := range fn.Preorder((*ast.CallExpr)(nil)) {
		if f := typeutil.StaticCallee(info, c.Node().(*ast.CallExpr)); f != nil && f.Origin().FullName() == wait {
			return true
		}
	}
	return false
}

// ctxFlow follows a value that carries a context inside the function at fn
// and reports whether it stays there: not returned (unless allowReturn),
// stored anywhere but in a local variable, sent on a channel, handed to a
// go statement, or mentioned in a function literal that may run after fn
// returns. Local variables it flows into are followed, and so are results
// of calls it is passed to, unless their type cannot carry it (lcInert).
// keeps, when set, reports whether a call keeps its argument number i
// (interprocedural: the callee stores it or starts a goroutine with it).
type ctxFlow struct {
	info        *types.Info
	fn          inspector.Cursor
	allowReturn bool
	// ctxReturnEscapes: returning a context.Context itself (a function
	// that makes contexts for others) counts as escaping.
	ctxReturnEscapes bool
	returned         bool // a followed value is returned (allowReturn)
	keeps            func(call *ast.CallExpr, i int) bool
	refs             map[*types.Var][]inspector.Cursor
	followed         map[*types.Var]bool
	queue            []*types.Var
}

func newCtxFlow(info *types.Info, fn inspector.Cursor, allowReturn bool, keeps func(*ast.CallExpr, int) bool) *ctxFlow {
	fl := &ctxFlow{info: info, fn: fn, allowReturn: allowReturn, keeps: keeps,
		refs: map[*types.Var][]inspector.Cursor{}, followed: map[*types.Var]bool{}}
	for idC := range fn.Preorder((*ast.Ident)(nil)) {
		if v, ok := info.Uses[idC.Node().(*ast.Ident)].(*types.Var); ok {
			fl.refs[v] = append(fl.refs[v], idC)
		}
	}
	return fl
}

// exprStays reports whether the value of the expression at cur stays.
func (fl *ctxFlow) exprStays(cur inspector.Cursor) bool {
	if lcCapturedBeyond(cur, fl.fn) || !fl.climb(cur) {
		return false
	}
	return fl.drain()
}

// varStays reports whether the value in variable v (a parameter) stays.
func (fl *ctxFlow) varStays(v *types.Var) bool {
	fl.followed[v] = true
	fl.queue = append(fl.queue, v)
	return fl.drain()
}

func (fl *ctxFlow) drain() bool {
	for len(fl.queue) > 0 {
		if len(fl.followed) > 64 {
			return false // too much to follow
		}
		v := fl.queue[0]
		fl.queue = fl.queue[1:]
		for _, ref := range fl.refs[v] {
			if lcCapturedBeyond(ref, fl.fn) || !fl.climb(ref) {
				return false
			}
		}
	}
	return true
}

func (fl *ctxFlow) scope() *types.Scope {
	return fl.info.Scopes[ctxFuncType(fl.fn.Node())]
}

// follow adds the variable the value is assigned to; false: it escapes.
func (fl *ctxFlow) follow(lhs ast.Expr) bool {
	if lcIsBlank(lhs) {
		return true
	}
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		return false // a field, an element, through a pointer
	}
	w, ok := fl.info.Defs[id].(*types.Var)
	if !ok {
		if w, ok = fl.info.Uses[id].(*types.Var); !ok {
			return false
		}
	}
	sc := fl.scope()
	if sc == nil || !sc.Contains(w.Pos()) {
		return false // not a local variable of the function
	}
	if res := fl.results(); res != nil && lcTupleHas(res, w) {
		if !fl.allowReturn || (fl.ctxReturnEscapes && isContextType(w.Type())) {
			return false // a named result: returned
		}
		fl.returned = true
	}
	if !fl.followed[w] && !lcInert(w.Type()) {
		fl.followed[w] = true
		fl.queue = append(fl.queue, w)
	}
	return true
}

func (fl *ctxFlow) results() *types.Tuple {
	ft := ctxFuncType(fl.fn.Node())
	if ft == nil {
		return nil
	}
	if tv, ok := fl.info.Types[ft]; ok {
		if sig, ok := tv.Type.(*types.Signature); ok {
			return sig.Results()
		}
	}
	if fd, ok := fl.fn.Node().(*ast.FuncDecl); ok {
		if obj, ok := fl.info.Defs[fd.Name].(*types.Func); ok {
			return obj.Type().(*types.Signature).Results()
		}
	}
	return nil
}

// climb follows the value at n up through the expressions holding it.
func (fl *ctxFlow) climb(n inspector.Cursor) bool {
	for {
		parent := n.Parent()
		kind, idx := n.ParentEdge()
		switch kind {
		case edge.CompositeLit_Elts, edge.KeyValueExpr_Value:
			// A context stored in a struct, slice or map is kept for later:
			// it escapes. Other values (a request, a reader) are followed
			// into the composite value.
			if e, ok := n.Node().(ast.Expr); ok {
				if tv, ok := fl.info.Types[e]; ok && tv.Type != nil && isContextType(tv.Type) {
					return false
				}
			}
		case edge.CallExpr_Args, edge.CallExpr_Fun:
			if parent.ParentEdgeKind() == edge.GoStmt_Call {
				return false // runs in a goroutine that may outlive the function
			}
			if kind == edge.CallExpr_Args && fl.keeps != nil && fl.keeps(parent.Node().(*ast.CallExpr), idx) {
				return false
			}
			if kind == edge.CallExpr_Args {
				if fn := typeutil.StaticCallee(fl.info, parent.Node().(*ast.CallExpr)); fn != nil && ctxGoFuncs[fn.Origin().FullName()] != "" {
					return false
				}
			}
		}
		if e, ok := parent.Node().(ast.Expr); ok {
			if _, lit := e.(*ast.FuncLit); lit {
				return false // cannot happen: refs inside literals are checked apart
			}
			if tv, ok := fl.info.Types[e]; ok && tv.Type != nil && lcInert(tv.Type) {
				return true // the trail ends: a bool, a number, an error...
			}
			n = parent
			continue
		}
		switch kind {
		case edge.ExprStmt_X, edge.AssignStmt_Lhs, edge.IncDecStmt_X,
			edge.IfStmt_Cond, edge.ForStmt_Cond, edge.SwitchStmt_Tag,
			edge.CaseClause_List, edge.SendStmt_Chan, edge.TypeSwitchStmt_Assign:
			return true
		case edge.AssignStmt_Rhs:
			as := parent.Node().(*ast.AssignStmt)
			if as.Tok != token.ASSIGN && as.Tok != token.DEFINE {
				return true
			}
			if len(as.Lhs) == len(as.Rhs) {
				return fl.follow(as.Lhs[idx])
			}
			for _, l := range as.Lhs {
				if !fl.follow(l) {
					return false
				}
			}
			return true
		case edge.ValueSpec_Values:
			vs := parent.Node().(*ast.ValueSpec)
			if len(vs.Names) == len(vs.Values) {
				return fl.follow(vs.Names[idx])
			}
			for _, name := range vs.Names {
				if !fl.follow(name) {
					return false
				}
			}
			return true
		case edge.RangeStmt_X:
			rs := parent.Node().(*ast.RangeStmt)
			for _, e := range []ast.Expr{rs.Key, rs.Value} {
				if e != nil && !fl.follow(e) {
					return false
				}
			}
			return true
		case edge.ReturnStmt_Results:
			if !fl.allowReturn {
				return false
			}
			if e, ok := n.Node().(ast.Expr); ok && fl.ctxReturnEscapes {
				if tv, ok := fl.info.Types[e]; ok && tv.Type != nil && isContextType(tv.Type) {
					return false // a context handed out: made to outlive the call
				}
			}
			// Only the function's own return (not a literal's inside it).
			for f := range parent.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
				if f == fl.fn {
					fl.returned = true
					return true
				}
				return false
			}
			return false
		}
		return false // sent, stored, a place not foreseen
	}
}

// ctxKeeper tells whether a callee whose syntax is at hand keeps an
// argument beyond the call: stores it, sends it, or starts a goroutine
// with it (followed through the callees it passes it to, in turn).
type ctxKeeper struct {
	// lookup returns the declaration of fn (an origin), the type info of
	// its package and the cursor of the declaration, or ok false.
	lookup func(fn *types.Func) (fd *ast.FuncDecl, info *types.Info, fc inspector.Cursor, ok bool)
	memo   map[ctxKeepKey]int8 // 1 in progress, 2 stays, 3 kept
}

type ctxKeepKey struct {
	fd *ast.FuncDecl
	i  int
}

// keeps returns the keeps function of a ctxFlow over code with info.
func (k *ctxKeeper) keeps(info *types.Info) func(*ast.CallExpr, int) bool {
	if k == nil {
		return nil
	}
	return func(call *ast.CallExpr, i int) bool {
		fn := typeutil.StaticCallee(info, call)
		if fn == nil {
			return false // a function value or an interface: assumed to use it and let go
		}
		fn = fn.Origin()
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			if s, ok := info.Selections[sel]; ok && s.Kind() == types.MethodExpr {
				if i == 0 {
					return true // the receiver of a method expression: not followed
				}
				i--
			}
		}
		fd, finfo, fc, ok := k.lookup(fn)
		if !ok {
			return false // no syntax (another module, the standard library)
		}
		sig, ok := fn.Type().(*types.Signature)
		if !ok {
			return true
		}
		if i >= sig.Params().Len() || (sig.Variadic() && i >= sig.Params().Len()-1) {
			return true // a variadic argument: not followed
		}
		v := ctxParamAt(fd, finfo, i)
		if v == nil {
			return false // unnamed or blank: unused
		}
		key := ctxKeepKey{fd, i}
		if k.memo == nil {
			k.memo = map[ctxKeepKey]int8{}
		}
		switch k.memo[key] {
		case 1, 2:
			return false // in progress (recursion), or stays
		case 3:
			return true
		}
		k.memo[key] = 1
		fl := newCtxFlow(finfo, fc, true, k.keeps(finfo))
		if fl.varStays(v) {
			k.memo[key] = 2
			return false
		}
		k.memo[key] = 3
		return true
	}
}

// ctxParamAt returns the variable of parameter i of fd, or nil.
func ctxParamAt(fd *ast.FuncDecl, info *types.Info, i int) *types.Var {
	n := 0
	for _, field := range fd.Type.Params.List {
		if len(field.Names) == 0 {
			if n == i {
				return nil
			}
			n++
			continue
		}
		for _, name := range field.Names {
			if n == i {
				if name.Name == "_" {
					return nil
				}
				v, _ := info.Defs[name].(*types.Var)
				return v
			}
			n++
		}
	}
	return nil
}
