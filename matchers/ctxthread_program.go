package matchers

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/edge"
	"golang.org/x/tools/go/ast/inspector"
)

// CtxEditKind is what one Edit of a ctx-threading fix does.
type CtxEditKind int

const (
	// CtxAddParam adds `Name context.Context` as the first parameter of the
	// function declared by the Edit's Anchor (*ast.FuncDecl).
	CtxAddParam CtxEditKind = iota + 1
	// CtxReplace replaces the context.Background()/TODO() call at Anchor
	// (*ast.CallExpr) with Arg.
	CtxReplace
	// CtxAddArg passes Arg as the first argument of the call at Anchor.
	CtxAddArg
	// CtxBind inserts `Name := Arg` as the first statement of the body at
	// Anchor (*ast.BlockStmt).
	CtxBind
	// CtxVariant turns the call at Anchor into its context form (Variant).
	CtxVariant
	// CtxNameParam renames the blank parameter at Anchor (*ast.Ident, _)
	// to Name.
	CtxNameParam
	// CtxRemoveDecl removes the statement at Anchor (*ast.AssignStmt,
	// `ctx := context.Background()`), whose name the new parameter takes.
	CtxRemoveDecl
)

// CtxThreadEdit is the Data of one Edit of a ctx-threading fix.
type CtxThreadEdit struct {
	Kind    CtxEditKind
	Name    string
	Arg     CtxExpr
	Variant CtxVariantFix
	// Next is, for CtxRemoveDecl, the statement after the removed one: the
	// comments above the removed statement move to it.
	Next ast.Stmt
}

// CtxThreadingOptions tune CtxThreadingWith.
type CtxThreadingOptions struct {
	// API also changes exported functions of importable packages (not
	// main, not under internal/): their signature is public API.
	API bool
}

// CtxThreading is CtxThreadingWith with the default options (public API
// left alone).
func CtxThreading(p *Program) []Finding {
	return CtxThreadingWith(p, CtxThreadingOptions{})
}

// CtxThreadingWith finds calls of context.Background() and context.TODO()
// — and of context-less APIs that have a context form (see CtxVariants) —
// in a function F reached, through static calls in the loaded program, from
// a function that has a context (a context.Context parameter, an HTTP
// handler's request, a Go 1.24+ test's t.Context()). The fix adds a ctx
// parameter to every function on the chains from those roots to F, uses it
// at the call, and passes a context at every call site of every changed
// function: the caller's own (new or existing) context when it has one, or
// context.TODO() (a visible marker) when it has none.
//
// Only calls whose context may be the caller's are taken: not in deferred
// code, not in function literals that may run later, not in goroutines the
// function does not wait for, and not when the context (or a value made
// with it) leaves the function: returned, stored, sent, handed to a
// goroutine, or kept by a callee of the program. A function changes only
// when it is declared in a file this run rewrites, every reference to it
// is a call in such a file (no function values, no method expressions, no
// files of other build configurations), it is not main, init, a test, a
// method that may implement an interface, or exported API (unless
// opts.API). Otherwise the finding comes without a fix.
func CtxThreadingWith(p *Program, opts CtxThreadingOptions) []Finding {
	a := &ctAnalysis{prog: p, fset: p.Fset, opts: opts,
		funcs: map[string]*ctFunc{}, byNode: map[ast.Node]*ctFunc{},
		ignored: map[string][]*ast.File{}}
	a.collect()
	if len(a.targets) == 0 {
		return nil
	}
	a.requestRoots()
	a.keeper = &ctxKeeper{lookup: a.lookupDecl}
	return a.run()
}

type ctAnalysis struct {
	prog   *Program
	fset   *token.FileSet
	opts   CtxThreadingOptions
	files  []*ctFile
	funcs  map[string]*ctFunc   // declared functions by ObjectKey
	byNode map[ast.Node]*ctFunc // FuncDecls and literal roots by node
	sites  []*ctSite            // calls of functions in funcs

	targets []*ctTarget
	keeper  *ctxKeeper

	ignored   map[string][]*ast.File // directory → its Go files this load did not include
	ifaces    map[string]bool        // interface method names (pkgpath.name when unexported)
	linknames map[string]bool        // names in //go:linkname and //export directives
	converted map[string]bool        // convertedToIface by the type's ObjectKey
	out       map[*ctFunc][]*ctSite  // sites by the function whose context they use
}

type ctFile struct {
	f     *ast.File
	pp    *ProgramPackage
	name  string
	owned bool
	insp  *inspector.Inspector
	pass  *Pass
}

type ctFunc struct {
	key   string
	obj   *types.Func // nil for a literal
	node  ast.Node    // *ast.FuncDecl or *ast.FuncLit
	cur   inspector.Cursor
	file  *ctFile
	src   ctxSource
	why   string // why it cannot take a ctx parameter; "" when it can
	whyOK bool   // why is computed
	value string // a reference that is not a call, when there is one
	refs  []*ctSite
	name  string // the new parameter's name, once chosen
	// derived: a root only for ctx-threading (requestRoots): the file's
	// own context source (ctxSourceOf, which ctx-variants uses) has none.
	derived bool
	blank   *ast.Ident // the _ request parameter a derived root names (src.name)
}

type ctSite struct {
	call   *ast.CallExpr
	cur    inspector.Cursor
	file   *ctFile
	from   *ctFunc // the function whose context the site may use; nil: none
	uses   bool    // the site may use from's context
	callee *ctFunc
	// chain: the site may carry a chain (uses, and not a call from a
	// test file into code outside the tests: production functions are not
	// changed for the sake of tests alone).
	chain bool
}

type ctTarget struct {
	site    *ctSite
	what    string // "context.Background()", "http.NewRequest"...
	variant *ctxVariant
	vfn     *types.Func
	in      *ctFunc
	// results
	chain []*ctFunc // the changed functions (F last), when fixable
	roots []*ctFunc
	path  []*ctFunc // one chain from a root to F, for the message
	why   string    // why no fix
	reach bool      // reached from a root at all
	group *ctGroup
	// returned: a value made with the context is returned by the function
	vfix     *CtxVariantFix
	returned bool
}

type ctGroup struct {
	targets []*ctTarget
	funcs   map[*ctFunc]bool // changed functions
	roots   map[*ctFunc]bool // request and test roots whose context is used
	why     string
	edits   []Edit
	calls   int
}

func (a *ctAnalysis) pos(p token.Pos) string {
	pos := a.fset.PositionFor(p, false)
	return fmt.Sprintf("%s:%d", filepath.Base(pos.Filename), pos.Line)
}

// collect indexes files, functions, call sites and targets.
func (a *ctAnalysis) collect() {
	byName := map[string]*ctFile{}
	for _, pp := range a.prog.Packages {
		for _, f := range pp.Owned {
			name := a.fset.File(f.Pos()).Name()
			if byName[name] == nil {
				byName[name] = &ctFile{f: f, pp: pp, name: name, owned: true}
			}
		}
	}
	for _, pp := range a.prog.Packages {
		for _, f := range pp.Files {
			name := a.fset.File(f.Pos()).Name()
			if byName[name] == nil {
				byName[name] = &ctFile{f: f, pp: pp, name: name}
			}
		}
	}
	for _, cf := range byName {
		a.files = append(a.files, cf)
	}
	sort.Slice(a.files, func(i, j int) bool { return a.files[i].name < a.files[j].name })
	for _, cf := range a.files {
		cf.insp = inspector.New([]*ast.File{cf.f})
		cf.pass = cf.pp.Pass(a.fset, cf.f)
		cf.pass.Inspector = cf.insp
		for c := range cf.insp.Root().Preorder((*ast.FuncDecl)(nil)) {
			fd := c.Node().(*ast.FuncDecl)
			obj, ok := cf.pp.Info.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			key := ObjectKey(a.fset, obj)
			if old := a.funcs[key]; old != nil && old.file.owned {
				continue
			}
			fn := &ctFunc{key: key, obj: obj, node: fd, cur: c, file: cf, src: ctxSourceOf(cf.pp.Info, cf.f, fd.Type)}
			a.funcs[key] = fn
			a.byNode[fd] = fn
		}
	}
	for _, cf := range a.files {
		info := cf.pp.Info
		for c := range cf.insp.Root().Preorder((*ast.Ident)(nil), (*ast.CallExpr)(nil)) {
			switch n := c.Node().(type) {
			case *ast.Ident:
				fn, ok := info.Uses[n].(*types.Func)
				if !ok {
					continue
				}
				callee := a.funcs[ObjectKey(a.fset, fn.Origin())]
				if callee == nil {
					continue
				}
				callC, ok := ctCallOf(info, c)
				if !ok {
					if callee.value == "" {
						callee.value = a.pos(n.Pos())
					}
					continue
				}
				s := a.site(cf, callC)
				s.callee = callee
				s.chain = s.uses && (!ctTestFile(s.file.name) || ctTestFile(callee.file.name))
				callee.refs = append(callee.refs, s)
				a.sites = append(a.sites, s)
			case *ast.CallExpr:
				if !cf.owned {
					continue
				}
				if kind := ctxBackgroundCall(info, n); kind != "" {
					if ctxCompared(c) {
						continue // ctx != context.Background(): a test, not a context used
					}
					a.targets = append(a.targets, &ctTarget{site: a.site(cf, c), what: "context." + kind + "()"})
				} else if fn, v, ok := ctxVariantCall(info, n); ok {
					a.targets = append(a.targets, &ctTarget{site: a.site(cf, c), what: ctxVariantDisplay(fn), variant: &v, vfn: fn})
				}
			}
		}
	}
}

