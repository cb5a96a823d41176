package matchers

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"go/version"
	"strings"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// CtxVariantFix is the Fix.Data of a ctx-variants finding, and the Data of
// a ctx-threading edit that turns a call into its context form: rename the
// callee to To and pass Arg first (and nil last when ExtraNil:
// Begin() → BeginTx(ctx, nil)).
type CtxVariantFix struct {
	To       string
	Arg      CtxExpr
	ExtraNil bool
	// Dial: net.Dial(n, a) becomes (&net.Dialer{}).DialContext(Arg, n, a);
	// with Timeout, net.DialTimeout(n, a, t) becomes
	// (&net.Dialer{Timeout: t}).DialContext(Arg, n, a).
	Dial, Timeout bool
	// HTTP, when set: http.Get/Head/Post (or a client's) become
	// NewRequestWithContext plus Do, statements around the call.
	HTTP *CtxHTTPFix
	// Review is the edge case in which the context form changes behaviour
	// beyond cancellation of the call itself ("" for the exact renames):
	// the fix is then a review-tier fix (Fix.Review).
	Review string
}

// CtxHTTPFix rewrites a statement `resp, err := http.Get(u)` (followed by
// `if err != nil { ... }`, a check whose body always leaves) or `return
// http.Get(u)` into
//
//	Req, Err := http.NewRequestWithContext(ctx, http.Method, u, body)
//	if Err != nil { ... }              // the check copied, or `return nil, Err`
//	Req.Header.Set("Content-Type", ct) // Post
//	resp, err := http.DefaultClient.Do(Req) // or c.Do(Req)
//
// which is what Client.Get/Head/Post do with context.Background().
type CtxHTTPFix struct {
	Method string // the net/http constant: "MethodGet", "MethodHead", "MethodPost"
	Post   bool   // the call's arguments are (url, contentType, body)
	Client bool   // a method of a client variable: X.Do(Req); else http.DefaultClient.Do(Req)
	Req    string // the request variable's name (fresh)
	Err    string // the error variable's name
	Return bool   // `return http.Get(u)`: the request's error is returned as nil, Err
	Define bool   // the call's statement keeps := (it declares the response); else =
}

// ctxShape is how a context-less call becomes its context form.
type ctxShape int8

const (
	ctxRename ctxShape = iota // rename the callee, pass ctx first
	ctxDial                   // net.Dial/DialTimeout → (&net.Dialer{...}).DialContext
	ctxHTTP                   // http.Get/Head/Post → NewRequestWithContext + Do
)

// ctxVariant is a context-less API and its context form.
type ctxVariant struct {
	to       string
	extraNil bool // the context form takes a further nil argument (BeginTx's options)
	keeps    bool // the result holds on to the context (a request, rows, a transaction, a command)
	wait     bool // an exec.Cmd: the context kills the process, which must be waited for in the function
	shape    ctxShape
	method   string // ctxHTTP: the net/http method constant
	post     bool   // ctxHTTP: Post's (url, contentType, body)
	timeout  bool   // ctxDial: DialTimeout's third argument is the Dialer's Timeout
	since    string // the Go version that has the context form
	review   string // the edge case that puts the fix in the review tier
}

// Review notes of the context forms that are not exact renames.
const (
	ctxDialReview = "the dial now stops when the context is cancelled or its deadline passes; " +
		"the connection, once made, does not depend on it"
	ctxHTTPReview = "the request now stops when the context is cancelled or its deadline passes, " +
		"and so does reading the response body"
)

