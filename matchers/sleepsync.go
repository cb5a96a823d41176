package matchers

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/printer"
	"go/token"
	"go/types"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// SleepSyncFix is the Fix.Data of a sleep-sync finding. Fix.Nodes holds, in
// order: the time.Sleep *ast.ExprStmt (also the Anchor), the statement of the
// sleep's list before which the WaitGroup is declared (the first one that
// starts the goroutines the sleep waits for), then one *ast.GoStmt per
// entry of Goroutines. The sleep's own list is not among Fix.Lists (see
// fix): the phases of one list are fixed together.
type SleepSyncFix struct {
	WG         string        // the WaitGroup variable the fix declares
	Goroutines []SleepSyncGo // how each go statement is rewritten
}

// SleepSyncGo says how one go statement is rewritten.
type SleepSyncGo struct {
	// Go: `go func() { … }()` becomes `wg.Go(func() { … })` (Go ≥ 1.25, a
	// literal without parameters, results or arguments).
	Go bool
	// Wrap: the goroutine is a call, not a literal. It becomes
	// `go func(params) { defer wg.Done(); call }(values)`, where Binds say
	// which parts of the call are evaluated at the go statement and passed
	// in; the other parts (constants, functions of a package, nil) stay in
	// the call.
	Wrap  bool
	Binds []SleepSyncBind
}

// Parts of a goroutine's call that a SleepSyncBind can bind, besides the
// arguments (0, 1, …).
const (
	SleepSyncFunc = -1 // the function value (a variable, a promoted method value…)
	SleepSyncRecv = -2 // the receiver of a method call
)

// SleepSyncBind binds one part of a goroutine's call to a parameter of the
// literal that wraps it.
type SleepSyncBind struct {
	Part int    // SleepSyncFunc, SleepSyncRecv, or an argument index
	Name string // the parameter
	// Type is the parameter's type; write it with SleepSyncTypeExpr at the
	// go statement.
	Type types.Type
	// Addr / Deref: the receiver is bound as &x / *x, the implicit address
	// or indirection the method call applies at the go statement.
	Addr, Deref bool
	// Reuse: an earlier bind already declares Name for the same variable
	// (go f(x, x)); no new parameter.
	Reuse bool
}

// SleepSync finds a time.Sleep that stands where a function waits for the
// goroutines it started: go statements earlier in the sleep's statement
// list (directly, or nested in loops, ifs and other blocks), after the last
// statement that synchronizes or calls out, goroutines started before that
// point visibly dealt with, and nothing after the sleep that synchronizes
// with them (which would make the sleep a "let them get going" pause, not a
// wait for their end). Many look-alikes are left alone: timing tests,
// deliberate races, goroutines the code releases after the sleep… (see
// internal/rules/sleepsync.go, Doc.LeftAlone, for the list; SleepSyncTrace
// reports which applied).
//
// The goroutines' code (literals, the functions and methods of the package
// and the closures of the function they call, three calls deep) is checked
// for termination: a goroutine that may never finish — a loop without exit,
// a server, a receive or range on a channel that nothing closes or feeds
// before the sleep, an unbuffered send nothing receives, an unreadable call
// handed a context — turns the finding into one without a fix: a WaitGroup
// Wait would hang where the sleep went on. Other calls into code the rule
// does not read are assumed to return (the rule's tier is review for that
// reason, among others).
//
// The finding is at the time.Sleep call. See internal/rules/sleepsync.go
// for the full list of shapes and what the fix does.
func SleepSync(p *Pass) []Finding {
	if p.Inspector == nil || p.Info == nil || !p.Imports("time") {
		return nil
	}
	if p.Pkg != nil && strings.TrimSuffix(p.Pkg.Path(), "_test") == "time" {
		return nil // the time package's own tests: the sleep is what they test
	}
	s := &ssPass{p: p, fns: map[ast.Node]*ssFunc{}, named: map[ast.Node]map[string]bool{},
		waited: map[*ast.CallExpr][]*ast.GoStmt{}}
	var out []Finding
	for c := range p.Inspector.Root().Preorder((*ast.CallExpr)(nil)) {
		call := c.Node().(*ast.CallExpr)
		if !ssIsPkgFunc(p.Info, call, "time", "Sleep") || len(call.Args) != 1 {
			continue
		}
		if fd, ok := s.check(c); ok {
			out = append(out, fd)
		}
	}
	return out
}

const (
	ssMessage    = "time.Sleep used to wait for the goroutines started before it; they may still be running when it returns"
	ssFixMessage = "wait for the goroutines with a sync.WaitGroup instead of sleeping"
)

type ssPass struct {
	p     *Pass
	decls map[*types.Func]*ast.FuncDecl // functions of the package, built lazily
	fns   map[ast.Node]*ssFunc
	named map[ast.Node]map[string]bool // WaitGroup names given to fixes, per function
	// waited: the goroutines each reported sleep waits for (sleeps are
	// checked in source order, so an earlier sleep of a list is known).
	waited map[*ast.CallExpr][]*ast.GoStmt
}

// ssFunc caches facts about the function that holds a sleep.
type ssFunc struct {
	buffered map[types.Object]bool           // channels made with a buffer
	siblings map[types.Object][]types.Object // function values assigned with a variable (ctx → cancel)
	closures map[types.Object]*ast.FuncLit   // run := func(…) {…}, never assigned again
}

// ssIsPkgFunc reports whether call calls the function pkg.name (not a
// method), by object identity, whatever the import's name.
func ssIsPkgFunc(info *types.Info, call *ast.CallExpr, pkg, name string) bool {
	fn := ssCallee(info, call)
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == pkg && fn.Name() == name && fn.Signature().Recv() == nil
}

// ssCallee returns the function or method call calls, or nil.
func ssCallee(info *types.Info, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return fn
}

func ssStmtList(n ast.Node) []ast.Stmt {
	switch n := n.(type) {
	case *ast.BlockStmt:
		return n.List
	case *ast.CaseClause:
		return n.Body
	case *ast.CommClause:
		return n.Body
	}
	return nil
}

// ssInGoroutine reports whether the function literal at c runs as a
// goroutine: go func() {…}(), or the function handed to a Go method
// (sync.WaitGroup.Go, errgroup.Group.Go and the like).
func ssInGoroutine(c inspector.Cursor) bool {
	if startedByGo(c) {
		return true
	}
	for p := c.Parent(); p.Index() >= 0; p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.ParenExpr:
			continue
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Go" {
				for _, a := range n.Args {
					if ast.Unparen(a) == c.Node() {
						return true
					}
				}
			}
		}
		return false
	}
	return false
}

// inBubble reports whether the function at fnC runs in a synctest bubble
// (a function literal given to synctest.Run or synctest.Test, or nested in
// one), where time.Sleep advances a fake clock.
func (s *ssPass) inBubble(fnC inspector.Cursor) bool {
	for c := range fnC.Enclosing((*ast.FuncLit)(nil)) {
		call, ok := c.Parent().Node().(*ast.CallExpr)
		if !ok {
			continue
		}
		if fn := ssCallee(s.p.Info, call); fn != nil && fn.Pkg() != nil && strings.HasSuffix(fn.Pkg().Path(), "synctest") {
			return true
		}
	}
	return false
}

// ssDeliberate are words of a comment saying that the goroutines are left
// unsynchronized on purpose (a test for the race detector, a race the test
// provokes).
var ssDeliberate = regexp.MustCompile(`(?i)\b(race|races|racy|racing|on purpose|deliberately|intentionally)\b`)

// deliberate reports whether the code says it does not synchronize on
// purpose: a comment from the one right above the first go statement to
// the end of the sleep's line mentions it, or the sleep is in a test whose
// name has Race in it.
func (s *ssPass) deliberate(fnC inspector.Cursor, from, to token.Pos) bool {
	for c := range fnC.Enclosing((*ast.FuncDecl)(nil)) {
		name := c.Node().(*ast.FuncDecl).Name.Name
		if strings.HasPrefix(name, "Test") && strings.Contains(name, "Race") {
			return true
		}
	}
	tf := s.p.Fset.File(to)
	if tf == nil {
		return false
	}
	first, line := tf.Line(from), tf.Line(to)
	for _, cg := range s.p.File.Comments {
		// From the comment right above the first go statement to the end
		// of the sleep's line.
		if tf.Line(cg.End()) < first-1 || tf.Line(cg.Pos()) > line {
			continue
		}
		if ssDeliberate.MatchString(cg.Text()) {
			return true
		}
	}
	return false
}

// SleepSyncTrace, when not nil, is called with every time.Sleep that
// follows go statements in its statement list but is left alone, and why:
// a hook to measure the rule on real code (the rule never sets it).
var SleepSyncTrace func(pos token.Position, why string)

// ssLine is the first line of n's source, for trace messages.
func ssLine(p *Pass, n ast.Node) string {
	var b strings.Builder
	printer.Fprint(&b, token.NewFileSet(), n)
	line, _, _ := strings.Cut(b.String(), "\n")
	return line
}

