package matchers

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
)

// CtxVariantFix is the Fix.Data of a ctx-variants finding, and the Data of
// a ctx-threading edit that turns a call into its context form: rename the
// callee to To and pass Arg first (and nil last when ExtraNil:
// Begin() → BeginTx(ctx, nil)).
type CtxVariantFix struct {
	To       string
	Arg      CtxExpr
	ExtraNil bool
}

// ctxVariant is a context-less API and its context form.
type ctxVariant struct {
	to       string
	extraNil bool // the context form takes a further nil argument (BeginTx's options)
	keeps    bool // the result holds on to the context (a request, rows, a transaction, a command)
	wait     bool // an exec.Cmd: the context kills the process, which must be waited for in the function
}

// ctxVariants maps a function's FullName to its context form. Each
// context-less form is implemented as its context form called with
// context.Background() (and nil options for Begin), so passing another
// context changes nothing but cancellation and deadlines.
var ctxVariants = map[string]ctxVariant{
	"net/http.NewRequest":           {to: "NewRequestWithContext", keeps: true},
	"(*database/sql.DB).Query":      {to: "QueryContext", keeps: true},
	"(*database/sql.DB).QueryRow":   {to: "QueryRowContext", keeps: true},
	"(*database/sql.DB).Exec":       {to: "ExecContext"},
	"(*database/sql.DB).Prepare":    {to: "PrepareContext"},
	"(*database/sql.DB).Begin":      {to: "BeginTx", extraNil: true, keeps: true},
	"(*database/sql.DB).Ping":       {to: "PingContext"},
	"(*database/sql.Tx).Query":      {to: "QueryContext", keeps: true},
	"(*database/sql.Tx).QueryRow":   {to: "QueryRowContext", keeps: true},
	"(*database/sql.Tx).Exec":       {to: "ExecContext"},
	"(*database/sql.Tx).Prepare":    {to: "PrepareContext"},
	"(*database/sql.Stmt).Query":    {to: "QueryContext", keeps: true},
	"(*database/sql.Stmt).QueryRow": {to: "QueryRowContext", keeps: true},
	"(*database/sql.Stmt).Exec":     {to: "ExecContext"},
	"os/exec.Command":               {to: "CommandContext", keeps: true, wait: true},
}

// ctxVariantNames are the names of ctxVariants' functions (a cheap filter).
var ctxVariantNames = map[string]bool{
	"NewRequest": true, "Query": true, "QueryRow": true, "Exec": true,
	"Prepare": true, "Begin": true, "Ping": true, "Command": true,
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
	if !ctxVariantRenames(p, call, fn, v) {
		return nil, v.to + " does not name the context form here", false
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
	return &CtxVariantFix{To: v.to, Arg: arg, ExtraNil: v.extraNil}, "", returned
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
				Message: fmt.Sprintf("call %s with %s", v.to, a),
				Anchor:  call,
				Data:    *fix,
			}
		}
		out = append(out, fd)
	}
	return out
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
