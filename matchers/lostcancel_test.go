package matchers_test

import (
	"fmt"
	"go/ast"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/analysis/passes/lostcancel"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/txtar"

	"github.com/gofixconc/gofixconc/matchers"
)

// lostCancelVetExceptions are vet findings the rule deliberately does not
// repeat (golden case/file:line): vet falls back to comparing the name
// "context" when it is not a package name, and so reports a local variable
// called context.
var lostCancelVetExceptions = map[string]bool{
	"shadowed/a.go:16": true,
}

// lostCancelVetSkip are golden cases left out of the comparison with vet
// because they import a large part of the standard library (net/http), which
// the comparison must type-check from source: seconds, and far more under the
// race detector. Their paths are found by the same code as the others'.
var lostCancelVetSkip = map[string]bool{
	"derived": true,
}

// TestLostCancelVetSuperset checks the promise that the rule reports at least
// what vet's lostcancel reports, on the inputs of every golden case: each
// case's module is loaded (in one go.work) with full syntax so that vet's
// ctrlflow facts are computed as vet computes them.
func TestLostCancelVetSuperset(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the standard library from source")
	}
	cases, err := filepath.Glob("../testdata/golden/lostcancel/*.txtar")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	dir := t.TempDir()
	work := "go 1.26\n\nuse (\n"
	var patterns []string
	for _, path := range cases {
		a, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		if lostCancelVetSkip[name] {
			continue
		}
		for _, f := range a.Files {
			if f.Name == "findings" || strings.HasSuffix(f.Name, ".golden") {
				continue
			}
			p := filepath.Join(dir, name, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		work += "\t./" + name + "\n"
		patterns = append(patterns, "./"+name+"/...")
	}
	work += ")\n"
	if err := os.WriteFile(filepath.Join(dir, "go.work"), []byte(work), 0o644); err != nil {
		t.Fatal(err)
	}
	ours, vet := lostCancelCompare(t, false, dir, patterns...)
	for _, k := range vet {
		if !ours[k] && !lostCancelVetExceptions[k] {
			t.Errorf("vet reports %s, the rule does not", k)
		}
	}
	if len(vet) == 0 {
		t.Error("vet found nothing: the comparison is broken")
	}
	t.Logf("vet: %d findings; rule: %d findings", len(vet), len(ours))
}

// TestLostCancelCorpus compares with vet on any packages:
// LOSTCANCEL_CORPUS="DIR PATTERN..." go test ./matchers -run Corpus -v
func TestLostCancelCorpus(t *testing.T) {
	spec := strings.Fields(os.Getenv("LOSTCANCEL_CORPUS"))
	if len(spec) < 2 {
		t.Skip("set LOSTCANCEL_CORPUS=\"DIR PATTERN...\"")
	}
	ours, vet := lostCancelCompare(t, true, spec[0], spec[1:]...)
	missed := 0
	for _, k := range vet {
		if !ours[k] {
			missed++
			t.Errorf("vet reports %s, the rule does not", k)
		}
	}
	vetSet := map[string]bool{}
	for _, k := range vet {
		vetSet[k] = true
	}
	var extra []string
	for k := range ours {
		if !vetSet[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		t.Logf("rule only: %s", k)
	}
	t.Logf("vet: %d findings; rule: %d findings; missed: %d", len(vet), len(ours), missed)
}

// lostCancelCompare loads the patterns from dir and returns the rule's
// findings and vet's lostcancel findings as "relpath:line" keys (vet reports
// the assignment statement, the rule its cancel variable: same line).
func lostCancelCompare(t *testing.T, corpus bool, dir string, patterns ...string) (map[string]bool, []string) {
	t.Helper()
	cfg := &packages.Config{Mode: packages.LoadAllSyntax, Dir: dir, Tests: true}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		if !corpus {
			t.Fatalf("%d load errors", n)
		}
		// A corpus may hold packages that do not load: skip those.
		var ok []*packages.Package
		for _, p := range pkgs {
			if len(p.Errors) == 0 && !p.IllTyped {
				ok = append(ok, p)
			}
		}
		pkgs = ok
	}
	rel := func(file string, line int) string {
		r, err := filepath.Rel(dir, file)
		if err != nil {
			r = file
		}
		return fmt.Sprintf("%s:%d", filepath.ToSlash(r), line)
	}

	ours := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Syntax {
			name := p.Fset.File(f.Pos()).Name()
			if seen[name] {
				continue // test variants repeat files
			}
			seen[name] = true
			pass := &matchers.Pass{
				Fset:      p.Fset,
				Pkg:       p.Types,
				Info:      p.TypesInfo,
				File:      f,
				Files:     p.Syntax,
				Inspector: inspector.New([]*ast.File{f}),
			}
			for _, fd := range matchers.LostCancel(pass) {
				pos := p.Fset.Position(fd.Pos)
				ours[rel(pos.Filename, pos.Line)] = true
			}
		}
	}

	g, err := checker.Analyze([]*analysis.Analyzer{lostcancel.Analyzer}, pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	vetSet := map[string]bool{}
	for act := range g.All() {
		if act.Analyzer != lostcancel.Analyzer || !act.IsRoot {
			continue
		}
		for _, d := range act.Diagnostics {
			if !strings.Contains(d.Message, "is not used on all paths") && !strings.Contains(d.Message, "not discarded") {
				continue // the "this return statement" companions
			}
			pos := act.Package.Fset.Position(d.Pos)
			vetSet[rel(pos.Filename, pos.Line)] = true
		}
	}
	vet := make([]string, 0, len(vetSet))
	for k := range vetSet {
		vet = append(vet, k)
	}
	sort.Strings(vet)
	return ours, vet
}