// check examines one time.Sleep call.
func (s *ssPass) check(c inspector.Cursor) (Finding, bool) {
	p := s.p
	info := p.Info
	call := c.Node().(*ast.CallExpr)
	stmtC := c.Parent()
	stmt, ok := stmtC.Node().(*ast.ExprStmt)
	if !ok || ast.Unparen(stmt.X) != call {
		return Finding{}, false
	}
	listC := stmtC.Parent()
	list := ssStmtList(listC.Node())
	k := -1
	for i, st := range list {
		if st == stmt {
			k = i
		}
	}
	if k < 0 {
		return Finding{}, false
	}
	// The go statements of the list before the sleep.
	first := -1
	var gos []*ast.GoStmt
	for i := 0; i < k; i++ {
		g := ssGoStmts(list[i])
		if len(g) > 0 && first < 0 {
			first = i
		}
		gos = append(gos, g...)
	}
	if first < 0 {
		return Finding{}, false
	}
	leave := func(why string) (Finding, bool) {
		if SleepSyncTrace != nil {
			SleepSyncTrace(s.p.Fset.Position(call.Pos()), why)
		}
		return Finding{}, false
	}
	// The enclosing function; a loop in between makes it polling, retry or
	// pacing.
	var fnC inspector.Cursor
	found := false
	for a := range listC.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncLit)(nil), (*ast.FuncDecl)(nil)) {
		switch a.Node().(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			return leave("in a loop")
		}
		fnC, found = a, true
		break
	}
	if !found {
		return leave("not in a function")
	}
	if _, ok := fnC.Node().(*ast.FuncLit); ok && ssInGoroutine(fnC) {
		return leave("in a goroutine")
	}
	if s.inBubble(fnC) {
		return leave("in a synctest bubble")
	}
	fnNode := fnC.Node()
	var body *ast.BlockStmt
	switch fn := fnNode.(type) {
	case *ast.FuncDecl:
		body = fn.Body
	case *ast.FuncLit:
		body = fn.Body
	}
	if body == nil {
		return leave("no body")
	}
	if fd, ok := fnNode.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
		// Goroutines started by init serve the whole program: the sleep
		// gives them time to start.
		return leave("in init")
	}
	if s.inGotoLoop(body, stmt) {
		return leave("in a goto loop")
	}

	// The goroutines the sleep waits for: those started after the last
	// statement before the sleep that synchronizes or calls out (nothing
	// from there to the sleep waits for anything). Goroutines started
	// before that statement must be ones the code visibly synchronizes
	// with in between; otherwise the sleep may be waiting for them too.
	fnFacts := s.funcFacts(fnNode, body)
	r := k
	for r > 0 && s.regionOK(list[r-1]) {
		r--
	}
	if r > first {
		cut := ssLine(s.p, list[r-1])
		for i := first; i < r; i++ {
			for _, g := range ssGoStmts(list[i]) {
				if !s.synchronizedBefore(g, s.summarize(g, fnFacts), list[i+1:r], fnFacts) {
					return leave("synchronizes or calls between: " + cut)
				}
			}
		}
		first, gos = -1, nil
		for i := r; i < k; i++ {
			g := ssGoStmts(list[i])
			if len(g) > 0 && first < 0 {
				first = i
			}
			gos = append(gos, g...)
		}
		if first < 0 {
			return leave("synchronizes or calls between: " + cut)
		}
	}
	if s.startsProcess(body, stmt.Pos()) {
		return leave("starts a process")
	}

	// The goroutines.
	sums := make([]*ssSum, len(gos))
	for i, g := range gos {
		sums[i] = s.summarize(g, fnFacts)
	}
	before := s.parentOps(body, stmt.Pos())
	after := s.afterUses(body, stmt.Pos(), stmt.End(), gos)

	// A goroutine that sleeps at least as long is a timer, not work the
	// sleep waits for.
	if d := info.Types[call.Args[0]].Value; d != nil {
		for _, g := range sums {
			for _, gd := range g.sleeps {
				if constant.Compare(gd, token.GEQ, d) {
					return leave("a goroutine sleeps as long")
				}
			}
		}
	}
	if after.timing {
		return leave("measures time after")
	}
	for _, st := range list[k+1:] {
		if len(ssGoStmts(st)) > 0 {
			break // a new phase starts: this sleep ended the last one
		}
		if ssHasSleep(info, st) {
			// A checkpoint of a test that goes by time (after 5ms this,
			// after 30ms that), not a wait for the goroutines' end.
			return leave("another sleep follows")
		}
	}
	if s.deliberate(fnC, gos[0].Pos(), stmt.End()) {
		return leave("deliberately unsynchronized (comment or Race test)")
	}
	for _, g := range gos {
		if ssEndsInFailure(g) {
			// go func() { f(); panic("did not block") }(): the sleep
			// gives f time to block; the goroutine is not meant to end.
			return leave("a goroutine ends in a panic or exit")
		}
	}
	for _, g := range sums {
		if g.startsDeep {
			return leave("a callee starts goroutines")
		}
		if g.unknown && (after.sync || before.holds()) {
			return leave("calls unknown code and the code releases something after, or holds a lock")
		}
		if g.waitGroup {
			return leave("counted by the code's own WaitGroup")
		}
		if g.timed {
			return leave("timed goroutine")
		}
		for _, l := range g.locks {
			if l.ok && before.locks[l.key] > 0 {
				return leave("the code holds the lock they take")
			}
		}
	}
	// Synchronization with them after the sleep: the sleep lets them get
	// going, it does not wait for their end.
	for _, g := range sums {
		for _, r := range g.syncRefs {
			if !r.ok {
				if after.sync {
					return leave("unknown sync operand, the code synchronizes after")
				}
				continue
			}
			if ssSendOnly(sums, r.key) && fnFacts.buffered[r.root] && r.key == ssObjKey(r.root) {
				continue // results sent on a buffered channel, read afterwards
			}
			if after.objs[r.root] {
				return leave("sync operand used after: " + r.root.Name())
			}
			for _, sib := range fnFacts.siblings[r.root] {
				if after.objs[sib] {
					return leave("sync operand's sibling used after: " + sib.Name())
				}
			}
		}
		for _, obj := range g.condObjs {
			if after.objs[obj] {
				return leave("loop condition used after: " + obj.Name())
			}
		}
	}

	fd := Finding{Pos: call.Pos(), End: call.End(), Message: ssMessage}
	// Goroutines that may never finish: reported, not fixed. A server or
	// ticker the code shuts down after the sleep is left alone: the sleep
	// gives it time to start, it is not meant to wait for its end; so is a
	// goroutine blocked in a call (a read, an accept), which the sleep
	// typically lets reach that point.
	for _, g := range sums {
		if g.never != "" && g.neverRef.ok && after.releases[g.neverRef.root] {
			return leave("server or ticker released after")
		}
		if g.neverCtx && (after.sync || after.objs[g.neverRef.root] || ssAnyObj(after.objs, fnFacts.siblings[g.neverRef.root])) {
			return leave("context-bound goroutine, cancelled or handed on after")
		}
		for _, b := range g.blockers {
			if b.call {
				return leave("blocked in a call: " + b.text)
			}
		}
	}
	for i, g := range sums {
		reason := g.never
		if reason == "" {
			for _, b := range g.blockers {
				if !s.released(b, i, sums, before, fnFacts) {
					reason = b.text
					break
				}
			}
		}
		if reason != "" {
			fd.Message = fmt.Sprintf("time.Sleep used to wait for goroutines, but the goroutine started at line %d may never finish (%s): a WaitGroup Wait here would hang",
				s.line(gos[i].Pos()), reason)
			fd.NoFix = fmt.Sprintf("the goroutine started at line %d may never finish (%s): a WaitGroup Wait would hang where the sleep goes on",
				s.line(gos[i].Pos()), reason)
			return fd, true
		}
	}
	// The sleep waits for these goroutines' end: a later sleep of the list
	// need not (see synchronizedBefore).
	s.waited[call] = gos
	fix, reason := s.fix(fnNode, list, first, stmt, gos, sums, listC)
	if fix == nil {
		fd.NoFix = reason
		return fd, true
	}
	fd.Fix = fix
	return fd, true
}

func (s *ssPass) line(pos token.Pos) int { return s.p.Fset.Position(pos).Line }

// inGotoLoop reports whether stmt lies between a label and a later goto
// that jumps back to it: a loop made of goto.
func (s *ssPass) inGotoLoop(body *ast.BlockStmt, stmt ast.Stmt) bool {
	loop := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.BranchStmt:
			if n.Tok != token.GOTO || n.Label == nil {
				return true
			}
			if l, ok := s.p.Info.Uses[n.Label].(*types.Label); ok && l.Pos() < n.Pos() && l.Pos() <= stmt.Pos() && stmt.Pos() < n.Pos() {
				loop = true
			}
		}
		return true
	})
	return loop
}

// ssEndsInFailure reports whether the goroutine started by g is a literal
// whose last statement panics or ends the program or the test (panic,
// os.Exit, log.Fatal…, t.Fatal…, runtime.Goexit): reaching its end is the
// failure the code watches for.
func ssEndsInFailure(g *ast.GoStmt) bool {
	lit, ok := ast.Unparen(g.Call.Fun).(*ast.FuncLit)
	if !ok || len(lit.Body.List) == 0 {
		return false
	}
	es, ok := lit.Body.List[len(lit.Body.List)-1].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := ast.Unparen(es.X).(*ast.CallExpr)
	if !ok {
		return false
	}
	name := ""
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		name = fun.Name
	case *ast.SelectorExpr:
		name = fun.Sel.Name
	}
	switch name {
	case "panic", "Exit", "Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln", "Goexit", "FailNow":
		return true
	}
	return false
}

// ssHasSleep reports whether n calls time.Sleep (outside function
// literals).
func ssHasSleep(info *types.Info, n ast.Node) bool {
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if ssIsPkgFunc(info, x, "time", "Sleep") {
				found = true
			}
		}
		return !found
	})
	return found
}

// ssGoStmts returns the go statements in stmt, not counting those inside
// function literals (including the goroutines' own bodies).
func ssGoStmts(stmt ast.Stmt) []*ast.GoStmt {
	var out []*ast.GoStmt
	ast.Inspect(stmt, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			out = append(out, n)
			return false
		case *ast.FuncLit:
			return false
		}
		return true
	})
	return out
}

