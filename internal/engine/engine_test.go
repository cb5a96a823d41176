package engine

import (
	"context"
	"go/ast"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// Rules that exist only to drive the pipeline into its failure paths. Each
// matches calls of a function named by its rule (mark1(), mark2()...) in
// the package under test.

func markCalls(name string) func(p *matchers.Pass) []matchers.Finding {
	return func(p *matchers.Pass) []matchers.Finding {
		var out []matchers.Finding
		ast.Inspect(p.File, func(n ast.Node) bool {
			st, ok := n.(*ast.ExprStmt)
			if !ok {
				return true
			}
			call, ok := st.X.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == name {
				list, err := rewrites.EnclosingList(p.File, st)
				if err != nil {
					return true
				}
				out = append(out, matchers.Finding{Pos: st.Pos(), End: st.End(), Message: "marked",
					Fix: &matchers.Fix{Message: "rewrite the mark", Anchor: st, Lists: []ast.Node{list}}})
			}
			return true
		})
		return out
	}
}

var (
	// Inserts a call of an undefined function: never type-checks.
	badFix = rules.Register(&rules.Rule{Name: "test-bad-fix", Title: "t", Tier: rules.Safe,
		Match: markCalls("markBad"),
		Rewrite: func(f *rewrites.File, fd matchers.Finding) error {
			return f.InsertAfter(fd.Fix.Anchor.(ast.Stmt), rewrites.Call("undefinedFunc"))
		}})
	// Panics in the rewrite.
	panicFix = rules.Register(&rules.Rule{Name: "test-panic-fix", Title: "t", Tier: rules.Safe,
		Match:   markCalls("markPanic"),
		Rewrite: func(f *rewrites.File, fd matchers.Finding) error { panic("boom") }})
	// Panics in the matcher.
	panicMatch = rules.Register(&rules.Rule{Name: "test-panic-match", Title: "t", Tier: rules.Safe,
		Match: func(p *matchers.Pass) []matchers.Finding { panic("matcher boom") }})
	// Adds another marked call after each one: never reaches a fixpoint.
	loopFix = rules.Register(&rules.Rule{Name: "test-loop-fix", Title: "t", Tier: rules.Safe,
		Match: markCalls("markLoop"),
		Rewrite: func(f *rewrites.File, fd matchers.Finding) error {
			return f.InsertAfter(fd.Fix.Anchor.(ast.Stmt), rewrites.Call("markLoop"))
		}})
	// Renames the marked call to done(): a good fix. Fixes in one list
	// clash, so n marks take n rounds.
	goodFix = rules.Register(&rules.Rule{Name: "test-good-fix", Title: "t", Tier: rules.Safe,
		Match: markCalls("markGood"),
		Rewrite: func(f *rewrites.File, fd matchers.Finding) error {
			s, err := f.Stmt(fd.Fix.Anchor.(ast.Stmt))
			if err != nil {
				return err
			}
			s.(*dst.ExprStmt).X.(*dst.CallExpr).Fun.(*dst.Ident).Name = "done"
			return nil
		}})
	// A review-tier rule: reported, fixed only at --tier review.
	reviewFix = rules.Register(&rules.Rule{Name: "test-review-fix", Title: "t", Tier: rules.Review,
		Match: markCalls("markReview"),
		Rewrite: func(f *rewrites.File, fd matchers.Finding) error {
			s, err := f.Stmt(fd.Fix.Anchor.(ast.Stmt))
			if err != nil {
				return err
			}
			s.(*dst.ExprStmt).X.(*dst.CallExpr).Fun.(*dst.Ident).Name = "done"
			return nil
		}})
	// A safe rule with one review-tier fix: markGood is fixed at every
	// tier, markEdge only at --tier review.
	edgeFix = rules.Register(&rules.Rule{Name: "test-edge-fix", Title: "t", Tier: rules.Safe,
		Match: func(p *matchers.Pass) []matchers.Finding {
			out := markCalls("markGood")(p)
			for _, fd := range markCalls("markEdge")(p) {
				fd.Fix.Review = "the edge case"
				out = append(out, fd)
			}
			return out
		},
		Rewrite: goodFix.Rewrite})
)

const prelude = "package p\n\nfunc markBad()    {}\nfunc markPanic()  {}\nfunc markLoop()   {}\nfunc markGood()   {}\nfunc markReview() {}\nfunc markEdge()   {}\nfunc done()       {}\n"

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/p\n\ngo 1.22\n"
	files["decl.go"] = prelude
	writeTree(t, dir, files)
	return dir
}

