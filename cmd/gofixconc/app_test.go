package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
)

// leaky has a lost cancel (line 8) and a wg.Add inside a goroutine (line 13).
const leaky = `package svc

import (
	"context"
	"sync"
)

func Fetch(ctx context.Context, ids []string, get func(string), ping func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx) // one cancel for every fetch
	var wg sync.WaitGroup
	for _, id := range ids {
		go func() {
			// count this fetch
			wg.Add(1)
			defer wg.Done()
			get(id)
		}()
	}
	wg.Wait()
	if err := ping(ctx); err != nil {
		return err
	}
	cancel()
	return nil
}

// Keep returns its cancel: the caller owns it.
func Keep(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	return ctx, cancel
}
`

// two are the rules the fixtures above are about; tests that count
// findings or fixes run only these, so new rules do not change them.
const two = "lostcancel,wg-add-in-goroutine"

const clean = `package ok

func Add(a, b int) int { return a + b }
`

// result is one in-process run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, dir: dir}
	code := a.run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// module writes a module into a new temp dir and returns the dir.
func module(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = "module example.com/m\n\ngo 1.22\n"
	}
	behave.WriteTree(t, dir, files)
	return dir
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestCheckExitCodes(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{"svc/svc.go": leaky, "ok/ok.go": clean})
	r := run(t, dir, "check", "--rules", "lostcancel,wg-add-in-goroutine", "./...")
	if r.code != exitPending {
		t.Fatalf("check with findings: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"svc/svc.go:9:7: lostcancel: ",
		"svc/svc.go:14:4: wg-add-in-goroutine: ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, ":29:") {
		t.Errorf("a returned cancel must not be reported:\n%s", r.stdout)
	}
	if r := run(t, dir, "check", "./ok"); r.code != exitOK || r.stdout != "" {
		t.Errorf("check on clean package: exit %d, stdout %q, want 0 and nothing", r.code, r.stdout)
	}
	if r := run(t, dir, "check", "--rules", "no-such-rule", "./..."); r.code != exitError || !strings.Contains(r.stderr, `unknown rule "no-such-rule"`) {
		t.Errorf("unknown rule: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, dir, "check", "--tier", "wild", "./..."); r.code != exitError {
		t.Errorf("bad tier: exit %d, want 2", r.code)
	}
	if r := run(t, t.TempDir(), "check", "./..."); r.code != exitError || !strings.Contains(r.stderr, "no go.mod") {
		t.Errorf("no go.mod: exit %d, stderr %q, want 2 and a line naming the cause", r.code, r.stderr)
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{"svc/svc.go": leaky})
	r := run(t, dir, "check", "--rules", two, "--format", "json", "./...")
	if r.code != exitPending {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var fs []engine.Finding
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.File != "svc/svc.go" || f.Line == 0 || f.Col == 0 || f.EndLine == 0 || !f.Fixable || f.Message == "" {
			t.Errorf("incomplete finding: %+v", f)
		}
	}
}

func TestCheckSARIF(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{"svc/svc.go": leaky})
	r := run(t, dir, "check", "--rules", two, "--format", "sarif", "./...")
	if r.code != exitPending {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var log sarifLog
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 2 {
		t.Fatalf("unexpected SARIF: %+v", log)
	}
	res := log.Runs[0].Results[0]
	loc := res.Locations[0].PhysicalLocation
	if res.RuleID != "lostcancel" || loc.ArtifactLocation.URI != "svc/svc.go" || loc.Region.StartLine != 9 {
		t.Errorf("first result: %+v", res)
	}
	if len(log.Runs[0].Tool.Driver.Rules) != len(rules.All()) {
		t.Errorf("driver rules: %d, want %d", len(log.Runs[0].Tool.Driver.Rules), len(rules.All()))
	}
}

// TestDiffAppliesAndTouchesNothing: the dry run prints a patch that git
// apply accepts from the repository root, and leaves every file as it was.
func TestDiffAppliesAndTouchesNothing(t *testing.T) {
	t.Parallel()
	repo := module(t, map[string]string{"svc/go.mod": "module example.com/svc\n\ngo 1.22\n", "svc/svc.go": leaky, "go.mod": "module example.com/root\n\ngo 1.22\n", "ok/ok.go": clean})
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-qm", "init")
	before := read(t, filepath.Join(repo, "svc/svc.go"))

	// Run from a subdirectory: paths in the patch are still repo-relative.
	r := run(t, filepath.Join(repo, "svc"), "diff", "--rules", two, "./...")
	if r.code != exitPending {
		t.Fatalf("diff: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "--- a/svc/svc.go\n+++ b/svc/svc.go\n") {
		t.Fatalf("diff headers are not repo-relative:\n%s", r.stdout)
	}
	if got := read(t, filepath.Join(repo, "svc/svc.go")); got != before {
		t.Fatal("diff changed a file on disk")
	}
	if st := git(t, repo, "status", "--porcelain"); st != "" {
		t.Fatalf("diff left the work tree dirty:\n%s", st)
	}
	p := filepath.Join(t.TempDir(), "fix.patch")
	if err := os.WriteFile(p, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "apply", "--check", p)
	if _, err := exec.LookPath("patch"); err == nil {
		cmd := exec.Command("patch", "-p1", "--dry-run", "-i", p)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch -p1 --dry-run: %v\n%s", err, out)
		}
	}
	git(t, repo, "apply", p)
	// The applied patch is what fix would write: nothing left to change.
	if r := run(t, filepath.Join(repo, "svc"), "diff", "--rules", two, "./..."); r.code != exitOK || r.stdout != "" {
		t.Fatalf("diff after applying: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestFixInPlace(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{"svc/svc.go": leaky})
	file := filepath.Join(dir, "svc/svc.go")
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, "fix", "--rules", two, "./...")
	if r.code != exitOK {
		t.Fatalf("fix: exit %d\n%s", r.code, r.stderr)
	}
	got := read(t, file)
	for _, want := range []string{
		"ctx, cancel := context.WithCancel(ctx) // one cancel for every fetch\n\tdefer cancel()\n",
		"\t\t// count this fetch\n\t\twg.Add(1)\n\t\tgo func() {\n",
		"// Keep returns its cancel: the caller owns it.\nfunc Keep(ctx context.Context) (context.Context, context.CancelFunc) {\n\tctx, cancel := context.WithCancel(ctx)\n\treturn ctx, cancel\n}\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("fixed file lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(r.stderr, "gofixconc: 1 files changed; fixes: lostcancel 1, wg-add-in-goroutine 1;") {
		t.Errorf("summary: %q", r.stderr)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("fix left files behind: %v", entries)
	}
	// Fixed once, nothing more to do; fix exits 0 with no change either.
	if r := run(t, dir, "diff", "./..."); r.code != exitOK || r.stdout != "" {
		t.Errorf("diff after fix: exit %d\n%s", r.code, r.stdout)
	}
	if r := run(t, dir, "fix", "./..."); r.code != exitOK {
		t.Errorf("second fix: exit %d", r.code)
	}
}

func TestFixPatchFile(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{"svc/svc.go": leaky})
	r := run(t, dir, "fix", "--rules", two, "--patch", "out.patch", "./...")
	if r.code != exitOK {
		t.Fatalf("fix --patch: exit %d\n%s", r.code, r.stderr)
	}
	if got := read(t, filepath.Join(dir, "svc/svc.go")); got != leaky {
		t.Fatal("fix --patch changed the source")
	}
	if p := read(t, filepath.Join(dir, "out.patch")); !strings.HasPrefix(p, "diff --git a/svc/svc.go b/svc/svc.go\n") {
		t.Fatalf("patch file:\n%s", p)
	}
	r = run(t, dir, "fix", "--rules", two, "--dry-run", "./...")
	if r.code != exitPending || !strings.Contains(r.stdout, "+\tdefer cancel()") {
		t.Fatalf("fix --dry-run: exit %d\n%s", r.code, r.stdout)
	}
}

// TestBrokenPackageSkipped: one package that does not type-check gets one
// line; the other is still fixed; the run exits 2.
func TestBrokenPackageSkipped(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{
		"svc/svc.go":       leaky,
		"broken/broken.go": "package broken\n\nfunc F() int { return \"no\" }\n",
		"syntax/syntax.go": "package syntax\n\nfunc F( {\n",
	})
	r := run(t, dir, "fix", "./...")
	if r.code != exitError {
		t.Fatalf("fix with a broken package: exit %d, want 2\n%s", r.code, r.stderr)
	}
	lines := 0
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "broken") {
			lines++
			if !strings.HasPrefix(l, "example.com/m/broken: skipped: broken/broken.go:3:") {
				t.Errorf("skip line does not name the package, file and cause: %q", l)
			}
		}
	}
	if lines != 1 {
		t.Errorf("want exactly one line about the broken package, got %d:\n%s", lines, r.stderr)
	}
	if n := strings.Count(r.stderr, "example.com/m/syntax: skipped: syntax/syntax.go:3:9: expected ')'"); n != 1 {
		t.Errorf("want one line naming the syntax error's file and cause, got %d:\n%s", n, r.stderr)
	}
	if got := read(t, filepath.Join(dir, "svc/svc.go")); !strings.Contains(got, "defer cancel()") {
		t.Error("the healthy package was not fixed")
	}
}