// synchronizedBefore reports whether the goroutine started by g is dealt
// with in stmts (the statements after g's up to the last synchronization
// point before the sleep): an earlier time.Sleep statement of the list that
// the rule reports as waiting for it ends its phase, or the goroutine has
// channel or WaitGroup operands and stmts mention one of them (outside
// function literals) — receive from it, Wait on it, hand it to a function
// that does.
func (s *ssPass) synchronizedBefore(g *ast.GoStmt, sum *ssSum, stmts []ast.Stmt, fn *ssFunc) bool {
	for _, st := range stmts {
		// An earlier sleep of the list that this rule reports as a wait for
		// the goroutine ends its phase (and is fixed there). One left alone
		// does not: the goroutine may run on in the background (a server
		// the earlier sleep let start), and this sleep may be waiting for
		// what it does.
		if es, ok := st.(*ast.ExprStmt); ok {
			if call, ok := ast.Unparen(es.X).(*ast.CallExpr); ok {
				for _, w := range s.waited[call] {
					if w == g {
						return true
					}
				}
			}
		}
	}
	roots := map[types.Object]bool{}
	for _, r := range sum.syncRefs {
		if r.ok {
			roots[r.root] = true
			for _, sib := range fn.siblings[r.root] {
				roots[sib] = true
			}
		}
	}
	if len(roots) == 0 {
		return false
	}
	found := false
	for _, st := range stmts {
		ast.Inspect(st, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.Ident:
				if roots[s.p.Info.Uses[n]] {
					found = true
				}
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// regionOK reports whether stmt, which lies between the first go statement
// and the sleep, neither synchronizes with the goroutines (receives,
// selects, Wait and Lock calls…) nor starts or waits for anything else:
// it may start goroutines, send to and close channels (which feeds them),
// compute, and call a short list of functions known not to (formatting,
// logging, strings, math, atomics, a test's Log and Error…).
func (s *ssPass) regionOK(stmt ast.Stmt) bool {
	info := s.p.Info
	ok := true
	ast.Inspect(stmt, func(n ast.Node) bool {
		if !ok {
			return false
		}
		switch n := n.(type) {
		case *ast.GoStmt:
			// The function value, receiver and arguments are evaluated
			// here: no receive among them (calls are the goroutine's setup).
			parts := append([]ast.Expr(nil), n.Call.Args...)
			if _, lit := ast.Unparen(n.Call.Fun).(*ast.FuncLit); !lit {
				parts = append(parts, n.Call.Fun)
			}
			for _, e := range parts {
				if ssHasRecv(e) {
					ok = false
				}
			}
			return false
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				ok = false
			}
		case *ast.SelectStmt, *ast.DeferStmt:
			ok = false
		case *ast.RangeStmt:
			switch types.Unalias(ssUnder(info.TypeOf(n.X))).(type) {
			case *types.Chan, *types.Signature:
				ok = false
			}
		case *ast.CallExpr:
			if !s.quietCall(n) {
				ok = false
			}
		}
		return true
	})
	return ok
}

func ssUnder(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	return t.Underlying()
}

// ssHasRecv reports whether e receives from a channel (outside function
// literals).
func ssHasRecv(e ast.Node) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				found = true
			}
		}
		return !found
	})
	return found
}

// ssQuietPkgs are packages whose functions and methods neither block nor
// synchronize with goroutines, nor start anything.
var ssQuietPkgs = map[string]bool{
	"strings": true, "strconv": true, "math": true, "math/bits": true, "math/rand": true, "math/rand/v2": true,
	"unicode": true, "unicode/utf8": true, "sort": true, "slices": true, "maps": true, "errors": true,
	"bytes": true, "path": true, "sync/atomic": true,
}

// ssQuietTesting are the methods of testing.T/B/F (and testing.TB) allowed
// between the goroutines and the sleep.
var ssQuietTesting = map[string]bool{
	"Log": true, "Logf": true, "Helper": true, "Name": true, "Error": true, "Errorf": true,
	"Fatal": true, "Fatalf": true, "Skip": true, "Skipf": true, "Fail": true, "Failed": true,
}

// quietCall reports whether call may stand between the goroutines and the
// sleep (see regionOK).
func (s *ssPass) quietCall(call *ast.CallExpr) bool {
	info := s.p.Info
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() {
		return true // a conversion
	}
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if _, ok := info.Uses[id].(*types.Builtin); ok {
			return true
		}
	}
	return ssQuietFunc(ssCallee(info, call))
}

// ssQuietFunc reports whether fn is one of the functions regionOK allows.
func ssQuietFunc(fn *types.Func) bool {
	if fn == nil || fn.Pkg() == nil {
		return false
	}
	path, name := fn.Pkg().Path(), fn.Name()
	if ssQuietPkgs[path] {
		return true
	}
	switch path {
	case "fmt":
		return strings.HasPrefix(name, "Print") || strings.HasPrefix(name, "Sprint") ||
			strings.HasPrefix(name, "Fprint") || strings.HasPrefix(name, "Append") || name == "Errorf"
	case "log":
		return strings.HasPrefix(name, "Print")
	case "time":
		if fn.Signature().Recv() != nil {
			return true // methods of Time, Duration, Month…
		}
		switch name {
		case "Now", "Since", "Until", "Unix", "UnixMilli", "UnixMicro", "Date", "ParseDuration":
			return true
		}
	case "testing":
		return fn.Signature().Recv() != nil && ssQuietTesting[name]
	}
	return false
}

// startsProcess reports whether the function starts a process before pos
// (exec.Cmd.Start or Run, os.StartProcess): the sleep may give the process
// time rather than the goroutines.
func (s *ssPass) startsProcess(body *ast.BlockStmt, pos token.Pos) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found || n == nil || n.Pos() >= pos {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn := ssCallee(s.p.Info, call)
		if fn == nil || fn.Pkg() == nil {
			return true
		}
		switch fn.Pkg().Path() {
		case "os/exec":
			found = fn.Name() == "Start" || fn.Name() == "Run"
		case "os":
			found = fn.Name() == "StartProcess"
		case "syscall":
			found = strings.HasPrefix(fn.Name(), "ForkExec") || fn.Name() == "StartProcess"
		}
		return true
	})
	return found
}

// funcFacts returns the cached facts of the function holding the sleep.
func (s *ssPass) funcFacts(fn ast.Node, body *ast.BlockStmt) *ssFunc {
	if f, ok := s.fns[fn]; ok {
		return f
	}
	info := s.p.Info
	f := &ssFunc{buffered: map[types.Object]bool{}, siblings: map[types.Object][]types.Object{},
		closures: map[types.Object]*ast.FuncLit{}}
	written := map[types.Object]int{}
	closure := func(id *ast.Ident, e ast.Expr) {
		if lit, ok := ast.Unparen(e).(*ast.FuncLit); ok {
			if obj := info.Defs[id]; obj != nil {
				f.closures[obj] = lit
			}
		}
	}
	group := func(ids []*ast.Ident) {
		var objs []types.Object
		for _, id := range ids {
			if obj := info.ObjectOf(id); obj != nil {
				objs = append(objs, obj)
			}
		}
		if len(objs) < 2 {
			return
		}
		// Only function values count as siblings: a context's cancel
		// func (ctx, cancel := …) or a stop func; not the error of
		// x, err := f(), which code mentions for its own sake.
		for _, o := range objs {
			for _, q := range objs {
				if _, isFunc := ssUnder(q.Type()).(*types.Signature); o != q && isFunc {
					f.siblings[o] = append(f.siblings[o], q)
				}
			}
		}
	}
	made := func(id *ast.Ident, e ast.Expr) {
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return
		}
		if b, ok := info.Uses[identOf(call.Fun)].(*types.Builtin); !ok || b.Name() != "make" {
			return
		}
		if _, ok := ssUnder(info.TypeOf(call.Args[0])).(*types.Chan); !ok {
			return
		}
		if v := info.Types[call.Args[1]].Value; v != nil && constant.Sign(v) == 0 {
			return
		}
		if obj := info.Defs[id]; obj != nil {
			f.buffered[obj] = true
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			var ids []*ast.Ident
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					ids = append(ids, id)
				}
			}
			group(ids)
			for _, id := range ids {
				if obj := info.Uses[id]; obj != nil {
					written[obj]++
				}
			}
			if n.Tok == token.DEFINE && len(n.Lhs) == len(n.Rhs) {
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						made(id, n.Rhs[i])
						closure(id, n.Rhs[i])
					}
				}
			}
		case *ast.ValueSpec:
			group(n.Names)
			if len(n.Names) == len(n.Values) {
				for i, id := range n.Names {
					made(id, n.Values[i])
					closure(id, n.Values[i])
				}
			}
		case *ast.UnaryExpr:
			if id, ok := ast.Unparen(n.X).(*ast.Ident); ok && n.Op == token.AND {
				if obj := info.Uses[id]; obj != nil {
					written[obj]++
				}
			}
		}
		return true
	})
	for obj := range written {
		delete(f.closures, obj)
	}
	s.fns[fn] = f
	return f
}

// ssParentOps are the channel and lock operations of the function's own
// code before the sleep (not in function literals or deferred calls).
type ssParentOps struct {
	sends, closes map[string]bool
	// locks counts, per lock, the Lock calls minus the Unlock calls: > 0
	// means the code holds it during the sleep (a deferred Unlock does not
	// count: it runs at the return).
	locks map[string]int
}

// holds reports whether the code holds some lock during the sleep.
func (o *ssParentOps) holds() bool {
	for _, n := range o.locks {
		if n > 0 {
			return true
		}
	}
	return false
}

func (s *ssPass) parentOps(body *ast.BlockStmt, pos token.Pos) *ssParentOps {
	info := s.p.Info
	ops := &ssParentOps{sends: map[string]bool{}, closes: map[string]bool{}, locks: map[string]int{}}
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil || n.Pos() >= pos {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit, *ast.DeferStmt:
			return false
		case *ast.SendStmt:
			if r := s.ref(n.Chan, nil); r.ok {
				ops.sends[r.key] = true
			}
		case *ast.CallExpr:
			if b, ok := info.Uses[identOf(n.Fun)].(*types.Builtin); ok && b.Name() == "close" && len(n.Args) == 1 {
				if r := s.ref(n.Args[0], nil); r.ok {
					ops.closes[r.key] = true
				}
				return true
			}
			if fn := ssCallee(info, n); fn != nil && fn.Signature().Recv() != nil {
				sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if r := s.ref(sel.X, nil); r.ok {
					switch {
					case ssIsLock(fn):
						ops.locks[r.key]++
					case strings.HasSuffix(fn.Name(), "Unlock"):
						ops.locks[r.key]--
					}
				}
			}
		}
		return true
	})
	return ops
}