// writeTree writes files (slash-separated name → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runRules(t *testing.T, dir string, tier rules.Tier, rs ...*rules.Rule) *Result {
	t.Helper()
	res, err := Run(context.Background(), Options{Dir: dir, Patterns: []string{"./..."}, Tests: true, Rules: rs, Fix: true, Tier: tier})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func problems(res *Result) string {
	var b strings.Builder
	for _, p := range res.Problems {
		b.WriteString(filepath.Base(p.File) + ": " + p.Message + "\n")
	}
	return b.String()
}

// A fix whose result does not type-check is dropped with its reason; the
// good fix in the same file still goes in.
func TestDropUnverifiedFix(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, map[string]string{"a.go": "package p\n\nfunc F() {\n\tmarkBad()\n\tif true {\n\t\tmarkGood()\n\t}\n}\n"})
	res := runRules(t, dir, rules.Safe, badFix, goodFix)
	if got := problems(res); !strings.Contains(got, "a.go: test-bad-fix: fix dropped: result does not type-check: ") || !strings.Contains(got, "undefinedFunc") {
		t.Errorf("problems:\n%s", got)
	}
	if len(res.Changes) != 1 || !strings.Contains(string(res.Changes[0].New), "\t\tdone()\n") || strings.Contains(string(res.Changes[0].New), "undefinedFunc") {
		t.Fatalf("changes: %+v", res.Changes)
	}
	for _, f := range res.Findings {
		if f.Rule == "test-bad-fix" && (f.Fixed || f.Dropped == "") {
			t.Errorf("bad fix finding: %+v", f)
		}
		if f.Rule == "test-good-fix" && !f.Fixed {
			t.Errorf("good fix finding not marked fixed: %+v", f)
		}
	}
	if res.Errors() != 0 {
		t.Errorf("a dropped fix is not an error of the run: %d errors", res.Errors())
	}
}

// Panicking rewrites and matchers are reported; the run goes on.
func TestPanicsAreContained(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, map[string]string{"a.go": "package p\n\nfunc F() {\n\tmarkPanic()\n\tmarkGood()\n}\n"})
	res := runRules(t, dir, rules.Safe, panicFix, panicMatch, goodFix)
	got := problems(res)
	if !strings.Contains(got, "test-panic-fix: fix dropped: rewrite panicked: boom") {
		t.Errorf("rewrite panic not reported:\n%s", got)
	}
	if !strings.Contains(got, "test-panic-match: rule panicked: matcher boom") {
		t.Errorf("matcher panic not reported:\n%s", got)
	}
	if len(res.Changes) != 1 || !strings.Contains(string(res.Changes[0].New), "\tmarkPanic()\n\tdone()\n") {
		t.Fatalf("the good fix must still apply: %+v", res.Changes)
	}
}

// A rewrite that keeps producing findings has no fixpoint: its file stays
// as it was.
func TestNoFixpointLeavesFile(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, map[string]string{"a.go": "package p\n\nfunc F() {\n\tmarkLoop()\n}\n"})
	res := runRules(t, dir, rules.Safe, loopFix)
	if len(res.Changes) != 0 {
		t.Fatalf("no-fixpoint file was changed:\n%s", res.Changes[0].New)
	}
	if got := problems(res); !strings.Contains(got, "test-loop-fix: fix dropped: no fixpoint after 8 rounds; file left as it was") {
		t.Errorf("problems:\n%s", got)
	}
}

// Fixes sharing a statement list go in successive rounds, all of them.
func TestClashingFixesTakeRounds(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, map[string]string{"a.go": "package p\n\nfunc F() {\n\tmarkGood()\n\tmarkGood()\n\tmarkGood()\n}\n"})
	res := runRules(t, dir, rules.Safe, goodFix)
	if len(res.Changes) != 1 || string(res.Changes[0].New) != "package p\n\nfunc F() {\n\tdone()\n\tdone()\n\tdone()\n}\n" {
		t.Fatalf("changes: %+v %s", res.Changes, problems(res))
	}
	if n := res.Changes[0].Fixes["test-good-fix"]; n != 3 {
		t.Errorf("fixes counted: %d, want 3", n)
	}
	for _, f := range res.Findings {
		if !f.Fixed {
			t.Errorf("finding not marked fixed: %+v", f)
		}
	}
}