// ctxCompared reports whether the expression at c is only compared: an
// operand of == or !=, a switch tag or a case expression. No context made
// there is used for any work, and passing ctx instead would change the
// comparison's result.
func ctxCompared(c inspector.Cursor) bool {
	for c.ParentEdgeKind() == edge.ParenExpr_X {
		c = c.Parent()
	}
	switch c.ParentEdgeKind() {
	case edge.BinaryExpr_X, edge.BinaryExpr_Y:
		op := c.Parent().Node().(*ast.BinaryExpr).Op
		return op == token.EQL || op == token.NEQ
	case edge.SwitchStmt_Tag, edge.CaseClause_List:
		return true
	}
	return false
}

// ctCallOf returns the call whose callee the identifier at c names
// (f(...), pkg.F(...), x.m(...), f[T](...)), or false for any other use.
func ctCallOf(info *types.Info, c inspector.Cursor) (inspector.Cursor, bool) {
	n := c
	if n.ParentEdgeKind() == edge.SelectorExpr_Sel {
		n = n.Parent()
		if s, ok := info.Selections[n.Node().(*ast.SelectorExpr)]; ok && s.Kind() != types.MethodVal {
			return inspector.Cursor{}, false // a method expression T.m
		}
	}
	for {
		switch n.ParentEdgeKind() {
		case edge.IndexExpr_X, edge.IndexListExpr_X, edge.ParenExpr_X:
			n = n.Parent()
			continue
		case edge.CallExpr_Fun:
			return n.Parent(), true
		}
		return inspector.Cursor{}, false
	}
}

// site makes the site of the call at c.
func (a *ctAnalysis) site(cf *ctFile, c inspector.Cursor) *ctSite {
	s := &ctSite{call: c.Node().(*ast.CallExpr), cur: c, file: cf}
	sc := ctxSiteOf(cf.pp.Info, cf.f, c)
	if !sc.fn.Valid() {
		return s
	}
	from := a.byNode[sc.fn.Node()]
	if from == nil {
		if _, ok := sc.fn.Node().(*ast.FuncLit); !ok {
			return s // a FuncDecl without an object
		}
		from = &ctFunc{key: a.pos(sc.fn.Node().Pos()), node: sc.fn.Node(), cur: sc.fn, file: cf, src: sc.src}
		a.byNode[sc.fn.Node()] = from
	}
	s.from = from
	s.uses = sc.ok(cf.pp.Info)
	return s
}

func (a *ctAnalysis) lookupDecl(fn *types.Func) (*ast.FuncDecl, *types.Info, inspector.Cursor, bool) {
	f := a.funcs[ObjectKey(a.fset, fn)]
	if f == nil {
		return nil, nil, inspector.Cursor{}, false
	}
	fd, ok := f.node.(*ast.FuncDecl)
	if !ok || fd.Body == nil {
		return nil, nil, inspector.Cursor{}, false
	}
	return fd, f.file.pp.Info, f.cur, true
}