// ssAfter is what the function does after the sleep (and in deferred calls
// and function literals other than the goroutines, which may run later).
type ssAfter struct {
	objs map[types.Object]bool // variables mentioned
	// sync: it operates on channels, calls a function value (a cancel
	// func?) or a method that typically releases goroutines (Unlock,
	// Close, Stop…).
	sync bool
	// releases: the roots of receivers of such releasing methods.
	releases map[types.Object]bool
	// timing: it measures time (time.Since, Time.Sub): the sleep's length
	// is what the code is about.
	timing bool
}

var ssReleasing = []string{
	"Close", "Stop", "Shutdown", "Cancel", "Kill", "Release", "Signal", "Broadcast",
	"Interrupt", "Disconnect", "Terminate", "Store", "Swap", "CompareAndSwap",
}

// ssReleases reports whether a function or method called name typically
// lets goroutines go on or end: Close, Stop, Shutdown, Cancel… (also as a
// prefix: StopServer, CloseWrite). Unlock is not among them: it releases
// goroutines only when the code held the lock during the sleep, which
// ssParentOps.locks tells.
func ssReleases(name string) bool {
	for _, r := range ssReleasing {
		if strings.HasPrefix(name, r) {
			return true
		}
	}
	return false
}

func (s *ssPass) afterUses(body *ast.BlockStmt, start, end token.Pos, gos []*ast.GoStmt) *ssAfter {
	info := s.p.Info
	writes := ssWrites(info, body)
	a := &ssAfter{objs: map[types.Object]bool{}, releases: map[types.Object]bool{}}
	set := map[ast.Node]bool{}
	for _, g := range gos {
		set[g] = true
	}
	var visit func(n ast.Node, later bool)
	visit = func(root ast.Node, later bool) {
		ast.Inspect(root, func(n ast.Node) bool {
			if n == nil || n == root {
				return true
			}
			switch n := n.(type) {
			case *ast.GoStmt:
				if set[n] {
					return false // the goroutines' own code
				}
			case *ast.FuncLit:
				visit(n, true)
				return false
			case *ast.DeferStmt:
				visit(n, true)
				return false
			}
			if !later && n.End() <= end {
				return true // before the sleep: look inside for later parts only
			}
			if !later && n.Pos() < end {
				return true // contains the sleep
			}
			switch n := n.(type) {
			case *ast.Ident:
				if obj := info.Uses[n]; obj != nil {
					a.objs[obj] = true
				}
			case *ast.SendStmt, *ast.SelectStmt:
				a.sync = true
			case *ast.UnaryExpr:
				if n.Op == token.ARROW {
					a.sync = true
				}
			case *ast.CallExpr:
				if b, ok := info.Uses[identOf(n.Fun)].(*types.Builtin); ok && b.Name() == "close" {
					a.sync = true
				}
				if v, ok := info.Uses[identOf(n.Fun)].(*types.Var); ok && v != nil {
					a.sync = true // cancel(), stop()…
				}
				switch fun := ast.Unparen(n.Fun).(type) {
				case *ast.SelectorExpr:
					if ssReleases(fun.Sel.Name) {
						a.sync = true
						if r := s.ref(fun.X, nil); r.ok {
							a.releases[r.root] = true
						}
					}
				case *ast.Ident:
					if ssReleases(fun.Name) {
						a.sync = true
					}
				}
				if fn := ssCallee(info, n); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "time" {
					if (fn.Name() == "Since" || fn.Name() == "Until" || (fn.Name() == "Sub" && fn.Signature().Recv() != nil)) && s.spans(n, start, writes) {
						a.timing = true
					}
				}
			}
			return true
		})
	}
	visit(body, false)
	return a
}

// ssWrites returns, per variable of body, the positions where it is
// defined or assigned.
func ssWrites(info *types.Info, body *ast.BlockStmt) map[types.Object][]token.Pos {
	w := map[types.Object][]token.Pos{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if id, ok := ast.Unparen(l).(*ast.Ident); ok {
					if obj := info.ObjectOf(id); obj != nil {
						w[obj] = append(w[obj], id.Pos())
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range n.Names {
				if obj := info.Defs[id]; obj != nil {
					w[obj] = append(w[obj], id.Pos())
				}
			}
		}
		return true
	})
	return w
}

// spans reports whether the time measurement call (time.Since(t),
// time.Until(t), a.Sub(b)) after the sleep uses a time taken before the
// sleep (at sleepPos): the last write before the call of a variable it
// reads comes before the sleep.
func (s *ssPass) spans(call *ast.CallExpr, sleepPos token.Pos, writes map[types.Object][]token.Pos) bool {
	found := false
	ast.Inspect(call, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || found {
			return !found
		}
		obj, ok := s.p.Info.Uses[id].(*types.Var)
		if !ok {
			return true
		}
		last := token.NoPos
		for _, p := range writes[obj] {
			if p < call.Pos() && p > last {
				last = p
			}
		}
		if last.IsValid() && last < sleepPos {
			found = true
		}
		return true
	})
	return found
}

// ssSendOnly reports whether the goroutines only send on the channel key
// (they never receive from or close it).
func ssSendOnly(sums []*ssSum, key string) bool {
	for _, g := range sums {
		if g.recvs[key] || g.closes[key] {
			return false
		}
	}
	return true
}

// released reports whether the blocking operation b of goroutine self can
// complete: what it waits for happens before the sleep (in the function's
// own code or another of the goroutines).
func (s *ssPass) released(b ssBlock, self int, sums []*ssSum, before *ssParentOps, fn *ssFunc) bool {
	peer := func(has func(g *ssSum) bool) bool {
		for i, g := range sums {
			if i != self && has(g) {
				return true
			}
		}
		return false
	}
	opReleased := func(op ssOp) bool {
		r := op.ref
		if op.timer && !op.loop {
			return true
		}
		if !r.ok {
			return false
		}
		switch op.kind {
		case ssRecv:
			if before.closes[r.key] || peer(func(g *ssSum) bool { return g.closes[r.key] }) {
				return true
			}
			if !op.loop && (before.sends[r.key] || peer(func(g *ssSum) bool { return g.sends[r.key] })) {
				return true
			}
		case ssSend:
			if fn.buffered[r.root] && r.key == ssObjKey(r.root) {
				return true
			}
			if peer(func(g *ssSum) bool { return g.recvs[r.key] }) {
				return true
			}
		}
		return false
	}
	if b.call {
		return false
	}
	for _, op := range b.ops {
		if opReleased(op) {
			return true
		}
	}
	return false
}

// ssSum summarizes one goroutine.
type ssSum struct {
	never    string // why it never finishes, or ""
	neverRef ssRef  // what it serves or ticks on (a server, a ticker, a context)
	// neverCtx: it never finishes until its context (neverRef) is cancelled.
	neverCtx bool
	starts   bool // it starts goroutines of its own, in its literal
	// startsDeep: a function it calls starts goroutines.
	startsDeep bool
	waitGroup  bool // it calls methods of a sync.WaitGroup
	timed      bool // it sets off a timer's function, or loops until a time
	// unknown: it calls code the rule does not look into (other packages,
	// interface methods, function values), which may block until released.
	unknown  bool
	blockers []ssBlock
	locks    []ssRef
	sends    map[string]bool
	recvs    map[string]bool
	closes   map[string]bool
	// syncRefs: every channel, WaitGroup, Cond or blocking call operand,
	// and the channels and sync values handed to a call goroutine (not
	// locks: see locks); condObjs: the variables that decide the
	// goroutine's loops. Code after the sleep that mentions them
	// synchronizes with the goroutine.
	syncRefs []ssRef
	condObjs []types.Object
	sleeps   []constant.Value // constant durations it sleeps or waits on a timer
}

// ssRef names a variable path (x, x.f, x.f.Done()) rooted at a variable.
type ssRef struct {
	key  string
	root types.Object
	ok   bool
}

type ssOpKind int

const (
	ssRecv ssOpKind = iota
	ssSend
)

type ssOp struct {
	kind  ssOpKind
	ref   ssRef
	loop  bool // repeated: a receive needs a close
	timer bool // a timer's channel: fires by itself
}

// ssBlock is an operation that may block the goroutine for good; it is
// released when any of its ops can complete.
type ssBlock struct {
	ops  []ssOp
	call bool // a blocking call (read, accept, process wait): never released
	text string
}

func ssObjKey(obj types.Object) string { return fmt.Sprintf("%p", obj) }

// ref returns the variable path e denotes; subst maps the parameters of a
// called function to the caller's paths.
func (s *ssPass) ref(e ast.Expr, subst map[types.Object]ssRef) ssRef {
	info := s.p.Info
	switch x := ast.Unparen(e).(type) {
	case *ast.StarExpr:
		return s.ref(x.X, subst)
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			return s.ref(x.X, subst)
		}
	case *ast.Ident:
		obj := info.ObjectOf(x)
		if r, ok := subst[obj]; ok {
			return r
		}
		if v, ok := obj.(*types.Var); ok {
			return ssRef{key: ssObjKey(v), root: v, ok: true}
		}
	case *ast.SelectorExpr:
		if sel := info.Selections[x]; sel != nil {
			if sel.Kind() != types.FieldVal {
				return ssRef{}
			}
			base := s.ref(x.X, subst)
			if base.ok {
				base.key += "." + x.Sel.Name
			}
			return base
		}
		if v, ok := info.Uses[x.Sel].(*types.Var); ok {
			return ssRef{key: ssObjKey(v), root: v, ok: true}
		}
	case *ast.IndexExpr:
		base := s.ref(x.X, subst)
		if base.ok {
			base.key += "[]"
		}
		return base
	case *ast.CallExpr:
		// A channel returned by a method without arguments: ctx.Done().
		if sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr); ok && len(x.Args) == 0 && info.Selections[sel] != nil {
			base := s.ref(sel.X, subst)
			if base.ok {
				base.key += "." + sel.Sel.Name + "()"
			}
			return base
		}
	}
	return ssRef{}
}

