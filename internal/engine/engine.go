// Package engine is the pipeline shared by the CLI and the tests: load the
// packages once, run the matchers on the typed ast, rewrite the files that
// have fixable findings with dst, verify every changed file (gofmt-stable,
// the package type-checks, a re-run finds nothing more to fix), and hand the
// findings and the verified changes back.
package engine

import (
	"context"
	"fmt"
	"go/ast"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
	"golang.org/x/tools/go/packages"

	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// Options configure one run.
type Options struct {
	Dir      string   // where patterns are resolved; "" is the current directory
	Patterns []string // go package patterns; none means "."
	Tags     []string // build tags
	Tests    bool     // include _test.go files

	IncludeGenerated bool // also match and rewrite generated files

	Rules []*rules.Rule // the rules to run; nil means all
	Fix   bool          // compute verified fixes (diff and fix); false: findings only
	Tier  rules.Tier    // fixes of rules above this tier stay findings
	// Limits are the bounds of rules that bound concurrency (unbounded-go:
	// --limit, --io-limit); the zero value means their defaults.
	Limits matchers.Limits

	Jobs    int       // packages processed at once; <= 0 means GOMAXPROCS
	Verbose io.Writer // logs, or nil
}

// A Finding is a matcher's finding with its position resolved.
type Finding struct {
	Rule     string `json:"rule"`
	File     string `json:"file"` // absolute path
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	EndLine  int    `json:"end_line"`
	EndCol   int    `json:"end_col"`
	Message  string `json:"message"`
	Fixable  bool   `json:"fixable"`           // a fix exists and is allowed at the run's tier
	FixTitle string `json:"fix,omitempty"`     // the fix's verb phrase
	Fixed    bool   `json:"fixed,omitempty"`   // the fix was applied and verified (Fix runs)
	Dropped  string `json:"dropped,omitempty"` // why the fix was dropped, if it was
	NoFix    string `json:"no_fix,omitempty"`  // why there is no fix, if there is none
}

// A Change is one file's verified new content.
type Change struct {
	File  string // absolute path
	Old   []byte // the content the fixes were made against
	New   []byte
	Fixes map[string]int // rule → fixes applied in this file
}

// A Problem is a package or file the run could not process, or a fix that
// was dropped, in one line for people.
type Problem struct {
	Kind    ProblemKind
	File    string // absolute path, or "" for package-level problems
	Line    int
	Message string // full line text without the file prefix
}

// ProblemKind tells a dropped fix (an outcome the run reports) from an error
// (something the run could not process).
type ProblemKind int

const (
	// Error: a package, file or rule that could not be processed.
	Error ProblemKind = iota
	// Dropped: a fix that failed verification; its file stays as it was.
	Dropped
	// Deferred: a per-file fix left to the next run, because a
	// whole-program fix changed its file in this one.
	Deferred
)

// Errors counts the problems that are errors.
func (r *Result) Errors() int {
	n := 0
	for _, p := range r.Problems {
		if p.Kind == Error {
			n++
		}
	}
	return n
}

// Result is what a run produced. Lists are in a stable order.
type Result struct {
	Findings []Finding
	Changes  []Change
	Problems []Problem // skipped packages, unreadable files, dropped fixes, panics
	Packages int       // packages processed
	Files    int       // files processed
}

// Run loads the packages and runs the pipeline.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		opts.Dir = wd
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	if opts.Rules == nil {
		opts.Rules = rules.All()
	}
	if opts.Tier == "" {
		opts.Tier = rules.Safe
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.GOMAXPROCS(0)
	}
	res := &Result{}
	groups, errs := planLoads(ctx, dir, opts.Patterns)
	for _, e := range errs {
		res.Problems = append(res.Problems, Problem{Message: e.Error()})
	}
	claimed := map[string]bool{} // files already owned by a unit, across loads
	for _, g := range groups {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		pkgs, err := load(ctx, g, &opts)
		if err != nil {
			res.Problems = append(res.Problems, Problem{Message: err.Error()})
			continue
		}
		units, probs := plan(pkgs, claimed, &opts)
		res.Problems = append(res.Problems, probs...)
		// Whole-program rules first: their fixes span packages. The files
		// they change are left to a later run by the per-file rules.
		var exclude map[string]bool
		if prs := programRules(opts.Rules); len(prs) > 0 {
			pres, changed := runProgram(ctx, pkgs, units, prs, &opts, g.whole())
			res.Findings = append(res.Findings, pres.findings...)
			res.Changes = append(res.Changes, pres.changes...)
			res.Problems = append(res.Problems, pres.problems...)
			exclude = changed
		}
		out := make([]*unitResult, len(units))
		eg, ectx := errgroup.WithContext(ctx)
		eg.SetLimit(opts.Jobs)
		for i, u := range units {
			eg.Go(func() error {
				out[i] = u.safeProcess(ectx, &opts, exclude)
				return ectx.Err()
			})
		}
		if err := eg.Wait(); err != nil {
			return res, err
		}
		for _, r := range out {
			res.Findings = append(res.Findings, r.findings...)
			res.Changes = append(res.Changes, r.changes...)
			res.Problems = append(res.Problems, r.problems...)
			res.Files += r.files
		}
		res.Packages += len(units)
	}
	relMessages(res, dir)
	sortResult(res)
	return res, nil
}