// display names a function for messages: f, T.m, pkg.f from another
// package than rel's, "func literal in f" for a literal.
func (a *ctAnalysis) display(fn *ctFunc, rel *types.Package) string {
	if fn.obj == nil {
		for c := range fn.cur.Enclosing((*ast.FuncDecl)(nil)) {
			if f := a.byNode[c.Node()]; f != nil {
				return "func literal in " + a.display(f, rel)
			}
		}
		return "func literal at " + a.pos(fn.node.Pos())
	}
	name := fn.obj.Name()
	if sig, ok := fn.obj.Type().(*types.Signature); ok && sig.Recv() != nil {
		t := sig.Recv().Type()
		if p, ok := types.Unalias(t).(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := types.Unalias(t).(*types.Named); ok {
			name = n.Obj().Name() + "." + name
		}
	}
	if fn.obj.Pkg() != nil && (rel == nil || fn.obj.Pkg().Path() != rel.Path()) {
		name = fn.obj.Pkg().Name() + "." + name
	}
	return name
}

// editable computes why fn cannot take a new ctx parameter ("" if it can).
func (a *ctAnalysis) editable(fn *ctFunc) string {
	if fn.whyOK {
		return fn.why
	}
	fn.whyOK = true
	fn.why = a.whyNot(fn)
	return fn.why
}

func (a *ctAnalysis) whyNot(fn *ctFunc) string {
	fd, ok := fn.node.(*ast.FuncDecl)
	if !ok || fn.obj == nil {
		return "is a function literal"
	}
	switch {
	case fn.src.kind == ctxUnusable:
		return "has a context parameter without a name"
	case fn.src.root():
		return "has a context"
	case !fn.file.owned:
		return "is declared in a file this run does not rewrite"
	case fd.Body == nil:
		return "has no body"
	case fn.value != "":
		return "is used as a value (" + fn.value + ")"
	}
	sig := fn.obj.Type().(*types.Signature)
	name := fn.obj.Name()
	pkg := fn.file.pp.Pkg
	test := ctTestFile(fn.file.name)
	if sig.Recv() == nil {
		if name == "init" || (name == "main" && pkg.Name() == "main") {
			return "is " + name
		}
		if test {
			for _, pre := range []string{"Test", "Benchmark", "Fuzz", "Example"} {
				if strings.HasPrefix(name, pre) {
					return "is a test function"
				}
			}
		}
	}
	if !a.opts.API && a.isAPI(fn) {
		return "is exported API of package " + pkg.Path() + ": changing its signature is a review-tier fix (apply it with --tier review)"
	}
	if sig.Recv() != nil && a.ifaceMethod(fn.obj) {
		return "is a method that may implement an interface"
	}
	if !a.prog.Review {
		// At the safe tier the chain stops at shared work, so that the
		// rest of its group keeps a safe fix; at the review tier the fix
		// goes through and names the edge case (detachNotes).
		if where := a.sharedResult(fn); where != "" {
			return "returns what a caller stores where other callers share it (" + where + "): one caller's cancellation would fail them all; a review-tier fix (apply it with --tier review)"
		}
	}
	for _, r := range fn.refs {
		if !r.file.owned {
			return "is called from a file this run does not rewrite (" + a.pos(r.call.Pos()) + ")"
		}
	}
	if a.linknamed(name) {
		return "is named in a //go:linkname or //export directive"
	}
	if a.usedByOtherBuilds(fn) {
		return "is named in files of other build configurations"
	}
	return ""
}

// sharedResult says where a caller of fn stores fn's result so that other
// callers share it (ctShared), or "".
func (a *ctAnalysis) sharedResult(fn *ctFunc) string {
	for _, s := range a.sites {
		if s.callee == fn && s.from != nil {
			if where := ctShared(s.file.pp.Info, s.from.node, s.cur); where != "" {
				return where
			}
		}
	}
	return ""
}

func ctTestFile(name string) bool { return strings.HasSuffix(name, "_test.go") }

// isAPI reports whether fn is public API: exported, declared outside test
// files, in a package other modules may import.
//
// A method of an unexported type that no exported declaration mentions
// (hiddenType) is not API: other packages can call it only through an
// interface, which ifaceMethod checks.
func (a *ctAnalysis) isAPI(fn *ctFunc) bool {
	if fn.obj == nil || !fn.obj.Exported() || ctTestFile(fn.file.name) || !ctAPIPackage(fn.file.pp.Pkg) {
		return false
	}
	if tn := recvTypeName(fn.obj); tn != nil && a.hiddenType(tn) {
		return false
	}
	return true
}

// ctAPIPackage reports whether other modules may import pkg: not a main
// package, no internal path element.
func ctAPIPackage(pkg *types.Package) bool {
	if pkg.Name() == "main" {
		return false
	}
	for _, el := range strings.Split(pkg.Path(), "/") {
		if el == "internal" {
			return false
		}
	}
	return true
}

// ctDynamicMethods are methods the standard library looks up with
// anonymous interfaces or type assertions that no named interface lists.
var ctDynamicMethods = []string{"Unwrap", "Is", "As", "Timeout", "Temporary", "Error", "String",
	"Format", "GoString", "Cause", "Close", "Err", "Deadline", "Done", "Value"}

// ifaceMethod reports whether m may implement an interface method: some
// interface of the loaded program or of a package it imports has a method
// of m's name (for an unexported name: of m's package).
func (a *ctAnalysis) ifaceMethod(m *types.Func) bool {
	if a.ifaces == nil {
		a.ifaces = map[string]bool{}
		for _, n := range ctDynamicMethods {
			a.ifaces[n] = true
		}
		addIface := func(t types.Type) {
			it, ok := t.Underlying().(*types.Interface)
			if !ok {
				return
			}
			for i := range it.NumMethods() {
				f := it.Method(i)
				if f.Exported() || f.Pkg() == nil {
					a.ifaces[f.Name()] = true
				} else {
					a.ifaces[f.Pkg().Path()+"."+f.Name()] = true
				}
			}
		}
		seen := map[*types.Package]bool{}
		var visit func(p *types.Package)
		visit = func(p *types.Package) {
			if seen[p] {
				return
			}
			seen[p] = true
			sc := p.Scope()
			for _, n := range sc.Names() {
				if tn, ok := sc.Lookup(n).(*types.TypeName); ok {
					addIface(tn.Type())
				}
			}
			for _, q := range p.Imports() {
				visit(q)
			}
		}
		for _, pp := range a.prog.Packages {
			visit(pp.Pkg)
			for _, tv := range pp.Info.Types {
				if tv.Type != nil {
					addIface(tv.Type)
				}
			}
			for _, obj := range pp.Info.Defs {
				if tn, ok := obj.(*types.TypeName); ok {
					addIface(tn.Type())
				}
			}
		}
	}
	named := a.ifaces[m.Pkg().Path()+"."+m.Name()]
	if m.Exported() {
		named = a.ifaces[m.Name()]
	}
	if !named {
		return false
	}
	for _, n := range ctDynamicMethods {
		if m.Name() == n {
			return true // conventional names (String, Error...): kept as they are
		}
	}
	// A type other packages cannot hold whose values are never converted
	// to an interface (in the loaded files, nor named in files of other
	// build configurations) implements nothing, whatever its methods' names.
	tn := recvTypeName(m)
	return !a.hiddenType(tn) || a.convertedToIface(tn) || a.namedInOtherBuilds(tn)
}

// namedInOtherBuilds reports whether a file of tn's directory and package
// that this load did not include mentions tn's name.
func (a *ctAnalysis) namedInOtherBuilds(tn *types.TypeName) bool {
	dir := filepath.Dir(a.fset.PositionFor(tn.Pos(), false).Filename)
	for _, f := range a.ignoredIn(dir) {
		if f.Name.Name != tn.Pkg().Name() {
			continue
		}
		found := false
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == tn.Name() {
				found = true
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// linknamed reports whether name appears in a //go:linkname or //export
// directive of any loaded file.
func (a *ctAnalysis) linknamed(name string) bool {
	if a.linknames == nil {
		a.linknames = map[string]bool{}
		for _, cf := range a.files {
			for _, cg := range cf.f.Comments {
				for _, c := range cg.List {
					if !strings.HasPrefix(c.Text, "//go:linkname ") && !strings.HasPrefix(c.Text, "//export ") {
						continue
					}
					for _, w := range strings.Fields(c.Text)[1:] {
						a.linknames[w] = true
						if i := strings.LastIndex(w, "."); i >= 0 {
							a.linknames[w[i+1:]] = true
						}
					}
				}
			}
		}
	}
	return a.linknames[name]
}

// usedByOtherBuilds reports whether a Go file this load did not include
// (another GOOS/GOARCH, build tags, tests when they are not loaded) may
// refer to the function: in its own package, by its bare name (a function)
// or as a selector (a method); in any package importing it (for an
// exported name), as pkg.Name (a function) or a selector (a method).
func (a *ctAnalysis) usedByOtherBuilds(fn *ctFunc) bool {
	dir := filepath.Dir(fn.file.name)
	for _, f := range a.ignoredIn(dir) {
		if ctRefersTo(f, fn.obj, true) {
			return true
		}
	}
	if !fn.obj.Exported() {
		return false
	}
	seen := map[string]bool{dir: true}
	for _, cf := range a.files {
		d := filepath.Dir(cf.name)
		if seen[d] {
			continue
		}
		seen[d] = true
		for _, f := range a.ignoredIn(d) {
			if ctRefersTo(f, fn.obj, false) {
				return true
			}
		}
	}
	return false
}

// ctRefersTo reports whether file f (parsed only) may refer to fn.
func ctRefersTo(f *ast.File, fn *types.Func, sameDir bool) bool {
	name, pkg := fn.Name(), fn.Pkg()
	method := fn.Type().(*types.Signature).Recv() != nil
	samePkg := sameDir && f.Name.Name == pkg.Name()
	aliases := map[string]bool{}
	for _, imp := range f.Imports {
		if path, err := strconv.Unquote(imp.Path.Value); err == nil && path == pkg.Path() {
			if imp.Name != nil {
				aliases[imp.Name.Name] = true
			} else {
				aliases[pkg.Name()] = true
			}
		}
	}
	if !samePkg && len(aliases) == 0 {
		return false
	}
	sel := map[*ast.Ident]bool{}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.SelectorExpr:
			sel[n.Sel] = true
			if n.Sel.Name != name {
				break
			}
			if method {
				found = true
			} else if x, ok := n.X.(*ast.Ident); ok && aliases[x.Name] {
				found = true
			}
		case *ast.Ident:
			if !method && !sel[n] && n.Name == name && (samePkg || aliases["."]) {
				found = true
			}
		}
		return true
	})
	return found
}

func (a *ctAnalysis) ignoredIn(dir string) []*ast.File {
	if fs, ok := a.ignored[dir]; ok {
		return fs
	}
	var fs []*ast.File
	loaded := map[string]bool{}
	for _, cf := range a.files {
		loaded[cf.name] = true
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := filepath.Join(dir, e.Name())
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || loaded[name] {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		fs = append(fs, f)
	}
	a.ignored[dir] = fs
	return fs
}

// run analyses every target and builds the findings.
func (a *ctAnalysis) run() []Finding {
	sort.SliceStable(a.targets, func(i, j int) bool {
		ti, tj := a.targets[i].site, a.targets[j].site
		if ti.file.name != tj.file.name {
			return ti.file.name < tj.file.name
		}
		return ti.call.Pos() < tj.call.Pos()
	})
	var live []*ctTarget
	for _, t := range a.targets {
		if a.candidate(t) {
			live = append(live, t)
		}
	}
	for _, t := range live {
		a.chainOf(t)
	}
	a.extendToTestHelpers(live)
	groups := a.group(live)
	for _, g := range groups {
		a.plan(g, false)
	}
	a.mergeByRoot(groups)
	var out []Finding
	for _, t := range live {
		if !t.reach {
			continue
		}
		out = append(out, a.finding(t))
	}
	return out
}

// candidate reports whether the target's call may use a caller's context:
// in a function (not deferred, not in a literal that may run later, not in
// a goroutine left running), and its value stays in the function.
func (a *ctAnalysis) candidate(t *ctTarget) bool {
	s := t.site
	if s.from == nil || !s.uses {
		return false
	}
	t.in = s.from
	if t.variant != nil {
		return !s.from.src.root() || s.from.derived // else ctx-variants' business
	}
	if !s.from.src.root() && s.from.obj == nil {
		return false // a literal called on the spot is transparent; this cannot happen
	}
	fl := newCtxFlow(s.file.pp.Info, s.from.cur, !s.from.src.root(), a.keeper.keeps(s.file.pp.Info))
	fl.ctxReturnEscapes = true
	if !fl.exprStays(s.cur) {
		return false
	}
	t.returned = fl.returned
	return true
}

// resultStays follows a value made with the context that the target's
// function returns into its callers that will pass a real context (changed
// functions and roots), and on up while they return it: it must not
// escape there either (a caller that stores the response of a request
// made with the handler's context would use it after the handler returns).
func (a *ctAnalysis) resultStays(t *ctTarget, changed map[*ctFunc]bool) bool {
	seen := map[*ctFunc]bool{t.in: true}
	queue := []*ctFunc{t.in}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, s := range g.refs {
			if !s.uses || s.from == nil || !(changed[s.from] || s.from.src.root()) {
				continue // a caller without a context passes context.TODO()
			}
			info := s.file.pp.Info
			// A root may return it only when it passes its own ctx
			// parameter (not a derived context it may cancel on return).
			own := ctxOwnParamAt(s.file.pass, s.from.cur, s.from.src, s.call.Pos())
			fl := newCtxFlow(info, s.from.cur, changed[s.from] || own, a.keeper.keeps(info))
			fl.ctxReturnEscapes = true
			if !fl.exprStays(s.cur) {
				return false
			}
			if fl.returned && changed[s.from] && !seen[s.from] {
				seen[s.from] = true
				queue = append(queue, s.from)
			}
		}
	}
	return true
}

// chainOf finds the roots that reach the target's function and the
// functions to change on the way.
func (a *ctAnalysis) chainOf(t *ctTarget) {
	F := t.in
	if F.src.root() {
		if ctNilDefault(t.site, F) {
			return // if ctx == nil { ctx = context.Background() }: a default, not a context ignored
		}
		t.reach = true
		if F.src.kind == ctxParam {
			t.why = fmt.Sprintf("pass %s unless the call must outlive it", F.src.v.Name())
			return
		}
		t.roots = []*ctFunc{F}
		t.path = []*ctFunc{F}
		return
	}
	// Reverse search over every caller (stopping at roots): is F reached,
	// and which function closest to F blocks the way?
	path, blocker := a.reachedFrom(F)
	if path == nil {
		return
	}
	t.reach = true
	t.path = path
	if why := a.editable(F); why != "" {
		t.why = a.display(F, F.file.pp.Pkg) + " " + why
		return
	}
	// Functions that reach F through functions that can change.
	inV := map[*ctFunc]bool{F: true}
	queue := []*ctFunc{F}
	var roots []*ctFunc
	isRoot := map[*ctFunc]bool{}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, s := range g.refs {
			if !s.chain {
				continue
			}
			c := s.from
			switch {
			case c.src.root():
				if !isRoot[c] {
					isRoot[c] = true
					roots = append(roots, c)
				}
			case !inV[c] && a.editable(c) == "":
				inV[c] = true
				queue = append(queue, c)
			}
		}
	}
	if len(roots) == 0 {
		if blocker != nil {
			t.why = a.display(blocker, F.obj.Pkg()) + " " + a.editable(blocker)
		} else {
			t.why = "no chain of changeable functions leads to it"
		}
		return
	}
	// Forward from the roots, inside inV: the chain, with one path kept.
	prev := map[*ctFunc]*ctFunc{}
	inC := map[*ctFunc]bool{}
	queue = queue[:0]
	for _, r := range roots {
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, s := range a.outgoing(g) {
			if !s.chain || s.from != g || !inV[s.callee] || inC[s.callee] {
				continue
			}
			inC[s.callee] = true
			prev[s.callee] = g
			queue = append(queue, s.callee)
		}
	}
	for _, s := range a.sites {
		if inC[s.callee] {
			t.chain = appendOnce(t.chain, s.callee)
		}
	}
	t.roots = roots
	t.path = nil
	for g := F; g != nil; g = prev[g] {
		t.path = append([]*ctFunc{g}, t.path...)
		if isRoot[g] {
			break
		}
	}
	if !inC[F] {
		t.chain, t.roots = nil, nil
		t.why = "no chain of changeable functions leads to it"
	}
}