// ssTimerChan reports whether e is a timer's or ticker's channel:
// time.After(d), time.Tick(d), t.C of a *time.Timer or *time.Ticker. tick
// is set for the ones that fire repeatedly (never closed).
func ssTimerChan(info *types.Info, e ast.Expr) (timer, tick bool) {
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		if ssIsPkgFunc(info, x, "time", "After") {
			return true, false
		}
		if ssIsPkgFunc(info, x, "time", "Tick") {
			return true, true
		}
	case *ast.SelectorExpr:
		if x.Sel.Name != "C" {
			return false, false
		}
		t := info.TypeOf(x.X)
		if pt, ok := t.(*types.Pointer); ok {
			t = pt.Elem()
		}
		if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" {
			switch n.Obj().Name() {
			case "Timer":
				return true, false
			case "Ticker":
				return true, true
			}
		}
	}
	return false, false
}

// ssServers are calls that serve until shut down.
var ssServers = map[string]bool{"ListenAndServe": true, "ListenAndServeTLS": true, "Serve": true, "ServeTLS": true}

// ssBlockingMethods are methods that wait for a peer (input, a connection,
// a process); matched by name on any type but those of bytes and strings.
var ssBlockingMethods = map[string]bool{
	"Accept": true, "AcceptTCP": true, "AcceptUnix": true, "Read": true, "ReadFrom": true,
	"ReadFromUDP": true, "ReadFromUDPAddrPort": true, "ReadMsgUDP": true, "ReadMsgUnix": true,
	"ReadString": true, "ReadLine": true, "ReadBytes": true, "ReadRune": true, "ReadByte": true, "ReadSlice": true,
	"Recv": true, "Scan": true, "Wait": true,
}

// ssBlockingFuncs are functions of io that read until their source ends.
var ssBlockingFuncs = map[string]bool{
	"io.Copy": true, "io.CopyN": true, "io.CopyBuffer": true, "io.ReadAll": true, "io.ReadFull": true,
	"io.ReadAtLeast": true, "io/ioutil.ReadAll": true,
}

// ssIsLock reports whether fn is a method that takes a lock: Lock or
// RLock of sync, or any method named …Lock (not TryLock) or Acquire.
func ssIsLock(fn *types.Func) bool {
	if fn.Signature().Recv() == nil {
		return false
	}
	name := fn.Name()
	return (strings.HasSuffix(name, "Lock") && !strings.HasPrefix(name, "Try")) || name == "Acquire"
}

// ssRecvNamed returns the name of the named type of a method's receiver.
func ssRecvNamed(fn *types.Func) string {
	recv := fn.Signature().Recv()
	if recv == nil {
		return ""
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

// summarize describes the goroutine started by g.
func (s *ssPass) summarize(g *ast.GoStmt, fn *ssFunc) *ssSum {
	info := s.p.Info
	sum := &ssSum{sends: map[string]bool{}, recvs: map[string]bool{}, closes: map[string]bool{}}
	w := &ssWalker{s: s, sum: sum, fn: fn, visited: map[ast.Node]bool{}, who: "it"}
	if lit, ok := ast.Unparen(g.Call.Fun).(*ast.FuncLit); ok {
		w.walk(lit.Body, nil, 0, false)
		return sum
	}
	w.call(g.Call, nil, 0, false)
	// A call the rule cannot read that is handed a context typically runs
	// until the context is cancelled (a server, a worker loop).
	if !s.readable(g.Call, fn) {
		for _, a := range g.Call.Args {
			if ssIsContext(info.TypeOf(a)) {
				w.never(w.text(g.Call.Fun)+" may run until its context is cancelled", s.ref(a, nil))
				sum.neverCtx = sum.never != "" && sum.neverRef.ok
				break
			}
		}
	}
	// Channels and sync values handed to the goroutine are operands of its
	// synchronization, whether or not its code could be read.
	vals := append([]ast.Expr(nil), g.Call.Args...)
	if sel, ok := ast.Unparen(g.Call.Fun).(*ast.SelectorExpr); ok && info.Selections[sel] != nil {
		vals = append(vals, sel.X)
	}
	for _, v := range vals {
		t := info.TypeOf(v)
		if p, ok := ssUnder(t).(*types.Pointer); ok {
			t = p.Elem()
		}
		if _, ok := ssUnder(t).(*types.Chan); ok {
			sum.syncRefs = append(sum.syncRefs, s.ref(v, nil))
		}
		if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "sync" {
			if n.Obj().Name() == "WaitGroup" {
				sum.waitGroup = true
			}
			sum.syncRefs = append(sum.syncRefs, s.ref(v, nil))
		}
	}
	return sum
}

// readable reports whether the rule reads the code call runs: a function
// or method of the package with a body, or a closure of the function.
func (s *ssPass) readable(call *ast.CallExpr, fn *ssFunc) bool {
	if f := ssCallee(s.p.Info, call); f != nil {
		if f.Pkg() != s.p.Pkg || s.p.Pkg == nil {
			return false
		}
		d := s.decl(f.Origin())
		return d != nil && d.Body != nil
	}
	v, ok := s.p.Info.Uses[identOf(call.Fun)].(*types.Var)
	return ok && fn != nil && fn.closures[v] != nil
}

// ssIsContext reports whether t is context.Context.
func ssIsContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func ssAnyObj(set map[types.Object]bool, objs []types.Object) bool {
	for _, o := range objs {
		if set[o] {
			return true
		}
	}
	return false
}

// ssWalker collects the facts of one goroutine's code.
type ssWalker struct {
	s       *ssPass
	sum     *ssSum
	fn      *ssFunc
	visited map[ast.Node]bool // function declarations and literals looked into
	who     string            // "it" in the goroutine's own code, else the called function's name
}

const ssMaxDepth = 3

func (w *ssWalker) never(reason string, ref ssRef) {
	if w.sum.never == "" {
		w.sum.never, w.sum.neverRef = reason, ref
	}
}

func (w *ssWalker) text(e ast.Expr) string { return types.ExprString(e) }

// walk visits the code of n (a goroutine's body, or a called function's).
// loop is set inside a loop.
func (w *ssWalker) walk(n ast.Node, subst map[types.Object]ssRef, depth int, loop bool) {
	s, info, sum := w.s, w.s.p.Info, w.sum
	if n == nil {
		return
	}
	ast.Inspect(n, func(x ast.Node) bool {
		if x == nil || x == n {
			return true
		}
		switch x := x.(type) {
		case *ast.GoStmt:
			if depth == 0 {
				sum.starts = true
			} else {
				sum.startsDeep = true
			}
			return false
		case *ast.ForStmt:
			for _, h := range []ast.Node{x.Init, x.Cond, x.Post} {
				w.walkNode(h, subst, depth, true)
			}
			if x.Init == nil && x.Post == nil && x.Cond != nil {
				w.condObjs(x.Cond, subst)
			}
			if x.Cond == nil {
				if !ssHasExit(x) {
					w.never(w.who+" loops forever", ssRef{})
				}
				// The exits of a loop without condition are decided inside it.
				ast.Inspect(x.Body, func(y ast.Node) bool {
					switch y := y.(type) {
					case *ast.FuncLit:
						return false
					case *ast.IfStmt:
						w.condObjs(y.Cond, subst)
					}
					return true
				})
				w.forever(x.Body, subst)
			}
			w.walkNode(x.Body, subst, depth, true)
			return false
		case *ast.RangeStmt:
			if _, ok := ssUnder(info.TypeOf(x.X)).(*types.Chan); ok {
				if _, tick := ssTimerChan(info, x.X); tick {
					w.never(w.who+" ranges over a ticker's channel, which is never closed", s.ref(x.X, subst))
				} else {
					r := s.ref(x.X, subst)
					sum.recvs[r.key] = r.ok
					sum.syncRefs = append(sum.syncRefs, r)
					sum.blockers = append(sum.blockers, ssBlock{
						ops:  []ssOp{{kind: ssRecv, ref: r, loop: true}},
						text: w.who + " ranges over " + w.text(x.X) + ", which nothing closes before the sleep",
					})
				}
			}
			w.walkNode(x.X, subst, depth, loop)
			w.walkNode(x.Body, subst, depth, true)
			return false
		case *ast.SelectStmt:
			w.sel(x, subst, depth, loop)
			return false
		case *ast.SendStmt:
			r := s.ref(x.Chan, subst)
			sum.sends[r.key] = r.ok
			sum.syncRefs = append(sum.syncRefs, r)
			sum.blockers = append(sum.blockers, ssBlock{
				ops:  []ssOp{{kind: ssSend, ref: r, loop: loop}},
				text: w.who + " sends on " + w.text(x.Chan) + ", which nothing receives",
			})
		case *ast.UnaryExpr:
			if x.Op != token.ARROW {
				return true
			}
			w.recv(x.X, subst, loop)
		case *ast.CallExpr:
			w.call(x, subst, depth, loop)
		}
		return true
	})
}

// walkNode walks n itself (walk skips its root).
func (w *ssWalker) walkNode(n ast.Node, subst map[types.Object]ssRef, depth int, loop bool) {
	if n == nil {
		return
	}
	w.walk(&ast.BlockStmt{List: []ast.Stmt{ssAsStmt(n)}}, subst, depth, loop)
}

func ssAsStmt(n ast.Node) ast.Stmt {
	switch n := n.(type) {
	case ast.Stmt:
		return n
	case ast.Expr:
		return &ast.ExprStmt{X: n}
	}
	return &ast.EmptyStmt{}
}

func (w *ssWalker) recv(ch ast.Expr, subst map[types.Object]ssRef, loop bool) {
	s, info, sum := w.s, w.s.p.Info, w.sum
	timer, _ := ssTimerChan(info, ch)
	if timer {
		if call, ok := ast.Unparen(ch).(*ast.CallExpr); ok && ssIsPkgFunc(info, call, "time", "After") {
			if v := info.Types[call.Args[0]].Value; v != nil {
				sum.sleeps = append(sum.sleeps, v)
			}
		}
	}
	r := s.ref(ch, subst)
	sum.recvs[r.key] = r.ok
	if !timer {
		sum.syncRefs = append(sum.syncRefs, r)
	}
	text := w.who + " receives from " + w.text(ch) + ", which nothing sends on or closes before the sleep"
	if loop {
		text = w.who + " receives from " + w.text(ch) + " in a loop, and nothing closes it before the sleep"
	}
	sum.blockers = append(sum.blockers, ssBlock{ops: []ssOp{{kind: ssRecv, ref: r, loop: loop, timer: timer}}, text: text})
}

// sel handles a select statement.
func (w *ssWalker) sel(x *ast.SelectStmt, subst map[types.Object]ssRef, depth int, loop bool) {
	s, info, sum := w.s, w.s.p.Info, w.sum
	if len(x.Body.List) == 0 {
		w.never(w.who+" blocks forever in an empty select", ssRef{})
		return
	}
	var ops []ssOp
	hasDefault := false
	for _, cl := range x.Body.List {
		cc := cl.(*ast.CommClause)
		var ch ast.Expr
		kind := ssRecv
		switch c := cc.Comm.(type) {
		case nil:
			hasDefault = true
		case *ast.SendStmt:
			ch, kind = c.Chan, ssSend
			w.walkNode(c.Value, subst, depth, loop)
		case *ast.ExprStmt:
			if u, ok := ast.Unparen(c.X).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
				ch = u.X
			}
		case *ast.AssignStmt:
			if len(c.Rhs) == 1 {
				if u, ok := ast.Unparen(c.Rhs[0]).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
					ch = u.X
				}
			}
		}
		if ch != nil {
			w.walkNode(ch, subst, depth, loop)
			r := s.ref(ch, subst)
			timer, _ := ssTimerChan(info, ch)
			if kind == ssSend {
				sum.sends[r.key] = r.ok
			} else {
				sum.recvs[r.key] = r.ok
			}
			if !timer {
				sum.syncRefs = append(sum.syncRefs, r)
			}
			ops = append(ops, ssOp{kind: kind, ref: r, loop: loop, timer: timer})
		}
		for _, st := range cc.Body {
			w.walkNode(st, subst, depth, loop)
		}
	}
	if !hasDefault {
		sum.blockers = append(sum.blockers, ssBlock{ops: ops, text: w.who + " blocks in a select that nothing before the sleep completes"})
	}
}

