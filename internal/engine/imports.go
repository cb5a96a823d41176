package engine

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"github.com/dave/dst/decorator/resolver/gotypes"
	"github.com/dave/dst/dstutil"
)

// The engine, not dst's restorer, owns a file's imports. dst's restorer
// maps each import path to one name, so on a file that imports a path twice
// (import "sync" and s2 "sync") it renames every use to one of them, and
// when it adds an import it regroups the whole block, treating every path
// whose first element has no dot as standard library: in a module named
// "cmd" or "myapp" the module's own imports join the std group. So:
//
//   - the decorator resolves (turns into an Ident with a Path) only the
//     qualified names written with the file's first import of their path;
//     other names (a second import's, a dot import's bare ones) stay as
//     written, and so do their clones;
//   - before printing, every Ident with a Path becomes the file's own name
//     for it (qualify); a path the file does not import is an import to add;
//   - the file is printed without import management, and the imports the
//     fixes made unused are found by comparing uses before and after;
//   - the change to the import block is made in its text (editImports):
//     one line in, one line out, every other byte kept.

// newDecorator decorates files of the package at pkgPath for rewrites.
func newDecorator(fset *token.FileSet, pkgPath string, info *types.Info, f *ast.File) *decorator.Decorator {
	return decorator.NewDecoratorWithImports(fset, pkgPath, &firstImportResolver{inner: gotypes.New(info.Uses), pkgPath: pkgPath, uses: info.Uses, canon: canonicalImports(info, f)})
}

// canonicalImports is the set of package names that the file's first
// (non-blank) import of each path declares: the names a fix writes.
func canonicalImports(info *types.Info, f *ast.File) map[*types.PkgName]bool {
	seen := map[string]bool{}
	out := map[*types.PkgName]bool{}
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil || seen[path] || (spec.Name != nil && spec.Name.Name == "_") {
			continue
		}
		seen[path] = true
		var obj types.Object
		if spec.Name != nil {
			obj = info.Defs[spec.Name]
		} else {
			obj = info.Implicits[spec]
		}
		if pn, ok := obj.(*types.PkgName); ok && (spec.Name == nil || spec.Name.Name != ".") {
			out[pn] = true
		}
	}
	return out
}

// firstImportResolver is gotypes' resolver limited to the qualified names
// written with the file's canonical import of their path.
type firstImportResolver struct {
	inner   *gotypes.DecoratorResolver
	pkgPath string
	uses    map[*ast.Ident]types.Object
	canon   map[*types.PkgName]bool
}

func (r *firstImportResolver) ResolveIdent(file *ast.File, parent ast.Node, parentField string, id *ast.Ident) (string, error) {
	path, err := r.inner.ResolveIdent(file, parent, parentField, id)
	if err != nil || path == "" || path == r.pkgPath {
		return path, err
	}
	if se, ok := parent.(*ast.SelectorExpr); ok && parentField == "Sel" {
		if x, ok := se.X.(*ast.Ident); ok {
			if pn, ok := r.uses[x].(*types.PkgName); ok && r.canon[pn] {
				return path, nil
			}
		}
		return "", nil
	}
	// A bare name of another package is a dot import's: kept as written.
	return "", nil
}

// fileImport is one import spec as written.
type fileImport struct {
	path string // unquoted
	name string // as written: "", "_", "." or a name
}

func (i fileImport) spec() string {
	if i.name == "" {
		return strconv.Quote(i.path)
	}
	return i.name + " " + strconv.Quote(i.path)
}

func importsOf(f *ast.File) []fileImport {
	var out []fileImport
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		name := ""
		if spec.Name != nil {
			name = spec.Name.Name
		}
		out = append(out, fileImport{path, name})
	}
	return out
}

// pkgNamer names packages by import path: the load's names, vendored paths
// also under the path the file writes; else the last element of the path.
type pkgNamer struct {
	names map[string]string
	pkgs  map[string]*types.Package
}