// ctxVariants maps a function's FullName to its context form. Each
// context-less form is implemented as its context form called with
// context.Background() (and nil options for Begin), so passing another
// context changes nothing but cancellation and deadlines.
//
// net.Dial is a zero Dialer's Dial and net.DialTimeout a Dialer with that
// Timeout; (*net.Dialer).Dial is DialContext with context.Background().
// http.Get, Head and Post are (*http.Client).Get, Head and Post of
// DefaultClient, each NewRequest (plus the Content-Type header for Post)
// and Do. These forms change more than the call's cancellation (the dial,
// or the request and the reading of its response body, stop with the
// context): review-tier fixes.
var ctxVariants = map[string]ctxVariant{
	"net/http.NewRequest":           {to: "NewRequestWithContext", keeps: true, since: "go1.13"},
	"(*database/sql.DB).Query":      {to: "QueryContext", keeps: true, since: "go1.8"},
	"(*database/sql.DB).QueryRow":   {to: "QueryRowContext", keeps: true, since: "go1.8"},
	"(*database/sql.DB).Exec":       {to: "ExecContext", since: "go1.8"},
	"(*database/sql.DB).Prepare":    {to: "PrepareContext", since: "go1.8"},
	"(*database/sql.DB).Begin":      {to: "BeginTx", extraNil: true, keeps: true, since: "go1.8"},
	"(*database/sql.DB).Ping":       {to: "PingContext", since: "go1.8"},
	"(*database/sql.Tx).Query":      {to: "QueryContext", keeps: true, since: "go1.8"},
	"(*database/sql.Tx).QueryRow":   {to: "QueryRowContext", keeps: true, since: "go1.8"},
	"(*database/sql.Tx).Exec":       {to: "ExecContext", since: "go1.8"},
	"(*database/sql.Tx).Prepare":    {to: "PrepareContext", since: "go1.8"},
	"(*database/sql.Stmt).Query":    {to: "QueryContext", keeps: true, since: "go1.8"},
	"(*database/sql.Stmt).QueryRow": {to: "QueryRowContext", keeps: true, since: "go1.8"},
	"(*database/sql.Stmt).Exec":     {to: "ExecContext", since: "go1.8"},
	"os/exec.Command":               {to: "CommandContext", keeps: true, wait: true, since: "go1.7"},

	"net.Dial":           {to: "DialContext", shape: ctxDial, since: "go1.7", review: ctxDialReview},
	"net.DialTimeout":    {to: "DialContext", shape: ctxDial, timeout: true, since: "go1.7", review: ctxDialReview},
	"(*net.Dialer).Dial": {to: "DialContext", since: "go1.7", review: ctxDialReview},

	"net/http.Get":            {shape: ctxHTTP, method: "MethodGet", keeps: true, since: "go1.13", review: ctxHTTPReview},
	"net/http.Head":           {shape: ctxHTTP, method: "MethodHead", keeps: true, since: "go1.13", review: ctxHTTPReview},
	"net/http.Post":           {shape: ctxHTTP, method: "MethodPost", post: true, keeps: true, since: "go1.13", review: ctxHTTPReview},
	"(*net/http.Client).Get":  {shape: ctxHTTP, method: "MethodGet", keeps: true, since: "go1.13", review: ctxHTTPReview},
	"(*net/http.Client).Head": {shape: ctxHTTP, method: "MethodHead", keeps: true, since: "go1.13", review: ctxHTTPReview},
	"(*net/http.Client).Post": {shape: ctxHTTP, method: "MethodPost", post: true, keeps: true, since: "go1.13", review: ctxHTTPReview},
}

// ctxVariantNames are the names of ctxVariants' functions (a cheap filter).
var ctxVariantNames = map[string]bool{
	"NewRequest": true, "Query": true, "QueryRow": true, "Exec": true,
	"Prepare": true, "Begin": true, "Ping": true, "Command": true,
	"Dial": true, "DialTimeout": true, "Get": true, "Head": true, "Post": true,
}

// ctxFormName names the context form of fn as people write it, for
// messages: http.NewRequestWithContext, (*net.Dialer).DialContext.
func ctxFormName(fn *types.Func, v ctxVariant) string {
	switch v.shape {
	case ctxDial:
		return "(*net.Dialer).DialContext"
	case ctxHTTP:
		return "http.NewRequestWithContext"
	}
	d := ctxVariantDisplay(fn)
	return strings.TrimSuffix(d, fn.Name()) + v.to
}

// ctxVariantCall returns the called context-less API and its context form.
func ctxVariantCall(info *types.Info, call *ast.CallExpr) (*types.Func, ctxVariant, bool) {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	default:
		return nil, ctxVariant{}, false
	}
	if !ctxVariantNames[id.Name] {
		return nil, ctxVariant{}, false
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return nil, ctxVariant{}, false
	}
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		if s, ok := info.Selections[sel]; ok && s.Kind() != types.MethodVal {
			return nil, ctxVariant{}, false // a method expression
		}
	}
	v, ok := ctxVariants[fn.FullName()]
	return fn, v, ok
}

// ctxVariantDisplay names the API as people write it: http.NewRequest,
// (*sql.DB).Query.
func ctxVariantDisplay(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return fn.Pkg().Name() + "." + fn.Name()
	}
	recv := types.TypeString(sig.Recv().Type(), func(p *types.Package) string { return p.Name() })
	if strings.HasPrefix(recv, "*") {
		recv = "(" + recv + ")"
	}
	return recv + "." + fn.Name()
}

// ctxVariantRenames reports whether the context form v.to, written where
// call names fn, means the context form of fn: the package member, or the
// method the receiver's type selects (a user type embedding *sql.DB may
// declare its own QueryContext), or the dot-imported name not shadowed.
func ctxVariantRenames(p *Pass, call *ast.CallExpr, fn *types.Func, v ctxVariant) bool {
	want := strings.TrimSuffix(fn.FullName(), fn.Name()) + v.to
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.SelectorExpr:
		if x, ok := fun.X.(*ast.Ident); ok {
			if _, ok := p.Info.Uses[x].(*types.PkgName); ok {
				obj, ok := fn.Pkg().Scope().Lookup(v.to).(*types.Func)
				return ok && obj.FullName() == want
			}
		}
		tv, ok := p.Info.Types[fun.X]
		if !ok || tv.Type == nil {
			return false
		}
		obj, _, _ := types.LookupFieldOrMethod(tv.Type, true, p.Pkg, v.to)
		f, ok := obj.(*types.Func)
		return ok && f.FullName() == want
	case *ast.Ident:
		scope := p.ScopeAt(call.Pos())
		if scope == nil {
			return false
		}
		_, obj := scope.LookupParent(v.to, call.Pos())
		return obj != nil && obj == fn.Pkg().Scope().Lookup(v.to)
	}
	return false
}

