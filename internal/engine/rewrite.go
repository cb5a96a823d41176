package engine

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"sort"
	"strings"
	"sync"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"golang.org/x/tools/go/packages"

	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// rewriteFile applies fixes to one file and returns the new content and the
// fixes that went in. The file is decorated once; the fixes are applied in
// reverse source order; a fix whose rewrite fails (or panics) is dropped and
// the others are applied again to a fresh decoration, since a failed rewrite
// may have left the tree half-edited.
func (u *unit) rewriteFile(st *pkgState, f *ast.File, fs *fileState, fixes []matchers.Finding, res *unitResult) ([]byte, []matchers.Finding) {
	fixes = append([]matchers.Finding(nil), fixes...)
	sort.SliceStable(fixes, func(i, j int) bool { return anchorPos(fixes[i]) > anchorPos(fixes[j]) })
	for len(fixes) > 0 {
		content, bad, err := u.tryRewrite(st, f, fs, fixes)
		if err == nil {
			return content, fixes
		}
		if bad < 0 {
			for _, fd := range fixes {
				u.drop(fs, fd, err.Error(), res)
			}
			return nil, nil
		}
		u.drop(fs, fixes[bad], err.Error(), res)
		fixes = append(fixes[:bad:bad], fixes[bad+1:]...)
	}
	return nil, nil
}

func anchorPos(fd matchers.Finding) int {
	if fd.Fix != nil && fd.Fix.Anchor != nil {
		return int(fd.Fix.Anchor.Pos())
	}
	return int(fd.Pos)
}

// tryRewrite decorates f, applies all fixes and restores the file. On
// failure it returns the index of the failing fix, or -1 when the failure
// is not one fix's (restore, splice or gofmt).
func (u *unit) tryRewrite(st *pkgState, f *ast.File, fs *fileState, fixes []matchers.Finding) (out []byte, bad int, err error) {
	p := u.pkg
	dec := newDecorator(p.Fset, p.PkgPath, st.info, f)
	df, err := dec.DecorateFile(f)
	if err != nil {
		return nil, -1, fmt.Errorf("decorate: %v", err)
	}
	pass := newPass(p.Fset, st, f)
	rf := &rewrites.File{Pass: pass, Dec: dec, Dst: df}
	for i, fd := range fixes {
		if err := applyOne(rf, fd); err != nil {
			return nil, i, err
		}
	}
	anchors := make([]int, 0, len(fixes))
	tf := p.Fset.File(f.Pos())
	for _, fd := range fixes {
		anchors = append(anchors, tf.Offset(fd.Fix.Anchor.Pos()))
	}
	spliced, err := restoreSpliced(p.PkgPath, modulePath(p), st.types, df, fs.cur, anchors)
	if err != nil {
		return nil, -1, err
	}
	if bytes.Equal(spliced, fs.cur) {
		return nil, -1, fmt.Errorf("rewrite changed nothing")
	}
	return spliced, -1, nil
}

// restoreSpliced prints the rewritten dst file, checks it is gofmt-stable,
// splices the declarations holding the anchors (offsets into cur) into cur,
// and makes the fixes' import changes in cur's import block (see
// imports.go); a gofmt-clean cur must stay gofmt-clean. modPath is the
// module of the package ("" if none), to tell its imports from the
// standard library's.
func restoreSpliced(pkgPath, modPath string, pkg *types.Package, df *dst.File, cur []byte, anchors []int) ([]byte, error) {
	oldF, err := parser.ParseFile(token.NewFileSet(), "old.go", cur, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("splice: %v", err)
	}
	names := newPkgNamer(pkg)
	adds, err := qualify(df, pkgPath, importsOf(oldF), names)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := decorator.NewRestorer().Fprint(&buf, df); err != nil {
		return nil, fmt.Errorf("restore: %v", err)
	}
	full := buf.Bytes()
	if !gofmtStable(full) {
		return nil, fmt.Errorf("rewritten file is not gofmt-stable")
	}
	newF, err := parser.ParseFile(token.NewFileSet(), "new.go", full, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("rewritten file does not parse: %v", err)
	}
	removes := unusedImports(oldF, newF, names)
	spliced, err := splice(cur, full, anchors)
	if err != nil {
		return nil, err
	}
	spliced, err = editImports(spliced, adds, removes, modPath)
	if err != nil {
		return nil, err
	}
	if gofmtStable(cur) && !gofmtStable(spliced) {
		return nil, fmt.Errorf("fixed file is not gofmt-stable")
	}
	return spliced, nil
}

// modulePath is the path of p's module, or "".
func modulePath(p *packages.Package) string {
	if p.Module != nil {
		return p.Module.Path
	}
	return ""
}

func applyOne(rf *rewrites.File, fd matchers.Finding) (err error) {
	defer func() {
		if e := recover(); e != nil {
			err = fmt.Errorf("rewrite panicked: %v", e)
		}
	}()
	r := rules.ByName(fd.Rule)
	if r == nil || r.Rewrite == nil {
		return fmt.Errorf("rule has no rewrite")
	}
	return r.Rewrite(rf, fd)
}

// importerFor resolves the imports of a re-type-check from the load's own
// type information, so a verification never loads packages again: the
// package's imports as the go command resolved them (vendored paths
// included), then any package reachable from them.
func importerFor(p *packages.Package) types.Importer {
	byPath := typesByPath(p.Types.Imports())
	return importerFunc(func(path string) (*types.Package, error) {
		if path == "unsafe" {
			return types.Unsafe, nil
		}
		if ip, ok := p.Imports[path]; ok {
			id := ip.ID
			if i := bytes.IndexByte([]byte(id), ' '); i >= 0 {
				id = id[:i]
			}
			if ip.Types != nil {
				return ip.Types, nil
			}
			if t, ok := byPath[id]; ok {
				return t, nil
			}
		}
		if t, ok := byPath[path]; ok && t.Complete() {
			return t, nil
		}
		// Not imported by the package itself: an import a fix added.
		if t, err := addedStdImport(path); err == nil {
			return t, nil
		}
		if t, ok := byPath[path]; ok {
			return t, nil
		}
		return nil, fmt.Errorf("cannot verify: package %q is not among the loaded dependencies", path)
	})
}

// addedStdImport imports, for verification, a standard-library package that
// a fix added (a Rule's Adds: sync for a WaitGroup) and that the load does
// not hold at all. (One it holds partially, from the export data of the
// packages that mention it, was completed in place right after the load:
// see completeAdded.) Nothing in the load refers to such a package, so a
// separate complete copy does not clash with any of its types. One importer
// (export data, via the go command) serves the whole process: the standard
// library does not change while it runs.
var addedStd struct {
	mu  sync.Mutex
	imp types.Importer
}

func addedStdImport(path string) (*types.Package, error) {
	if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") || path == "C" {
		return nil, fmt.Errorf("%q is not a standard-library package", path)
	}
	addedStd.mu.Lock()
	defer addedStd.mu.Unlock()
	if addedStd.imp == nil {
		addedStd.imp = importer.ForCompiler(token.NewFileSet(), "gc", nil)
	}
	return addedStd.imp.Import(path)
}

// typesByPath maps the path of every package reachable from roots through
// their imports to the first package object found for it.
func typesByPath(roots []*types.Package) map[string]*types.Package {
	byPath := map[string]*types.Package{}
	var visit func(*types.Package)
	visit = func(t *types.Package) {
		if t == nil || byPath[t.Path()] != nil {
			return
		}
		byPath[t.Path()] = t
		for _, q := range t.Imports() {
			visit(q)
		}
	}
	for _, t := range roots {
		visit(t)
	}
	return byPath
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
