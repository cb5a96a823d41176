package matchers_test

import (
	"go/importer"
	"go/token"
	"regexp"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// cuWant matches the expectation comment on a line: `// want fix`, or
// `// want "text"` — a finding without a fix whose NoFix reason contains
// text (`// want ""`: any reason). Lines without it must not be reported.
var cuWant = regexp.MustCompile(`// want (fix|"[^"]*")`)

// cuCase is a small file for a matcher.
type cuCase struct {
	name, goVersion, src string
}

// cuCheck type-checks each case (the standard library from source) and
// checks the lines reported by match, and whether each has a fix or the
// expected reason for having none.
func cuCheck(t *testing.T, match func(*matchers.Pass) []matchers.Finding, cases []cuCase) {
	t.Helper()
	if testing.Short() {
		t.Skip("type-checks the standard library from source")
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pass := checkSource(t, fset, imp, tc.name+".go", tc.goVersion, tc.src)
			want := map[int]string{}
			for i, line := range strings.Split(tc.src, "\n") {
				if m := cuWant.FindStringSubmatch(line); m != nil {
					want[i+1] = m[1]
				}
			}
			got := map[int]matchers.Finding{}
			for _, fd := range match(pass) {
				line := fset.Position(fd.Pos).Line
				if _, dup := got[line]; dup {
					t.Errorf("line %d reported twice", line)
				}
				got[line] = fd
				if fd.Fix == nil && fd.NoFix == "" {
					t.Errorf("line %d: a finding without a fix must say why", line)
				}
				if fd.Fix != nil && fd.NoFix != "" {
					t.Errorf("line %d: a fix and a reason for none", line)
				}
			}
			for line, w := range want {
				fd, ok := got[line]
				switch {
				case !ok:
					t.Errorf("line %d: no finding, want %s", line, w)
				case w == "fix" && fd.Fix == nil:
					t.Errorf("line %d: no fix (%s)", line, fd.NoFix)
				case w != "fix" && fd.Fix != nil:
					t.Errorf("line %d: fix %q, want none", line, fd.Fix.Message)
				case w != "fix" && !strings.Contains(fd.NoFix, strings.Trim(w, `"`)):
					t.Errorf("line %d: reason %q, want it to contain %s", line, fd.NoFix, w)
				}
			}
			for line, fd := range got {
				if _, ok := want[line]; !ok {
					t.Errorf("line %d: unexpected finding: %s", line, fd.Message)
				}
			}
		})
	}
}