// ctxExprAt returns the expression for the context of src at pos: the
// context parameter's name (or a context variable that shadows it there, a
// context derived from it), r.Context() or t.Context() when r or t still
// names the parameter at pos.
func ctxExprAt(p *Pass, src ctxSource, pos token.Pos) (CtxExpr, bool) {
	if !src.root() {
		return CtxExpr{}, false
	}
	if src.name != "" {
		// A blank parameter the fix names: FreshName chose a name no
		// identifier of the function uses.
		return CtxExpr{Recv: src.name}, true
	}
	scope := p.ScopeAt(pos)
	if scope == nil {
		return CtxExpr{}, false
	}
	_, obj := scope.LookupParent(src.v.Name(), pos)
	switch src.kind {
	case ctxParam:
		if v, ok := obj.(*types.Var); ok && isContextType(v.Type()) {
			return CtxExpr{Ident: src.v.Name()}, true
		}
	case ctxRequest, ctxTest:
		if obj == src.v {
			return CtxExpr{Recv: src.v.Name()}, true
		}
	}
	return CtxExpr{}, false
}

// ctxCmdWaited reports whether the exec.Cmd made by the call at callC is
// run synchronously in the function at fnC: Run, Output or CombinedOutput
// called on the call itself, or on the local variable it is assigned to,
// or Wait called on that variable.
func ctxCmdWaited(info *types.Info, fnC, callC inspector.Cursor) bool {
	isCmd := func(sel *ast.SelectorExpr, names ...string) bool {
		f, ok := info.Uses[sel.Sel].(*types.Func)
		if !ok {
			return false
		}
		for _, n := range names {
			if f.FullName() == "(*os/exec.Cmd)."+n {
				return true
			}
		}
		return false
	}
	n := callC
	for n.ParentEdgeKind() == edge.ParenExpr_X {
		n = n.Parent()
	}
	if n.ParentEdgeKind() == edge.SelectorExpr_X && n.Parent().ParentEdgeKind() == edge.CallExpr_Fun {
		return isCmd(n.Parent().Node().(*ast.SelectorExpr), "Run", "Output", "CombinedOutput")
	}
	var id *ast.Ident
	switch kind, idx := n.ParentEdge(); kind {
	case edge.AssignStmt_Rhs:
		as := n.Parent().Node().(*ast.AssignStmt)
		if len(as.Lhs) == len(as.Rhs) {
			id, _ = as.Lhs[idx].(*ast.Ident)
		}
	case edge.ValueSpec_Values:
		vs := n.Parent().Node().(*ast.ValueSpec)
		if len(vs.Names) == len(vs.Values) {
			id = vs.Names[idx]
		}
	}
	if id == nil {
		return false
	}
	v, ok := info.Defs[id].(*types.Var)
	if !ok {
		if v, ok = info.Uses[id].(*types.Var); !ok {
			return false
		}
	}
	for c := range fnC.Preorder((*ast.SelectorExpr)(nil)) {
		sel := c.Node().(*ast.SelectorExpr)
		if x, ok := sel.X.(*ast.Ident); ok && info.Uses[x] == v && c.ParentEdgeKind() == edge.CallExpr_Fun &&
			isCmd(sel, "Run", "Output", "CombinedOutput", "Wait") {
			return true
		}
	}
	return false
}

// ctxVariantFix decides the fix for a variant call whose context is src in
// the function at fnC: the CtxVariantFix, or the reason there is none.
// allowReturn: the result may be returned (the context is the caller's);
// returned reports that it is.
func ctxVariantFix(p *Pass, callC, fnC inspector.Cursor, fn *types.Func, v ctxVariant, arg CtxExpr, allowReturn bool, keeper *ctxKeeper) (fix *CtxVariantFix, why string, returned bool) {
	call := callC.Node().(*ast.CallExpr)
	fix = &CtxVariantFix{To: v.to, Arg: arg, ExtraNil: v.extraNil, Review: v.review}
	switch v.shape {
	case ctxRename:
		if !ctxVariantRenames(p, call, fn, v) {
			return nil, v.to + " does not name the context form here", false
		}
	case ctxDial:
		if why := ctxDialShape(p, call, v); why != "" {
			return nil, why, false
		}
		fix.Dial, fix.Timeout = true, v.timeout
	case ctxHTTP:
		if !ctxNamesPackage(p, call, "net/http", "http") {
			return nil, "net/http is dot-imported or hidden here: the fix could not name it", false
		}
	}
	// The context form must exist at the file's Go version. This is API
	// availability, not semantics: a file without a known version (the
	// standard library, GOPATH mode) builds at the toolchain's own, which
	// has every form.
	if fv := p.GoVersion(); v.since != "" && fv != "" && version.Compare(fv, v.since) < 0 {
		return nil, fmt.Sprintf("%s needs %s; the file's Go version is %s", ctxFormName(fn, v), v.since, fv), false
	}
	if v.keeps {
		fl := newCtxFlow(p.Info, fnC, allowReturn, keeper.keeps(p.Info))
		if !fl.exprStays(callC) {
			return nil, "the result may outlive the context", false
		}
		returned = fl.returned
	}
	if v.wait && !ctxCmdWaited(p.Info, fnC, callC) {
		return nil, "the command is not waited for here; cancelling the context would kill it", false
	}
	if v.shape == ctxHTTP {
		h, why := ctxHTTPShape(p, callC, fnC, fn, v)
		if h == nil {
			return nil, why, false
		}
		fix.HTTP = h
	}
	return fix, "", returned
}