func TestGeneratedFileLeftAlone(t *testing.T) {
	t.Parallel()
	gen := "// Code generated by hand for a test. DO NOT EDIT.\n\n" + leaky
	dir := module(t, map[string]string{"svc/svc.go": gen})
	r := run(t, dir, "fix", "./...")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if got := read(t, filepath.Join(dir, "svc/svc.go")); got != gen {
		t.Fatal("a generated file was rewritten")
	}
	if r := run(t, dir, "diff", "--include-generated", "./..."); r.code != exitPending {
		t.Fatalf("--include-generated: exit %d, want 1", r.code)
	}
}

// TestNestedModules: ./... at the root reaches a module nested below it.
func TestNestedModules(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{
		"ok/ok.go":              clean,
		"services/a/go.mod":     "module example.com/a\n\ngo 1.22\n",
		"services/a/svc/svc.go": leaky,
	})
	r := run(t, dir, "check", "./...")
	if r.code != exitPending || !strings.Contains(r.stdout, "services/a/svc/svc.go:9:7: lostcancel") {
		t.Fatalf("nested module not reached: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestRulesExplainVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := run(t, dir, "rules")
	if r.code != exitOK {
		t.Fatalf("rules: exit %d", r.code)
	}
	for _, rl := range rules.All() {
		if !strings.Contains(r.stdout, rl.Name) {
			t.Errorf("rules lacks %s", rl.Name)
		}
		e := run(t, dir, "explain", rl.Name)
		if e.code != exitOK || !strings.Contains(e.stdout, "WRONG") || !strings.Contains(e.stdout, "RIGHT") {
			t.Errorf("explain %s: exit %d\n%s", rl.Name, e.code, e.stdout)
		}
	}
	if r := run(t, dir, "explain", "nope"); r.code != exitError {
		t.Errorf("explain unknown: exit %d", r.code)
	}
	if r := run(t, dir, "version"); r.code != exitOK || !strings.HasPrefix(r.stdout, "gofixconc ") {
		t.Errorf("version: %d %q", r.code, r.stdout)
	}
	if r := run(t, dir, "frobnicate"); r.code != exitError {
		t.Errorf("unknown command: exit %d", r.code)
	}
}

// TestWriteRefusesChangedFile: fix never overwrites an edit made after the
// file was read.
func TestWriteRefusesChangedFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "a.go")
	if err := os.WriteFile(p, []byte("edited meanwhile"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeFile(engine.Change{File: p, Old: []byte("as read"), New: []byte("fixed")})
	if err == nil || !strings.Contains(err.Error(), "changed since it was read") {
		t.Fatalf("err = %v", err)
	}
	if got := read(t, p); got != "edited meanwhile" {
		t.Fatalf("file overwritten: %q", got)
	}
}

// TestReadmeRuleTable keeps README's rule table generated from the registry.
func TestReadmeRuleTable(t *testing.T) {
	readme := read(t, "../../README.md")
	const start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the rules:start/rules:end markers")
	}
	if got, want := readme[i+len(start):j], rules.MarkdownTable(); got != want {
		t.Fatalf("README rule table is stale; regenerate with `go run ./cmd/gofixconc rules --markdown`.\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestNoFixReasons: diff and fix say, for each finding left without a fix,
// why, so a reviewer knows what to do by hand.
func TestNoFixReasons(t *testing.T) {
	t.Parallel()
	dir := module(t, map[string]string{"a/a.go": "package a\n\nimport \"context\"\n\nfunc F(ctx context.Context) context.Context {\n\tctx, _ = context.WithCancel(ctx)\n\treturn ctx\n}\n"})
	r := run(t, dir, "diff", "--rules", "lostcancel", "./...")
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("diff: exit %d\n%s", r.code, r.stdout)
	}
	if want := "a/a.go:6:7: lostcancel: no fix: the cancel func is discarded"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if r := run(t, dir, "check", "--rules", "lostcancel", "./..."); strings.Contains(r.stderr, "no fix") {
		t.Errorf("check keeps stderr for problems only:\n%s", r.stderr)
	}
}

// The bundled example module (README's first command): its diff applies,
// fix leaves it compiling and vet-clean (vet reports the lost cancel and the
// Adds inside goroutines before), its tests pass under -race, the request's
// context reaches the warehouse client in another package, and a second
// run has nothing left to change.
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the example module")
	}
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples")); err != nil {
		t.Fatal(err)
	}
	goCmd := func(args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := goCmd("vet", "./..."); err == nil {
		t.Fatalf("go vet passes on the example before the fix; it should show what the rules fix:\n%s", out)
	}
	git(t, dir, "init", "-q")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "init")
	d := run(t, dir, "diff", "./...")
	if d.code != exitPending {
		t.Fatalf("diff: exit %d\n%s", d.code, d.stderr)
	}
	p := filepath.Join(t.TempDir(), "fix.patch")
	if err := os.WriteFile(p, []byte(d.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "apply", "--check", p)
	r := run(t, dir, "fix", "./...")
	if r.code != exitOK {
		t.Fatalf("fix: exit %d\n%s", r.code, r.stderr)
	}
	// git's own diff carries index lines and other context: compare the
	// changed lines.
	if written := git(t, dir, "diff"); changedLines(written) != changedLines(d.stdout) {
		t.Errorf("fix wrote something else than diff showed:\n--- diff:\n%s\n--- written:\n%s", d.stdout, written)
	}
	if out, err := goCmd("vet", "./..."); err != nil {
		t.Fatalf("go vet after fix: %v\n%s", err, out)
	}
	if out, err := goCmd("test", "-race", "./..."); err != nil {
		t.Fatalf("go test -race after fix: %v\n%s", err, out)
	}
	stock := read(t, filepath.Join(dir, "internal/stock/stock.go"))
	if !strings.Contains(stock, "func (c *Client) Level(ctx context.Context, sku string)") ||
		!strings.Contains(stock, "http.NewRequestWithContext(ctx, ") {
		t.Errorf("the request context does not reach the client:\n%s", stock)
	}
	if main := read(t, filepath.Join(dir, "cmd/shopd/main.go")); !strings.Contains(main, "ctx := r.Context()") {
		t.Errorf("the handler does not pass its request's context:\n%s", main)
	}
	if again := run(t, dir, "diff", "./..."); again.code != exitOK || again.stdout != "" {
		t.Errorf("second diff: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
}

// changedLines keeps the +/- lines of a unified diff, without file headers.
func changedLines(diff string) string {
	var b strings.Builder
	for _, l := range strings.Split(diff, "\n") {
		if (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-")) && !strings.HasPrefix(l, "+++") && !strings.HasPrefix(l, "---") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