// extendToTestHelpers adds test helpers to the chains. A call from a test
// file into production code does not carry a chain (production code is not
// changed for tests alone), but when the production function changes
// anyway, a helper that calls it would pass context.TODO(); if a test root
// reaches that helper, the next run would thread the test's context into
// it, and the fix would not be a fixpoint. So the helper's own chain (from
// the test roots, through test files) joins the target's chain.
func (a *ctAnalysis) extendToTestHelpers(live []*ctTarget) {
	for _, t := range live {
		if !t.reach || t.why != "" || len(t.chain) == 0 {
			continue
		}
		in := map[*ctFunc]bool{}
		for _, f := range t.chain {
			in[f] = true
		}
		tried := map[*ctFunc]bool{}
		for i := 0; i < len(t.chain); i++ {
			for _, s := range t.chain[i].refs {
				h := s.from
				if !s.uses || s.chain || h == nil || h.src.root() || in[h] || tried[h] || !ctTestFile(s.file.name) {
					continue
				}
				tried[h] = true
				vt := &ctTarget{site: s, in: h}
				a.chainOf(vt)
				if !vt.reach || vt.why != "" {
					continue // the helper passes context.TODO(), which stays unfixable
				}
				for _, f := range vt.chain {
					if !in[f] {
						in[f] = true
						t.chain = append(t.chain, f)
					}
				}
				for _, r := range vt.roots {
					t.roots = appendOnce(t.roots, r)
				}
			}
		}
	}
}

func appendOnce(l []*ctFunc, f *ctFunc) []*ctFunc {
	for _, g := range l {
		if g == f {
			return l
		}
	}
	return append(l, f)
}

// outgoing returns the sites whose context is g's, built once.
func (a *ctAnalysis) outgoing(g *ctFunc) []*ctSite {
	if a.out == nil {
		a.out = map[*ctFunc][]*ctSite{}
		for _, s := range a.sites {
			if s.from != nil {
				a.out[s.from] = append(a.out[s.from], s)
			}
		}
	}
	return a.out[g]
}

// reachedFrom searches callers of F backwards, stopping at roots. It
// returns one path from a root to F (nil when no root reaches F) and the
// function on it closest to the root that cannot change, if any.
func (a *ctAnalysis) reachedFrom(F *ctFunc) ([]*ctFunc, *ctFunc) {
	next := map[*ctFunc]*ctFunc{F: nil}
	queue := []*ctFunc{F}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, s := range g.refs {
			if !s.chain {
				continue
			}
			if _, seen := next[s.from]; seen {
				continue
			}
			next[s.from] = g
			if !s.from.src.root() {
				queue = append(queue, s.from)
				continue
			}
			path := []*ctFunc{s.from}
			var blocker *ctFunc
			for h := g; h != nil; h = next[h] {
				path = append(path, h)
				if blocker == nil && h != F && a.editable(h) != "" {
					blocker = h
				}
			}
			return path, blocker
		}
	}
	return nil, nil
}

// variantWhy checks that a variant target can take its context form (the
// argument is settled later); "" when it can.
func (a *ctAnalysis) variantWhy(t *ctTarget) string {
	s := t.site
	fix, why, returned := ctxVariantFix(s.file.pass, s.cur, t.in.cur, t.vfn, *t.variant, CtxExpr{}, true, a.keeper)
	t.vfix, t.returned = fix, returned
	return why
}

// group merges the fixable targets whose fixes touch the same functions,
// the same handler or test root (which may bind ctx once), or call sites
// that pass a context another fix introduces: each group is one fix.
func (a *ctAnalysis) group(live []*ctTarget) []*ctGroup {
	parent := map[*ctFunc]*ctFunc{}
	var find func(f *ctFunc) *ctFunc
	find = func(f *ctFunc) *ctFunc {
		p, ok := parent[f]
		if !ok || p == f {
			parent[f] = f
			return f
		}
		r := find(p)
		parent[f] = r
		return r
	}
	union := func(x, y *ctFunc) {
		rx, ry := find(x), find(y)
		if rx != ry {
			parent[ry] = rx
		}
	}
	bindable := func(f *ctFunc) bool { return f.src.kind == ctxRequest || f.src.kind == ctxTest }
	var fixable []*ctTarget
	changed := map[*ctFunc]bool{}
	for _, t := range live {
		if !t.reach || t.why != "" {
			continue
		}
		if t.variant != nil {
			if why := a.variantWhy(t); why != "" {
				t.why = why
				continue
			}
			if t.variant.review != "" && !a.prog.Review {
				// No chain is threaded for a review-tier context form
				// at the safe tier.
				t.why = "review-tier fix (" + t.variant.review + "): apply it with --tier review"
				continue
			}
		}
		if t.site.call.Lparen.IsValid() && ctHasComment(t.site.file.f, t.site.call.Lparen, t.site.call.Rparen) && t.variant == nil {
			t.why = "a comment inside the call"
			continue
		}
		fixable = append(fixable, t)
		for _, c := range t.chain {
			changed[c] = true
		}
	}
	// A value made with the context may be returned: follow it into the
	// callers that will pass a real context.
	kept := fixable[:0]
	for _, t := range fixable {
		if t.returned && !a.resultStays(t, changed) {
			t.why = "a value made with the context is returned to a caller where it may outlive the context"
			continue
		}
		kept = append(kept, t)
	}
	fixable = kept
	changed = map[*ctFunc]bool{}
	for _, t := range fixable {
		find(t.in)
		for _, c := range t.chain {
			union(t.in, c)
			changed[c] = true
		}
	}
	for g := range changed {
		for _, s := range g.refs {
			if s.uses && s.from != nil && changed[s.from] {
				union(g, s.from)
			}
		}
	}
	byRoot := map[*ctFunc]*ctGroup{}
	var groups []*ctGroup
	for _, t := range fixable {
		r := find(t.in)
		g := byRoot[r]
		if g == nil {
			g = &ctGroup{funcs: map[*ctFunc]bool{}, roots: map[*ctFunc]bool{}}
			byRoot[r] = g
			groups = append(groups, g)
		}
		g.targets = append(g.targets, t)
		t.group = g
	}
	for f := range changed {
		if g := byRoot[find(f)]; g != nil {
			g.funcs[f] = true
		}
	}
	for _, g := range groups {
		for f := range g.funcs {
			for _, s := range f.refs {
				if s.uses && s.from != nil && bindable(s.from) {
					g.roots[s.from] = true
				}
			}
		}
		for _, t := range g.targets {
			if bindable(t.in) {
				g.roots[t.in] = true
			}
		}
	}
	return groups
}

// mergeByRoot merges the groups that have a fix and use the context of the
// same handler or test, so that ctx := r.Context() may be bound once for
// all of them, and plans the merged groups again.
func (a *ctAnalysis) mergeByRoot(groups []*ctGroup) {
	parent := map[*ctGroup]*ctGroup{}
	var find func(g *ctGroup) *ctGroup
	find = func(g *ctGroup) *ctGroup {
		if p, ok := parent[g]; ok && p != g {
			r := find(p)
			parent[g] = r
			return r
		}
		parent[g] = g
		return g
	}
	byRoot := map[*ctFunc]*ctGroup{}
	for _, g := range groups {
		if g.why != "" {
			continue
		}
		find(g)
		for _, r := range a.sortedFuncs(g.roots) {
			if h, ok := byRoot[r]; ok {
				if x, y := find(h), find(g); x != y {
					parent[y] = x
				}
			} else {
				byRoot[r] = g
			}
		}
	}
	merged := map[*ctGroup]*ctGroup{}
	for _, g := range groups {
		if g.why != "" {
			continue
		}
		r := find(g)
		m := merged[r]
		if m == nil {
			m = &ctGroup{funcs: map[*ctFunc]bool{}, roots: map[*ctFunc]bool{}}
			merged[r] = m
		}
		m.targets = append(m.targets, g.targets...)
		for f := range g.funcs {
			m.funcs[f] = true
		}
		for f := range g.roots {
			m.roots[f] = true
		}
	}
	for _, m := range merged {
		sort.SliceStable(m.targets, func(i, j int) bool {
			ti, tj := m.targets[i].site, m.targets[j].site
			if ti.file.name != tj.file.name {
				return ti.file.name < tj.file.name
			}
			return ti.call.Pos() < tj.call.Pos()
		})
		a.plan(m, true)
		for _, t := range m.targets {
			t.group = m
		}
	}
}

// ctHasComment reports whether a comment of f lies between from and to.
func ctHasComment(f *ast.File, from, to token.Pos) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > from && cg.End() <= to {
			return true
		}
	}
	return false
}

// sortedFuncs returns the functions of a set in source order.
func (a *ctAnalysis) sortedFuncs(set map[*ctFunc]bool) []*ctFunc {
	var out []*ctFunc
	for f := range set {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].file.name != out[j].file.name {
			return out[i].file.name < out[j].file.name
		}
		return out[i].node.Pos() < out[j].node.Pos()
	})
	return out
}