// ctxNamesPackage reports whether the call's callee is written pkg.F with
// the file's name for the package at path (not dot-imported), and the fix
// can write further names of that package where the call is.
func ctxNamesPackage(p *Pass, call *ast.CallExpr, path, name string) bool {
	if !p.CanQualify(call.Pos(), path, name) {
		return false
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false // a dot-imported name
	}
	if x, ok := sel.X.(*ast.Ident); ok {
		if _, ok := p.Info.Uses[x].(*types.PkgName); ok {
			return true
		}
	}
	// A method (of an *http.Client): the package is named by CanQualify.
	s, ok := p.Info.Selections[sel]
	return ok && s.Kind() == types.MethodVal
}

// ctxDialShape checks that net.Dial(n, a) or net.DialTimeout(n, a, t) can
// become (&net.Dialer{Timeout: t}).DialContext(ctx, n, a): net can be
// named, and moving t before n and a does not reorder calls.
func ctxDialShape(p *Pass, call *ast.CallExpr, v ctxVariant) string {
	if !ctxNamesPackage(p, call, "net", "net") {
		return "net is dot-imported or hidden here: the fix could not name it"
	}
	if v.timeout {
		if len(call.Args) != 3 {
			return "unexpected arguments"
		}
		if ctxHasCall(p.Info, call.Args[2]) {
			if ctxHasCall(p.Info, call.Args[0]) {
				return "the timeout and the network both call functions: the timeout would be evaluated first"
			}
			if ctxHasCall(p.Info, call.Args[1]) {
				return "the timeout and the address both call functions: the timeout would be evaluated first"
			}
		}
	}
	return ""
}

// ctxHasCall reports whether evaluating e may call a function or receive
// from a channel (conversions and the pure builtins do not count).
func ctxHasCall(info *types.Info, e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				found = true
			}
		case *ast.CallExpr:
			if tv, ok := info.Types[n.Fun]; ok && tv.IsType() {
				return true // a conversion
			}
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok {
				if b, ok := info.Uses[id].(*types.Builtin); ok {
					switch b.Name() {
					case "len", "cap", "min", "max", "complex", "real", "imag", "new", "make":
						return true
					}
				}
			}
			found = true
		}
		return !found
	})
	return found
}

// ctxPlainValue reports whether evaluating e only reads a variable or is a
// constant: it may move past other code without a change (no call, no
// pointer indirection that could panic).
func ctxPlainValue(info *types.Info, e ast.Expr) bool {
	if tv, ok := info.Types[e]; ok && tv.Value != nil {
		return true
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		_, ok := info.Uses[x].(*types.Var)
		return ok
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			if _, ok := info.Uses[id].(*types.PkgName); ok {
				_, ok := info.Uses[x.Sel].(*types.Var)
				return ok
			}
		}
	}
	return false
}

// ctxNoReturn are functions that never return to their caller.
var ctxNoReturn = map[string]bool{
	"os.Exit": true, "runtime.Goexit": true,
	"log.Fatal": true, "log.Fatalf": true, "log.Fatalln": true,
	"log.Panic": true, "log.Panicf": true, "log.Panicln": true,
	"(*log.Logger).Fatal": true, "(*log.Logger).Fatalf": true, "(*log.Logger).Fatalln": true,
	"(*log.Logger).Panic": true, "(*log.Logger).Panicf": true, "(*log.Logger).Panicln": true,
	"(*testing.common).Fatal": true, "(*testing.common).Fatalf": true, "(*testing.common).FailNow": true,
	"(*testing.common).Skip": true, "(*testing.common).Skipf": true, "(*testing.common).SkipNow": true,
	"(testing.TB).Fatal": true, "(testing.TB).Fatalf": true, "(testing.TB).FailNow": true,
	"(testing.TB).Skip": true, "(testing.TB).Skipf": true, "(testing.TB).SkipNow": true,
}

// ctxLeaves reports whether a block always leaves: its last statement
// returns, breaks, continues, panics or calls a function that never
// returns.
func ctxLeaves(info *types.Info, body *ast.BlockStmt) bool {
	if body == nil || len(body.List) == 0 {
		return false
	}
	switch st := body.List[len(body.List)-1].(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.BranchStmt:
		return st.Tok == token.BREAK || st.Tok == token.CONTINUE
	case *ast.ExprStmt:
		call, ok := ast.Unparen(st.X).(*ast.CallExpr)
		if !ok {
			return false
		}
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
			if b, ok := info.Uses[id].(*types.Builtin); ok {
				return b.Name() == "panic"
			}
		}
		fn, ok := typeutil.Callee(info, call).(*types.Func)
		return ok && ctxNoReturn[fn.Origin().FullName()]
	}
	return false
}

// ctxIsNilCheck reports whether cond is `v != nil` or `nil != v`.
func ctxIsNilCheck(info *types.Info, cond ast.Expr, v *types.Var) bool {
	b, ok := ast.Unparen(cond).(*ast.BinaryExpr)
	if !ok || b.Op != token.NEQ {
		return false
	}
	is := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && info.Uses[id] == v
	}
	isNil := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && info.Uses[id] == types.Universe.Lookup("nil")
	}
	return (is(b.X) && isNil(b.Y)) || (isNil(b.X) && is(b.Y))
}

