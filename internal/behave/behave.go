// Package behave runs the rules' behaviour tests: a small module whose own
// test fails under `go test -race` (a data race, a goroutine leak, a hang, a
// panic) before a rule's fix and passes after it, the fix being made by the
// real engine.
//
// A behaviour test is usually one call:
//
//	behave.Run(t, behave.Case{
//		Files:   map[string]string{"run.go": ..., "run_test.go": ...},
//		Before:  behave.Fails("DATA RACE", "Wait returned before"),
//		Engine:  engine.Options{Rules: []*rules.Rule{rules.WgAddInGoroutine}},
//		Rewrite: behave.Rewrite{Has: []string{"\t\twg.Add(1)\n\t\tgo func() {\n"}},
//		After:   behave.Passes,
//	})
//
// A test that needs another shape (one "before" module and several fixes
// of it) builds it from Write, Test and Fix, which Run is made of.
//
// Nothing here asserts on time: the programs' tests must decide pass or fail
// by what happened, never by how long it took.
package behave

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/engine"
)

// GoMod is the go.mod that Write adds when the files have none.
const GoMod = "module example.com/behaviour\n\ngo 1.22\n"

// A Case is one behaviour test: a module, what its test does before the
// fix, the fix, what the fixed file must (not) contain, and what the test
// does after the fix.
type Case struct {
	// Files are the module's files, name (slash-separated, may be in
	// subdirectories) → content. Without a "go.mod", GoMod is added.
	Files map[string]string
	// Before is what `go test` must do on the module as written.
	Before Expect
	// Engine are the options of the engine run that makes the fix (the
	// rules, the tier, whether tests are loaded, patterns, limits). Dir and
	// Fix are set by Run.
	Engine engine.Options
	// Rewrite checks the one file the engine changes.
	Rewrite Rewrite
	// After is what `go test` must do once the change is written.
	After Expect
}

// Run runs a behaviour test: it writes the module, checks Before, runs the
// engine (which must change exactly one file and report no problem), checks
// the change, writes it, and checks After.
func Run(t *testing.T, c Case) {
	t.Helper()
	dir := Write(t, c.Files)
	Test(t, dir, "before the fix", c.Before)
	ch := Fix(t, dir, c.Engine, c.Rewrite)
	test(t, dir, "after the fix", c.After, "\nthe fixed "+filepath.Base(ch.File)+":\n"+string(ch.New))
}

// An Expect is what the module's `go test -race -v` run must do. Build one
// from Passes or Fails.
type Expect struct {
	pass  bool
	oneOf []string // a failing run's output has at least one of these
	count int      // -count; 0 means 1
	run   string   // -run; "" means every test
	env   []string
}

// Passes: the run passes, and at least one test ran.
var Passes = Expect{pass: true}

// Fails: the run fails, and its output has at least one of the given texts
// (the failure the bug causes: "DATA RACE", a leak check's message, …). A
// failure for another reason fails the behaviour test; only a go command
// that cannot build with the race detector makes it skip.
func Fails(oneOf ...string) Expect {
	if len(oneOf) == 0 {
		panic("behave.Fails: no failure text")
	}
	return Expect{oneOf: oneOf}
}

// Times runs the module's tests n times in one run (-count=n).
func (e Expect) Times(n int) Expect {
	e.count = n
	return e
}

// Only runs only the module's test named name (-run '^name$').
func (e Expect) Only(name string) Expect {
	e.run = "^" + name + "$"
	return e
}

// Env adds "KEY=value" variables to the run's environment.
func (e Expect) Env(kv ...string) Expect {
	e.env = append(append([]string(nil), e.env...), kv...)
	return e
}

// Write writes files into a new temporary module and returns its directory
// (adding GoMod when files have no "go.mod"). It skips the test under
// -short and when there is no go command: every behaviour test builds and
// runs a program.
func Write(t *testing.T, files map[string]string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a program with -race")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	if _, ok := files["go.mod"]; !ok {
		files = withGoMod(files)
	}
	WriteTree(t, dir, files)
	return dir
}

// WriteTree writes files (slash-separated name → content) under dir,
// making the directories they need.
func WriteTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func withGoMod(files map[string]string) map[string]string {
	all := map[string]string{"go.mod": GoMod}
	for name, src := range files {
		all[name] = src
	}
	return all
}

