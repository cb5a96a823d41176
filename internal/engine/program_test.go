package engine

import (
	"go/ast"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// renameOld is a whole-program rule for the tests: it renames the function
// Old of package example.com/p/b to New, at its declaration and (unless
// declOnly) at every call site in every package.
func renameOld(declOnly bool) func(prog *matchers.Program) []matchers.Finding {
	return func(prog *matchers.Program) []matchers.Finding {
		var decl *ast.Ident
		var declKey string
		var edits []matchers.Edit
		for _, pp := range prog.Packages {
			for _, f := range pp.Owned {
				ast.Inspect(f, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.FuncDecl:
						if n.Name.Name == "Old" && pp.Pkg.Path() == "example.com/p/b" {
							decl = n.Name
							declKey = matchers.ObjectKey(prog.Fset, pp.Info.Defs[n.Name])
							edits = append(edits, matchers.Edit{File: f, Anchor: n.Name})
						}
					case *ast.CallExpr:
						if declOnly {
							return true
						}
						var id *ast.Ident
						switch fun := n.Fun.(type) {
						case *ast.Ident:
							id = fun
						case *ast.SelectorExpr:
							id = fun.Sel
						}
						if id == nil {
							return true
						}
						if fn, ok := pp.Info.Uses[id].(*types.Func); ok && fn.Name() == "Old" {
							edits = append(edits, matchers.Edit{File: f, Anchor: n.Fun, Data: matchers.ObjectKey(prog.Fset, fn)})
						}
					}
					return true
				})
			}
		}
		if decl == nil {
			return nil
		}
		var keep []matchers.Edit
		for _, e := range edits {
			if k, ok := e.Data.(string); !ok || k == declKey {
				keep = append(keep, e)
			}
		}
		return []matchers.Finding{{Pos: decl.Pos(), End: decl.End(), Message: "old name",
			Fix: &matchers.Fix{Message: "rename Old to New", Anchor: decl, Edits: keep}}}
	}
}

func renameRewrite(f *rewrites.File, fd matchers.Finding) error {
	n, err := f.Node(f.Edit.Anchor)
	if err != nil {
		return err
	}
	switch n := n.(type) {
	case *dst.Ident:
		n.Name = "New"
	case *dst.SelectorExpr:
		n.Sel.Name = "New"
	}
	return nil
}

var (
	progRename = rules.Register(&rules.Rule{Name: "test-prog-rename", Title: "t", Tier: rules.Safe,
		Program: renameOld(false), Rewrite: renameRewrite})
	// Renames only at --tier review, marking its fix Review; at the safe
	// tier it offers the fix marked too, to show the engine holds it back.
	progRenameReview = rules.Register(&rules.Rule{Name: "test-prog-rename-review", Title: "t", Tier: rules.Safe,
		Program: func(prog *matchers.Program) []matchers.Finding {
			out := renameOld(false)(prog)
			for _, fd := range out {
				fd.Fix.Review = "renames public API"
				if prog.Review {
					fd.Fix.Message += " (review tier)"
				}
			}
			return out
		}, Rewrite: renameRewrite})
	// Reports every call of Old too, each fixed with the rename.
	progRenameWith = rules.Register(&rules.Rule{Name: "test-prog-rename-with", Title: "t", Tier: rules.Safe,
		Program: func(prog *matchers.Program) []matchers.Finding {
			out := renameOld(false)(prog)
			if len(out) == 0 {
				return nil
			}
			lead := out[0]
			for _, e := range lead.Fix.Edits {
				if _, ok := e.Data.(string); ok {
					out = append(out, matchers.Finding{Pos: e.Anchor.Pos(), End: e.Anchor.End(), Message: "old call", With: lead.Pos})
				}
			}
			return out
		}, Rewrite: renameRewrite})
	progRenameDeclOnly = rules.Register(&rules.Rule{Name: "test-prog-rename-decl", Title: "t", Tier: rules.Safe,
		Program: renameOld(true), Rewrite: renameRewrite})
)

func progModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":          "module example.com/p\n\ngo 1.22\n",
		"b/b.go":          "package b\n\n// Old is renamed.\nfunc Old() int { return 1 }\n",
		"b/b_test.go":     "package b\n\nimport \"testing\"\n\nfunc TestOld(t *testing.T) { _ = Old() }\n",
		"a/a.go":          "package a\n\nimport \"example.com/p/b\"\n\nfunc A() int {\n\treturn b.Old() + 1 // call\n}\n",
		"c/c.go":          "package c\n\nimport (\n\t\"example.com/p/a\"\n\t\"example.com/p/b\"\n)\n\nvar X = a.A() + b.Old()\n",
		"c/c_ext_test.go": "package c_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/p/b\"\n)\n\nfunc TestC(t *testing.T) { _ = b.Old() }\n",
	}
	writeTree(t, dir, files)
	return dir
}

// A whole-program fix edits files in several packages (test files too) and
// is verified across them.
func TestProgramFixAcrossPackages(t *testing.T) {
	t.Parallel()
	dir := progModule(t)
	res := runRules(t, dir, rules.Safe, progRename)
	if len(res.Problems) > 0 {
		t.Fatalf("problems:\n%s", problems(res))
	}
	got := map[string]string{}
	for _, ch := range res.Changes {
		rel, _ := filepath.Rel(dir, ch.File)
		got[filepath.ToSlash(rel)] = string(ch.New)
	}
	want := map[string]string{
		"b/b.go":          "package b\n\n// Old is renamed.\nfunc New() int { return 1 }\n",
		"b/b_test.go":     "package b\n\nimport \"testing\"\n\nfunc TestOld(t *testing.T) { _ = New() }\n",
		"a/a.go":          "package a\n\nimport \"example.com/p/b\"\n\nfunc A() int {\n\treturn b.New() + 1 // call\n}\n",
		"c/c.go":          "package c\n\nimport (\n\t\"example.com/p/a\"\n\t\"example.com/p/b\"\n)\n\nvar X = a.A() + b.New()\n",
		"c/c_ext_test.go": "package c_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/p/b\"\n)\n\nfunc TestC(t *testing.T) { _ = b.New() }\n",
	}
	if len(got) != len(want) {
		t.Errorf("changed %d files, want %d: %v", len(got), len(want), keys(got))
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", name, got[name], w)
		}
	}
	if len(res.Findings) != 1 || !res.Findings[0].Fixed {
		t.Errorf("findings: %+v", res.Findings)
	}
}

// A whole-program fix that breaks another package is dropped whole.
func TestProgramFixVerifiedAcrossPackages(t *testing.T) {
	t.Parallel()
	dir := progModule(t)
	res := runRules(t, dir, rules.Safe, progRenameDeclOnly)
	if len(res.Changes) != 0 {
		t.Fatalf("a fix that breaks callers was applied: %d files", len(res.Changes))
	}
	if got := problems(res); !strings.Contains(got, "test-prog-rename-decl: fix dropped: result does not type-check") {
		t.Errorf("problems:\n%s", got)
	}
}

