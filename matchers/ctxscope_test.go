package matchers_test

import (
	"go/ast"
	"go/importer"
	"go/token"
	"go/types"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gofixconc/gofixconc/matchers"
)

// ctxrWant matches an expectation comment: // want fix, // want fix 2 (a
// number for the fix to check), // want nofix, or // want nofix "text" (a
// substring of the NoFix reason). Lines without one must not be reported.
var ctxrWant = regexp.MustCompile(`// want (fix|nofix)(?: (\d+))?(?: "([^"]*)")?`)

// ctxrCase is one source file for a matcher, with its Go version.
type ctxrCase struct {
	name, goVersion, src string
}

var (
	ctxrImpOnce sync.Once
	ctxrFset    *token.FileSet
	ctxrImp     types.Importer
)

// ctxrCheck type-checks each case (the standard library from source, shared
// by all tests) and compares the matcher's findings with the want
// comments. check, when not nil, looks at each finding and the number on
// its want line (-1 when none).
func ctxrCheck(t *testing.T, match func(*matchers.Pass) []matchers.Finding, cases []ctxrCase,
	check func(t *testing.T, fset *token.FileSet, fd matchers.Finding, n int)) {
	t.Helper()
	if testing.Short() {
		t.Skip("type-checks the standard library from source")
	}
	ctxrImpOnce.Do(func() {
		ctxrFset = token.NewFileSet()
		ctxrImp = importer.ForCompiler(ctxrFset, "source", nil)
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pass := checkSource(t, ctxrFset, ctxrImp, tc.name+".go", tc.goVersion, tc.src)
			type want struct {
				kind, reason string
				n            int
			}
			wants := map[int]want{}
			for i, line := range strings.Split(tc.src, "\n") {
				if m := ctxrWant.FindStringSubmatch(line); m != nil {
					w := want{kind: m[1], reason: m[3], n: -1}
					if m[2] != "" {
						w.n, _ = strconv.Atoi(m[2])
					}
					wants[i+1] = w
				}
			}
			got := map[int]bool{}
			for _, fd := range match(pass) {
				line := ctxrFset.Position(fd.Pos).Line
				if got[line] {
					t.Errorf("line %d reported twice", line)
				}
				got[line] = true
				w, ok := wants[line]
				if !ok {
					t.Errorf("line %d: unexpected finding: %s (fix %v)", line, fd.Message, fd.Fix != nil)
					continue
				}
				switch {
				case w.kind == "fix" && fd.Fix == nil:
					t.Errorf("line %d: no fix (%s), want one", line, fd.NoFix)
				case w.kind == "nofix" && fd.Fix != nil:
					t.Errorf("line %d: fix %q, want none", line, fd.Fix.Message)
				case w.kind == "nofix" && fd.NoFix == "":
					t.Errorf("line %d: no fix and no reason", line)
				case w.kind == "nofix" && !strings.Contains(fd.NoFix, w.reason):
					t.Errorf("line %d: reason %q, want it to mention %q", line, fd.NoFix, w.reason)
				}
				if fd.Message == "" || strings.HasSuffix(fd.Message, ".") || strings.ToLower(fd.Message[:1]) != fd.Message[:1] {
					t.Errorf("line %d: message %q is not a lowercase fragment", line, fd.Message)
				}
				if check != nil {
					check(t, ctxrFset, fd, w.n)
				}
			}
			for line, w := range wants {
				if !got[line] {
					t.Errorf("line %d: not reported, want %s", line, w.kind)
				}
			}
		})
	}
}

