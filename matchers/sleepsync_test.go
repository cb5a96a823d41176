package matchers_test

import (
	"go/ast"
	"go/importer"
	"go/printer"
	"go/token"
	"go/types"
	"regexp"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// ssCheck type-checks one file (the standard library from source) and
// returns its pass.
func ssCheck(t *testing.T, fset *token.FileSet, imp types.Importer, goVersion, src string) *matchers.Pass {
	t.Helper()
	return checkSource(t, fset, imp, "a.go", goVersion, src)
}

// ssWant matches the expectation comment on a sleep's line: // want fix,
// // want nofix (reported without a fix: a goroutine may never finish, or
// the fix cannot be made), optionally followed by ": text" that the
// finding's NoFix must contain. Sleeps without it must not be reported.
var ssWant = regexp.MustCompile(`// want (fix|nofix)\b(?:: (.*))?`)

// TestSleepSync checks which sleeps are reported, with or without a fix,
// on shapes the golden cases do not spell out one by one.
func TestSleepSync(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the standard library from source")
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil)
	cases := []struct{ name, src string }{
		{"two sleeps in a row: a test going by time, neither", `package a
import "time"
func f(out []int) {
	go func() { out[0] = 1 }()
	time.Sleep(1)
	time.Sleep(2)
}`},
		{"sleep in a case clause", `package a
import "time"
func f(out []int, k int) {
	switch k {
	case 1:
		go func() { out[0] = 1 }()
		time.Sleep(1) // want fix
	}
}`},
		{"a backward goto makes a loop", `package a
import "time"
func f(out []int) {
again:
	go func() { out[0] = 1 }()
	time.Sleep(1)
	if out[0] == 0 {
		goto again
	}
}`},
		{"receive in a go statement's argument", `package a
import "time"
func g(int) {}
func f(c chan int) {
	go g(<-c)
	time.Sleep(1)
}`},
		{"a call of the package between", `package a
import "time"
func setup() {}
func f(out []int) {
	go func() { out[0] = 1 }()
	setup()
	time.Sleep(1)
}`},
		{"quiet calls between", `package a
import ("fmt"; "strings"; "time")
func f(out []string) {
	go func() { out[0] = "x" }()
	fmt.Println(strings.ToUpper("started"), time.Now())
	time.Sleep(1) // want fix
}`},
		{"deferred close runs after the wait", `package a
import "time"
func f(in chan int, out []int) {
	defer close(in)
	go func() {
		for v := range in {
			out[0] = v
		}
	}()
	time.Sleep(1)
}`},
		{"receive released by a send before the sleep", `package a
import "time"
func f(out []int) {
	in := make(chan int)
	go func() { out[0] = <-in }()
	in <- 1
	time.Sleep(1) // want fix
}`},
		{"unbuffered send nothing receives", `package a
import "time"
func f(res chan int) {
	go func() { res <- 1 }()
	time.Sleep(1) // want nofix: it sends on res, which nothing receives
}`},
		{"empty select", `package a
import "time"
func f() {
	go func() { select {} }()
	time.Sleep(1) // want nofix: it blocks forever in an empty select
}`},
		{"loop with a break is not forever", `package a
import "time"
func f(out []int) {
	go func() {
		for {
			out[0]++
			if out[0] > 10 {
				break
			}
		}
	}()
	time.Sleep(1) // want fix
}`},
		{"the goroutine sleeps longer", `package a
import "time"
func f(out []int) {
	go func() {
		time.Sleep(2 * time.Second)
		out[0] = 1
	}()
	time.Sleep(time.Second)
}`},
		{"the goroutine sleeps shorter", `package a
import "time"
func f(out []int) {
	go func() {
		time.Sleep(time.Millisecond)
		out[0] = 1
	}()
	time.Sleep(time.Second) // want fix
}`},
		{"the code's own WaitGroup", `package a
import ("sync"; "time")
func work(wg *sync.WaitGroup) { wg.Done() }
func f() {
	var wg sync.WaitGroup
	wg.Add(1)
	go work(&wg)
	time.Sleep(1)
}`},
		{"goroutine waits on a timer", `package a
import "time"
func f(out []int) {
	go func() {
		<-time.After(time.Millisecond)
		out[0] = 1
	}()
	time.Sleep(time.Second) // want fix
}`},
		{"a channel argument mentioned after the sleep", `package a
import "time"
func f(run func(chan bool), c chan bool) {
	go run(c)
	time.Sleep(1)
	<-c
}`},
		{"method value of an embedded field", `package a
import "time"
type inner struct{ n int }
func (i *inner) inc() { i.n++ }
type outer struct{ *inner }
func f(o outer) {
	go o.inc()
	time.Sleep(1) // want fix
}`},
		{"sleep duration with a call", `package a
import "time"
func d() time.Duration { return 1 }
func f(out []int) {
	go func() { out[0] = 1 }()
	time.Sleep(d()) // want nofix: the sleep's duration calls a function
}`},
		{"labeled go statement", `package a
import "time"
func f(out []int, skip bool) {
	if skip {
		goto start
	}
start:
	go func() { out[0] = 1 }()
	time.Sleep(1) // want nofix: the go statement at line 8 is labeled
}`},
		{"goroutine starts goroutines", `package a
import "time"
func f(out []int) {
	go func() {
		go func() { out[1] = 1 }()
		out[0] = 1
	}()
	time.Sleep(1) // want nofix: starts goroutines of its own
}`},
		{"sync shadowed", `package a
import "time"
func f(out []int, sync int) {
	go func() { out[0] = sync }()
	time.Sleep(1) // want nofix: the name sync is shadowed here
}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pass := ssCheck(t, fset, imp, "go1.22", tc.src)
			want := map[int]string{}
			why := map[int]string{}
			for i, line := range strings.Split(tc.src, "\n") {
				if m := ssWant.FindStringSubmatch(line); m != nil {
					want[i+1] = m[1]
					why[i+1] = m[2]
				}
			}
			got := map[int]string{}
			for _, fd := range matchers.SleepSync(pass) {
				line := fset.Position(fd.Pos).Line
				kind := "nofix"
				if fd.Fix != nil {
					kind = "fix"
					if fd.NoFix != "" {
						t.Errorf("line %d: a fix and a NoFix reason %q", line, fd.NoFix)
					}
				} else if fd.NoFix == "" {
					t.Errorf("line %d: no fix and no reason", line)
				} else if w := why[line]; w != "" && !strings.Contains(fd.NoFix, w) {
					t.Errorf("line %d: NoFix %q, want it to contain %q", line, fd.NoFix, w)
				}
				got[line] = kind
				if !strings.HasPrefix(fd.Message, "time.Sleep used to wait for") {
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

// TestSleepSyncTypeExpr checks which types a fix can write where.
func TestSleepSyncTypeExpr(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the standard library from source")
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil)
	src := `package a

import (
	"context"
	str "strings"
)

type Pair[K comparable, V any] struct{ k K; v V }

type hidden struct{}

func f[T any](x T) {
	var (
		a  int
		b  []*Pair[string, T]
		c  chan (<-chan int)
		d  func(string, ...int) (bool, error)
		e  map[string][3]byte
		g  interface{}
		h  context.Context
		i  *str.Builder
		j  struct{ n int }
		k  hidden
	)
	_ = "MARK"
	type local int
	var l local
	_, _, _, _, _, _, _, _, _, _, _, _ = a, b, c, d, e, g, h, i, j, k, l, x
}

func shadow(int string) {
	var m int8
	_ = m
	_ = "MARK2"
}
`
	pass := ssCheck(t, fset, imp, "go1.22", src)
	var marks []token.Pos
	ast.Inspect(pass.File, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && strings.HasPrefix(lit.Value, `"MARK`) {
			marks = append(marks, lit.Pos())
		}
		return true
	})
	want := map[string]string{ // variable → expected syntax ("" = cannot)
		"a": "int",
		"b": "[]*Pair[string, T]",
		"c": "chan (<-chan int)",
		"d": "func(string, ...int) (bool, error)",
		"e": "map[string][3]byte",
		"g": "any",
		"h": "context.Context",
		"i": "*strings.Builder", // the path; the rewrite writes the file's name (str)
		"j": "",
		"k": "hidden",
		"l": "", // declared after the position
		"x": "T",
	}
	checked := 0
	for id, obj := range pass.Info.Defs {
		v, ok := obj.(*types.Var)
		if !ok || v.Parent() == nil || v.Parent() == pass.Pkg.Scope() {
			continue
		}
		w, ok := want[id.Name]
		if !ok || id.Pos() > marks[1] {
			continue
		}
		e, ok := matchers.SleepSyncTypeExpr(pass, marks[0], v.Type())
		got := ""
		if ok {
			var b strings.Builder
			printer.Fprint(&b, token.NewFileSet(), e)
			got = b.String()
		}
		if got != w {
			t.Errorf("%s %s: got %q, want %q", id.Name, v.Type(), got, w)
		}
		checked++
	}
	if checked != len(want) {
		t.Errorf("checked %d variables, want %d", checked, len(want))
	}
	// int is shadowed in shadow: int8 can be written, but not an int.
	if _, ok := matchers.SleepSyncTypeExpr(pass, marks[1], types.Typ[types.Int]); ok {
		t.Errorf("int written where a parameter shadows it")
	}
	if _, ok := matchers.SleepSyncTypeExpr(pass, marks[1], types.Typ[types.Int8]); !ok {
		t.Errorf("int8 not written")
	}
}