func newPkgNamer(pkg *types.Package) *pkgNamer {
	n := &pkgNamer{names: map[string]string{}, pkgs: map[string]*types.Package{}}
	var visit func(*types.Package)
	visit = func(p *types.Package) {
		if _, ok := n.pkgs[p.Path()]; ok {
			return
		}
		n.pkgs[p.Path()] = p
		n.names[p.Path()] = p.Name()
		if s := stripVendor(p.Path()); s != p.Path() {
			if _, ok := n.pkgs[s]; !ok {
				n.pkgs[s], n.names[s] = p, p.Name()
			}
		}
		for _, q := range p.Imports() {
			visit(q)
		}
	}
	if pkg != nil {
		for _, q := range pkg.Imports() {
			visit(q)
		}
	}
	return n
}

func (n *pkgNamer) name(path string) string {
	if s, ok := n.names[path]; ok {
		return s
	}
	return path[strings.LastIndex(path, "/")+1:]
}

// declared is the name an import declares in the file ("" for _ and .).
func (n *pkgNamer) declared(i fileImport) string {
	switch i.name {
	case "_", ".":
		return ""
	case "":
		return n.name(i.path)
	}
	return i.name
}

// qualify writes every Ident with a Path in df as the file writes that
// package: the name of the file's first import of the path (bare for a dot
// import or the package itself). A path the file does not import gets an
// import, named by the package's name unless another import has that name.
// It returns the imports to add.
func qualify(df *dst.File, pkgPath string, imps []fileImport, names *pkgNamer) (adds []fileImport, err error) {
	canon := map[string]string{} // path → name to write; "" for bare
	taken := map[string]bool{}
	for _, imp := range imps {
		if imp.name == "_" {
			continue
		}
		if d := names.declared(imp); d != "" {
			taken[d] = true
		}
		if _, ok := canon[imp.path]; !ok {
			canon[imp.path] = names.declared(imp)
		}
	}
	nameFor := func(path string) string {
		if path == pkgPath || path == stripVendor(pkgPath) {
			return ""
		}
		if n, ok := canon[path]; ok {
			return n
		}
		base, alias := names.name(path), ""
		n := base
		for k := 1; taken[n]; k++ {
			n = fmt.Sprintf("%s%d", base, k)
			alias = n
		}
		taken[n] = true
		canon[path] = n
		adds = append(adds, fileImport{path, alias})
		return n
	}
	defer func() {
		if e := recover(); e != nil {
			err = fmt.Errorf("qualify: %v", e)
		}
	}()
	dstutil.Apply(df, nil, func(c *dstutil.Cursor) bool {
		id, ok := c.Node().(*dst.Ident)
		if !ok || id.Path == "" {
			return true
		}
		q := nameFor(stripVendor(id.Path))
		id.Path = ""
		if q == "" {
			return true
		}
		sel := &dst.SelectorExpr{X: dst.NewIdent(q), Sel: dst.NewIdent(id.Name)}
		sel.Decs.NodeDecs = id.Decs.NodeDecs
		sel.Decs.X = id.Decs.X
		c.Replace(sel)
		return true
	})
	return adds, nil
}

// stripVendor is the import path a file writes for a vendored package path.
func stripVendor(path string) string {
	if i := strings.LastIndex(path, "/vendor/"); i >= 0 {
		return path[i+len("/vendor/"):]
	}
	if strings.HasPrefix(path, "vendor/") {
		return path[len("vendor/"):]
	}
	return path
}

// importUses records what a file refers to, syntactically: names used as
// the package of a qualified name, and bare names, both not declared in the
// file (the parser's object resolution; as astutil.UsesImport).
type importUses struct {
	qual, bare map[string]bool
}