// forever records, for a loop without condition, the channels whose
// receives (in selects with a default too) it spins on: the loop may only
// end once one of them is closed.
func (w *ssWalker) forever(body *ast.BlockStmt, subst map[types.Object]ssRef) {
	s, info := w.s, w.s.p.Info
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.SelectStmt:
			var ops []ssOp
			hasDefault := false
			var first ast.Expr
			for _, cl := range n.Body.List {
				cc := cl.(*ast.CommClause)
				if cc.Comm == nil {
					hasDefault = true
					continue
				}
				var ch ast.Expr
				switch c := cc.Comm.(type) {
				case *ast.ExprStmt:
					if u, ok := ast.Unparen(c.X).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
						ch = u.X
					}
				case *ast.AssignStmt:
					if len(c.Rhs) == 1 {
						if u, ok := ast.Unparen(c.Rhs[0]).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
							ch = u.X
						}
					}
				}
				if ch == nil {
					continue
				}
				if timer, _ := ssTimerChan(info, ch); timer {
					continue
				}
				if first == nil {
					first = ch
				}
				ops = append(ops, ssOp{kind: ssRecv, ref: s.ref(ch, subst), loop: true})
			}
			if hasDefault && len(ops) > 0 {
				w.sum.blockers = append(w.sum.blockers, ssBlock{ops: ops,
					text: w.who + " loops until " + w.text(first) + " is closed, which nothing does before the sleep"})
			}
		}
		return true
	})
}

func (w *ssWalker) condObjs(e ast.Expr, subst map[types.Object]ssRef) {
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if r := w.s.ref(id, subst); r.ok {
				w.sum.condObjs = append(w.sum.condObjs, r.root)
			}
		}
		return true
	})
}

// ssHasExit reports whether the loop without condition f can be left:
// a return, a break that targets it, a goto, or a call that ends the
// goroutine or the program (panic, os.Exit, log.Fatal, runtime.Goexit, a
// test's Fatal and FailNow).
func ssHasExit(f *ast.ForStmt) bool {
	exit := false
	var visit func(n ast.Node, depth int)
	visit = func(root ast.Node, depth int) {
		ast.Inspect(root, func(n ast.Node) bool {
			if exit || n == nil {
				return false
			}
			if n != root {
				switch n.(type) {
				case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
					visit(n, depth+1)
					return false
				}
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				exit = true
			case *ast.BranchStmt:
				switch n.Tok {
				case token.GOTO:
					exit = true
				case token.BREAK:
					if n.Label != nil || depth == 0 {
						exit = true // a labeled break may leave this loop too
					}
				}
			case *ast.CallExpr:
				name := ""
				switch fun := ast.Unparen(n.Fun).(type) {
				case *ast.Ident:
					name = fun.Name
				case *ast.SelectorExpr:
					name = fun.Sel.Name
				}
				switch name {
				case "panic", "Exit", "Fatal", "Fatalf", "Fatalln", "Goexit", "FailNow", "Panic", "Panicf", "Panicln":
					exit = true
				}
			}
			return true
		})
	}
	visit(f.Body, 0)
	return exit
}

// call handles a call in a goroutine's code (or the goroutine's own call).
func (w *ssWalker) call(call *ast.CallExpr, subst map[types.Object]ssRef, depth int, loop bool) {
	s, info, sum := w.s, w.s.p.Info, w.sum
	if b, ok := info.Uses[identOf(call.Fun)].(*types.Builtin); ok {
		if b.Name() == "close" && len(call.Args) == 1 {
			r := s.ref(call.Args[0], subst)
			sum.closes[r.key] = r.ok
			sum.syncRefs = append(sum.syncRefs, r)
		}
		return
	}
	fn := ssCallee(info, call)
	if fn == nil {
		// A function value: a closure of the function is looked into,
		// others are unknown, assumed to return.
		v, _ := info.Uses[identOf(call.Fun)].(*types.Var)
		var lit *ast.FuncLit
		if v != nil && w.fn != nil {
			lit = w.fn.closures[v]
		}
		switch {
		case lit == nil || depth >= ssMaxDepth:
			sum.unknown = true
		case !w.visited[lit]:
			w.visited[lit] = true
			who := w.who
			w.who = v.Name()
			w.walk(lit.Body, s.params(nil, lit.Type, call, nil, subst), depth+1, loop)
			w.who = who
		}
		return
	}
	name := fn.Name()
	path := ""
	if fn.Pkg() != nil {
		path = fn.Pkg().Path()
	}
	sig := fn.Signature()
	var recvX ast.Expr
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sig.Recv() != nil {
		recvX = sel.X
	}
	if path == "time" && sig.Recv() == nil {
		switch name {
		case "Sleep":
			if v := info.Types[call.Args[0]].Value; len(call.Args) == 1 && v != nil {
				sum.sleeps = append(sum.sleeps, v)
			}
		case "AfterFunc":
			sum.timed = true // the timer's function outlives the goroutine
		case "Now", "Since", "Until":
			if loop {
				sum.timed = true // it loops until a time
			}
		}
		return
	}
	if path == "sync" && sig.Recv() != nil {
		var r ssRef
		if recvX != nil {
			r = s.ref(recvX, subst)
		}
		// Locks are not operands the code after the sleep must stay away
		// from (reading the results under the same mutex is the point);
		// a lock the code holds during the sleep is (see check).
		switch {
		case ssRecvNamed(fn) == "WaitGroup":
			sum.waitGroup = true
			sum.syncRefs = append(sum.syncRefs, r)
		case ssIsLock(fn):
			sum.locks = append(sum.locks, r)
		case strings.HasSuffix(name, "Unlock"):
		case name == "Wait":
			sum.syncRefs = append(sum.syncRefs, r)
			sum.blockers = append(sum.blockers, ssBlock{call: true, text: w.who + " waits in " + w.text(call.Fun)})
		default:
			sum.syncRefs = append(sum.syncRefs, r)
		}
		return
	}
	if ssIsLock(fn) && recvX != nil {
		// A lock of another type (its own methods are looked into below
		// when the package declares them).
		sum.locks = append(sum.locks, s.ref(recvX, subst))
	}
	// Functions and methods of the package: look inside.
	if fn.Pkg() == s.p.Pkg && s.p.Pkg != nil {
		origin := fn.Origin()
		if decl := s.decl(origin); decl != nil && decl.Body != nil {
			if depth >= ssMaxDepth {
				sum.unknown = true
			} else if !w.visited[decl] {
				w.visited[decl] = true
				who := w.who
				w.who = fn.Name()
				w.walk(decl.Body, s.params(decl.Recv, decl.Type, call, recvX, subst), depth+1, loop)
				w.who = who
			}
			return
		}
	}
	if !ssQuietFunc(fn) && !(path == "sync" || path == "sync/atomic") {
		sum.unknown = true
	}
	if ssServers[name] {
		var r ssRef
		if recvX != nil {
			r = s.ref(recvX, subst)
		}
		w.never(w.text(call.Fun)+" serves until it is shut down", r)
		return
	}
	blocking := false
	if sig.Recv() != nil {
		if ssBlockingMethods[name] && path != "bytes" && path != "strings" {
			blocking = true
		}
		if path == "os/exec" && (name == "Run" || name == "Output" || name == "CombinedOutput") {
			blocking = true
		}
	} else if ssBlockingFuncs[path+"."+name] {
		blocking = true
	}
	if blocking {
		var refs []ssRef
		if recvX != nil {
			refs = append(refs, s.ref(recvX, subst))
		}
		for _, a := range call.Args {
			if r := s.ref(a, subst); r.ok {
				refs = append(refs, r)
			}
		}
		if len(refs) == 0 {
			refs = append(refs, ssRef{})
		}
		sum.syncRefs = append(sum.syncRefs, refs...)
		sum.blockers = append(sum.blockers, ssBlock{call: true, text: w.who + " may block in " + w.text(call.Fun)})
	}
}

// decl returns the declaration of a function or method of the package.
func (s *ssPass) decl(fn *types.Func) *ast.FuncDecl {
	if s.decls == nil {
		s.decls = map[*types.Func]*ast.FuncDecl{}
		for _, f := range s.p.Files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok {
					if obj, ok := s.p.Info.Defs[fd.Name].(*types.Func); ok {
						s.decls[obj] = fd
					}
				}
			}
		}
	}
	return s.decls[fn]
}