// ctxStmtInList reports whether the statement at c sits in a statement
// list (a block, a case or a comm clause), where statements can be
// inserted before it.
func ctxStmtInList(c inspector.Cursor) bool {
	switch c.ParentEdgeKind() {
	case edge.BlockStmt_List, edge.CaseClause_Body, edge.CommClause_Body:
		return true
	}
	return false
}

// ctxHTTPShape checks the statement around an http.Get/Head/Post call (or
// a client's) and returns how to rewrite it, or why it cannot be made
// exactly the same but for the context. Client.Get is
//
//	req, err := NewRequest("GET", url, nil)
//	if err != nil { return nil, err }
//	return c.Do(req)
//
// (Post sets the Content-Type header before Do): a request error comes
// back unwrapped with a nil response. The fix writes that with the
// context: where the call's statement is followed by an error check that
// always leaves and does not look at the response, the check is repeated
// for the request's error; where the call is returned as it is, the
// request's error is returned with a nil response.
func ctxHTTPShape(p *Pass, callC, fnC inspector.Cursor, fn *types.Func, v ctxVariant) (*CtxHTTPFix, string) {
	call := callC.Node().(*ast.CallExpr)
	info := p.Info
	h := &CtxHTTPFix{Method: v.method, Post: v.post}
	if sig := fn.Type().(*types.Signature); sig.Recv() != nil {
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return nil, "unexpected callee"
		}
		tv, ok := info.Types[sel.X]
		if !ok || tv.Type == nil || !(isPointerTo(tv.Type, "net/http", "Client") || isNamedType(tv.Type, "net/http", "Client")) {
			return nil, "the client is not an *http.Client: its Do may not be the one Get, Head and Post call"
		}
		if !ctxPlainValue(info, sel.X) {
			return nil, "the client is not a variable: it would be evaluated after the request is built"
		}
		h.Client = true
	}
	if v.post {
		if len(call.Args) != 3 {
			return nil, "unexpected arguments"
		}
		if !ctxPlainValue(info, call.Args[1]) {
			return nil, "the content type is computed: it would be computed after the request is built"
		}
	}
	stmtC := callC.Parent()
	if !ctxStmtInList(stmtC) {
		return nil, ctxHTTPNoShape
	}
	if !p.CanQualify(stmtC.Node().Pos(), "net/http", "http") {
		return nil, "net/http is dot-imported or hidden here: the fix could not name it"
	}
	switch callC.ParentEdgeKind() {
	case edge.ReturnStmt_Results:
		ret := stmtC.Node().(*ast.ReturnStmt)
		if len(ret.Results) != 1 {
			return nil, ctxHTTPNoShape
		}
		var res *types.Tuple
		for c := range callC.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
			switch n := c.Node().(type) {
			case *ast.FuncDecl:
				if obj, ok := info.Defs[n.Name].(*types.Func); ok {
					res = obj.Type().(*types.Signature).Results()
				}
			case *ast.FuncLit:
				if tv, ok := info.Types[n]; ok {
					if sig, ok := tv.Type.(*types.Signature); ok {
						res = sig.Results()
					}
				}
			}
			break
		}
		want := fn.Type().(*types.Signature).Results()
		if res == nil || res.Len() != 2 || !types.Identical(res.At(0).Type(), want.At(0).Type()) ||
			!types.Identical(res.At(1).Type(), types.Universe.Lookup("error").Type()) {
			return nil, "the function's results are not (*http.Response, error): returning the request's error as nil, err would not be the same"
		}
		h.Return = true
		h.Err = FreshName(p, fnC.Node(), ret.Pos(), "err")
	case edge.AssignStmt_Rhs:
		as := stmtC.Node().(*ast.AssignStmt)
		if len(as.Lhs) != 2 || len(as.Rhs) != 1 || (as.Tok != token.DEFINE && as.Tok != token.ASSIGN) {
			return nil, ctxHTTPNoShape
		}
		errID, ok := as.Lhs[1].(*ast.Ident)
		if !ok || errID.Name == "_" {
			return nil, ctxHTTPNoShape
		}
		errV := ctxVarOf(info, errID)
		if errV == nil {
			return nil, ctxHTTPNoShape
		}
		var respV *types.Var
		mustReturn := false // the check must leave the function: resp is not read after it
		switch r := as.Lhs[0].(type) {
		case *ast.Ident:
			if r.Name == "_" {
				break
			}
			if v, ok := info.Defs[r].(*types.Var); ok && as.Tok == token.DEFINE {
				respV = v
				h.Define = true
				break
			}
			// An existing variable: a failed http.Get sets it to nil, the
			// copied check leaves it as it was. The same when nothing can
			// read it once the check has left the function.
			respV = ctxVarOf(info, r)
			if respV == nil || !ctxUnreadAfterReturn(info, stmtC, respV) {
				return nil, ctxHTTPAssigned
			}
			mustReturn = true
		default:
			return nil, ctxHTTPAssigned
		}
		if errV.Parent() != p.ScopeAt(as.Pos()) {
			return nil, "err is declared in an outer block: building the request with := would declare another"
		}
		next, ok := stmtC.NextSibling()
		var check *ast.IfStmt
		if ok {
			check, _ = next.Node().(*ast.IfStmt)
		}
		if check == nil || check.Init != nil || !ctxIsNilCheck(info, check.Cond, errV) {
			return nil, ctxHTTPNoShape
		}
		bad := ""
		ast.Inspect(check.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.LabeledStmt:
				bad = "the error check declares a label, which cannot be copied"
			case *ast.BranchStmt:
				if n.Tok == token.GOTO {
					bad = "the error check jumps with goto: a copy before the call would jump over its declarations"
				}
			case *ast.Ident:
				if respV != nil && info.Uses[n] == respV {
					bad = "the error check uses the response, which is not declared yet where the request's error is checked"
				}
			}
			return bad == ""
		})
		if bad != "" {
			return nil, bad
		}
		if !ctxLeaves(info, check.Body) {
			return nil, "the error check after the call may fall through: the request's own error would go on to Do"
		}
		if _, branch := check.Body.List[len(check.Body.List)-1].(*ast.BranchStmt); mustReturn && branch {
			return nil, ctxHTTPAssigned
		}
		h.Err = errID.Name
	default:
		return nil, ctxHTTPNoShape
	}
	h.Req = FreshName(p, fnC.Node(), stmtC.Node().Pos(), "req")
	return h, ""
}

