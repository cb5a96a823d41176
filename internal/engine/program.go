package engine

import (
	"context"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// programRules are the selected whole-program rules.
func programRules(rs []*rules.Rule) []*rules.Rule {
	var out []*rules.Rule
	for _, r := range rs {
		if r.Program != nil {
			out = append(out, r)
		}
	}
	return out
}

// progState is one version of the loaded program: per package variant (by
// go/packages ID) its files and types. Variants not in the map are as
// loaded.
type progState struct {
	files map[string][]*ast.File
	info  map[string]*types.Info
	types map[string]*types.Package
}

// programRun carries a whole-program pass over one load.
type programRun struct {
	pkgs  []*packages.Package // the healthy root packages (every variant)
	byID  map[string]*packages.Package
	owned map[string][]*ast.File // package ID → the files it owns
	fset  *token.FileSet
	opts  *Options
	res   *unitResult
	// with maps a finding whose fix also fixes others to their positions
	// (Finding.With).
	with map[withKey][]token.Pos
	// whole: the load holds every package of its module (./... from the
	// root). Otherwise a fix may not change a package's exported API, which
	// packages outside the load may use.
	whole bool
	// dropped holds rule+"\x00"+message of every fix dropped so far.
	dropped map[string]bool
	// graph and importers: see loadGraph.
	graph     map[string]*packages.Package
	importers map[string][]string
}

// runProgram runs the whole-program rules on one load: findings, and, when
// fixing, the verified changes. It returns the files it changed so that
// per-file rules leave them to a later run.
func runProgram(ctx context.Context, pkgs []*packages.Package, units []*unit, rs []*rules.Rule, opts *Options, whole bool) (*unitResult, map[string]bool) {
	pr := &programRun{whole: whole, byID: map[string]*packages.Package{}, owned: map[string][]*ast.File{}, opts: opts, res: &unitResult{}, with: map[withKey][]token.Pos{}, dropped: map[string]bool{}}
	for _, u := range units {
		pr.owned[u.pkg.ID] = u.owned
	}
	for _, p := range pkgs {
		if len(p.Errors) > 0 || p.IllTyped || p.Types == nil || p.TypesInfo == nil || (strings.HasSuffix(p.ID, ".test") && isTestMain(p)) {
			continue
		}
		pr.pkgs = append(pr.pkgs, p)
		pr.byID[p.ID] = p
		pr.fset = p.Fset
	}
	if len(pr.pkgs) == 0 {
		return pr.res, nil
	}
	st := &progState{files: map[string][]*ast.File{}, info: map[string]*types.Info{}, types: map[string]*types.Package{}}
	found := pr.match(st, rs)
	leads := map[withKey]matchers.Finding{}
	for _, fd := range found {
		leads[withKey{fd.Rule, fd.Pos}] = fd
	}
	for _, fd := range found {
		f := resolve(pr.fset, fd, pr.fixable(fd))
		if lead, ok := leads[withKey{fd.Rule, fd.With}]; ok && fd.With.IsValid() && fd.Fix == nil && pr.fixable(lead) {
			// Fixed by another finding's fix: it is fixable when that is.
			f.Fixable, f.FixTitle = true, lead.Fix.Message
			pr.with[withKey{fd.Rule, fd.With}] = append(pr.with[withKey{fd.Rule, fd.With}], fd.Pos)
		}
		if !f.Fixable {
			f.NoFix = whyNoFix(fd, nil, opts)
		}
		pr.res.findings = append(pr.res.findings, f)
	}
	if !opts.Fix || ctx.Err() != nil {
		return pr.res, nil
	}
	var fixes []matchers.Finding
	for _, fd := range found {
		if pr.fixable(fd) {
			fixes = append(fixes, fd)
		}
	}
	if len(fixes) == 0 {
		return pr.res, nil
	}
	var (
		orig    map[string][]byte
		changed map[string][]byte
		nst     *progState
		applied []matchers.Finding
	)
	// Fixpoint: the rules run again over the fixed program must find
	// nothing more to fix. A finding left over is blamed on the fixes that
	// edited its file (or the files its own fix would edit); they are
	// dropped and the others applied again without them, so that one fix
	// without a fixpoint does not take unrelated ones down with it.
	for round := 0; ; round++ {
		orig = map[string][]byte{}
		changed, nst, applied = pr.applyAll(st, fixes, orig)
		if len(applied) == 0 {
			return pr.res, nil
		}
		// Findings that neither sit in nor would edit a changed file, and
		// those of fixes already dropped, are not left over by these fixes.
		var left []matchers.Finding
		for _, fd := range pr.match(nst, rs) {
			if pr.fixable(fd) && pr.touches(fd, changed) && !pr.dropped[fd.Rule+"\x00"+fd.Message] {
				left = append(left, fd)
			}
		}
		if len(left) == 0 {
			break
		}
		blamed, keep := pr.blame(applied, left)
		if len(blamed) == 0 || len(keep) == 0 || round == 3 {
			blamed, keep = applied, nil
		}
		for _, a := range blamed {
			pr.drop(a, fmt.Sprintf("no fixpoint: a second run still finds %q", left[0].Message))
		}
		if len(keep) == 0 {
			return pr.res, nil
		}
		fixes = keep
	}
	perFile := map[string]map[string]int{}
	for _, fd := range applied {
		// A fix counts once in each file it edits, however many edits.
		seen := map[string]bool{}
		for _, e := range fd.Fix.Edits {
			name := pr.fset.File(e.File.Pos()).Name()
			if seen[name] {
				continue
			}
			seen[name] = true
			if perFile[name] == nil {
				perFile[name] = map[string]int{}
			}
			perFile[name][fd.Rule]++
		}
	}
	for _, fd := range applied {
		pr.mark(fd, func(f *Finding) { f.Fixed = true })
	}
	out := map[string]bool{}
	for _, name := range sortedKeys(changed) {
		out[name] = true
		pr.res.changes = append(pr.res.changes, Change{File: name, Old: orig[name], New: changed[name], Fixes: perFile[name]})
	}
	return pr.res, out
}

// match runs the whole-program rules over a program state.
func (pr *programRun) match(st *progState, rs []*rules.Rule) []matchers.Finding {
	prog := &matchers.Program{Fset: pr.fset, Review: pr.opts.Tier == rules.Review}
	for _, p := range pr.pkgs {
		pp := &matchers.ProgramPackage{ID: p.ID, Pkg: p.Types, Info: p.TypesInfo, Files: p.Syntax, Owned: pr.owned[p.ID]}
		if fs, ok := st.files[p.ID]; ok {
			pp.Files, pp.Info, pp.Pkg = fs, st.info[p.ID], st.types[p.ID]
			pp.Owned = ownedIn(pr.fset, fs, pr.owned[p.ID])
		}
		prog.Packages = append(prog.Packages, pp)
	}
	var out []matchers.Finding
	for _, r := range rs {
		func() {
			defer func() {
				if e := recover(); e != nil {
					pr.res.problems = append(pr.res.problems, Problem{Message: fmt.Sprintf("%s: rule panicked: %v", r.Name, e)})
				}
			}()
			for _, fd := range r.Program(prog) {
				fd.Rule = r.Name
				out = append(out, fd)
			}
		}()
	}
	return out
}

// ownedIn maps the owned files of a variant onto a new version of its
// files, by file name.
func ownedIn(fset *token.FileSet, files, owned []*ast.File) []*ast.File {
	names := map[string]bool{}
	for _, f := range owned {
		names[fset.File(f.Pos()).Name()] = true
	}
	var out []*ast.File
	for _, f := range files {
		if names[fset.File(f.Pos()).Name()] {
			out = append(out, f)
		}
	}
	return out
}

func (pr *programRun) fixable(fd matchers.Finding) bool {
	if fd.Fix == nil || len(fd.Fix.Edits) == 0 {
		return false
	}
	r := rules.ByName(fd.Rule)
	return r != nil && r.HasFix() && r.FixAllowed(pr.opts.Tier) &&
		(fd.Fix.Review == "" || pr.opts.Tier == rules.Review)
}

func (pr *programRun) drop(fd matchers.Finding, reason string) {
	reason = firstLine(reason)
	pr.dropped[fd.Rule+"\x00"+fd.Message] = true
	pos := position(pr.fset, fd.Pos)
	pr.res.problems = append(pr.res.problems, Problem{Kind: Dropped, File: pos.Filename, Line: pos.Line,
		Message: fmt.Sprintf("%s: fix dropped: %s", fd.Rule, reason)})
	pr.mark(fd, func(f *Finding) { f.Dropped = reason })
}

// touches reports whether a finding sits in, or its fix edits, a file in
// changed.
func (pr *programRun) touches(fd matchers.Finding, changed map[string][]byte) bool {
	if _, ok := changed[pr.fset.File(fd.Pos).Name()]; ok {
		return true
	}
	if fd.Fix != nil {
		for _, e := range fd.Fix.Edits {
			if _, ok := changed[pr.fset.File(e.File.Pos()).Name()]; ok {
				return true
			}
		}
	}
	return false
}

// blame splits applied fixes into those that edited a file holding a
// finding left over after them (or a file that finding's own fix would
// edit) and the others.
func (pr *programRun) blame(applied, left []matchers.Finding) (blamed, keep []matchers.Finding) {
	files := map[string]bool{}
	for _, fd := range left {
		files[pr.fset.File(fd.Pos).Name()] = true
		if fd.Fix != nil {
			for _, e := range fd.Fix.Edits {
				files[pr.fset.File(e.File.Pos()).Name()] = true
			}
		}
	}
	for _, fd := range applied {
		hit := false
		for _, e := range fd.Fix.Edits {
			if files[pr.fset.File(e.File.Pos()).Name()] {
				hit = true
				break
			}
		}
		if hit {
			blamed = append(blamed, fd)
		} else {
			keep = append(keep, fd)
		}
	}
	return blamed, keep
}

// A withKey names a finding by rule and position, for Finding.With.
type withKey struct {
	rule string
	pos  token.Pos
}

// mark applies set to the finding of fd and to the findings fixed with it.
func (pr *programRun) mark(fd matchers.Finding, set func(*Finding)) {
	positions := append([]token.Pos{fd.Pos}, pr.with[withKey{fd.Rule, fd.Pos}]...)
	for _, p := range positions {
		pos := position(pr.fset, p)
		for i, f := range pr.res.findings {
			if f.Rule == fd.Rule && f.File == pos.Filename && f.Line == pos.Line && f.Col == pos.Column {
				set(&pr.res.findings[i])
			}
		}
	}
}

// applyAll applies the fixes together; when the result does not verify,
// it keeps the fixes that verify alone and tries them together once more.
func (pr *programRun) applyAll(st *progState, fixes []matchers.Finding, orig map[string][]byte) (map[string][]byte, *progState, []matchers.Finding) {
	try := func(fs []matchers.Finding) (map[string][]byte, *progState, error) {
		changed, err := pr.rewrite(fs, orig)
		if err != nil {
			return nil, nil, err
		}
		nst, err := pr.verify(changed)
		if err == nil && !pr.whole {
			err = pr.apiUnchanged(nst)
		}
		return changed, nst, err
	}
	changed, nst, err := try(fixes)
	if err == nil {
		return changed, nst, fixes
	}
	if len(fixes) == 1 {
		pr.drop(fixes[0], err.Error())
		return nil, nil, nil
	}
	var ok []matchers.Finding
	for _, fd := range fixes {
		if _, _, err := try([]matchers.Finding{fd}); err != nil {
			pr.drop(fd, err.Error())
			continue
		}
		ok = append(ok, fd)
	}
	if len(ok) == 0 {
		return nil, nil, nil
	}
	changed, nst, err = try(ok)
	if err != nil {
		for _, fd := range ok {
			pr.drop(fd, "fixes do not type-check together: "+err.Error())
		}
		return nil, nil, nil
	}
	return changed, nst, ok
}

// rewrite applies the edits of fixes, file by file, and returns the new
// contents.
func (pr *programRun) rewrite(fixes []matchers.Finding, orig map[string][]byte) (map[string][]byte, error) {
	type job struct {
		fd matchers.Finding
		e  matchers.Edit
	}
	byFile := map[*ast.File][]job{}
	for _, fd := range fixes {
		for _, e := range fd.Fix.Edits {
			byFile[e.File] = append(byFile[e.File], job{fd, e})
		}
	}
	owner := map[*ast.File]*packages.Package{}
	for id, fs := range pr.owned {
		for _, f := range fs {
			owner[f] = pr.byID[id]
		}
	}
	changed := map[string][]byte{}
	for f, jobs := range byFile {
		p := owner[f]
		if p == nil {
			return nil, fmt.Errorf("%s: an edit targets a file this run does not own", pr.fset.File(f.Pos()).Name())
		}
		name := pr.fset.File(f.Pos()).Name()
		if orig[name] == nil {
			content, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("%s: unreadable: %v", name, err)
			}
			if pr.fset.File(f.Pos()).Size() != len(content) {
				return nil, fmt.Errorf("%s: changed on disk while loading", name)
			}
			orig[name] = content
		}
		sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].e.Anchor.Pos() > jobs[j].e.Anchor.Pos() })
		dec := newDecorator(pr.fset, p.PkgPath, p.TypesInfo, f)
		df, err := dec.DecorateFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: decorate: %v", name, err)
		}
		pass := &matchers.Pass{Fset: pr.fset, Pkg: p.Types, Info: p.TypesInfo, File: f, Files: p.Syntax}
		var anchors []int
		tf := pr.fset.File(f.Pos())
		for _, j := range jobs {
			e := j.e
			rf := &rewrites.File{Pass: pass, Dec: dec, Dst: df, Edit: &e}
			if err := applyOne(rf, j.fd); err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			anchors = append(anchors, tf.Offset(e.Anchor.Pos()))
		}
		spliced, err := restoreSpliced(p.PkgPath, modulePath(p), p.Types, df, orig[name], anchors)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		changed[name] = spliced
	}
	return changed, nil
}