func usesOf(f *ast.File) importUses {
	u := importUses{qual: map[string]bool{}, bare: map[string]bool{}}
	skip := map[*ast.Ident]bool{f.Name: true}
	for _, spec := range f.Imports {
		if spec.Name != nil {
			skip[spec.Name] = true
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			skip[n.Sel] = true
			if x, ok := n.X.(*ast.Ident); ok && x.Obj == nil {
				u.qual[x.Name] = true
				skip[x] = true
			}
		case *ast.FuncDecl:
			skip[n.Name] = true
		case *ast.Ident:
			if n.Obj == nil && !skip[n] {
				u.bare[n.Name] = true
			}
		}
		return true
	})
	return u
}

// used reports whether the file may refer to imp. Blank imports, "C", and
// dot imports of packages whose names are unknown always are.
func (u importUses) used(imp fileImport, names *pkgNamer) bool {
	switch {
	case imp.name == "_" || imp.path == "C":
		return true
	case imp.name == ".":
		p := names.pkgs[imp.path]
		if p == nil {
			return true
		}
		for n := range u.bare {
			if obj := p.Scope().Lookup(n); obj != nil && obj.Exported() {
				return true
			}
		}
		return false
	}
	return u.qual[names.declared(imp)]
}

// unusedImports is the imports of old that new no longer uses.
func unusedImports(oldF, newF *ast.File, names *pkgNamer) []fileImport {
	before, after := usesOf(oldF), usesOf(newF)
	var out []fileImport
	for _, imp := range importsOf(oldF) {
		if before.used(imp, names) && !after.used(imp, names) {
			out = append(out, imp)
		}
	}
	return out
}

// isStdPath reports whether path is a standard-library package: no dot in
// its first element, not in the module at modPath (a module may be named
// "cmd" or "myapp"), and, when GOROOT's sources are there, one of them.
func isStdPath(path, modPath string) bool {
	first, _, _ := strings.Cut(path, "/")
	if path == "C" || strings.Contains(first, ".") || first == "cmd" {
		return false
	}
	if modPath != "" && (path == modPath || strings.HasPrefix(path, modPath+"/")) {
		return false
	}
	return gorootHas(path)
}

var gorootPkgs sync.Map // path → bool

func gorootHas(path string) bool {
	if v, ok := gorootPkgs.Load(path); ok {
		return v.(bool)
	}
	src := filepath.Join(build.Default.GOROOT, "src")
	has := true // no sources to look at: trust the dot rule
	if fi, err := os.Stat(src); build.Default.GOROOT != "" && err == nil && fi.IsDir() {
		fi, err := os.Stat(filepath.Join(src, filepath.FromSlash(path)))
		has = err == nil && fi.IsDir()
	}
	gorootPkgs.Store(path, has)
	return has
}

// An importEntry is a line (or, for a spec with a doc comment, lines) of an
// import declaration: a spec, a blank line, or another line (a comment).
type importEntry struct {
	text    []byte // with its indentation and final newline
	spec    *fileImport
	doc     bool // the spec has a doc comment (several lines)
	blank   bool
	added   bool
	removed bool
}

type importDecl struct {
	d         *ast.GenDecl
	paren     bool
	entries   []importEntry
	changed   bool
	bodyS     int // paren: the body, between the "(" line and the ")" line
	bodyE     int
	badLayout error // why the declaration cannot be edited, if it cannot
}

