package matchers_test

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/analysis/passes/waitgroup"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/txtar"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// wgAddWant matches the expectation comment on a line: // want fix, or
// // want nofix (reported without a fix). Lines without it must not be
// reported.
var wgAddWant = regexp.MustCompile(`// want (fix|nofix)\b`)

// TestWgAddInGoroutine type-checks small files with go/types (the standard
// library from source) and checks the lines reported, whether each finding
// has a fix, and the shape of the fixes.
func TestWgAddInGoroutine(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks sync from source")
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil) // shared: sync is checked once
	cases := []struct {
		name, goVersion, src string
	}{
		{"basic", "go1.22", `package a
import "sync"
func f() {
	var wg sync.WaitGroup
	go func() {
		wg.Add(1) // want fix
		defer wg.Done()
	}()
	wg.Wait()
}`},
		{"dot import and field", "go1.22", `package a
import . "sync"
type s struct{ wg *WaitGroup; n []int }
func (x *s) f() {
	go func() {
		x.wg.Add(len(x.n) + 2*3) // want fix
		defer x.wg.Done()
	}()
}`},
		{"loop variable, go1.21", "go1.21", `package a
import "sync"
func f(xs [][]int, wg *sync.WaitGroup) {
	for _, x := range xs {
		go func() {
			wg.Add(len(x)) // want nofix
			for range x { wg.Done() }
		}()
	}
	for i := 0; i < 3; i++ {
		go func() {
			wg.Add(i) // want nofix
		}()
	}
}`},
		{"loop variable, unknown version", "", `package a
import "sync"
func f(xs [][]int, wg *sync.WaitGroup) {
	for _, x := range xs {
		go func() {
			wg.Add(len(x)) // want nofix
			for range x { wg.Done() }
		}()
		go func() {
			wg.Add(1) // want fix
			defer wg.Done()
		}()
	}
}`},
		{"loop variable, go1.22", "go1.22", `package a
import "sync"
func f(xs [][]int, wg *sync.WaitGroup) {
	for _, x := range xs {
		go func() {
			wg.Add(len(x)) // want fix
			for range x { wg.Done() }
		}()
	}
}`},
		{"not reported", "go1.22", `package a
import "sync"
func f(wg *sync.WaitGroup, n int) {
	go func() {
		wg.Add(0)
		func() {
			wg.Add(1) // a nested literal runs at another time
		}()
	}()
	go func() {
		defer wg.Add(1)
	}()
	add := wg.Add
	go func() {
		add(1)
	}()
	go func() {
		wg.Done()
		wg.Add(n) // counted: a Done on the same WaitGroup comes first
	}()
	go func() {
		(*wg).Done()
		if n > 0 {
			wg.Add(1)
		}
	}()
	go func() {
		defer func() {
			recover()
			wg.Done()
		}()
		wg.Add(n) // counted: the deferred literal's Done comes first
	}()
}`},
		{"nested goroutine's Done does not count", "go1.22", `package a
import "sync"
func f(wg *sync.WaitGroup, n int) {
	go func() {
		go func() {
			wg.Done()
		}()
		n++
		wg.Add(n) // want nofix
	}()
	go func() {
		wg.Add(1) // want fix
		go (func() {
			wg.Add(1) // want fix
			defer wg.Done()
		})()
	}()
}`},
		{"not first", "go1.22", `package a
import "sync"
func f(wg, other *sync.WaitGroup, n int) {
	go func() {
		n++
		wg.Add(n) // want nofix
	}()
	go func() {
		other.Done()
		wg.Add(1) // want nofix
	}()
}`},
		{"leading run", "go1.22", `package a
import "sync"
func f(wg, other *sync.WaitGroup, c chan int) {
	go func() {
		wg.Add(<-c) // want nofix
		other.Add(1) // want fix
		wg.Add(1) // want fix
		wg.Done()
		other.Add(1) // want nofix
	}()
}`},
		{"unsafe expressions", "go1.22", `package a
import "sync"
type T struct{ wg sync.WaitGroup; m map[string]int }
func g() int { return 1 }
func f(t *T, k string, n, d int, a [4]int, p *[4]int) {
	go func() {
		t.wg.Add(t.m[k]) // want nofix
	}()
	go func() {
		t.wg.Add(n / d) // want nofix
	}()
	go func() {
		t.wg.Add(n / 2 + n % 3 + n << 1) // want fix
	}()
	go func() {
		t.wg.Add(a[n] + len(p) + cap(a[:])) // want nofix
	}()
	go func() {
		t.wg.Add(a[n] + len(p) + int(int32(n))) // want fix
	}()
	go func(wg *sync.WaitGroup) {
		wg.Add(1) // want nofix
	}(&t.wg)
	go func(x int) {
		t.wg.Add(1) // want nofix
	}(g())
	go func(x int) {
		t.wg.Add(1) // want fix
	}(n + len(a) + len(k))
}`},
		{"labeled", "go1.22", `package a
import "sync"
func f(wg *sync.WaitGroup) {
L:
	go func() {
		wg.Add(1) // want nofix
	}()
	goto L
}`},
		{"user types", "go1.22", `package a
import "sync"
type c struct{}
func (c) Add(int) {}
type e struct{ sync.WaitGroup }
func (*e) Add(int) {}
func f(x c, y *e) {
	go func() {
		x.Add(1)
	}()
	go func() {
		y.Add(1)
	}()
	go func() {
		y.WaitGroup.Add(1) // want fix
	}()
}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pass := checkSource(t, fset, imp, tc.name+".go", tc.goVersion, tc.src)

			want := map[int]string{}
			for i, line := range strings.Split(tc.src, "\n") {
				if m := wgAddWant.FindStringSubmatch(line); m != nil {
					want[i+1] = m[1]
				}
			}
			got := map[int]string{}
			for _, fd := range matchers.WgAddInGoroutine(pass) {
				line := fset.Position(fd.Pos).Line
				kind := "nofix"
				if fd.Fix != nil {
					kind = "fix"
					checkWgAddFix(t, fset, fd)
				}
				if _, dup := got[line]; dup {
					t.Errorf("line %d reported twice", line)
				}
				got[line] = kind
				if !strings.HasSuffix(fd.Message, ".Add called inside the goroutine it counts; Wait may return before it runs") {
					t.Errorf("line %d: message %q", line, fd.Message)
				}
			}
			for line, k := range want {
				if got[line] != k {
					t.Errorf("line %d: got %q, want %q", line, got[line], k)
				}
			}
			for line, k := range got {
				if want[line] == "" {
					t.Errorf("line %d: unexpected finding (%s)", line, k)
				}
			}
		})
	}
}

// checkWgAddFix checks the shape the rewrite relies on.
func checkWgAddFix(t *testing.T, fset *token.FileSet, fd matchers.Finding) {
	t.Helper()
	f := fd.Fix
	at := fset.Position(fd.Pos)
	stmt, ok := f.Anchor.(*ast.ExprStmt)
	if !ok || stmt.X.Pos() != fd.Pos {
		t.Errorf("%s: anchor %T is not the Add's statement", at, f.Anchor)
		return
	}
	if len(f.Nodes) != 1 {
		t.Errorf("%s: %d nodes, want the go statement", at, len(f.Nodes))
		return
	}
	g, ok := f.Nodes[0].(*ast.GoStmt)
	if !ok {
		t.Errorf("%s: node %T is not a go statement", at, f.Nodes[0])
		return
	}
	lit := ast.Unparen(g.Call.Fun).(*ast.FuncLit)
	if len(f.Lists) != 2 || f.Lists[1] != ast.Node(lit.Body) {
		t.Errorf("%s: lists %v, want {the go statement's list, the literal's body}", at, f.Lists)
	}
	if b, ok := f.Lists[0].(*ast.BlockStmt); !ok || !containsStmt(b.List, g) {
		t.Errorf("%s: first list does not hold the go statement", at)
	}
	if !strings.HasPrefix(f.Message, "move ") || !strings.HasSuffix(f.Message, ") before the go statement") {
		t.Errorf("%s: fix message %q", at, f.Message)
	}
}

func containsStmt(l []ast.Stmt, s ast.Stmt) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// wgAddVetExceptions are vet waitgroup findings (case/file:line) the rule
// deliberately does not repeat: wg.Add(-1) first in a goroutine is a Done,
// not an Add that counts the goroutine.
var wgAddVetExceptions = map[string]bool{
	"user-add-method/a.go:39": true,
}

// wgAddOnlyOurs are first-statement Adds the rule reports and vet does not:
// vet runs only on packages that import sync directly.
var wgAddOnlyOurs = map[string]bool{
	"no-sync-import/a.go:9": true,
}

// TestWgAddVetAgreement loads the inputs of every golden case and checks that
// every vet waitgroup report ("WaitGroup.Add called from inside new
// goroutine": an Add first in a go func literal) is one of the rule's
// findings, and that each leading Add the rule reports is one vet reports
// too, unless the Add follows another Add (vet looks at the first
// statement only).
func TestWgAddVetAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the golden cases with go/packages")
	}
	cases, err := filepath.Glob("../testdata/golden/wg-add-in-goroutine/*.txtar")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	dir := t.TempDir()
	work := "go 1.26\n\nuse (\n"
	var patterns []string
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		if err := writeTxtarInputs(path, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		work += "\t./" + name + "\n"
		patterns = append(patterns, "./"+name+"/...")
	}
	work += ")\n"
	if err := os.WriteFile(filepath.Join(dir, "go.work"), []byte(work), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &packages.Config{Mode: packages.LoadAllSyntax, Dir: dir}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		t.Fatalf("%d load errors", n)
	}
	rel := func(pos token.Position) string {
		r, err := filepath.Rel(dir, pos.Filename)
		if err != nil {
			r = pos.Filename
		}
		return fmt.Sprintf("%s:%d", filepath.ToSlash(r), pos.Line)
	}
	ours := map[string]bool{}
	leading := map[string]bool{} // our findings on the first statement
	for _, p := range pkgs {
		for _, f := range p.Syntax {
			pass := &matchers.Pass{Fset: p.Fset, Pkg: p.Types, Info: p.TypesInfo, File: f, Files: p.Syntax,
				Inspector: inspector.New([]*ast.File{f})}
			firsts := map[token.Pos]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				if g, ok := n.(*ast.GoStmt); ok {
					if lit, ok := g.Call.Fun.(*ast.FuncLit); ok && len(lit.Body.List) > 0 {
						firsts[lit.Body.List[0].Pos()] = true
					}
				}
				return true
			})
			for _, fd := range matchers.WgAddInGoroutine(pass) {
				k := rel(p.Fset.Position(fd.Pos))
				ours[k] = true
				if firsts[fd.Pos] {
					leading[k] = true
				}
			}
		}
	}
	g, err := checker.Analyze([]*analysis.Analyzer{waitgroup.Analyzer}, pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	vet := map[string]bool{}
	for act := range g.All() {
		if act.Analyzer != waitgroup.Analyzer || !act.IsRoot {
			continue
		}
		for _, d := range act.Diagnostics {
			vet[rel(act.Package.Fset.Position(d.Pos))] = true
		}
	}
	if len(vet) == 0 {
		t.Fatal("vet found nothing: the comparison is broken")
	}
	var keys []string
	for k := range vet {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !ours[k] && !wgAddVetExceptions[k] {
			t.Errorf("vet reports %s, the rule does not", k)
		}
	}
	for k := range leading {
		if !vet[k] && !wgAddOnlyOurs[k] {
			t.Errorf("the rule reports the first statement at %s, vet does not", k)
		}
	}
	t.Logf("vet: %d findings; rule: %d findings", len(vet), len(ours))
}

// writeTxtarInputs writes the input files of a golden case (not its
// goldens or findings) under dir.
func writeTxtarInputs(path, dir string) error {
	a, err := txtar.ParseFile(path)
	if err != nil {
		return err
	}
	for _, f := range a.Files {
		if f.Name == "findings" || strings.HasSuffix(f.Name, ".golden") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// TestWgAddBehaviour runs a program that has the bug under the race
// detector: before the fix its test fails (a data race, or Wait returning
// before the workers ran); after the fix made by the engine it passes.
func TestWgAddBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"run.go": `package behaviour

import "sync"

// Run starts n workers that each write their slot, waits for them and
// returns how many slots were written.
func Run(n int) int {
	var wg sync.WaitGroup
	out := make([]int, n)
	for i := range n {
		// Start worker i.
		go func() {
			wg.Add(1)
			defer wg.Done()
			out[i] = 1
		}()
	}
	wg.Wait()
	sum := 0
	for _, v := range out {
		sum += v
	}
	return sum
}
`,
			"run_test.go": `package behaviour

import "testing"

func TestRun(t *testing.T) {
	for range 50 {
		if got := Run(8); got != 8 {
			t.Fatalf("Run(8) = %d, want 8: Wait returned before the workers ran", got)
		}
	}
}
`,
		},
		Before: behave.Fails("DATA RACE", "Wait returned before"),
		Engine: engine.Options{Rules: []*rules.Rule{rules.WgAddInGoroutine}},
		Rewrite: behave.Rewrite{Has: []string{
			"\t\t// Start worker i.\n\t\twg.Add(1)\n\t\tgo func() {\n\t\t\tdefer wg.Done()\n"}},
		After: behave.Passes,
	})
}