// assigned reports whether variable v is assigned or has its address taken
// inside the function at fc.
func ctAssigned(info *types.Info, fc inspector.Cursor, v *types.Var) bool {
	for c := range fc.Preorder((*ast.Ident)(nil)) {
		if info.Uses[c.Node().(*ast.Ident)] != v {
			continue
		}
		switch c.ParentEdgeKind() {
		case edge.AssignStmt_Lhs, edge.IncDecStmt_X, edge.RangeStmt_Key, edge.RangeStmt_Value:
			return true
		case edge.UnaryExpr_X:
			if c.Parent().Node().(*ast.UnaryExpr).Op == token.AND {
				return true
			}
		}
	}
	return false
}

// plan builds the edits of a group's fix, or says why there is none.
func (a *ctAnalysis) plan(g *ctGroup, bind bool) {
	fail := func(why string) { g.why = why }
	var edits []Edit
	calls := 0
	// ctx := context.Background() at the top of a changed function, the
	// only ctx it has: the parameter takes the name, the statement goes.
	aliased := map[*ctTarget]bool{}
	for _, f := range a.sortedFuncs(g.funcs) {
		fd := f.node.(*ast.FuncDecl)
		f.name = FreshName(f.file.pass, fd, fd.Body.Lbrace, "ctx")
		if f.name != "ctx" {
			if t, next := a.ctxDecl(g, f); t != nil {
				f.name = "ctx"
				aliased[t] = true
				edits = append(edits, Edit{File: f.file.f, Anchor: t.site.cur.Parent().Node(), Data: CtxThreadEdit{Kind: CtxRemoveDecl, Next: next}})
			}
		}
		if !f.file.pass.CanQualify(fd.Pos(), "context", "context") {
			fail("the context package cannot be named in " + filepath.Base(f.file.name))
			return
		}
		edits = append(edits, Edit{File: f.file.f, Anchor: fd, Data: CtxThreadEdit{Kind: CtxAddParam, Name: f.name}})
	}
	// Handler and test roots: bind ctx := r.Context() once when used more
	// than once (and r keeps its value).
	uses := map[*ctFunc]int{}
	for f := range g.funcs {
		for _, s := range f.refs {
			if s.uses && g.roots[s.from] {
				uses[s.from]++
			}
		}
	}
	for _, t := range g.targets {
		if g.roots[t.in] {
			uses[t.in]++
		}
	}
	for _, r := range a.sortedFuncs(g.roots) {
		if r.blank != nil {
			edits = append(edits, Edit{File: r.file.f, Anchor: r.blank,
				Data: CtxThreadEdit{Kind: CtxNameParam, Name: r.src.name}})
		}
	}
	bound := map[*ctFunc]CtxExpr{}
	for _, r := range a.sortedFuncs(g.roots) {
		if !bind || uses[r] < 2 || ctAssigned(r.file.pp.Info, r.cur, r.src.v) {
			continue
		}
		body := ctxFuncBody(r.node)
		name := FreshName(r.file.pass, r.node, body.Lbrace, "ctx")
		bound[r] = CtxExpr{Ident: name}
		edits = append(edits, Edit{File: r.file.f, Anchor: body,
			Data: CtxThreadEdit{Kind: CtxBind, Name: name, Arg: r.src.expr()}})
	}
	rootArg := func(r *ctFunc, pass *Pass, pos token.Pos) (CtxExpr, bool) {
		if e, ok := bound[r]; ok {
			return e, true
		}
		return ctxExprAt(pass, r.src, pos)
	}
	for _, f := range a.sortedFuncs(g.funcs) {
		for _, s := range f.refs {
			var arg CtxExpr
			switch {
			case s.uses && g.funcs[s.from]:
				arg = CtxExpr{Ident: s.from.name}
			case s.uses && s.from.src.root():
				e, ok := rootArg(s.from, s.file.pass, s.call.Pos())
				if !ok {
					fail(fmt.Sprintf("%s is shadowed at %s", s.from.src.v.Name(), a.pos(s.call.Pos())))
					return
				}
				arg = e
			default:
				if !s.file.pass.CanQualify(s.call.Pos(), "context", "context") {
					fail("the context package cannot be named at " + a.pos(s.call.Pos()))
					return
				}
				arg = CtxExpr{TODO: true}
			}
			calls++
			edits = append(edits, Edit{File: s.file.f, Anchor: s.call, Data: CtxThreadEdit{Kind: CtxAddArg, Arg: arg}})
		}
	}
	names := map[*ctFunc]map[string]bool{}
	fresh := func(f *ctFunc, pass *Pass, pos token.Pos, base string) string {
		if names[f] == nil {
			names[f] = map[string]bool{}
		}
		for i := 1; ; i++ {
			name := base
			if i > 1 {
				name += strconv.Itoa(i)
			}
			if !names[f][name] && FreshName(pass, f.node, pos, name) == name {
				names[f][name] = true
				return name
			}
		}
	}
	for _, t := range g.targets {
		if aliased[t] {
			continue
		}
		s := t.site
		var arg CtxExpr
		if t.in.src.root() {
			e, ok := rootArg(t.in, s.file.pass, s.call.Pos())
			if !ok {
				fail(fmt.Sprintf("%s is shadowed at %s", t.in.src.v.Name(), a.pos(s.call.Pos())))
				return
			}
			arg = e
		} else {
			arg = CtxExpr{Ident: t.in.name}
		}
		if t.variant != nil {
			fix := *t.vfix
			fix.Arg = arg
			if fix.HTTP != nil {
				// Two requests in one function get two names.
				h := *fix.HTTP
				h.Req = fresh(t.in, s.file.pass, s.call.Pos(), "req")
				if h.Return {
					h.Err = fresh(t.in, s.file.pass, s.call.Pos(), "err")
				}
				fix.HTTP = &h
			}
			edits = append(edits, Edit{File: s.file.f, Anchor: s.call, Data: CtxThreadEdit{Kind: CtxVariant, Variant: fix}})
		} else {
			edits = append(edits, Edit{File: s.file.f, Anchor: s.call, Data: CtxThreadEdit{Kind: CtxReplace, Arg: arg}})
		}
	}
	g.edits = edits
	g.calls = calls
}

// finding renders one target.
func (a *ctAnalysis) finding(t *ctTarget) Finding {
	F := t.in
	rel := F.file.pp.Pkg
	var msg string
	switch {
	case len(t.path) > 1:
		names := make([]string, len(t.path))
		for i, f := range t.path {
			names[i] = a.display(f, rel)
		}
		msg = fmt.Sprintf("%s in %s ignores the context of %s (%s)", t.what, a.display(F, rel), names[0], strings.Join(names, " -> "))
	case F.src.root():
		msg = fmt.Sprintf("%s in %s ignores %s", t.what, a.display(F, rel), F.src.expr())
	default:
		msg = fmt.Sprintf("%s in %s is reached from a function that has a context", t.what, a.display(F, rel))
	}
	fd := Finding{Pos: t.site.call.Pos(), End: t.site.call.End(), Message: msg}
	g := t.group
	switch {
	case g == nil:
		why := t.why
		if why == "" {
			why = "no chain of changeable functions leads to it"
		}
		fd.Message += "; not fixed: " + why
		fd.NoFix = why
	case g.why != "":
		fd.Message += "; not fixed: " + g.why
		fd.NoFix = g.why
	case t != g.targets[0]:
		// The lead finding's fix fixes this one too: the engine reports
		// it fixed (or dropped) with that fix (Finding.With).
		fd.Message += "; fixed with the finding at " + a.pos(g.targets[0].site.call.Pos())
		fd.With = g.targets[0].site.call.Pos()
		fd.NoFix = "fixed together with the finding at " + a.pos(g.targets[0].site.call.Pos()) + ", when that is fixed"
	default:
		fd.Fix = &Fix{Message: a.fixMessage(g), Anchor: t.site.call, Edits: g.edits, Review: a.review(g)}
	}
	return fd
}

// review says in which edge cases a group's fix changes behaviour beyond
// what the rule is for, when it does: it changes exported API (callers in
// other modules, which the run cannot see, must pass a context), or it
// uses a context form that is a review-tier fix. "" for a safe fix.
func (a *ctAnalysis) review(g *ctGroup) string {
	var notes, api []string
	for _, f := range a.sortedFuncs(g.funcs) {
		if a.isAPI(f) {
			api = append(api, a.display(f, nil))
		}
	}
	if len(api) > 0 {
		if len(api) > 5 {
			api = append(api[:5], fmt.Sprintf("%d more", len(api)-5))
		}
		what := "the signature of exported " + api[0]
		if len(api) > 1 {
			what = "the signatures of exported " + strings.Join(api[:len(api)-1], ", ") + " and " + api[len(api)-1]
		}
		notes = append(notes, "changes "+what+": callers in other modules must pass a context")
	}
	notes = append(notes, a.detachNotes(g)...)
	seen := map[string]bool{}
	for _, t := range g.targets {
		if t.variant != nil && t.variant.review != "" && !seen[t.what] {
			seen[t.what] = true
			notes = append(notes, t.what+": "+t.variant.review)
		}
	}
	return strings.Join(notes, "; ")
}

func (a *ctAnalysis) fixMessage(g *ctGroup) string {
	funcs := a.sortedFuncs(g.funcs)
	if len(funcs) == 0 {
		t := g.targets[0]
		return "use " + t.in.src.expr().String()
	}
	rel := g.targets[0].in.file.pp.Pkg
	var names []string
	for i, f := range funcs {
		if i == 4 {
			names = append(names, fmt.Sprintf("%d more", len(funcs)-4))
			break
		}
		names = append(names, a.display(f, rel))
	}
	sites := "call site"
	if g.calls != 1 {
		sites += "s"
	}
	return fmt.Sprintf("add a ctx parameter to %s and pass a context at %d %s", strings.Join(names, ", "), g.calls, sites)
}