// verify type-checks every package variant that holds a changed file, and
// every loaded variant that depends on one, in dependency order, each
// against the new types of what it imports.
func (pr *programRun) verify(changed map[string][]byte) (*progState, error) {
	graph, importers := pr.loadGraph()
	affected := map[string]bool{}
	var queue []string
	for _, p := range graph {
		for _, f := range p.CompiledGoFiles {
			if _, ok := changed[f]; ok && !affected[p.ID] {
				affected[p.ID] = true
				queue = append(queue, p.ID)
			}
		}
	}
	// Everything that imports an affected variant, transitively.
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, imp := range importers[id] {
			if !affected[imp] {
				affected[imp] = true
				queue = append(queue, imp)
			}
		}
	}
	st := &progState{files: map[string][]*ast.File{}, info: map[string]*types.Info{}, types: map[string]*types.Package{}}
	done := map[string]bool{}
	var check func(p *packages.Package, stack map[string]bool) error
	check = func(p *packages.Package, stack map[string]bool) error {
		if done[p.ID] || !affected[p.ID] {
			return nil
		}
		if stack[p.ID] {
			return fmt.Errorf("%s: import cycle", p.ID)
		}
		stack[p.ID] = true
		for _, ip := range p.Imports {
			if dep, ok := graph[ip.ID]; ok {
				if err := check(dep, stack); err != nil {
					return err
				}
			}
		}
		delete(stack, p.ID)
		files, err := pr.sources(p, changed)
		if err != nil {
			return err
		}
		base := importerFor(p)
		imp := importerFunc(func(path string) (*types.Package, error) {
			if ip, ok := p.Imports[path]; ok {
				if t, ok := st.types[ip.ID]; ok {
					return t, nil
				}
			}
			return base.Import(path)
		})
		info := newInfo()
		conf := &types.Config{Importer: imp, Sizes: p.TypesSizes, GoVersion: goVersion(p)}
		if conf.Sizes == nil {
			conf.Sizes = pr.pkgs[0].TypesSizes
		}
		var first error
		conf.Error = func(err error) {
			if first == nil {
				first = err
			}
		}
		tpkg, _ := conf.Check(p.PkgPath, pr.fset, files, info)
		if first != nil {
			return fmt.Errorf("result does not type-check: %v", first)
		}
		st.files[p.ID], st.info[p.ID], st.types[p.ID] = files, info, tpkg
		done[p.ID] = true
		return nil
	}
	ids := make([]string, 0, len(affected))
	for id := range affected {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := check(graph[id], map[string]bool{}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// apiUnchanged returns an error naming the exported declarations whose
// types a fix changed, in any importable package (not main) this run
// re-checked: packages outside a partial load may use them.
func (pr *programRun) apiUnchanged(nst *progState) error {
	for _, id := range sortedKeys(nst.types) {
		p, ok := pr.byID[id]
		if !ok || p.ID != p.PkgPath || p.Name == "main" || p.Types == nil {
			continue
		}
		if names := apiDiff(p.Types, nst.types[id]); len(names) > 0 {
			return fmt.Errorf("changes exported %s of package %s, which packages outside this run may use: run over the whole module (./... at its root)",
				strings.Join(names, ", "), p.PkgPath)
		}
	}
	return nil
}

// apiDiff lists the exported names of package old whose type differs in
// new (functions, variables, constants, types and their exported methods),
// or that new lacks.
func apiDiff(old, new *types.Package) []string {
	sig := func(pkg *types.Package) map[string]string {
		m := map[string]string{}
		q := func(p *types.Package) string { return p.Path() }
		for _, name := range pkg.Scope().Names() {
			obj := pkg.Scope().Lookup(name)
			if obj.Exported() {
				m[name] = types.TypeString(obj.Type(), q)
				if _, ok := obj.(*types.TypeName); ok {
					m[name] += " = " + types.TypeString(obj.Type().Underlying(), q)
				}
			}
			if tn, ok := obj.(*types.TypeName); ok {
				if n, ok := tn.Type().(*types.Named); ok {
					for i := 0; i < n.NumMethods(); i++ {
						if f := n.Method(i); f.Exported() {
							m[name+"."+f.Name()] = types.TypeString(f.Type(), q)
						}
					}
				}
			}
		}
		return m
	}
	before, after := sig(old), sig(new)
	var out []string
	for name, s := range before {
		if after[name] != s {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// loadGraph returns every variant in the load graph by ID, and who imports
// each, computed once per run. Not only the roots: a variant that the go
// command built only as a dependency ("u [s.test]", which a test of s
// needs; or, in a run over some packages only, a package between them)
// holds types of the changed packages too. Left with its original types it
// would meet the re-checked ones as a second, different type, and a fix
// that changes its callees must be checked against it. A variant that did
// not load cleanly (a broken package of the module) cannot be checked
// again; it is left out, as the run leaves it alone.
func (pr *programRun) loadGraph() (map[string]*packages.Package, map[string][]string) {
	if pr.graph == nil {
		pr.graph, pr.importers = map[string]*packages.Package{}, map[string][]string{}
		packages.Visit(pr.pkgs, nil, func(p *packages.Package) {
			if len(p.Errors) == 0 && !p.IllTyped {
				pr.graph[p.ID] = p
			}
		})
		for _, p := range pr.graph {
			for _, ip := range p.Imports {
				pr.importers[ip.ID] = append(pr.importers[ip.ID], p.ID)
			}
		}
	}
	return pr.graph, pr.importers
}

// sources returns the syntax of a variant to type-check again, with the
// changed contents: a root's own syntax, or, for a variant the load built
// only as a dependency, its files parsed from disk (those of the root
// variant of the same package when the load does not list them).
func (pr *programRun) sources(p *packages.Package, changed map[string][]byte) ([]*ast.File, error) {
	if root, ok := pr.byID[p.ID]; ok {
		return withChanged(pr.fset, root.Syntax, changed)
	}
	names := p.CompiledGoFiles
	if len(names) == 0 {
		if root, ok := pr.byID[p.PkgPath]; ok {
			names = root.CompiledGoFiles
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("cannot verify: %s depends on a changed package and its sources are not loaded; run over the packages that import it too", p.ID)
	}
	files := make([]*ast.File, 0, len(names))
	for _, name := range names {
		content, ok := changed[name]
		if !ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("cannot verify %s: %v", p.ID, err)
			}
			content = b
		}
		nf, err := parseChanged(pr.fset, name, content)
		if err != nil {
			return nil, err
		}
		files = append(files, nf)
	}
	return files, nil
}