// ctxHTTPAssigned says why an http.Get assigned to an existing response
// variable that may be read later gets no fix.
const ctxHTTPAssigned = "the response variable is assigned, not declared, and may be read after the error check: a failed request would leave its old value instead of nil"

// ctxUnreadAfterReturn reports whether variable v, assigned by the
// statement at stmtC, cannot be read once the function holding the
// statement returns (or panics, or exits its goroutine): a local variable
// of that function, not a result, never captured by a function literal,
// its address never taken.
func ctxUnreadAfterReturn(info *types.Info, stmtC inspector.Cursor, v *types.Var) bool {
	var fnC inspector.Cursor
	for c := range stmtC.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		fnC = c
		break
	}
	ft := ctxFuncType(fnC.Node())
	if ft == nil {
		return false
	}
	sc := info.Scopes[ft]
	if sc == nil || !sc.Contains(v.Pos()) {
		return false // declared outside the function
	}
	if ft.Results != nil {
		for _, f := range ft.Results.List {
			for _, n := range f.Names {
				if info.Defs[n] == v {
					return false // a named result
				}
			}
		}
	}
	for c := range fnC.Preorder((*ast.Ident)(nil)) {
		if info.Uses[c.Node().(*ast.Ident)] != v {
			continue
		}
		for e := range c.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
			if e != fnC {
				return false // captured by a literal (a deferred one may run later)
			}
			break
		}
		if c.ParentEdgeKind() == edge.UnaryExpr_X && c.Parent().Node().(*ast.UnaryExpr).Op == token.AND {
			return false
		}
	}
	return true
}

// ctxHTTPNoShape says why an http.Get in another shape gets no fix.
const ctxHTTPNoShape = "the call is neither `resp, err := ...` followed by an error check that leaves, nor returned as it is: the request's own error would need handling of its own"

// ctxVarOf returns the variable an identifier defines or uses.
func ctxVarOf(info *types.Info, id *ast.Ident) *types.Var {
	if v, ok := info.Defs[id].(*types.Var); ok {
		return v
	}
	v, _ := info.Uses[id].(*types.Var)
	return v
}

// CtxVariants finds calls of context-less APIs that have a context form —
// http.NewRequest, the Query/QueryRow/Exec/Prepare/Begin/Ping methods of
// *sql.DB, *sql.Tx and *sql.Stmt, exec.Command — in a function that has a
// context: a context.Context parameter, an HTTP handler's request
// (r.Context()), or a test's t.Context() (Go 1.24). The fix calls the
// context form with that context.
//
// Calls in deferred code (a cleanup may have to run after the context is
// done), in function literals that may run later, and in goroutines the
// function does not wait for are left alone. The fix is withheld when the
// result (a request, rows, a transaction, a command) may outlive the
// context, and for a command not run to completion in the function.
func CtxVariants(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil {
		return nil
	}
	var out []Finding
	keeper := ctxPackageKeeper(p)
	for cur := range p.Inspector.Root().Preorder((*ast.CallExpr)(nil)) {
		call := cur.Node().(*ast.CallExpr)
		fn, v, ok := ctxVariantCall(p.Info, call)
		if !ok {
			continue
		}
		site := ctxSiteOf(p.Info, p.File, cur)
		if !site.src.root() || !site.ok(p.Info) {
			continue
		}
		if fn.FullName() == "net/http.NewRequest" && ctxRequestGetsCtx(p, cur, site.fn, site.src) {
			continue // req.WithContext(ctx) before it is sent: it carries ctx
		}
		if fn.FullName() == "net/http.NewRequest" && ctxRequestNotSent(p, cur, site.fn) {
			continue // served to a handler under test, never sent by a client
		}
		arg := site.src.expr()
		fd := Finding{Pos: call.Pos(), End: call.End(),
			Message: fmt.Sprintf("%s ignores the context in scope (%s)", ctxVariantDisplay(fn), arg)}
		a, ok := ctxExprAt(p, site.src, call.Pos())
		if !ok {
			fd.NoFix = fmt.Sprintf("%s is shadowed here", site.src.v.Name())
			fd.Message += "; not fixed: " + fd.NoFix
			out = append(out, fd)
			continue
		}
		// The result may be returned when the context is the caller's: the
		// ctx parameter itself, not a context derived from it that the
		// function may cancel when it returns.
		own := ctxOwnParamAt(p, site.fn, site.src, call.Pos())
		fix, why, _ := ctxVariantFix(p, cur, site.fn, fn, v, a, own, keeper)
		if fix == nil {
			fd.Message += "; not fixed: " + why
			fd.NoFix = why
		} else {
			fd.Fix = &Fix{
				Message: ctxVariantFixMessage(fn, v, a),
				Anchor:  call,
				Data:    *fix,
				Review:  fix.Review,
			}
			if fix.HTTP != nil {
				// Statements go in before the call's: one such fix per
				// list and round.
				fd.Fix.Lists = []ast.Node{cur.Parent().Parent().Node()}
			}
		}
		out = append(out, fd)
	}
	return out
}