// ctNilDefault reports whether the call at s, in F which has a ctx
// parameter, stands in for a nil ctx: it is assigned to ctx, or it sits in
// the body of an if whose condition is ctx == nil.
func ctNilDefault(s *ctSite, F *ctFunc) bool {
	if F.src.kind != ctxParam {
		return false
	}
	info := s.file.pp.Info
	isCtx := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && info.Uses[id] == F.src.v
	}
	isNil := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && id.Name == "nil" && info.Uses[id] == types.Universe.Lookup("nil")
	}
	if s.cur.ParentEdgeKind() == edge.AssignStmt_Rhs {
		as := s.cur.Parent().Node().(*ast.AssignStmt)
		if len(as.Lhs) == 1 && isCtx(as.Lhs[0]) {
			return true
		}
	}
	for c := s.cur.Parent(); c.Valid() && c.Node() != F.node; c = c.Parent() {
		if c.ParentEdgeKind() != edge.IfStmt_Body {
			continue
		}
		if b, ok := c.Parent().Node().(*ast.IfStmt).Cond.(*ast.BinaryExpr); ok && b.Op == token.EQL &&
			((isCtx(b.X) && isNil(b.Y)) || (isNil(b.X) && isCtx(b.Y))) {
			return true
		}
	}
	return false
}

// detachNotes says, for each call on the group's chains, why the caller may
// need the callee's work to outlive the context it now passes: the result
// is shared with other callers (ctShared), or the call is cleanup on an
// error or cancellation path (ctErrorPath). These make the fix review-tier.
func (a *ctAnalysis) detachNotes(g *ctGroup) []string {
	var notes []string
	for _, s := range a.sites {
		if !s.chain || s.from == nil || s.callee == nil || !g.funcs[s.callee] ||
			!(g.funcs[s.from] || g.roots[s.from]) {
			continue
		}
		info := s.file.pp.Info
		rel := s.from.file.pp.Pkg
		caller, callee := a.display(s.from, rel), a.display(s.callee, rel)
		if where := ctShared(info, s.from.node, s.cur); where != "" {
			notes = append(notes, fmt.Sprintf("%s stores what %s returns where other callers share it (%s): one caller's cancellation now fails them all", caller, callee, where))
		}
		if check := ctErrorPath(info, s.cur); check != "" {
			notes = append(notes, fmt.Sprintf("%s calls %s after %s (%s): a cleanup there may have to run after the context is done, and now gets it", caller, callee, check, a.pos(s.call.Pos())))
		}
	}
	for _, t := range g.targets {
		if check := ctErrorPath(t.site.file.pp.Info, t.site.cur); check != "" {
			notes = append(notes, fmt.Sprintf("%s in %s runs after %s (%s): a cleanup there may have to run after the context is done, and now gets it", t.what, a.display(t.in, t.in.file.pp.Pkg), check, a.pos(t.site.call.Pos())))
		}
	}
	return notes
}

// ctRoot returns the variable at the root of an lvalue or address:
// x in x, x.f, x[i], *x, &x.f; nil for anything else.
func ctRoot(info *types.Info, e ast.Expr) *types.Var {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.SelectorExpr:
			if _, ok := info.Selections[x]; !ok {
				id := x.Sel // a qualified package variable pkg.V
				v, _ := info.Uses[id].(*types.Var)
				return v
			}
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return nil
			}
			e = x.X
		case *ast.Ident:
			return ctxVarOf(info, x)
		default:
			return nil
		}
	}
}

// ctSharedDest says where a store to e outlives the function fn and is
// seen by other callers: under a package variable, or in a map element
// reached from a variable not declared in fn's body (a field of the
// receiver, a parameter). "" for a local.
func ctSharedDest(info *types.Info, fn ast.Node, e ast.Expr) string {
	v := ctRoot(info, e)
	if v == nil {
		return ""
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return "package variable " + v.Name()
	}
	body := ctxFuncBody(fn)
	local := body != nil && v.Pos() >= body.Pos() && v.Pos() < body.End()
	if local {
		return ""
	}
	for x := e; ; {
		switch y := ast.Unparen(x).(type) {
		case *ast.SelectorExpr:
			x = y.X
			continue
		case *ast.StarExpr:
			x = y.X
			continue
		case *ast.IndexExpr:
			if _, ok := info.TypeOf(y.X).Underlying().(*types.Map); ok {
				return "a map reached from " + v.Name()
			}
			x = y.X
			continue
		}
		return ""
	}
}

// ctShared reports where the result of the call at c, in function fn,
// goes to be shared with other callers (an in-flight table, a cache, a
// memoized value): the call's results are assigned to a shared place
// (ctSharedDest), or to a variable (or a field of one) that fn stores in a
// shared place. "" when it does not.
func ctShared(info *types.Info, fn ast.Node, c inspector.Cursor) string {
	for c.ParentEdgeKind() == edge.ParenExpr_X {
		c = c.Parent()
	}
	var lhs []ast.Expr
	switch c.ParentEdgeKind() {
	case edge.AssignStmt_Rhs:
		lhs = c.Parent().Node().(*ast.AssignStmt).Lhs
	case edge.ValueSpec_Values:
		for _, n := range c.Parent().Node().(*ast.ValueSpec).Names {
			lhs = append(lhs, n)
		}
	default:
		return ""
	}
	vars := map[*types.Var]bool{}
	for _, l := range lhs {
		if where := ctSharedDest(info, fn, l); where != "" {
			return where
		}
		if v := ctRoot(info, l); v != nil {
			vars[v] = true
		}
	}
	if len(vars) == 0 {
		return ""
	}
	// One hop: cache[k] = v, inflight.m[id] = c (c.val = f(...)), x.p = &v.
	where := ""
	ast.Inspect(fn, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || where != "" {
			return where == ""
		}
		for i, r := range as.Rhs {
			if v := ctRoot(info, r); v == nil || !vars[v] || i >= len(as.Lhs) || len(as.Lhs) != len(as.Rhs) {
				continue
			}
			if w := ctSharedDest(info, fn, as.Lhs[i]); w != "" {
				where = w
			}
		}
		return true
	})
	return where
}

// ctErrorPath says which check the call at c runs after, when it sits in
// the body of an if whose condition tests against nil an error that a call
// given a context returned, or calls a context's Err, or in a select case
// that receives from a context's Done: the error or cancellation may be the
// context's own. "" otherwise. An error from a call without a context (a
// parse error) is not a cancellation: what runs after it is error handling,
// not a cleanup that must outlive the context.
func ctErrorPath(info *types.Info, c inspector.Cursor) string {
	var fn ast.Node
	for e := range c.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		fn = e.Node()
		break
	}
	for ; c.Valid(); c = c.Parent() {
		switch c.Node().(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return ""
		}
		switch c.ParentEdgeKind() {
		case edge.IfStmt_Body:
			cond := c.Parent().Node().(*ast.IfStmt).Cond
			if ctErrCheck(info, cond, fn) {
				return "an error check"
			}
		case edge.CommClause_Body:
			if comm := c.Parent().Node().(*ast.CommClause).Comm; comm != nil && ctDoneRecv(info, comm) {
				return "a cancellation check"
			}
		}
	}
	return ""
}

func ctErrCheck(info *types.Info, cond ast.Expr, fn ast.Node) bool {
	errType := types.Universe.Lookup("error").Type()
	found := false
	ast.Inspect(cond, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.BinaryExpr:
			if n.Op == token.NEQ {
				for _, p := range [][2]ast.Expr{{n.X, n.Y}, {n.Y, n.X}} {
					t := info.TypeOf(p[0])
					if t != nil && types.Identical(t, errType) && info.Types[p[1]].IsNil() && ctErrFromContextCall(info, p[0], fn) {
						found = true
					}
				}
			}
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Err" && isContextType(info.TypeOf(sel.X)) {
				found = true
			}
		}
		return !found
	})
	return found
}

// ctErrFromContextCall reports whether the error x may be a context's: x is
// a call given a context, or a variable that some assignment in fn sets
// from one (err := save(ctx); n, err = q.Run(r.Context(), ...)).
func ctErrFromContextCall(info *types.Info, x ast.Expr, fn ast.Node) bool {
	x = ast.Unparen(x)
	if call, ok := x.(*ast.CallExpr); ok {
		return ctCallGivenContext(info, call)
	}
	id, ok := x.(*ast.Ident)
	if !ok || fn == nil {
		return false
	}
	obj := info.ObjectOf(id)
	if obj == nil {
		return false
	}
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || found {
			return !found
		}
		sets := false
		for _, l := range as.Lhs {
			if lid, ok := ast.Unparen(l).(*ast.Ident); ok && info.ObjectOf(lid) == obj {
				sets = true
			}
		}
		if !sets {
			return true
		}
		for _, r := range as.Rhs {
			if call, ok := ast.Unparen(r).(*ast.CallExpr); ok && ctCallGivenContext(info, call) {
				found = true
			}
		}
		return true
	})
	return found
}

// ctCallGivenContext reports whether one of call's arguments is a context.
func ctCallGivenContext(info *types.Info, call *ast.CallExpr) bool {
	for _, a := range call.Args {
		if isContextType(info.TypeOf(a)) {
			return true
		}
	}
	return false
}