// params maps the parameters (and receiver) of a called function to the
// variable paths the call passes.
func (s *ssPass) params(recv *ast.FieldList, ftype *ast.FuncType, call *ast.CallExpr, recvX ast.Expr, subst map[types.Object]ssRef) map[types.Object]ssRef {
	info := s.p.Info
	m := map[types.Object]ssRef{}
	if recv != nil && recvX != nil && len(recv.List) == 1 && len(recv.List[0].Names) == 1 {
		if obj := info.Defs[recv.List[0].Names[0]]; obj != nil {
			m[obj] = s.ref(recvX, subst)
		}
	}
	i := 0
	for _, f := range ftype.Params.List {
		names := f.Names
		if len(names) == 0 {
			i++
			continue
		}
		for _, id := range names {
			if obj := info.Defs[id]; obj != nil && i < len(call.Args) {
				if _, variadic := f.Type.(*ast.Ellipsis); variadic {
					m[obj] = ssRef{}
				} else {
					m[obj] = s.ref(call.Args[i], subst)
				}
			}
			i++
		}
	}
	return m
}

// fix builds the fix, or says why there is none.
func (s *ssPass) fix(fnNode ast.Node, list []ast.Stmt, first int, sleep *ast.ExprStmt, gos []*ast.GoStmt, sums []*ssSum, listC inspector.Cursor) (*Fix, string) {
	p := s.p
	info := p.Info
	for i, g := range sums {
		if g.starts {
			return nil, fmt.Sprintf("the goroutine started at line %d starts goroutines of its own, which the WaitGroup would not wait for", s.line(gos[i].Pos()))
		}
	}
	call := sleep.X.(*ast.CallExpr)
	if why := ssDropped(info, call.Args[0]); why != "" {
		return nil, "the sleep's duration " + why
	}
	top := list[first]
	if !p.CanQualify(top.Pos(), "sync", "sync") {
		return nil, ssSyncUnnamed(p, top.Pos())
	}
	// Each sleep of a function gets its own WaitGroup: the fixes of
	// successive phases of one statement list go in together.
	if s.named[fnNode] == nil {
		s.named[fnNode] = map[string]bool{}
	}
	wg := ""
	for i := 1; wg == ""; i++ {
		name := "wg"
		if i > 1 {
			name += strconv.Itoa(i)
		}
		if !s.named[fnNode][name] && FreshName(p, fnNode, top.Pos(), name) == name {
			wg = name
		}
	}
	useGo := p.AtLeast("go1.25")
	data := SleepSyncFix{WG: wg}
	// The sleep's own list is not among the Lists: the rewrite finds the
	// statements it edits there by identity, and the WaitGroups of the
	// phases of one list have different names, so the fixes of a list's
	// phases need not wait for one another (the engine would take one
	// round per phase, at most four).
	block := listC.Node()
	var lists []ast.Node
	nodes := []ast.Node{sleep, top}
	for _, g := range gos {
		gc, ok := p.Inspector.Root().FindNode(g)
		if !ok {
			return nil, "internal: go statement not indexed"
		}
		parent := gc.Parent().Node()
		switch parent.(type) {
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
		default:
			return nil, fmt.Sprintf("the go statement at line %d is labeled", s.line(g.Pos()))
		}
		if parent != block {
			lists = append(lists, parent)
		}
		var spec SleepSyncGo
		if lit, ok := ast.Unparen(g.Call.Fun).(*ast.FuncLit); ok {
			lists = append(lists, lit.Body)
			spec.Go = useGo && lit.Type.Params.NumFields() == 0 && lit.Type.Results.NumFields() == 0 && len(g.Call.Args) == 0
		} else {
			binds, why := s.binds(g, wg)
			if why != "" {
				return nil, why
			}
			spec.Wrap, spec.Binds = true, binds
		}
		data.Goroutines = append(data.Goroutines, spec)
		nodes = append(nodes, g)
	}
	s.named[fnNode][wg] = true
	return &Fix{
		Message: ssFixMessage,
		Anchor:  sleep,
		Lists:   ssDedup(lists),
		Nodes:   nodes,
		Data:    data,
	}, ""
}

func ssDedup(l []ast.Node) []ast.Node {
	seen := map[ast.Node]bool{}
	var out []ast.Node
	for _, n := range l {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// ssSyncUnnamed says why sync.WaitGroup cannot be written at pos.
func ssSyncUnnamed(p *Pass, pos token.Pos) string {
	for _, spec := range p.File.Imports {
		if path, err := strconv.Unquote(spec.Path.Value); err == nil && path == "sync" && spec.Name != nil {
			switch spec.Name.Name {
			case ".":
				return "sync is dot-imported in this file"
			case "_":
				continue
			}
			return "the name " + spec.Name.Name + " is shadowed here"
		}
	}
	return "the name sync is shadowed here"
}

// ssDropped says why the sleep's duration cannot be dropped ("" when it
// can): the Wait no longer evaluates it, so it must have no effect (no call
// but conversions and pure builtins, no receive) and not panic (no index,
// explicit dereference or division by a variable; a field read through a
// pointer is allowed).
func ssDropped(info *types.Info, e ast.Expr) string {
	if info.Types[e].Value != nil {
		return ""
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident, *ast.BasicLit:
		return ""
	case *ast.SelectorExpr:
		if sel := info.Selections[x]; sel != nil {
			if sel.Kind() != types.FieldVal {
				return "calls a function"
			}
			return ssDropped(info, x.X)
		}
		return "" // a qualified identifier
	case *ast.CallExpr:
		if tv, ok := info.Types[x.Fun]; ok && tv.IsType() && len(x.Args) == 1 {
			return ssDropped(info, x.Args[0])
		}
		if b, ok := info.Uses[identOf(x.Fun)].(*types.Builtin); ok {
			switch b.Name() {
			case "len", "cap", "min", "max":
				for _, a := range x.Args {
					if why := ssDropped(info, a); why != "" {
						return why
					}
				}
				return ""
			}
		}
		return "calls a function"
	case *ast.UnaryExpr:
		if x.Op == token.ARROW {
			return "receives from a channel"
		}
		return ssDropped(info, x.X)
	case *ast.BinaryExpr:
		if (x.Op == token.QUO || x.Op == token.REM) && info.Types[x.Y].Value == nil {
			return "could panic"
		}
		if why := ssDropped(info, x.X); why != "" {
			return why
		}
		return ssDropped(info, x.Y)
	}
	return "could panic"
}

// binds decides how the call of the go statement g is evaluated at the go
// statement: which parts are passed to the wrapping literal as parameters.
func (s *ssPass) binds(g *ast.GoStmt, wg string) ([]SleepSyncBind, string) {
	info := s.p.Info
	call := g.Call
	line := s.line(g.Pos())
	var binds []SleepSyncBind
	var inline []ast.Node // parts that stay in the call
	fun := ast.Unparen(call.Fun)
	funType := info.TypeOf(call.Fun)
	bindFunc := func(name string) {
		binds = append(binds, SleepSyncBind{Part: SleepSyncFunc, Name: name, Type: funType})
	}
	switch f := fun.(type) {
	case *ast.Ident:
		switch info.Uses[f].(type) {
		case *types.Func, *types.Builtin:
			inline = append(inline, f)
		default:
			bindFunc(f.Name)
		}
	case *ast.SelectorExpr:
		sel := info.Selections[f]
		switch {
		case sel == nil: // a qualified identifier
			if _, ok := info.Uses[f.Sel].(*types.Func); ok {
				inline = append(inline, f)
			} else {
				bindFunc(f.Sel.Name)
			}
		case sel.Kind() == types.MethodExpr:
			inline = append(inline, f)
		case sel.Kind() == types.MethodVal:
			m := sel.Obj().(*types.Func)
			inline = append(inline, f.Sel)
			if len(sel.Index()) > 1 {
				// A promoted method: evaluating it reads the embedded
				// fields; bind the method value itself.
				binds = append(binds, SleepSyncBind{Part: SleepSyncFunc, Name: ssLowerFirst(m.Name()), Type: funType})
				inline = inline[:len(inline)-1]
				break
			}
			xt := info.TypeOf(f.X)
			_, xPtr := types.Unalias(xt).(*types.Pointer)
			recvT := m.Signature().Recv().Type()
			_, recvPtr := types.Unalias(recvT).(*types.Pointer)
			recvName := m.Signature().Recv().Name()
			b := SleepSyncBind{Part: SleepSyncRecv, Type: xt}
			if id, ok := ast.Unparen(f.X).(*ast.Ident); ok {
				b.Name = id.Name
			}
			switch {
			case types.IsInterface(xt) || xPtr == recvPtr:
			case recvPtr: // implicit &x
				b.Addr, b.Type = true, types.NewPointer(xt)
				b.Name = ssPick(recvName, b.Name)
			default: // implicit *x
				b.Deref, b.Type = true, types.Unalias(xt).(*types.Pointer).Elem()
				b.Name = ssPick(recvName, b.Name)
			}
			if b.Name == "" {
				b.Name = ssPick(recvName, "recv")
			}
			binds = append(binds, b)
		default:
			bindFunc("fn")
		}
	case *ast.IndexExpr, *ast.IndexListExpr:
		var x ast.Expr
		if ix, ok := f.(*ast.IndexExpr); ok {
			x = ix.X
		} else {
			x = f.(*ast.IndexListExpr).X
		}
		var obj types.Object
		switch x := ast.Unparen(x).(type) {
		case *ast.Ident:
			obj = info.Uses[x]
		case *ast.SelectorExpr:
			obj = info.Uses[x.Sel]
		}
		if _, ok := obj.(*types.Func); ok && info.Selections[ssSel(x)] == nil {
			inline = append(inline, f) // an instantiated generic function
		} else {
			bindFunc("fn")
		}
	default:
		bindFunc("fn")
	}

	sig, _ := ssUnder(funType).(*types.Signature)
	byObj := map[types.Object]int{} // variable → index of its bind
	reuseOf := map[int]int{}
	for i, a := range call.Args {
		tv := info.Types[a]
		if tv.Value != nil || tv.IsNil() {
			inline = append(inline, a)
			continue
		}
		if id, ok := ast.Unparen(a).(*ast.Ident); ok {
			obj := info.Uses[id]
			if _, ok := obj.(*types.Func); ok {
				inline = append(inline, a)
				continue
			}
			if j, ok := byObj[obj]; ok && obj != nil {
				reuseOf[len(binds)] = j
				binds = append(binds, SleepSyncBind{Part: i, Reuse: true})
				continue
			}
			byObj[obj] = len(binds)
			binds = append(binds, SleepSyncBind{Part: i, Name: id.Name, Type: tv.Type})
			continue
		}
		name := ""
		if sig != nil && sig.Params().Len() > 0 {
			j := i
			if j >= sig.Params().Len() {
				j = sig.Params().Len() - 1
			}
			name = sig.Params().At(j).Name()
		}
		if name == "" || name == "_" {
			if sel, ok := ast.Unparen(a).(*ast.SelectorExpr); ok {
				name = ssLowerFirst(sel.Sel.Name)
			} else {
				name = "arg"
			}
		}
		binds = append(binds, SleepSyncBind{Part: i, Name: name, Type: tv.Type})
	}

	// Names: unique, not the WaitGroup's, not a name the call still uses or
	// a parameter type needs.
	reserved := map[string]bool{wg: true}
	for _, n := range inline {
		ast.Inspect(n, func(x ast.Node) bool {
			if id, ok := x.(*ast.Ident); ok {
				reserved[id.Name] = true
			}
			return true
		})
	}
	for _, b := range binds {
		if b.Reuse {
			continue
		}
		te, ok := SleepSyncTypeExpr(s.p, g.Pos(), b.Type)
		if !ok {
			if b.Part >= 0 {
				return nil, fmt.Sprintf("an argument of the go statement at line %d has a type this file cannot name", line)
			}
			return nil, fmt.Sprintf("the function of the go statement at line %d has a type this file cannot name", line)
		}
		ast.Inspect(te, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					reserved[ssImportName(s.p, id.Name)] = true
				}
				return false
			case *ast.Ident:
				reserved[x.Name] = true
			}
			return true
		})
	}
	used := map[string]bool{}
	for i := range binds {
		b := &binds[i]
		if b.Reuse {
			continue
		}
		orig := b.Name
		name := b.Name
		for n := 2; reserved[name] || used[name] || token.IsKeyword(name) || !token.IsIdentifier(name) || name == "_"; n++ {
			name = orig + strconv.Itoa(n)
			if !token.IsIdentifier(orig) || orig == "_" {
				name = "arg" + strconv.Itoa(n)
			}
		}
		used[name] = true
		b.Name = name
	}
	for i, j := range reuseOf {
		binds[i].Name = binds[j].Name
	}
	return binds, ""
}

