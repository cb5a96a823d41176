package engine

import (
	"bufio"
	"context"
	"fmt"
	"go/ast"
	"go/build"
	"go/token"
	"go/types"
	"go/version"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"

	"github.com/gofixconc/gofixconc/internal/rules"
)

// loadMode is what the pipeline needs: syntax and types for the target
// packages, export data for their dependencies.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
	packages.NeedImports | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedSyntax |
	packages.NeedTypesSizes | packages.NeedModule

// A loadGroup is one go/packages load: a directory (a module root, or the
// directory of a go.work) and the patterns to load from there.
type loadGroup struct {
	dir      string
	patterns []string
}

// whole reports whether the load holds every package of its module: it
// runs ./... from the module's root. A whole-program fix over part of a
// module must not change what packages outside the load may use.
func (g loadGroup) whole() bool {
	if _, err := os.Stat(filepath.Join(g.dir, "go.mod")); err != nil {
		return false // a go.work directory, or import-path patterns
	}
	for _, p := range g.patterns {
		if p == "./..." {
			return true
		}
	}
	return false
}

// planLoads splits the user's patterns into one load per module. A directory
// pattern ("./...", "./svc", "/abs/dir/...") is loaded from the root of the
// module that holds it; a recursive one also reaches every nested module
// below it (a directory with its own go.mod), each from its own root, which
// is what `./...` at a monorepo root should mean. Import-path patterns
// ("std", "net/http") are loaded from dir. With a go.work in force, the go
// command already spans its modules: everything loads from dir at once.
func planLoads(ctx context.Context, dir string, patterns []string) ([]loadGroup, []error) {
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	if gowork(ctx, dir) {
		return []loadGroup{{dir: dir, patterns: patterns}}, nil
	}
	var errs []error
	byRoot := map[string][]string{}
	add := func(root, pat string) {
		for _, p := range byRoot[root] {
			if p == pat {
				return
			}
		}
		byRoot[root] = append(byRoot[root], pat)
	}
	for _, pat := range patterns {
		if !isDirPattern(dir, pat) {
			add(dir, pat)
			continue
		}
		recursive := pat == "..." || strings.HasSuffix(pat, "/...")
		base := strings.TrimSuffix(strings.TrimSuffix(pat, "..."), "/")
		if base == "" {
			base = "."
		}
		if !filepath.IsAbs(base) {
			base = filepath.Join(dir, base)
		}
		st, err := os.Stat(base)
		if err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("%s: no such directory", pat))
			continue
		}
		root := moduleRoot(base)
		if root == "" {
			if !recursive {
				errs = append(errs, fmt.Errorf("%s: no go.mod in this directory or above (gofixconc loads Go modules)", rel(dir, base)))
				continue
			}
		} else {
			add(root, relPattern(root, base, recursive))
		}
		if recursive {
			for _, m := range nestedModules(base) {
				add(m, "./...")
			}
			if root == "" && len(nestedModules(base)) == 0 {
				errs = append(errs, fmt.Errorf("%s: no go.mod in this directory, above or below (gofixconc loads Go modules)", rel(dir, base)))
			}
		}
	}
	roots := make([]string, 0, len(byRoot))
	for r := range byRoot {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	groups := make([]loadGroup, 0, len(roots))
	for _, r := range roots {
		groups = append(groups, loadGroup{dir: r, patterns: byRoot[r]})
	}
	return groups, errs
}

func isDirPattern(dir, pat string) bool {
	if pat == "." || pat == ".." || pat == "..." || filepath.IsAbs(pat) ||
		strings.HasPrefix(pat, "./") || strings.HasPrefix(pat, "../") {
		return true
	}
	return false
}

func relPattern(root, base string, recursive bool) string {
	r, err := filepath.Rel(root, base)
	if err != nil {
		r = base
	}
	r = filepath.ToSlash(r)
	p := "./" + r
	if r == "." {
		p = "."
	}
	if recursive {
		if p == "." {
			return "./..."
		}
		return p + "/..."
	}
	return p
}