// editImports applies an import delta to src in its text: each import in
// removes loses its line (with its comments; a group left empty loses its
// blank line; a declaration left with one import loses its parentheses, a
// declaration left empty goes), each import in adds gets a line in its
// group (a standard-library import in the group of the file's
// standard-library imports, else in the group of the imports with the
// longest common path prefix; if there is none, a new group: first for the
// standard library, else last), sorted within the group. Every other byte
// stays.
func editImports(src []byte, adds, removes []fileImport, modPath string) ([]byte, error) {
	if len(adds) == 0 && len(removes) == 0 {
		return src, nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly|parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("imports: %v", err)
	}
	tf := fset.File(f.Pos())
	off := func(p token.Pos) int { return tf.Offset(p) }
	var decls []*importDecl
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		decls = append(decls, readImportDecl(src, off, g))
	}
	std := func(path string) bool { return isStdPath(path, modPath) }

	// Removals are marked first: an added import takes the place of the
	// group's removed ones when nothing else is left in it.
	for _, r := range removes {
		found := false
		for _, d := range decls {
			for i := range d.entries {
				e := &d.entries[i]
				if e.spec != nil && !e.removed && *e.spec == r {
					e.removed, d.changed, found = true, true, true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("imports: %s to remove not found", r.spec())
		}
	}
	adds = append([]fileImport(nil), adds...)
	sort.Slice(adds, func(i, j int) bool { return specLess(adds[i], adds[j]) })
	var fresh []fileImport // imports for a new declaration: the file has none
	for _, a := range adds {
		if len(decls) == 0 {
			fresh = append(fresh, a)
			continue
		}
		d, at := placeImport(decls, a, std)
		indent := []byte("\t")
		if d.paren {
			if n := nearestSpec(d.entries, at); n >= 0 {
				indent = leadingSpace(d.entries[n].text)
			}
		}
		a := a
		e := importEntry{text: append(append(append([]byte(nil), indent...), a.spec()...), '\n'), spec: &a, added: true}
		if at < 0 { // a new group, first
			ins := []importEntry{e}
			if len(d.entries) > 0 {
				ins = append(ins, importEntry{text: []byte("\n"), blank: true})
			}
			d.entries = append(ins, d.entries...)
		} else if at > len(d.entries) { // a new group, last
			d.entries = append(d.entries, importEntry{text: []byte("\n"), blank: true}, e)
		} else {
			d.entries = append(d.entries[:at], append([]importEntry{e}, d.entries[at:]...)...)
		}
		d.changed = true
	}

	var edits []byteEdit
	for _, d := range decls {
		if !d.changed {
			continue
		}
		if d.badLayout != nil {
			return nil, d.badLayout
		}
		d.entries = dropRemoved(d.entries)
		specs, others := 0, 0
		var only *importEntry
		for i := range d.entries {
			switch e := &d.entries[i]; {
			case e.spec != nil:
				specs++
				only = e
			case !e.blank:
				others++
			}
		}
		switch {
		case specs == 0:
			s, e, err := wholeLines(src, off(d.d.Pos()), off(d.d.End()), d.d.Doc, off)
			if err != nil {
				return nil, err
			}
			// Not two blank lines in a row where it was.
			if s >= 2 && src[s-1] == '\n' && src[s-2] == '\n' && (e == len(src) || src[e] == '\n') {
				if e < len(src) {
					e++
				} else {
					s--
				}
			}
			edits = append(edits, byteEdit{s, e, nil})
		case specs == 1 && others == 0 && !only.doc:
			// One import left: no parentheses (as astutil and dst do).
			line := bytes.TrimSpace(only.text)
			if d.paren {
				edits = append(edits, byteEdit{off(d.d.Pos()), off(d.d.End()), append([]byte("import "), line...)})
			} else {
				e, _ := lineRest(src, off(d.d.End()))
				edits = append(edits, byteEdit{off(d.d.Pos()), e, append([]byte("import "), line...)})
			}
		case d.paren:
			edits = append(edits, byteEdit{d.bodyS, d.bodyE, joinEntries(d.entries)})
		default:
			text := append([]byte("import (\n"), joinEntries(d.entries)...)
			text = append(text, ')')
			e, _ := lineRest(src, off(d.d.End()))
			edits = append(edits, byteEdit{off(d.d.Pos()), e, text})
		}
	}
	if len(fresh) > 0 {
		var text []byte
		if len(fresh) == 1 {
			text = []byte("\n\nimport " + fresh[0].spec())
		} else {
			text = []byte("\n\nimport (\n")
			for _, a := range fresh {
				text = append(text, "\t"+a.spec()+"\n"...)
			}
			text = append(text, ')')
		}
		at, ok := lineRest(src, off(f.Name.End()))
		if !ok {
			return nil, fmt.Errorf("imports: more on the line of the package clause")
		}
		edits = append(edits, byteEdit{at, at, text})
	}
	return applyEdits(src, edits, "imports")
}

func specLess(a, b fileImport) bool {
	if a.path != b.path {
		return a.path < b.path
	}
	return a.name < b.name
}

// readImportDecl splits an import declaration into entries. A declaration
// that is not laid out one spec a line cannot be edited (badLayout).
func readImportDecl(src []byte, off func(token.Pos) int, g *ast.GenDecl) *importDecl {
	d := &importDecl{d: g, paren: g.Lparen.IsValid()}
	irregular := func(why string) *importDecl {
		d.badLayout = fmt.Errorf("imports: cannot edit the import declaration at offset %d: %s", off(g.Pos()), why)
		return d
	}
	if !d.paren {
		if len(g.Specs) != 1 {
			return irregular("no parentheses")
		}
		s := g.Specs[0].(*ast.ImportSpec)
		imp := importsOfSpecs(s)
		e, ok := lineRest(src, off(s.End()))
		if !ok {
			return irregular("more on the line of the import")
		}
		text := bytes.TrimRight(src[off(s.Pos()):e], " \t\r")
		d.entries = []importEntry{{text: append(append([]byte("\t"), text...), '\n'), spec: &imp}}
		return d
	}
	l, r := off(g.Lparen), off(g.Rparen)
	bs, ok := lineRest(src, l+1)
	if !ok || bs == len(src) {
		return irregular("an import on the line of the parenthesis")
	}
	bs++
	be := r
	for be > bs && (src[be-1] == ' ' || src[be-1] == '\t') {
		be--
	}
	if be > bs && src[be-1] != '\n' {
		return irregular("the closing parenthesis is not on a line of its own")
	}
	d.bodyS, d.bodyE = bs, be
	// Specs, in order, with their regions.
	type region struct {
		s, e int
		imp  fileImport
		doc  bool
	}
	var regs []region
	for _, sp := range g.Specs {
		s := sp.(*ast.ImportSpec)
		start := off(s.Pos())
		doc := s.Doc != nil
		if doc {
			start = off(s.Doc.Pos())
		}
		ls := start
		for ls > bs && (src[ls-1] == ' ' || src[ls-1] == '\t') {
			ls--
		}
		if ls != bs && src[ls-1] != '\n' {
			return irregular("more than one import on a line")
		}
		e, ok := lineRest(src, off(s.End()))
		if !ok || e >= be {
			return irregular("more than one import on a line")
		}
		regs = append(regs, region{ls, e + 1, importsOfSpecs(s), doc})
	}
	at := bs
	line := func(s, e int) {
		for s < e {
			n := bytes.IndexByte(src[s:e], '\n')
			end := e
			if n >= 0 {
				end = s + n + 1
			}
			t := src[s:end]
			d.entries = append(d.entries, importEntry{text: t, blank: len(bytes.TrimSpace(t)) == 0})
			s = end
		}
	}
	for _, rg := range regs {
		if rg.s < at {
			return irregular("more than one import on a line")
		}
		line(at, rg.s)
		imp := rg.imp
		d.entries = append(d.entries, importEntry{text: src[rg.s:rg.e], spec: &imp, doc: rg.doc})
		at = rg.e
	}
	line(at, be)
	return d
}

func importsOfSpecs(s *ast.ImportSpec) fileImport {
	path, _ := strconv.Unquote(s.Path.Value)
	name := ""
	if s.Name != nil {
		name = s.Name.Name
	}
	return fileImport{path, name}
}

// placeImport chooses where a goes: a declaration and the index of the
// entry to insert before; -1: a new group first in the declaration;
// len(entries)+1: a new group last.
func placeImport(decls []*importDecl, a fileImport, std func(string) bool) (*importDecl, int) {
	isStd := std(a.path)
	var bestD *importDecl
	var bestGroup []int
	bestScore := -1
	for _, d := range decls {
		for _, grp := range groups(d.entries) {
			score := -1
			for _, i := range grp {
				p := d.entries[i].spec.path
				if std(p) != isStd {
					continue
				}
				s := 0
				if !isStd {
					s = commonPrefix(p, a.path)
				}
				score = max(score, s)
			}
			if score > bestScore {
				bestScore, bestD, bestGroup = score, d, grp
			}
		}
	}
	if bestD == nil {
		if isStd {
			return decls[0], -1
		}
		d := decls[len(decls)-1]
		return d, len(d.entries) + 1
	}
	// Sorted within the group, among the imports that stay.
	var kept []int
	for _, i := range bestGroup {
		if !bestD.entries[i].removed {
			kept = append(kept, i)
		}
	}
	if len(kept) == 0 {
		return bestD, bestGroup[0]
	}
	for _, i := range kept {
		if specLess(a, *bestD.entries[i].spec) {
			return bestD, i
		}
	}
	return bestD, kept[len(kept)-1] + 1
}

// groups is the spec entries of a declaration split at blank lines.
func groups(entries []importEntry) [][]int {
	var out [][]int
	var cur []int
	for i, e := range entries {
		switch {
		case e.blank:
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
		case e.spec != nil:
			cur = append(cur, i)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// nearestSpec is the spec entry next to index at (the one there, else the
// one before), or -1.
func nearestSpec(entries []importEntry, at int) int {
	if at >= 0 && at < len(entries) && entries[at].spec != nil {
		return at
	}
	if at > len(entries) {
		at = len(entries)
	}
	for i := at - 1; i >= 0; i-- {
		if entries[i].spec != nil {
			return i
		}
	}
	for i := max(at, 0); i < len(entries); i++ {
		if entries[i].spec != nil {
			return i
		}
	}
	return -1
}

func leadingSpace(line []byte) []byte {
	n := 0
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	if n == 0 {
		return []byte("\t")
	}
	return line[:n:n]
}

// dropRemoved deletes the removed entries; a group left empty takes one
// blank line with it, so that no two blank lines meet and none is left
// next to a parenthesis.
func dropRemoved(entries []importEntry) []importEntry {
	out := append([]importEntry(nil), entries...)
	for i := 0; i < len(out); {
		if !out[i].removed {
			i++
			continue
		}
		out = append(out[:i], out[i+1:]...)
		prevBlank := i == 0 || out[i-1].blank
		nextBlank := i == len(out) || out[i].blank
		switch {
		case i == 0 && i == len(out):
		case prevBlank && nextBlank && i < len(out):
			out = append(out[:i], out[i+1:]...)
		case prevBlank && nextBlank:
			out = out[:i-1]
			i--
		}
	}
	return out
}

func joinEntries(entries []importEntry) []byte {
	var b []byte
	for _, e := range entries {
		b = append(b, e.text...)
	}
	return b
}

// wholeLines extends the region [s, e) of a declaration (with its doc
// comment) to whole lines, the final newline included; an error when the
// lines hold anything else.
func wholeLines(src []byte, s, e int, doc *ast.CommentGroup, off func(token.Pos) int) (int, int, error) {
	if doc != nil {
		s = off(doc.Pos())
	}
	for s > 0 && (src[s-1] == ' ' || src[s-1] == '\t') {
		s--
	}
	e, ok := lineRest(src, e)
	if (s > 0 && src[s-1] != '\n') || !ok {
		return 0, 0, fmt.Errorf("imports: the import declaration shares its lines")
	}
	if e < len(src) {
		e++
	}
	return s, e, nil
}

// lineRest skips, from off, spaces and a // comment to the end of the line:
// the offset of the newline (or of the end of src), and whether the line
// held nothing else.
func lineRest(src []byte, off int) (int, bool) {
	i := off
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r') {
		i++
	}
	if i+1 < len(src) && src[i] == '/' && src[i+1] == '/' {
		for i < len(src) && src[i] != '\n' {
			i++
		}
	}
	return i, i == len(src) || src[i] == '\n'
}