// ctxVariantFixMessage says what the fix of a variant call does.
func ctxVariantFixMessage(fn *types.Func, v ctxVariant, a CtxExpr) string {
	switch v.shape {
	case ctxDial:
		return fmt.Sprintf("dial with (*net.Dialer).DialContext and %s", a)
	case ctxHTTP:
		return fmt.Sprintf("build the request with http.NewRequestWithContext and %s, and send it with Do", a)
	}
	return fmt.Sprintf("call %s with %s", v.to, a)
}

// ctxPackageKeeper is a ctxKeeper over the functions of p's package.
func ctxPackageKeeper(p *Pass) *ctxKeeper {
	var decls map[*types.Func]*ast.FuncDecl
	var fileOf map[*ast.FuncDecl]*ast.File
	insp := map[*ast.File]*inspector.Inspector{}
	return &ctxKeeper{lookup: func(fn *types.Func) (*ast.FuncDecl, *types.Info, inspector.Cursor, bool) {
		if fn.Pkg() != p.Pkg {
			return nil, nil, inspector.Cursor{}, false
		}
		if decls == nil {
			decls, fileOf = map[*types.Func]*ast.FuncDecl{}, map[*ast.FuncDecl]*ast.File{}
			for _, f := range p.Files {
				for _, d := range f.Decls {
					if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
						if obj, ok := p.Info.Defs[fd.Name].(*types.Func); ok {
							decls[obj], fileOf[fd] = fd, f
						}
					}
				}
			}
		}
		fd := decls[fn]
		if fd == nil {
			return nil, nil, inspector.Cursor{}, false
		}
		f := fileOf[fd]
		in := insp[f]
		if in == nil {
			if f == p.File && p.Inspector != nil {
				in = p.Inspector
			} else {
				in = inspector.New([]*ast.File{f})
			}
			insp[f] = in
		}
		c, ok := in.Root().FindNode(fd)
		return fd, p.Info, c, ok
	}}
}

// ctxReqNoSend are the methods of *http.Request that neither send the
// request nor hand it on.
var ctxReqNoSend = map[string]bool{"AddCookie": true, "SetBasicAuth": true, "SetPathValue": true}

// ctxRequestVar returns the assignment `req, err := http.NewRequest(...)`
// of the call at callC and its request variable, when that variable is the
// own variable of the function at fnC; nil otherwise.
func ctxRequestVar(p *Pass, callC, fnC inspector.Cursor) (*ast.AssignStmt, *types.Var) {
	if callC.ParentEdgeKind() != edge.AssignStmt_Rhs {
		return nil, nil
	}
	as := callC.Parent().Node().(*ast.AssignStmt)
	if len(as.Rhs) != 1 || len(as.Lhs) != 2 {
		return nil, nil
	}
	id, ok := as.Lhs[0].(*ast.Ident)
	if !ok {
		return nil, nil
	}
	v := ctxVarOf(p.Info, id)
	fn := fnC.Node()
	if v == nil || v.Pos() < fn.Pos() || v.Pos() >= fn.End() {
		return nil, nil // not the function's own variable
	}
	return as, v
}