func ctDoneRecv(info *types.Info, comm ast.Stmt) bool {
	call, ok := ast.Unparen(commRecvChan(comm)).(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Done" && isContextType(info.TypeOf(sel.X))
}

// recvTypeName returns the type name of a method's receiver, nil for a
// function.
func recvTypeName(m *types.Func) *types.TypeName {
	sig, ok := m.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return nil
	}
	t := types.Unalias(sig.Recv().Type())
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	if n, ok := t.(*types.Named); ok {
		return n.Origin().Obj()
	}
	return nil
}

// hiddenType reports whether the unexported package-level type tn is
// hidden from other packages: no exported declaration of its package
// (function, variable, constant, exported type with its exported fields,
// embedded fields and exported methods, alias) mentions it, so no other
// package can hold a value of it except through an interface.
func (a *ctAnalysis) hiddenType(tn *types.TypeName) bool {
	if tn == nil || tn.Exported() || tn.Pkg() == nil || tn.Parent() != tn.Pkg().Scope() {
		return false
	}
	pkg := tn.Pkg()
	found := false
	seen := map[types.Type]bool{}
	var walk func(t types.Type)
	walk = func(t types.Type) {
		if t == nil || found || seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Alias:
			walk(types.Unalias(t))
		case *types.Named:
			if t.Origin().Obj() == tn {
				found = true
				return
			}
			if ta := t.TypeArgs(); ta != nil {
				for i := range ta.Len() {
					walk(ta.At(i))
				}
			}
			if t.Obj().Pkg() != pkg {
				return
			}
			walk(t.Underlying())
			for i := range t.NumMethods() {
				if m := t.Method(i); m.Exported() {
					walk(m.Type())
				}
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Struct:
			for i := range t.NumFields() {
				if f := t.Field(i); f.Exported() || f.Embedded() {
					walk(f.Type())
				}
			}
		case *types.Signature:
			walk(t.Params())
			walk(t.Results())
			if tp := t.TypeParams(); tp != nil {
				for i := range tp.Len() {
					walk(tp.At(i).Constraint())
				}
			}
		case *types.Tuple:
			for i := range t.Len() {
				walk(t.At(i).Type())
			}
		case *types.Interface:
			for i := range t.NumEmbeddeds() {
				walk(t.EmbeddedType(i))
			}
			for i := range t.NumExplicitMethods() {
				walk(t.ExplicitMethod(i).Type())
			}
		case *types.TypeParam:
			walk(t.Constraint())
		case *types.Union:
			for i := range t.Len() {
				walk(t.Term(i).Type())
			}
		}
	}
	sc := pkg.Scope()
	for _, name := range sc.Names() {
		obj := sc.Lookup(name)
		if !obj.Exported() {
			continue
		}
		if n, ok := obj.(*types.TypeName); ok && !n.IsAlias() {
			if named, ok := n.Type().(*types.Named); ok {
				// An exported type: its structure and exported methods.
				seen[named] = true
				walk(named.Underlying())
				for i := range named.NumMethods() {
					if m := named.Method(i); m.Exported() {
						walk(m.Type())
					}
				}
				continue
			}
		}
		walk(obj.Type())
		if found {
			return false
		}
	}
	return !found
}

// convertedToIface reports whether a value of a type containing the
// package-level type tn (tn, *tn, a slice, map or struct of its package
// holding one...) is converted to an interface type anywhere in the loaded
// variants of tn's package, or flows somewhere this check does not
// understand. Only these values can have their methods called through an
// interface (or by reflection on an interface value: json.Marshal...). Use
// it only for types hidden from other packages (hiddenType).
func (a *ctAnalysis) convertedToIface(tn *types.TypeName) bool {
	key := ObjectKey(a.fset, tn)
	if v, ok := a.converted[key]; ok {
		return v
	}
	res := false
	for _, pp := range a.prog.Packages {
		if res {
			break
		}
		if pp.Pkg.Path() != tn.Pkg().Path() {
			continue
		}
		vt, ok := pp.Pkg.Scope().Lookup(tn.Name()).(*types.TypeName)
		if !ok || ObjectKey(a.fset, vt) != key {
			res = true // a variant that does not declare it as we know it
			break
		}
		info := pp.Info
		memo := map[types.Type]bool{}
		contains := func(t types.Type) bool { return ctContains(t, vt, memo) }
		for _, f := range pp.Files {
			for c := range inspector.New([]*ast.File{f}).Root().Preorder() {
				e, ok := c.Node().(ast.Expr)
				if !ok {
					continue
				}
				tv, ok := info.Types[e]
				if !ok || tv.IsType() || tv.Type == nil || !contains(tv.Type) {
					continue
				}
				if !ctNoIfaceUse(info, c, contains) {
					res = true
					break
				}
			}
			if res {
				break
			}
		}
	}
	if a.converted == nil {
		a.converted = map[string]bool{}
	}
	a.converted[key] = res
	return res
}

// ctContains reports whether a value of type t holds a value of the named
// type tn: t is tn, or a pointer, slice, array, map, channel, struct or
// tuple with such parts, or a named type of tn's package whose underlying
// type has one, or a generic instance with such a type argument.
func ctContains(t types.Type, tn *types.TypeName, memo map[types.Type]bool) bool {
	if v, ok := memo[t]; ok {
		return v
	}
	memo[t] = false // cycles
	r := false
	switch t := t.(type) {
	case *types.Alias:
		r = ctContains(types.Unalias(t), tn, memo)
	case *types.Named:
		if t.Origin().Obj() == tn {
			r = true
			break
		}
		if ta := t.TypeArgs(); ta != nil {
			for i := range ta.Len() {
				r = r || ctContains(ta.At(i), tn, memo)
			}
		}
		if !r && t.Obj().Pkg() == tn.Pkg() {
			r = ctContains(t.Underlying(), tn, memo)
		}
	case *types.Pointer:
		r = ctContains(t.Elem(), tn, memo)
	case *types.Slice:
		r = ctContains(t.Elem(), tn, memo)
	case *types.Array:
		r = ctContains(t.Elem(), tn, memo)
	case *types.Chan:
		r = ctContains(t.Elem(), tn, memo)
	case *types.Map:
		r = ctContains(t.Key(), tn, memo) || ctContains(t.Elem(), tn, memo)
	case *types.Struct:
		for i := range t.NumFields() {
			r = r || ctContains(t.Field(i).Type(), tn, memo)
		}
	case *types.Tuple:
		for i := range t.Len() {
			r = r || ctContains(t.At(i).Type(), tn, memo)
		}
	}
	memo[t] = r
	return r
}