// moduleRoot returns the nearest directory at or above dir with a go.mod.
func moduleRoot(dir string) string {
	for d := dir; ; {
		if st, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !st.IsDir() {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// nestedModules lists module roots strictly below base, skipping what the go
// command skips (vendor, testdata, directories starting with . or _).
func nestedModules(base string) []string {
	var out []string
	_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable directories are the go command's to report
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != base && (name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		if p != base {
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// gowork reports whether a go.work file is in force for dir.
func gowork(ctx context.Context, dir string) bool {
	if v, ok := os.LookupEnv("GOWORK"); ok && v == "off" {
		return false
	}
	cmd := exec.CommandContext(ctx, "go", "env", "GOWORK")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return false
	}
	w := strings.TrimSpace(string(out))
	return w != "" && w != "off"
}

func rel(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// load runs one go/packages load.
func load(ctx context.Context, g loadGroup, opts *Options) ([]*packages.Package, error) {
	cfg := &packages.Config{
		Context: ctx,
		Mode:    loadMode,
		Dir:     g.dir,
		Tests:   opts.Tests,
	}
	if len(opts.Tags) > 0 {
		cfg.BuildFlags = []string{"-tags=" + strings.Join(opts.Tags, ",")}
	}
	if opts.Verbose != nil {
		cfg.Logf = func(format string, args ...any) {
			fmt.Fprintf(opts.Verbose, "go/packages: "+format+"\n", args...)
		}
	}
	pkgs, err := packages.Load(cfg, g.patterns...)
	if err != nil {
		return nil, fmt.Errorf("%s: load %s: %v", g.dir, strings.Join(g.patterns, " "), firstLine(err.Error()))
	}
	stdVersions(pkgs)
	if err := completeAdded(cfg, pkgs, addedPaths(opts.Rules)); err != nil && opts.Verbose != nil {
		fmt.Fprintf(opts.Verbose, "gofixconc: %s: %v\n", g.dir, err)
	}
	return pkgs, nil
}

// stdVersions gives the files of standard-library and cmd packages the Go
// version of the GOROOT they come from. go/packages reports no module for
// them, so the type checker records no version, and the rules would treat
// their files as older than any version boundary (no t.Context() roots in
// std's tests, no Go 1.23 timers). Files with a //go:build version keep it.
func stdVersions(pkgs []*packages.Package) {
	v := gorootVersion()
	if v == "" {
		return
	}
	for _, p := range pkgs {
		if p.TypesInfo == nil || !inGOROOT(p) {
			continue
		}
		if p.TypesInfo.FileVersions == nil {
			p.TypesInfo.FileVersions = map[*ast.File]string{}
		}
		for _, f := range p.Syntax {
			if p.TypesInfo.FileVersions[f] == "" {
				p.TypesInfo.FileVersions[f] = v
			}
		}
	}
}

// inGOROOT reports whether p is a package of the standard library or cmd
// (no module, sources under GOROOT/src).
func inGOROOT(p *packages.Package) bool {
	src := filepath.Join(build.Default.GOROOT, "src") + string(filepath.Separator)
	return p.Module == nil && len(p.CompiledGoFiles) > 0 && strings.HasPrefix(p.CompiledGoFiles[0], src)
}

// gorootVersion is the language version of build.Default.GOROOT ("go1.26"),
// from its VERSION file; "" when unknown. Read once per process.
var gorootVersion = sync.OnceValue(func() string {
	b, err := os.ReadFile(filepath.Join(build.Default.GOROOT, "VERSION"))
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return version.Lang(strings.TrimSpace(first))
})

// addedPaths is the set of import paths the rules' rewrites may add.
func addedPaths(rs []*rules.Rule) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		for _, p := range r.Adds {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// completeAdded completes, in place, the packages a fix may import that the
// load holds only partially. A dependency the targets do not import directly
// comes from the export data of the packages that mention it, which holds
// only what their APIs use: context reached through database/sql is a
// package with Context and little else. A fix that adds import "context"
// must be verified against that same package (sql's QueryRowContext takes
// its Context), completed with the rest of its API, not against a second
// copy whose Context is another type. Reading the package's own export data
// into the load's package map fills the existing objects, as go/packages
// does for a direct import. It runs right after the load, before any worker
// reads the types.
func completeAdded(cfg *packages.Config, pkgs []*packages.Package, paths []string) error {
	if len(pkgs) == 0 || len(paths) == 0 {
		return nil
	}
	var roots []*types.Package
	packages.Visit(pkgs, nil, func(p *packages.Package) { roots = append(roots, p.Types) })
	view := typesByPath(roots)
	var partial []string
	for _, path := range paths {
		if t := view[path]; t != nil && !t.Complete() {
			partial = append(partial, path)
		}
	}
	if len(partial) == 0 {
		return nil
	}
	ecfg := &packages.Config{
		Context:    cfg.Context,
		Mode:       packages.NeedName | packages.NeedExportFile,
		Dir:        cfg.Dir,
		Env:        cfg.Env,
		BuildFlags: cfg.BuildFlags,
	}
	eps, err := packages.Load(ecfg, partial...)
	if err != nil {
		return fmt.Errorf("export data of %s: %v", strings.Join(partial, " "), firstLine(err.Error()))
	}
	fset := pkgs[0].Fset
	for _, ep := range eps {
		if ep.ExportFile == "" || view[ep.PkgPath] == nil {
			continue
		}
		if err := readExport(fset, view, ep.PkgPath, ep.ExportFile); err != nil {
			return err
		}
	}
	return nil
}

func readExport(fset *token.FileSet, view map[string]*types.Package, path, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("export data of %s: %v", path, err)
	}
	if _, err := gcexportdata.Read(r, fset, view, path); err != nil {
		return fmt.Errorf("export data of %s: %v", path, err)
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