// Test runs `go test -race -v` in dir and checks the run against e; when
// names the run in messages ("before the fix"). It returns the output.
func Test(t *testing.T, dir, when string, e Expect) string {
	t.Helper()
	return test(t, dir, when, e, "")
}

func test(t *testing.T, dir, when string, e Expect, extra string) string {
	t.Helper()
	out, err := goTest(dir, e)
	switch {
	case e.pass && err != nil:
		t.Fatalf("%s the test fails:\n%s%s", when, out, extra)
	case e.pass && !strings.Contains(out, "--- PASS: "):
		t.Fatalf("%s no test ran:\n%s%s", when, out, extra)
	case e.pass:
		// The program's own t.Log lines, as -v prints them.
		logLines(t, when, out, testLog.MatchString)
		return out
	case err == nil:
		t.Fatalf("%s the test passed; it should fail with one of %q:\n%s%s", when, e.oneOf, out, extra)
	}
	if raceUnsupported(out) {
		t.Skipf("the go command cannot build with the race detector:\n%s", out)
	}
	matched := logLines(t, when, out, func(l string) bool {
		for _, s := range e.oneOf {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	})
	if !matched {
		t.Fatalf("%s the test failed for another reason; want one of %q:\n%s%s", when, e.oneOf, out, extra)
	}
	return out
}

// goTest runs `go test -race -v` in dir, outside any workspace, with the
// local toolchain.
func goTest(dir string, e Expect) (string, error) {
	count := e.count
	if count == 0 {
		count = 1
	}
	args := []string{"test", "-race", "-v", fmt.Sprintf("-count=%d", count)}
	if e.run != "" {
		args = append(args, "-run", e.run)
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local"), e.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// logLines logs the first few distinct lines of out that keep says to,
// and tells whether there was one.
func logLines(t *testing.T, when, out string, keep func(string) bool) bool {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if !keep(l) || seen[l] {
			continue
		}
		if seen[l] = true; len(seen) <= 3 {
			t.Logf("%s: %s", when, l)
		}
	}
	return len(seen) > 0
}

var testLog = regexp.MustCompile(`^\w+_test\.go:\d+: `) // trimmed

// raceUnsupported tells whether the go command refused -race (no cgo, or a
// platform without the race detector): the only failure that skips.
func raceUnsupported(out string) bool {
	return strings.Contains(out, "-race requires cgo") || strings.Contains(out, "-race is not supported on")
}

// A Rewrite is what the fixed file must and must not contain.
type Rewrite struct {
	Has   []string
	Lacks []string
}

// Fix runs the engine with opts on dir (Dir and Fix set here), which must
// report no problem and change exactly one file whose new content passes
// want; it writes the change and returns it.
func Fix(t *testing.T, dir string, opts engine.Options, want Rewrite) engine.Change {
	t.Helper()
	opts.Dir = dir
	opts.Fix = true
	res, err := engine.Run(context.Background(), opts)
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
	for _, s := range want.Has {
		if !strings.Contains(string(ch.New), s) {
			t.Fatalf("the rewrite lacks %q:\n%s", s, ch.New)
		}
	}
	for _, s := range want.Lacks {
		if strings.Contains(string(ch.New), s) {
			t.Fatalf("the rewrite still has %q:\n%s", s, ch.New)
		}
	}
	if err := os.WriteFile(ch.File, ch.New, 0o644); err != nil {
		t.Fatal(err)
	}
	return ch
}

// LeakCheck returns a test file of package pkg that defines
//
//	func noLeak(t *testing.T, base int)
//
// the goroutine-leak check of the behaviour programs: after the calls
// under test, it polls runtime.NumGoroutine a bounded number of times
// (yielding, and sleeping a millisecond between polls only to let the
// goroutines that are finishing run: there is no assertion on time) until
// the count is back to base, and fails with "goroutine leak" and the
// number left over. go.uber.org/goleak would match stacks too, but it is
// not a dependency of the temporary modules (they have no network), and a
// count is enough for programs whose only goroutines are the ones under
// test.
func LeakCheck(pkg string) string {
	return "package " + pkg + `

import (
	"runtime"
	"testing"
	"time"
)

func noLeak(t *testing.T, base int) {
	t.Helper()
	n := runtime.NumGoroutine()
	for i := 0; i < 1000 && n > base; i++ {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > base {
		t.Fatalf("goroutine leak: %d goroutines left over, %d before", n-base, base)
	}
}
`
}