// ctxRequestGetsCtx reports whether the request made by the http.NewRequest
// call at callC gets the context the fix would give it before it can be
// sent: the call is assigned to a variable of the function at fnC, and
// every other use of that variable is a field of the request
// (req.Header.Set...), a method that does not send it, or
// req.WithContext(c) / req.Clone(c) with c the context expression of src
// at that point — at least one of these. The request that goes out then
// already carries the context; a rewrite would fix nothing.
func ctxRequestGetsCtx(p *Pass, callC, fnC inspector.Cursor, src ctxSource) bool {
	as, v := ctxRequestVar(p, callC, fnC)
	if v == nil {
		return false
	}
	id, fn := as.Lhs[0], fnC.Node()
	// req = req.WithContext(ctx) in the same statement list, straight after
	// the uses that come before it: from there on req is the request with
	// ctx (no goto in the function could jump over it).
	after := fn.End()
	var reset *ast.AssignStmt
	if list, ok := callC.Parent().Parent().Node().(*ast.BlockStmt); ok && !ctxHasGoto(fn) {
		for _, st := range list.List {
			a, ok := st.(*ast.AssignStmt)
			if !ok || a.Pos() <= as.Pos() || a.Tok != token.ASSIGN || len(a.Lhs) != 1 || len(a.Rhs) != 1 {
				continue
			}
			if l, ok := a.Lhs[0].(*ast.Ident); !ok || ctxVarOf(p.Info, l) != v {
				continue
			}
			call, ok := a.Rhs[0].(*ast.CallExpr)
			if !ok {
				break
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				break
			}
			if x, ok := sel.X.(*ast.Ident); ok && ctxVarOf(p.Info, x) == v {
				reset, after = a, a.End()
			}
			break // the first assignment to req decides
		}
	}
	withCtx := false
	for c := range fnC.Preorder((*ast.Ident)(nil)) {
		u := c.Node().(*ast.Ident)
		if u == id || ctxVarOf(p.Info, u) != v {
			continue
		}
		if u.Pos() >= after {
			continue // the request made by req = req.WithContext(ctx)
		}
		if reset != nil && u == reset.Lhs[0] {
			continue
		}
		if c.ParentEdgeKind() != edge.SelectorExpr_X {
			return false // sent, passed on, assigned, compared...
		}
		sel := c.Parent().Node().(*ast.SelectorExpr)
		s, ok := p.Info.Selections[sel]
		if !ok {
			return false
		}
		if s.Kind() == types.FieldVal {
			continue
		}
		if s.Kind() != types.MethodVal || c.Parent().ParentEdgeKind() != edge.CallExpr_Fun {
			return false
		}
		if ctxReqNoSend[sel.Sel.Name] {
			continue
		}
		call := c.Parent().Parent().Node().(*ast.CallExpr)
		if (sel.Sel.Name != "WithContext" && sel.Sel.Name != "Clone") || len(call.Args) != 1 ||
			!ctxIsSourceExpr(p, src, call.Args[0]) {
			return false
		}
		withCtx = true
	}
	return withCtx
}

// ctxIsSourceExpr reports whether e is the context expression of src at
// e's position (what ctxExprAt gives): the context variable named like the
// ctx parameter, or r.Context() / t.Context() of the parameter.
func ctxIsSourceExpr(p *Pass, src ctxSource, e ast.Expr) bool {
	want, ok := ctxExprAt(p, src, e.Pos())
	if !ok {
		return false
	}
	e = ast.Unparen(e)
	switch {
	case want.Ident != "":
		id, ok := e.(*ast.Ident)
		if !ok || id.Name != want.Ident {
			return false
		}
		v, ok := p.Info.Uses[id].(*types.Var)
		return ok && isContextType(v.Type())
	case want.Recv != "":
		call, ok := e.(*ast.CallExpr)
		if !ok || len(call.Args) != 0 {
			return false
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Context" {
			return false
		}
		x, ok := ast.Unparen(sel.X).(*ast.Ident)
		return ok && p.Info.Uses[x] == src.v
	}
	return false
}

// ctxHasGoto reports whether the function n contains a goto statement.
func ctxHasGoto(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if b, ok := n.(*ast.BranchStmt); ok && b.Tok == token.GOTO {
			found = true
		}
		return !found
	})
	return found
}

// ctxRequestNotSent reports whether the request made by the http.NewRequest
// call at callC never reaches a client in the function at fnC: it is
// assigned to a variable of the function, and every use of that variable
// is a field of the request, a method that does not send it, or the
// request argument of a handler call (a function or method taking an
// http.ResponseWriter and the *http.Request: hello(w, r), h.ServeHTTP(w,
// r)) — a test serving it to a handler. Nothing goes over the network.
func ctxRequestNotSent(p *Pass, callC, fnC inspector.Cursor) bool {
	as, v := ctxRequestVar(p, callC, fnC)
	if v == nil {
		return false
	}
	id := as.Lhs[0]
	for c := range fnC.Preorder((*ast.Ident)(nil)) {
		u := c.Node().(*ast.Ident)
		if u == id || ctxVarOf(p.Info, u) != v {
			continue
		}
		switch c.ParentEdgeKind() {
		case edge.SelectorExpr_X:
			sel := c.Parent().Node().(*ast.SelectorExpr)
			s, ok := p.Info.Selections[sel]
			if !ok {
				return false
			}
			if s.Kind() == types.FieldVal {
				continue
			}
			if s.Kind() != types.MethodVal || c.Parent().ParentEdgeKind() != edge.CallExpr_Fun || !ctxReqNoSend[sel.Sel.Name] {
				return false
			}
		case edge.CallExpr_Args:
			call := c.Parent().Node().(*ast.CallExpr)
			sig, ok := p.Info.TypeOf(call.Fun).Underlying().(*types.Signature)
			if !ok || call.Ellipsis.IsValid() || sig.Params().Len() != len(call.Args) {
				return false
			}
			if tv := p.Info.Types[call.Fun]; tv.IsType() {
				return false // a conversion
			}
			writer, req := false, false
			for i := range sig.Params().Len() {
				t := sig.Params().At(i).Type()
				writer = writer || isNamedType(t, "net/http", "ResponseWriter")
				if i == c.ParentEdgeIndex() {
					req = isPointerTo(t, "net/http", "Request")
				}
			}
			if !writer || !req {
				return false
			}
		default:
			return false
		}
	}
	return true
}
