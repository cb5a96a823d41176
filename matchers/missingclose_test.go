package matchers_test

import (
	"context"
	"go/importer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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

// cuModule writes files into a fresh temporary module directory.
func cuModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cuGoTest runs `go test -race -count=1` in dir.
func cuGoTest(t *testing.T, dir string) (string, error) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(gobin, "test", "-race", "-count=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cuBehaviour runs the module's test under the race detector: before the
// fix it must fail with one of the messages in before (a leak, a hang, a
// panic); then the engine applies rule's fixes (at the review tier, so that
// review-tier rules are fixed too) and the test must pass. wantNew checks
// the rewritten file.
func cuBehaviour(t *testing.T, rule *rules.Rule, files map[string]string, before []string, wantNew func(string) bool) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a program with -race")
	}
	dir := cuModule(t, files)
	out, err := cuGoTest(t, dir)
	if err == nil {
		t.Fatalf("before the fix the test passed; it should fail:\n%s", out)
	}
	failed := false
	for _, b := range before {
		failed = failed || strings.Contains(out, b)
	}
	if !failed {
		t.Skipf("before the fix the test failed for another reason (is -race available?):\n%s", out)
	}
	res, err := engine.Run(context.Background(), engine.Options{
		Dir:   dir,
		Tests: true,
		Rules: []*rules.Rule{rule},
		Fix:   true,
		Tier:  rules.Review,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("engine: %s: %s", p.File, p.Message)
	}
	if len(res.Changes) != 1 {
		t.Fatalf("got %d changed files, want 1", len(res.Changes))
	}
	ch := res.Changes[0]
	if !wantNew(string(ch.New)) {
		t.Fatalf("unexpected rewrite:\n%s", ch.New)
	}
	if err := os.WriteFile(ch.File, ch.New, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := cuGoTest(t, dir); err != nil {
		t.Fatalf("after the fix the test fails:\n%s", out)
	}
}

// cuLeakCheck is the goroutine-leak check of the behaviour tests, in the
// tested module's test file: after the calls under test, it polls
// runtime.NumGoroutine a bounded number of times (yielding and sleeping a
// little between polls, with no assertion on time) until the count is back
// to the baseline, and fails with the number of goroutines left over.
// go.uber.org/goleak would do the same with stack matching, but it is not
// a dependency of this module (adding it means a go.mod change), and a
// count is enough for programs whose only goroutines are the ones under
// test.
const cuLeakCheck = `
func checkNoLeak(t *testing.T, base int) {
	t.Helper()
	n := runtime.NumGoroutine()
	for i := 0; i < 1000 && n > base; i++ {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > base {
		t.Fatalf("%d goroutines leaked", n-base)
	}
}
`

// TestMissingCloseBehaviour: Sum ranges over a channel whose sender returns
// early on a negative value without closing it. Before the fix every call
// with a negative value hangs for ever (the leak check sees the callers'
// goroutines stay); after it, every call returns.
func TestMissingCloseBehaviour(t *testing.T) {
	cuBehaviour(t, rules.MissingClose, map[string]string{
		"go.mod": "module example.com/behaviour\n\ngo 1.22\n",
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
	"time"
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
	checkNoLeak(t, base)
	for i := 0; i < calls; i++ {
		if err := <-results; err == nil {
			t.Fatal("Sum accepted a negative value")
		}
	}
	if s, err := Sum([]int{1, 2, 3}); s != 14 || err != nil {
		t.Fatalf("Sum = %d, %v; want 14, nil", s, err)
	}
}
` + cuLeakCheck,
	}, []string{"goroutines leaked"}, func(s string) bool {
		return strings.Contains(s, "\tgo func() {\n\t\tdefer close(ch)\n\t\tfor _, x := range xs {") &&
			!strings.Contains(s, "\t\tclose(ch)\n")
	})
}