// TestSleepSyncBehaviour runs a program whose goroutines fill results read
// after a sleep under the race detector: before the fix its test fails (a
// data race, or results missing); after the fix made by the engine it
// passes twenty times in a row. Nothing here depends on how long anything
// takes.
func TestSleepSyncBehaviour(t *testing.T) {
	program := `package behaviour

import "time"

func square(out []int, i int) { out[i] = i * i }

// Squares computes the squares of 0..n-1, half of them in goroutines
// started with a literal, half with a call.
func Squares(n int) []int {
	out := make([]int, n)
	for i := range n {
		if i%2 == 0 {
			go func() {
				out[i] = i * i
			}()
		} else {
			go square(out, i)
		}
	}
	time.Sleep(time.Millisecond) // give the workers time
	return out
}
`
	test := `package behaviour

import "testing"

func TestSquares(t *testing.T) {
	for range 20 {
		got := Squares(16)
		for i, v := range got {
			if v != i*i {
				t.Fatalf("Squares(16)[%d] = %d, want %d: results missing", i, v, i*i)
			}
		}
	}
}
`
	for _, tc := range []struct{ goVersion, want string }{
		{"1.22", "\t\t\twg.Add(1)\n\t\t\tgo func() {\n\t\t\t\tdefer wg.Done()\n"},
		{"1.25", "\t\t\twg.Go(func() {\n"},
	} {
		t.Run("go"+tc.goVersion, func(t *testing.T) {
			behave.Run(t, behave.Case{
				Files: map[string]string{
					"go.mod":      "module example.com/behaviour\n\ngo " + tc.goVersion + "\n",
					"run.go":      program,
					"run_test.go": test,
				},
				Before: behave.Fails("DATA RACE", "results missing"),
				Engine: engine.Options{Rules: []*rules.Rule{rules.SleepSync}, Tier: rules.Review},
				Rewrite: behave.Rewrite{
					Has: []string{tc.want,
						"\t\t\twg.Add(1)\n\t\t\tgo func(out []int, i int) {\n\t\t\t\tdefer wg.Done()\n\t\t\t\tsquare(out, i)\n\t\t\t}(out, i)\n",
						"\twg.Wait() // give the workers time\n"},
					Lacks: []string{`"time"`}, // the import goes with the sleep
				},
				After: behave.Passes.Times(20),
			})
		})
	}
}