// relMessages shortens the file names that type errors and other causes
// quote inside messages to be relative to dir, as positions are printed.
func relMessages(res *Result, dir string) {
	prefix := dir + string(filepath.Separator)
	for i := range res.Problems {
		res.Problems[i].Message = strings.ReplaceAll(res.Problems[i].Message, prefix, "")
	}
	for i := range res.Findings {
		res.Findings[i].Dropped = strings.ReplaceAll(res.Findings[i].Dropped, prefix, "")
	}
}

// A unit is one type-checked package and the files it owns: each file is
// processed once even when test variants list it again.
type unit struct {
	pkg   *packages.Package
	owned []*ast.File
}

// safeProcess is process that turns a panic of the pipeline itself into a
// problem of this package: one package never ends a run over a tree.
func (u *unit) safeProcess(ctx context.Context, opts *Options, exclude map[string]bool) (res *unitResult) {
	defer func() {
		if e := recover(); e != nil {
			res = &unitResult{files: len(u.owned), problems: []Problem{{
				Message: fmt.Sprintf("%s: skipped: internal error: %v (please report)", u.pkg.ID, e)}}}
		}
	}()
	return u.process(ctx, opts, exclude)
}

// plan turns loaded packages into units: skips what cannot be processed
// (with one line each), and gives every file to exactly one package,
// preferring the test variant ("p [p.test]") which type-checks the file
// together with the package's tests.
func plan(pkgs []*packages.Package, claimed map[string]bool, opts *Options) ([]*unit, []Problem) {
	var probs []Problem
	sorted := append([]*packages.Package(nil), pkgs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ti, tj := strings.Contains(sorted[i].ID, " ["), strings.Contains(sorted[j].ID, " [")
		if ti != tj {
			return ti
		}
		return sorted[i].ID < sorted[j].ID
	})
	var units []*unit
	reported := map[string]bool{}
	for _, p := range sorted {
		if strings.HasSuffix(p.ID, ".test") && p.Name == "main" && len(p.GoFiles) > 0 && isTestMain(p) {
			continue // the generated test main
		}
		if len(p.Errors) > 0 || p.IllTyped || p.Types == nil || p.TypesInfo == nil {
			path := p.PkgPath
			if path == "" {
				path = p.ID
			}
			if !reported[path] {
				reported[path] = true
				msg := "no type information"
				if len(p.Errors) > 0 {
					msg = packageError(p.Errors)
				}
				probs = append(probs, Problem{Message: fmt.Sprintf("%s: skipped: %s", path, msg)})
			}
			continue
		}
		goFiles := map[string]bool{}
		for _, f := range p.GoFiles {
			goFiles[f] = true
		}
		u := &unit{pkg: p}
		for _, f := range p.Syntax {
			name := p.Fset.File(f.Pos()).Name()
			if !goFiles[name] || claimed[name] {
				continue // cgo-generated, or owned by another variant
			}
			claimed[name] = true
			if inVendor(name) || (!opts.IncludeGenerated && ast.IsGenerated(f)) {
				continue
			}
			u.owned = append(u.owned, f)
		}
		if len(u.owned) > 0 {
			units = append(units, u)
		}
	}
	return units, probs
}

// packageError picks the error that names the cause best: a parse or type
// error with its position over the go command's summary, and never the
// "# pkg" banner line of a compiler report.
func packageError(errs []packages.Error) string {
	best := errs[0]
	for _, e := range errs {
		if e.Kind == packages.ParseError || e.Kind == packages.TypeError {
			best = e
			break
		}
	}
	msg := best.Msg
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "# ") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		msg = lines[0]
	}
	if best.Pos != "" && best.Pos != "-" && !strings.HasPrefix(msg, best.Pos) {
		msg = best.Pos + ": " + msg
	}
	return msg
}

func isTestMain(p *packages.Package) bool {
	for _, f := range p.GoFiles {
		if !strings.Contains(filepath.ToSlash(f), "/go-build") {
			return false
		}
	}
	return true
}

func inVendor(name string) bool {
	s := filepath.ToSlash(name)
	return strings.Contains(s, "/vendor/")
}

// match runs the rules over one file of a type-checked package. A panicking
// rule is reported and the others go on.
func match(pass *matchers.Pass, rs []*rules.Rule, problems *[]Problem) []matchers.Finding {
	var out []matchers.Finding
	for _, r := range rs {
		if r.Match == nil || !fastPath(pass, r) {
			continue
		}
		func() {
			defer func() {
				if e := recover(); e != nil {
					*problems = append(*problems, Problem{
						File:    pass.Fset.File(pass.File.Pos()).Name(),
						Message: fmt.Sprintf("%s: rule panicked: %v", r.Name, e),
					})
				}
			}()
			for _, f := range r.Match(pass) {
				f.Rule = r.Name
				out = append(out, f)
			}
		}()
	}
	return out
}

func fastPath(pass *matchers.Pass, r *rules.Rule) bool {
	if len(r.Requires) == 0 {
		return true
	}
	for _, path := range r.Requires {
		if pass.Imports(path) {
			return true
		}
	}
	return false
}

func sortResult(res *Result) {
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Rule < b.Rule
	})
	sort.SliceStable(res.Changes, func(i, j int) bool { return res.Changes[i].File < res.Changes[j].File })
	sort.SliceStable(res.Problems, func(i, j int) bool {
		a, b := res.Problems[i], res.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// position resolves pos in the real file (ignoring //line directives: the
// file on disk is what a fix edits).
func position(fset *token.FileSet, pos token.Pos) token.Position {
	return fset.PositionFor(pos, false)
}