// Files a whole-program fix changes are left to the next run by per-file
// rules; the next run fixes them.
func TestProgramFixDefersPerFileFixes(t *testing.T) {
	t.Parallel()
	dir := progModule(t)
	if err := os.WriteFile(filepath.Join(dir, "a/mark.go"), []byte("package a\n\nfunc markGood() {}\nfunc done()     {}\n\nfunc M() {\n\tmarkGood()\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a/a.go"), []byte("package a\n\nimport \"example.com/p/b\"\n\nfunc A() int {\n\tmarkGood()\n\treturn b.Old() + 1 // call\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runRules(t, dir, rules.Safe, progRename, goodFix)
	if got := problems(res); !strings.Contains(got, "a.go: test-good-fix: fix deferred: the file was changed by a whole-program fix in this run") {
		t.Errorf("problems:\n%s", got)
	}
	fixedMark := false
	for _, ch := range res.Changes {
		if filepath.Base(ch.File) == "mark.go" && strings.Contains(string(ch.New), "\tdone()\n") {
			fixedMark = true
		}
	}
	if !fixedMark {
		t.Error("a file the whole-program fix did not touch must still get its per-file fix")
	}
}

// A whole-program fix marked Review is held back at the safe tier and
// applied at --tier review; the rule sees the run's tier in Program.Review.
func TestProgramFixReviewTier(t *testing.T) {
	t.Parallel()
	dir := progModule(t)
	res := runRules(t, dir, rules.Safe, progRenameReview)
	if len(res.Changes) != 0 || len(res.Findings) != 1 || res.Findings[0].Fixable ||
		!strings.Contains(res.Findings[0].NoFix, "review-tier fix (renames public API)") {
		t.Fatalf("safe run: changes %d, findings %+v", len(res.Changes), res.Findings)
	}
	res = runRules(t, dir, rules.Review, progRenameReview)
	if len(res.Changes) != 5 || len(res.Findings) != 1 || !res.Findings[0].Fixed ||
		res.Findings[0].FixTitle != "rename Old to New (review tier)" {
		t.Fatalf("review run: changes %d, findings %+v\n%s", len(res.Changes), res.Findings, problems(res))
	}
}

// Findings fixed with another finding's fix (Finding.With) are fixable and
// fixed when it is, and have no no-fix reason.
func TestProgramFixWith(t *testing.T) {
	t.Parallel()
	dir := progModule(t)
	res := runRules(t, dir, rules.Safe, progRenameWith)
	if len(res.Changes) != 5 || len(res.Findings) != 5 {
		t.Fatalf("changes %d, findings %d\n%s", len(res.Changes), len(res.Findings), problems(res))
	}
	for _, f := range res.Findings {
		if !f.Fixable || !f.Fixed || f.NoFix != "" || f.FixTitle != "rename Old to New" {
			t.Errorf("finding %s:%d %q: fixable %v fixed %v nofix %q title %q", filepath.Base(f.File), f.Line, f.Message, f.Fixable, f.Fixed, f.NoFix, f.FixTitle)
		}
	}
}

// prefixRename is a whole-program rule for the fixpoint test: each function
// declared as OldX (no calls) is renamed to NewX, except OldLoop, which is
// renamed to OldLoop1, OldLoop11...: that fix never reaches a fixpoint.
var prefixRename = rules.Register(&rules.Rule{Name: "test-prog-prefix", Title: "t", Tier: rules.Safe,
	Program: func(prog *matchers.Program) []matchers.Finding {
		var out []matchers.Finding
		for _, pp := range prog.Packages {
			for _, f := range pp.Owned {
				for _, d := range f.Decls {
					fd, ok := d.(*ast.FuncDecl)
					if !ok || !strings.HasPrefix(fd.Name.Name, "Old") {
						continue
					}
					to := "New" + strings.TrimPrefix(fd.Name.Name, "Old")
					switch {
					case strings.HasPrefix(fd.Name.Name, "OldLoop"):
						to = fd.Name.Name + "1"
					case fd.Name.Name == "OldBad":
						to = "Taken" // redeclared: never type-checks
					}
					out = append(out, matchers.Finding{Pos: fd.Name.Pos(), End: fd.Name.End(), Message: "old " + fd.Name.Name,
						Fix: &matchers.Fix{Message: "rename", Anchor: fd.Name, Data: to, Edits: []matchers.Edit{{File: f, Anchor: fd.Name}}}})
				}
			}
		}
		return out
	},
	Rewrite: func(f *rewrites.File, fd matchers.Finding) error {
		n, err := f.Node(f.Edit.Anchor)
		if err != nil {
			return err
		}
		n.(*dst.Ident).Name = fd.Fix.Data.(string)
		return nil
	}})

// A fix without a fixpoint is dropped alone: an unrelated fix in another
// file of the same run still lands. So does one that shares its file with a
// fix dropped for not type-checking (whose finding a second run still
// finds, as it should).
func TestProgramFixpointBlame(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"go.mod":  "module example.com/p\n\ngo 1.22\n",
		"a/a.go":  "package a\n\nfunc OldLoop() {}\n",
		"b/b.go":  "package b\n\nfunc OldB() {}\n",
		"b/b2.go": "package b\n\nfunc OldC() {}\n\nfunc OldBad() {}\n\nvar Taken = 1\n",
	})
	res := runRules(t, dir, rules.Safe, prefixRename)
	got := map[string]string{}
	for _, ch := range res.Changes {
		got[filepath.Base(ch.File)] = string(ch.New)
	}
	if got["b.go"] != "package b\n\nfunc NewB() {}\n" || got["b2.go"] != "package b\n\nfunc NewC() {}\n\nfunc OldBad() {}\n\nvar Taken = 1\n" || got["a.go"] != "" {
		t.Fatalf("changes: %v\n%s", got, problems(res))
	}
	if p := problems(res); strings.Count(p, "fix dropped: no fixpoint") != 1 || !strings.Contains(p, "a.go: test-prog-prefix: fix dropped: no fixpoint") ||
		!strings.Contains(p, "b2.go: test-prog-prefix: fix dropped: result does not type-check") {
		t.Errorf("problems:\n%s", p)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