// ctxrCheckCtxDoneFix checks the shape of a select-ctx-done or
// goroutine-no-exit fix: nodes, lists and data agree.
func ctxrCheckCtxDoneFix(t *testing.T, fset *token.FileSet, fd matchers.Finding, n int) {
	t.Helper()
	if fd.Fix == nil {
		return
	}
	at := fset.Position(fd.Pos)
	data, ok := fd.Fix.Data.(matchers.CtxDoneFix)
	if !ok || data.Ctx == "" || len(data.Ops) == 0 {
		t.Errorf("%s: fix data %#v", at, fd.Fix.Data)
		return
	}
	if fd.Fix.Anchor == nil || len(fd.Fix.Lists) == 0 {
		t.Errorf("%s: fix without anchor or lists", at)
	}
	for _, op := range data.Ops {
		if op.Node < 0 || op.Node >= len(fd.Fix.Nodes) {
			t.Errorf("%s: op node %d out of range", at, op.Node)
			continue
		}
		switch op.Kind {
		case matchers.AddDoneCase:
			if _, ok := fd.Fix.Nodes[op.Node].(*ast.SelectStmt); !ok {
				t.Errorf("%s: AddDoneCase on %T", at, fd.Fix.Nodes[op.Node])
			}
		case matchers.WrapInSelect:
			switch s := fd.Fix.Nodes[op.Node].(type) {
			case *ast.SendStmt, *ast.ExprStmt:
			case *ast.AssignStmt:
				if (s.Tok == token.DEFINE) != (len(op.Decls) > 0) && s.Tok == token.DEFINE {
					t.Errorf("%s: a := receive without declarations", at)
				}
			default:
				t.Errorf("%s: WrapInSelect on %T", at, s)
			}
		}
	}
	for _, z := range data.Return {
		if z.Lit == "" && !z.CtxErr && (z.TypeNode < 0 || z.TypeNode >= len(fd.Fix.Nodes)) {
			t.Errorf("%s: zero value without literal or type node", at)
		}
	}
	if n >= 0 && len(data.Return) != n {
		t.Errorf("%s: return has %d results, want %d", at, len(data.Return), n)
	}
}

// TestCtxInScope checks which context the fixes use.
func TestCtxInScope(t *testing.T) {
	ctxrCheck(t, matchers.SelectCtxDone, []ctxrCase{
		{"one", "go1.22", `package a
import "context"
func f(ctx context.Context, out chan int) {
	go func() { out <- 1 }() // want fix
}`},
		{"none", "go1.22", `package a
func f(out chan int) {
	go func() { out <- 1 }()
}`},
		{"two params", "go1.22", `package a
import "context"
func f(a, b context.Context, out chan int) {
	go func() { out <- 1 }() // want nofix "a, b"
}`},
		{"derived", "go1.22", `package a
import "context"
func f(parent context.Context, out chan int) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	go func() { out <- 1 }() // want fix
	_ = ctx
}`},
		{"derived twice", "go1.22", `package a
import "context"
func f(parent context.Context, out chan int) {
	mid, c1 := context.WithCancel(parent)
	ctx, c2 := context.WithCancel(mid)
	defer c1()
	defer c2()
	go func() { out <- 1 }() // want fix
	_ = ctx
}`},
		{"siblings", "go1.22", `package a
import "context"
func f(parent context.Context, out chan int) {
	a, c1 := context.WithCancel(parent)
	b, c2 := context.WithCancel(parent)
	defer c1()
	defer c2()
	go func() { out <- 1 }() // want nofix "several contexts"
	_, _ = a, b
}`},
		{"declared later", "go1.22", `package a
import "context"
func f(out chan int) {
	go func() { out <- 1 }()
	ctx := context.Background()
	_ = ctx
}`},
		{"nil-able", "go1.22", `package a
import "context"
func f(out chan int) (ctx context.Context) {
	var c context.Context
	go func() { out <- 1 }()
	_ = c
	return
}`},
		{"custom context type is not context.Context", "go1.22", `package a
import "context"
type myCtx struct{ context.Context }
func f(ctx myCtx, out chan int) {
	go func() { out <- 1 }()
}`},
		{"shadowed", "go1.22", `package a
import "context"
func f(ctx context.Context, out chan int) {
	go func() {
		ctx := 1
		_ = ctx
		out <- 1
	}()
}`},
		{"package variable", "go1.22", `package a
import "context"
var ctx = context.Background()
func f(out chan int) {
	go func() { out <- 1 }()
}`},
	}, ctxrCheckCtxDoneFix)
}