func ssSel(e ast.Expr) *ast.SelectorExpr {
	s, _ := ast.Unparen(e).(*ast.SelectorExpr)
	return s
}

func ssPick(a, b string) string {
	if a != "" && a != "_" {
		return a
	}
	return b
}

func ssLowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// ssImportName returns the name under which the file imports path.
func ssImportName(p *Pass, path string) string {
	for _, spec := range p.File.Imports {
		if ip, err := strconv.Unquote(spec.Path.Value); err == nil && ip == path {
			if spec.Name != nil {
				return spec.Name.Name
			}
			if pn, ok := p.Info.Implicits[spec].(*types.PkgName); ok {
				return pn.Name()
			}
		}
	}
	return path
}

// SleepSyncTypeExpr writes t as a type expression valid at pos in the
// pass's file, or reports false when the file cannot name it there: an
// unexported type of another package, a package the file does not import
// (or imports with a dot, or whose name is shadowed at pos), a local type
// or type parameter not in scope, a struct or non-empty interface literal.
// A type of another package is written as an *ast.SelectorExpr whose X is
// an *ast.Ident holding the package's import PATH (not its name): the
// rewrite turns it into a dst identifier with that Path, which the
// restorer prints with the file's name for the import.
func SleepSyncTypeExpr(p *Pass, pos token.Pos, t types.Type) (ast.Expr, bool) {
	scope := p.ScopeAt(pos)
	if scope == nil {
		return nil, false
	}
	universe := func(name string) (ast.Expr, bool) {
		if _, obj := scope.LookupParent(name, pos); obj != types.Universe.Lookup(name) {
			return nil, false
		}
		return ast.NewIdent(name), true
	}
	var write func(t types.Type) (ast.Expr, bool)
	named := func(obj *types.TypeName, args *types.TypeList) (ast.Expr, bool) {
		var e ast.Expr
		switch {
		case obj.Pkg() == nil:
			var ok bool
			if e, ok = universe(obj.Name()); !ok {
				return nil, false
			}
		case obj.Pkg() == p.Pkg:
			if _, found := scope.LookupParent(obj.Name(), pos); found != obj {
				return nil, false
			}
			e = ast.NewIdent(obj.Name())
		default:
			if !obj.Exported() || !ssImportsVisible(p, obj.Pkg().Path(), pos) {
				return nil, false
			}
			e = &ast.SelectorExpr{X: ast.NewIdent(obj.Pkg().Path()), Sel: ast.NewIdent(obj.Name())}
		}
		if args == nil || args.Len() == 0 {
			return e, true
		}
		var idx []ast.Expr
		for a := range args.Types() {
			ae, ok := write(a)
			if !ok {
				return nil, false
			}
			idx = append(idx, ae)
		}
		if len(idx) == 1 {
			return &ast.IndexExpr{X: e, Index: idx[0]}, true
		}
		return &ast.IndexListExpr{X: e, Indices: idx}, true
	}
	write = func(t types.Type) (ast.Expr, bool) {
		switch t := t.(type) {
		case *types.Alias:
			if e, ok := named(t.Obj(), t.TypeArgs()); ok {
				return e, true
			}
			return write(types.Unalias(t))
		case *types.Basic:
			if t.Info()&types.IsUntyped != 0 || t.Kind() == types.UnsafePointer || t.Kind() == types.Invalid {
				return nil, false
			}
			return universe(t.Name())
		case *types.Named:
			return named(t.Obj(), t.TypeArgs())
		case *types.TypeParam:
			if _, found := scope.LookupParent(t.Obj().Name(), pos); found != t.Obj() {
				return nil, false
			}
			return ast.NewIdent(t.Obj().Name()), true
		case *types.Pointer:
			e, ok := write(t.Elem())
			return &ast.StarExpr{X: e}, ok
		case *types.Slice:
			e, ok := write(t.Elem())
			return &ast.ArrayType{Elt: e}, ok
		case *types.Array:
			e, ok := write(t.Elem())
			return &ast.ArrayType{Len: &ast.BasicLit{Kind: token.INT, Value: strconv.FormatInt(t.Len(), 10)}, Elt: e}, ok
		case *types.Map:
			k, ok1 := write(t.Key())
			v, ok2 := write(t.Elem())
			return &ast.MapType{Key: k, Value: v}, ok1 && ok2
		case *types.Chan:
			e, ok := write(t.Elem())
			dir := ast.SEND | ast.RECV
			switch t.Dir() {
			case types.SendOnly:
				dir = ast.SEND
			case types.RecvOnly:
				dir = ast.RECV
			}
			if inner, isChan := t.Elem().(*types.Chan); isChan && dir != ast.RECV && inner.Dir() == types.RecvOnly {
				e = &ast.ParenExpr{X: e}
			}
			return &ast.ChanType{Dir: dir, Value: e}, ok
		case *types.Signature:
			if t.TypeParams() != nil || t.Recv() != nil {
				return nil, false
			}
			ft := &ast.FuncType{Params: &ast.FieldList{}}
			for i := 0; i < t.Params().Len(); i++ {
				pt := t.Params().At(i).Type()
				var e ast.Expr
				var ok bool
				if t.Variadic() && i == t.Params().Len()-1 {
					var el ast.Expr
					el, ok = write(pt.(*types.Slice).Elem())
					e = &ast.Ellipsis{Elt: el}
				} else {
					e, ok = write(pt)
				}
				if !ok {
					return nil, false
				}
				ft.Params.List = append(ft.Params.List, &ast.Field{Type: e})
			}
			if t.Results().Len() > 0 {
				ft.Results = &ast.FieldList{}
				for i := 0; i < t.Results().Len(); i++ {
					e, ok := write(t.Results().At(i).Type())
					if !ok {
						return nil, false
					}
					ft.Results.List = append(ft.Results.List, &ast.Field{Type: e})
				}
			}
			return ft, true
		case *types.Interface:
			if !t.Empty() || t.IsComparable() {
				return nil, false
			}
			if e, ok := universe("any"); ok && p.AtLeast("go1.18") {
				return e, true
			}
			return &ast.InterfaceType{Methods: &ast.FieldList{}}, true
		case *types.Struct:
			if t.NumFields() != 0 {
				return nil, false
			}
			return &ast.StructType{Fields: &ast.FieldList{}}, true
		}
		return nil, false
	}
	return write(t)
}

// ssImportsVisible reports whether the file imports path under a name
// (not dot, not blank) that still means that package at pos.
func ssImportsVisible(p *Pass, path string, pos token.Pos) bool {
	scope := p.ScopeAt(pos)
	for _, spec := range p.File.Imports {
		ip, err := strconv.Unquote(spec.Path.Value)
		if err != nil || ip != path {
			continue
		}
		var obj types.Object
		if spec.Name != nil {
			if spec.Name.Name == "." || spec.Name.Name == "_" {
				continue
			}
			obj = p.Info.Defs[spec.Name]
		} else {
			obj = p.Info.Implicits[spec]
		}
		pn, ok := obj.(*types.PkgName)
		if !ok || scope == nil {
			continue
		}
		if _, found := scope.LookupParent(pn.Name(), pos); found == pn {
			return true
		}
	}
	return false
}