// ctNoIfaceUse reports whether the expression at c, whose value holds the
// type in question, is used without converting it to an interface: a
// field or method selected from it, dereferenced or addressed (those
// results are checked on their own), compared, indexed, ranged over,
// assigned or passed or returned or stored where a non-interface type is
// expected. Any other use counts as a conversion.
func ctNoIfaceUse(info *types.Info, c inspector.Cursor, contains func(types.Type) bool) bool {
	for c.ParentEdgeKind() == edge.ParenExpr_X {
		c = c.Parent()
	}
	e := c.Node().(ast.Expr)
	// into says whether a value of type v stored where type t is expected
	// converts a part holding the type to an interface.
	into := func(t, v types.Type) bool {
		if t == nil {
			return false // _
		}
		if tt, ok := v.(*types.Tuple); ok {
			_ = tt
			return true // handled by the callers
		}
		return types.IsInterface(t)
	}
	ok := func(t types.Type) bool { return !into(t, info.TypeOf(e)) }
	// tuple checks a multi-value e against the expected types.
	tuple := func(expected func(i int) types.Type) bool {
		tt, _ := info.TypeOf(e).(*types.Tuple)
		if tt == nil {
			return false
		}
		for i := range tt.Len() {
			t := expected(i)
			if contains(tt.At(i).Type()) && (t == nil || types.IsInterface(t)) {
				return false
			}
		}
		return true
	}
	switch c.ParentEdgeKind() {
	case edge.SelectorExpr_X, edge.StarExpr_X, edge.UnaryExpr_X, edge.BinaryExpr_X, edge.BinaryExpr_Y,
		edge.IndexExpr_X, edge.IndexListExpr_X, edge.SliceExpr_X, edge.RangeStmt_X, edge.AssignStmt_Lhs,
		edge.IncDecStmt_X, edge.ExprStmt_X, edge.CallExpr_Fun, edge.SendStmt_Chan, edge.SwitchStmt_Tag,
		edge.CaseClause_List, edge.RangeStmt_Key, edge.RangeStmt_Value:
		return true
	case edge.IndexExpr_Index:
		if m, isMap := info.TypeOf(c.Parent().Node().(*ast.IndexExpr).X).Underlying().(*types.Map); isMap {
			return ok(m.Key())
		}
		return true
	case edge.AssignStmt_Rhs:
		as := c.Parent().Node().(*ast.AssignStmt)
		if len(as.Lhs) != len(as.Rhs) {
			return tuple(func(i int) types.Type {
				if i >= len(as.Lhs) {
					return nil
				}
				if id, isID := as.Lhs[i].(*ast.Ident); isID && id.Name == "_" {
					return types.Typ[types.Invalid]
				}
				return info.TypeOf(as.Lhs[i])
			})
		}
		l := as.Lhs[c.ParentEdgeIndex()]
		if id, isID := l.(*ast.Ident); isID && id.Name == "_" {
			return true
		}
		return ok(info.TypeOf(l))
	case edge.ValueSpec_Values:
		vs := c.Parent().Node().(*ast.ValueSpec)
		typeOf := func(i int) types.Type {
			if i >= len(vs.Names) {
				return nil
			}
			if vs.Names[i].Name == "_" && vs.Type == nil {
				return types.Typ[types.Invalid]
			}
			if obj := info.Defs[vs.Names[i]]; obj != nil {
				return obj.Type()
			}
			return info.TypeOf(vs.Type)
		}
		if len(vs.Names) != len(vs.Values) {
			return tuple(typeOf)
		}
		return ok(typeOf(c.ParentEdgeIndex()))
	case edge.CallExpr_Args:
		call := c.Parent().Node().(*ast.CallExpr)
		if tv, isT := info.Types[call.Fun]; isT && tv.IsType() {
			return ok(tv.Type) // a conversion
		}
		sig, isSig := info.TypeOf(call.Fun).(*types.Signature)
		if !isSig {
			return false
		}
		param := func(i int) types.Type {
			n := sig.Params().Len()
			switch {
			case sig.Variadic() && i >= n-1:
				s := sig.Params().At(n - 1).Type()
				if call.Ellipsis.IsValid() {
					return s
				}
				if sl, isSl := s.Underlying().(*types.Slice); isSl {
					return sl.Elem()
				}
				return nil
			case i < n:
				return sig.Params().At(i).Type()
			}
			return nil
		}
		if _, isTuple := info.TypeOf(e).(*types.Tuple); isTuple {
			return tuple(param)
		}
		t := param(c.ParentEdgeIndex())
		return t != nil && ok(t)
	case edge.ReturnStmt_Results:
		var sig *types.Signature
		for f := c.Parent(); f.Valid(); f = f.Parent() {
			switch fn := f.Node().(type) {
			case *ast.FuncLit:
				sig, _ = info.TypeOf(fn).(*types.Signature)
			case *ast.FuncDecl:
				if obj, isF := info.Defs[fn.Name].(*types.Func); isF {
					sig, _ = obj.Type().(*types.Signature)
				}
			default:
				continue
			}
			break
		}
		if sig == nil {
			return false
		}
		if _, isTuple := info.TypeOf(e).(*types.Tuple); isTuple {
			return tuple(func(i int) types.Type {
				if i < sig.Results().Len() {
					return sig.Results().At(i).Type()
				}
				return nil
			})
		}
		i := c.ParentEdgeIndex()
		return i < sig.Results().Len() && ok(sig.Results().At(i).Type())
	case edge.CompositeLit_Elts:
		lit := c.Parent().Node().(*ast.CompositeLit)
		switch u := info.TypeOf(lit).Underlying().(type) {
		case *types.Slice:
			return ok(u.Elem())
		case *types.Array:
			return ok(u.Elem())
		case *types.Struct:
			if i := c.ParentEdgeIndex(); i < u.NumFields() {
				return ok(u.Field(i).Type())
			}
		}
		return false
	case edge.KeyValueExpr_Key, edge.KeyValueExpr_Value:
		kv := c.Parent()
		if kv.ParentEdgeKind() != edge.CompositeLit_Elts {
			return false
		}
		lit := kv.Parent().Node().(*ast.CompositeLit)
		key := c.ParentEdgeKind() == edge.KeyValueExpr_Key
		switch u := info.TypeOf(lit).Underlying().(type) {
		case *types.Map:
			if key {
				return ok(u.Key())
			}
			return ok(u.Elem())
		case *types.Slice:
			return key || ok(u.Elem())
		case *types.Array:
			return key || ok(u.Elem())
		case *types.Struct:
			if key {
				return true
			}
			if id, isID := kv.Node().(*ast.KeyValueExpr).Key.(*ast.Ident); isID {
				if f, isVar := info.Uses[id].(*types.Var); isVar {
					return ok(f.Type())
				}
			}
		}
		return false
	case edge.SendStmt_Value:
		if ch, isCh := info.TypeOf(c.Parent().Node().(*ast.SendStmt).Chan).Underlying().(*types.Chan); isCh {
			return ok(ch.Elem())
		}
		return false
	}
	return false
}

// requestRoots makes a root of each function without a context that has
// an *http.Request parameter r and is called only (every reference a
// call, each one using its caller's context: not deferred, not in a
// goroutine left running) by request roots passing their own request as
// r: there r.Context() is the context the caller would pass, so the
// function keeps its signature and uses r.Context(). Repeated, so that
// such functions may call one another.
func (a *ctAnalysis) requestRoots() {
	keys := make([]string, 0, len(a.funcs))
	for k := range a.funcs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Handlers whose request parameter is blank (w http.ResponseWriter,
	// _ *http.Request): naming it gives them r.Context().
	for _, k := range keys {
		F := a.funcs[k]
		fd, ok := F.node.(*ast.FuncDecl)
		if F.src.kind != ctxNone || F.obj == nil || !ok || !F.file.owned || fd.Type.Params == nil || fd.Body == nil {
			continue
		}
		info := F.file.pp.Info
		writer := false
		var blank *ast.Ident
		var v *types.Var
		for _, field := range fd.Type.Params.List {
			tv, ok := info.Types[field.Type]
			if !ok || len(field.Names) == 0 {
				continue
			}
			if isNamedType(tv.Type, "net/http", "ResponseWriter") {
				writer = true
			}
			if isPointerTo(tv.Type, "net/http", "Request") && blank == nil {
				for _, name := range field.Names {
					if name.Name == "_" {
						if pv, ok := info.Defs[name].(*types.Var); ok {
							blank, v = name, pv
						}
						break
					}
				}
			}
		}
		if !writer || blank == nil {
			continue
		}
		name := FreshName(F.file.pass, fd, fd.Body.Lbrace, "r")
		F.src = ctxSource{kind: ctxRequest, v: v, name: name}
		F.derived, F.blank = true, blank
	}
	for changed := true; changed; {
		changed = false
		for _, k := range keys {
			F := a.funcs[k]
			if F.src.kind != ctxNone || F.obj == nil || F.value != "" || len(F.refs) == 0 {
				continue
			}
			fd, ok := F.node.(*ast.FuncDecl)
			if !ok || fd.Type.Params == nil {
				continue
			}
			info := F.file.pp.Info
			idx, i := -1, 0
			var req *types.Var
			for _, field := range fd.Type.Params.List {
				n := max(len(field.Names), 1)
				if tv, ok := info.Types[field.Type]; ok && req == nil && isPointerTo(tv.Type, "net/http", "Request") {
					for j, name := range field.Names {
						if v, ok := info.Defs[name].(*types.Var); ok && name.Name != "_" {
							req, idx = v, i+j
							break
						}
					}
				}
				i += n
			}
			if req == nil || F.obj.Type().(*types.Signature).Variadic() {
				continue
			}
			all := true
			for _, s := range F.refs {
				c := s.from
				if !s.uses || c == nil || c.src.kind != ctxRequest || idx >= len(s.call.Args) {
					all = false
					break
				}
				id, ok := ast.Unparen(s.call.Args[idx]).(*ast.Ident)
				if !ok || s.file.pp.Info.Uses[id] != c.src.v {
					all = false
					break
				}
			}
			if all {
				F.src = ctxSource{kind: ctxRequest, v: req}
				F.derived = true
				changed = true
			}
		}
	}
}

// ctxDecl returns the target of g in the changed function f that is
// `ctx := context.Background()` (or TODO()), a statement of f's body
// itself, when that variable is all the name ctx means in f (every ctx
// identifier in f is it, no ctx outside f is visible), it is never
// assigned again, and no comment sits on its lines (comments above it move
// to the next statement, returned too)
// on the statement: the new parameter can take the name ctx and the
// statement can go, with the same meaning for every use.
func (a *ctAnalysis) ctxDecl(g *ctGroup, f *ctFunc) (*ctTarget, ast.Stmt) {
	fd := f.node.(*ast.FuncDecl)
	info := f.file.pp.Info
	sc := f.file.pass.ScopeAt(fd.Body.Lbrace)
	if sc == nil {
		return nil, nil
	}
	if _, obj := sc.LookupParent("ctx", fd.Body.Lbrace); obj != nil {
		return nil, nil // a ctx outside the function (package, import): keep out of its way
	}
	for _, t := range g.targets {
		if t.in != f || t.variant != nil || t.site.cur.ParentEdgeKind() != edge.AssignStmt_Rhs {
			continue
		}
		as := t.site.cur.Parent().Node().(*ast.AssignStmt)
		if as.Tok != token.DEFINE || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			continue
		}
		id, ok := as.Lhs[0].(*ast.Ident)
		if !ok || id.Name != "ctx" {
			continue
		}
		v, ok := info.Defs[id].(*types.Var)
		if !ok {
			continue
		}
		idx := -1
		for i, st := range fd.Body.List {
			if st == as {
				idx = i
			}
		}
		if idx < 0 || ctAssigned(info, f.cur, v) {
			continue
		}
		if idx+1 >= len(fd.Body.List) {
			continue
		}
		next := fd.Body.List[idx+1]
		// A comment after the statement's start (at the end of its line, or
		// before the next statement) may be about the detached context.
		commented := false
		for _, cg := range f.file.f.Comments {
			if cg.Pos() >= as.Pos() && cg.Pos() < next.Pos() {
				commented = true
			}
		}
		only := true
		ast.Inspect(fd, func(n ast.Node) bool {
			if x, ok := n.(*ast.Ident); ok && x.Name == "ctx" {
				if obj := info.ObjectOf(x); obj != v {
					only = false
				}
			}
			return only
		})
		if !commented && only {
			return t, next
		}
	}
	return nil, nil
}