// TestMissingClose checks what missing-close reports, with a fix or with
// which reason for none.
func TestMissingClose(t *testing.T) {
	cuCheck(t, matchers.MissingClose, []cuCase{
		{"fixed", "go1.22", `package a
func f(xs []int) int {
	ch := make(chan int) // want fix
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	n := 0
	for v := range ch {
		n += v
	}
	return n
}`},
		{"reasons", "go1.22", `package a
func several(xs []int) {
	ch := make(chan int) // want "several goroutines"
	for _, x := range xs {
		go func() { ch <- x }()
	}
	for range ch {
	}
}
func caller(xs []int) {
	ch := make(chan int) // want "the function itself sends"
	go func() {
		for range ch {
		}
	}()
	for _, x := range xs {
		ch <- x
	}
}
func plain(xs []int) int {
	ch := make(chan int) // want "without the comma-ok form"
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	n := <-ch
	for v := range ch {
		n += v
	}
	return n
}
func sel(xs []int, stop chan int) {
	ch := make(chan int) // want "in a select"
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	for {
		select {
		case <-ch:
		case <-stop:
			for range ch {
			}
			return
		}
	}
}
func notLast(xs []int, done func()) {
	ch := make(chan int) // want "not the last statement"
	go func() {
		for _, x := range xs {
			if x < 0 {
				return
			}
			ch <- x
		}
		close(ch)
		done()
	}()
	for range ch {
	}
}
func shadow(xs []int, stop func()) {
	ch := make(chan int) // want "means something else"
	go func(close func()) {
		for _, x := range xs {
			ch <- x
		}
	}(stop)
	for range ch {
	}
}`},
		{"generators", "go1.22", `package a
func late(xs []int, open func() error) <-chan int {
	out := make(chan int) // want fix
	go func() {
		if err := open(); err != nil {
			return
		}
		defer close(out)
		for _, x := range xs {
			out <- x
		}
	}()
	return out
}
func lateAfterDefer(xs []int, open func() (func(), error)) <-chan int {
	out := make(chan int) // want "order of the deferred calls"
	go func() {
		done, err := open()
		if err != nil {
			return
		}
		defer done()
		defer close(out)
		for _, x := range xs {
			out <- x
		}
	}()
	return out
}
func never(xs []int) <-chan int {
	out := make(chan int, len(xs))
	go func() {
		for _, x := range xs {
			out <- x
		}
	}()
	return out
}
func always(xs []int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for _, x := range xs {
			out <- x
		}
	}()
	return out
}`},
		{"silent", "go1.22", `package a
import "sync"
func closer(xs []int) {
	ch := make(chan int)
	var wg sync.WaitGroup
	for _, x := range xs {
		wg.Add(1)
		go func() { defer wg.Done(); ch <- x }()
	}
	go func() { wg.Wait(); close(ch) }()
	for range ch {
	}
}
func forever(next func() int) {
	ch := make(chan int)
	go func() {
		for {
			ch <- next()
		}
	}()
	for range ch {
	}
}
func escapes(xs []int, use func(chan int)) {
	ch := make(chan int)
	use(ch)
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	for range ch {
	}
}
func everyPath(xs []int) {
	ch := make(chan int)
	go func() {
		defer func() { close(ch) }()
		for _, x := range xs {
			ch <- x
		}
	}()
	for range ch {
	}
}
func panics(xs []int) {
	ch := make(chan int)
	go func() {
		for _, x := range xs {
			if x < 0 {
				panic("negative")
			}
			ch <- x
		}
		close(ch)
	}()
	for range ch {
	}
}`},
	})
}

// TestMissingCloseBehaviour: Sum ranges over a channel whose sender returns
// early on a negative value without closing it. Before the fix every call
// with a negative value hangs for ever (the leak check sees the callers'
// goroutines stay); after it, every call returns.
func TestMissingCloseBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"leak_test.go": behave.LeakCheck("behaviour"),
			"sum.go": `package behaviour

import "errors"

// Sum adds up the squares of xs; it stops at the first negative value.
func Sum(xs []int) (int, error) {
	ch := make(chan int)
	var err error
	go func() {
		for _, x := range xs {
			if x < 0 {
				err = errors.New("negative value")
				return
			}
			ch <- x * x
		}
		close(ch)
	}()
	sum := 0
	for v := range ch {
		sum += v
	}
	return sum, err
}
`,
			"sum_test.go": `package behaviour

import (
	"runtime"
	"testing"
)

func TestSum(t *testing.T) {
	base := runtime.NumGoroutine()
	const calls = 200
	results := make(chan error, calls)
	for i := 0; i < calls; i++ {
		go func() {
			_, err := Sum([]int{1, 2, -3, 4})
			results <- err
		}()
	}
	noLeak(t, base)
	for i := 0; i < calls; i++ {
		if err := <-results; err == nil {
			t.Fatal("Sum accepted a negative value")
		}
	}
	if s, err := Sum([]int{1, 2, 3}); s != 14 || err != nil {
		t.Fatalf("Sum = %d, %v; want 14, nil", s, err)
	}
}
`,
		},
		Before: behave.Fails("goroutine leak"),
		Engine: engine.Options{Tests: true, Rules: []*rules.Rule{rules.MissingClose}, Tier: rules.Review},
		Rewrite: behave.Rewrite{
			Has:   []string{"\tgo func() {\n\t\tdefer close(ch)\n\t\tfor _, x := range xs {"},
			Lacks: []string{"\t\tclose(ch)\n"},
		},
		After: behave.Passes,
	})
}