// Review-tier fixes are findings only unless the run asks for the tier.
func TestReviewTier(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, map[string]string{"a.go": "package p\n\nfunc F() {\n\tmarkReview()\n}\n"})
	if res := runRules(t, dir, rules.Safe, reviewFix); len(res.Changes) != 0 || len(res.Findings) != 1 || res.Findings[0].Fixable {
		t.Fatalf("safe run: %+v", res)
	}
	if res := runRules(t, dir, rules.Review, reviewFix); len(res.Changes) != 1 {
		t.Fatalf("review run did not fix: %s", problems(res))
	}
}

// A safe rule's fix marked Review is applied only at --tier review; at the
// safe tier its finding says why it has no fix, and the rule's other fixes
// still go in.
func TestPerFixReviewTier(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, map[string]string{"a.go": "package p\n\nfunc F() {\n\tmarkEdge()\n}\n\nfunc G() {\n\tmarkGood()\n}\n"})
	res := runRules(t, dir, rules.Safe, edgeFix)
	if len(res.Changes) != 1 || string(res.Changes[0].New) != "package p\n\nfunc F() {\n\tmarkEdge()\n}\n\nfunc G() {\n\tdone()\n}\n" {
		t.Fatalf("safe run changes: %+v %s", res.Changes, problems(res))
	}
	for _, f := range res.Findings {
		if f.Line == 4 && (f.Fixable || f.Fixed || !strings.Contains(f.NoFix, "review-tier fix (the edge case)")) {
			t.Errorf("safe run, review-tier fix: %+v", f)
		}
	}
	res = runRules(t, dir, rules.Review, edgeFix)
	if len(res.Changes) != 1 || string(res.Changes[0].New) != "package p\n\nfunc F() {\n\tdone()\n}\n\nfunc G() {\n\tdone()\n}\n" {
		t.Fatalf("review run changes: %+v %s", res.Changes, problems(res))
	}
}

// Untouched declarations of a file that is not gofmt-clean keep their bytes.
func TestSpliceKeepsUntouchedDecls(t *testing.T) {
	t.Parallel()
	src := "package p\n\nfunc   G( )  int {return 1}\n\nfunc F() {\n\tmarkGood()\n}\n\nvar   x=1\n"
	dir := writeModule(t, map[string]string{"a.go": src})
	res := runRules(t, dir, rules.Safe, goodFix)
	want := "package p\n\nfunc   G( )  int {return 1}\n\nfunc F() {\n\tdone()\n}\n\nvar   x=1\n"
	if len(res.Changes) != 1 || string(res.Changes[0].New) != want {
		t.Fatalf("got %+v\n%s", res.Changes, problems(res))
	}
}

// Each file is processed once although test variants list it again.
func TestEveryFileOnce(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, map[string]string{
		"a.go":      "package p\n\nfunc F() {\n\tmarkGood()\n}\n",
		"a_test.go": "package p\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) { F() }\n",
		"x_test.go": "package p_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/p\"\n)\n\nfunc TestX(t *testing.T) { p.F() }\n",
	})
	res := runRules(t, dir, rules.Safe, goodFix)
	if len(res.Findings) != 1 || len(res.Changes) != 1 {
		t.Fatalf("findings %d, changes %d; want 1 and 1", len(res.Findings), len(res.Changes))
	}
	if res.Files != 4 {
		t.Errorf("files processed: %d, want 4 (decl.go, a.go, a_test.go, x_test.go)", res.Files)
	}
}

// Standard-library files get their GOROOT's Go version: go/packages gives
// them no module, and unknown would read as older than every boundary.
func TestStdFilesHaveGoVersion(t *testing.T) {
	t.Parallel()
	want := gorootVersion()
	if want == "" {
		t.Skip("GOROOT has no VERSION file")
	}
	dir := writeModule(t, map[string]string{})
	pkgs, err := load(context.Background(), loadGroup{dir: dir, patterns: []string{"errors"}}, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || len(pkgs[0].Syntax) == 0 {
		t.Fatalf("loaded %d packages", len(pkgs))
	}
	for _, f := range pkgs[0].Syntax {
		if got := pkgs[0].TypesInfo.FileVersions[f]; got != want {
			t.Errorf("%s: Go version %q, want %q", pkgs[0].Fset.File(f.Pos()).Name(), got, want)
		}
	}
}
