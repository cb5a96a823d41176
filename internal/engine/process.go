package engine

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"sort"
	"strings"

	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/packages"

	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// maxRounds bounds the fixpoint loop: fixes that share a statement list are
// applied in successive rounds, and each round re-runs the matchers on its
// result.
const maxRounds = 8

type unitResult struct {
	findings []Finding
	changes  []Change
	problems []Problem
	files    int
}

// pkgState is a version of the package: its files (the original ones, or
// re-parsed after a round of fixes) and their type information.
type pkgState struct {
	files []*ast.File
	info  *types.Info
	types *types.Package
}

// fileState follows one owned file through the rounds.
type fileState struct {
	name    string
	orig    []byte // content on disk, read once
	cur     []byte // content after the accepted rounds (== orig until changed)
	changed bool
	fixes   map[string]int
	dropped map[string]string // fix key → reason; never retried
}

// process runs the pipeline on one unit.
//
// Files in exclude were changed by whole-program fixes in this run: their
// findings are reported, and their fixes wait for the next run.
func (u *unit) process(ctx context.Context, opts *Options, exclude map[string]bool) *unitResult {
	res := &unitResult{files: len(u.owned)}
	p := u.pkg
	st := &pkgState{files: p.Syntax, info: p.TypesInfo, types: p.Types}

	// Round 0: the findings on the code as it is. These are what check reports.
	var initial []matchers.Finding
	passes := map[*ast.File]*matchers.Pass{}
	for _, f := range u.owned {
		pass := newPass(p.Fset, st, f)
		pass.Limits = opts.Limits
		passes[f] = pass
		initial = append(initial, match(pass, opts.Rules, &res.problems)...)
	}
	findings := make([]Finding, len(initial))
	for i, fd := range initial {
		pass := fileOf(passes, fd.Pos)
		findings[i] = resolve(p.Fset, fd, fixable(fd, pass, opts))
		if !findings[i].Fixable {
			findings[i].NoFix = whyNoFix(fd, pass, opts)
		}
	}
	if !opts.Fix || ctx.Err() != nil {
		res.findings = findings
		return res
	}

	// Files with something to fix are read from disk, once.
	files := map[string]*fileState{}
	byName := map[string]*ast.File{}
	for _, f := range u.owned {
		byName[p.Fset.File(f.Pos()).Name()] = f
	}
	todo := map[string][]matchers.Finding{}
	for i, fd := range initial {
		if !findings[i].Fixable {
			continue
		}
		name := findings[i].File
		if exclude[name] {
			res.problems = append(res.problems, Problem{Kind: Deferred, File: name, Line: findings[i].Line,
				Message: fmt.Sprintf("%s: fix deferred: the file was changed by a whole-program fix in this run; run gofixconc again", fd.Rule)})
			continue
		}
		if files[name] == nil {
			content, err := os.ReadFile(name)
			if err != nil {
				res.problems = append(res.problems, Problem{File: name, Message: fmt.Sprintf("unreadable: %v", err)})
				files[name] = &fileState{name: name, dropped: map[string]string{}}
				continue
			}
			if tf := p.Fset.File(byName[name].Pos()); tf.Size() != len(content) {
				res.problems = append(res.problems, Problem{File: name, Message: "changed on disk while loading; not fixed"})
				files[name] = &fileState{name: name, dropped: map[string]string{}}
				continue
			}
			files[name] = &fileState{name: name, orig: content, cur: content, fixes: map[string]int{}, dropped: map[string]string{}}
		}
		if files[name].orig == nil {
			continue
		}
		todo[name] = append(todo[name], fd)
	}
	// Which initial findings got fixed: tracked by key, since positions move.
	fixedKeys := map[string]int{}
	for round := 1; round <= maxRounds && len(todo) > 0 && ctx.Err() == nil; round++ {
		next := u.round(st, files, todo, opts, fixedKeys, res)
		if next == nil {
			break
		}
		st, todo = next.st, next.todo
	}
	// What is still fixable after the last round has no fixpoint: its file
	// stays as it was.
	for name, left := range todo {
		fs := files[name]
		if !fs.changed {
			continue
		}
		fs.changed = false
		for _, fd := range left {
			res.problems = append(res.problems, Problem{Kind: Dropped, File: name, Line: position(p.Fset, fd.Pos).Line,
				Message: fmt.Sprintf("%s: fix dropped: no fixpoint after %d rounds; file left as it was", fd.Rule, maxRounds)})
		}
		fs.fixes = map[string]int{}
	}
	for i, fd := range initial {
		if !findings[i].Fixable {
			continue
		}
		fs := files[findings[i].File]
		if fs == nil {
			continue // deferred: not attempted in this run
		}
		key := fixKey(p.Fset, fs, fd, true)
		if r, ok := fs.dropped[key]; ok {
			findings[i].Dropped = r
		} else if fs.changed && fixedKeys[key] > 0 {
			fixedKeys[key]--
			findings[i].Fixed = true
		}
	}
	res.findings = findings
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fs := files[n]
		if fs.changed && !bytes.Equal(fs.orig, fs.cur) {
			res.changes = append(res.changes, Change{File: n, Old: fs.orig, New: fs.cur, Fixes: fs.fixes})
		}
	}
	return res
}

type roundOut struct {
	st   *pkgState
	todo map[string][]matchers.Finding
}

// round applies one round of fixes: per file, the fixes whose statement
// lists do not overlap; verifies the package; keeps what verifies; and
// re-matches the changed files for the next round.
func (u *unit) round(st *pkgState, files map[string]*fileState, todo map[string][]matchers.Finding,
	opts *Options, fixedKeys map[string]int, res *unitResult) *roundOut {
	p := u.pkg
	astOf := map[string]*ast.File{}
	for _, f := range st.files {
		astOf[p.Fset.File(f.Pos()).Name()] = f
	}
	type attempt struct {
		name    string
		fixes   []matchers.Finding
		content []byte
	}
	var attempts []*attempt
	names := sortedKeys(todo)
	for _, name := range names {
		fs := files[name]
		var pick []matchers.Finding
		used := map[ast.Node]bool{}
		for _, fd := range todo[name] {
			if _, gone := fs.dropped[fixKey(p.Fset, fs, fd, false)]; gone {
				continue
			}
			clash := false
			for _, l := range fd.Fix.Lists {
				if used[l] {
					clash = true
				}
			}
			if clash {
				continue // next round
			}
			for _, l := range fd.Fix.Lists {
				used[l] = true
			}
			pick = append(pick, fd)
		}
		if len(pick) == 0 {
			continue
		}
		content, applied := u.rewriteFile(st, astOf[name], fs, pick, res)
		if len(applied) > 0 {
			attempts = append(attempts, &attempt{name: name, fixes: applied, content: content})
		}
	}
	// pending are the fixes still to go when nothing of this round stands:
	// those a clash deferred (the attempted ones are dropped by now).
	pending := func() *roundOut {
		next := map[string][]matchers.Finding{}
		for name, fds := range todo {
			for _, fd := range fds {
				if _, gone := files[name].dropped[fixKey(p.Fset, files[name], fd, false)]; !gone {
					next[name] = append(next[name], fd)
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		return &roundOut{st: st, todo: next}
	}
	if len(attempts) == 0 {
		return pending()
	}
	// Verify all files of the round together; when that fails, find the
	// fixes that break it one by one and drop them.
	changed := map[string][]byte{}
	for _, a := range attempts {
		changed[a.name] = a.content
	}
	nst, err := u.verify(st, changed)
	if err != nil {
		changed = map[string][]byte{}
		for _, a := range attempts {
			var ok []matchers.Finding
			for _, fd := range a.fixes {
				content, applied := u.rewriteFile(st, astOf[a.name], files[a.name], []matchers.Finding{fd}, res)
				if len(applied) == 0 {
					continue
				}
				trial := map[string][]byte{a.name: content}
				if _, err := u.verify(st, trial); err != nil {
					u.drop(files[a.name], fd, err.Error(), res)
					continue
				}
				ok = append(ok, fd)
			}
			if len(ok) == 0 {
				continue
			}
			content, applied := u.rewriteFile(st, astOf[a.name], files[a.name], ok, res)
			if len(applied) > 0 {
				changed[a.name] = content
				a.fixes = applied
			} else {
				a.fixes = nil
			}
		}
		if len(changed) == 0 {
			return pending()
		}
		if nst, err = u.verify(st, changed); err != nil {
			for _, a := range attempts {
				for _, fd := range a.fixes {
					u.drop(files[a.name], fd, "fixes of one round do not type-check together: "+err.Error(), res)
				}
			}
			return pending()
		}
	}
	for _, a := range attempts {
		if _, ok := changed[a.name]; !ok {
			continue
		}
		fs := files[a.name]
		for _, fd := range a.fixes {
			fs.fixes[fd.Rule]++
			fixedKeys[fixKey(p.Fset, fs, fd, false)]++
		}
		fs.cur = changed[a.name]
		fs.changed = true
	}
	// Re-match the changed files: what is fixable now goes to the next round.
	applied := map[string]bool{}
	for _, a := range attempts {
		for _, fd := range a.fixes {
			applied[fd.Rule] = true
		}
	}
	var rs []*rules.Rule
	for _, r := range opts.Rules {
		if applied[r.Name] {
			rs = append(rs, r)
		}
	}
	next := map[string][]matchers.Finding{}
	for _, f := range nst.files {
		name := p.Fset.File(f.Pos()).Name()
		fs, ok := files[name]
		if _, c := changed[name]; !ok || !c {
			// unchanged files keep their pending fixes (deferred by a clash)
			if ok && fs.orig != nil {
				for _, fd := range todo[name] {
					if remapped := remap(f, fd); remapped != nil {
						next[name] = append(next[name], *remapped)
					}
				}
			}
			continue
		}
		pass := newPass(p.Fset, nst, f)
		pass.Limits = opts.Limits
		for _, fd := range match(pass, rs, &res.problems) {
			if fixable(fd, pass, opts) {
				if _, gone := fs.dropped[fixKey(p.Fset, fs, fd, false)]; !gone {
					next[name] = append(next[name], fd)
				}
			}
		}
	}
	return &roundOut{st: nst, todo: next}
}

// remap keeps a pending finding of a file that did not change this round;
// its ast is the same, so the finding stands as it is.
func remap(f *ast.File, fd matchers.Finding) *matchers.Finding {
	if fd.Pos >= f.FileStart && fd.Pos <= f.FileEnd {
		return &fd
	}
	return nil
}

func (u *unit) drop(fs *fileState, fd matchers.Finding, reason string, res *unitResult) {
	key := fixKey(u.pkg.Fset, fs, fd, false)
	if _, ok := fs.dropped[key]; ok {
		return
	}
	reason = firstLine(reason)
	fs.dropped[key] = reason
	res.problems = append(res.problems, Problem{Kind: Dropped, File: fs.name, Line: position(u.pkg.Fset, fd.Pos).Line,
		Message: fmt.Sprintf("%s: fix dropped: %s", fd.Rule, reason)})
}

// fixKey names a fix across rounds (positions shift as fixes land): the
// rule and the source text of the fix's anchor.
func fixKey(fset *token.FileSet, fs *fileState, fd matchers.Finding, initial bool) string {
	anchor := fd.Fix.Anchor
	if anchor == nil {
		return fd.Rule + "\x00" + fd.Message
	}
	src := fs.cur
	if initial {
		src = fs.orig
	}
	tf := fset.File(anchor.Pos())
	if tf == nil || src == nil {
		return fd.Rule + "\x00" + fd.Message
	}
	s, e := tf.Offset(anchor.Pos()), tf.Offset(anchor.End())
	if s < 0 || e > len(src) || s > e {
		return fd.Rule + "\x00" + fd.Message
	}
	return fd.Rule + "\x00" + string(src[s:e])
}

// verify parses the changed contents, checks they are gofmt-stable, and
// type-checks the package with them.
func (u *unit) verify(st *pkgState, changed map[string][]byte) (*pkgState, error) {
	p := u.pkg
	files, err := withChanged(p.Fset, st.files, changed)
	if err != nil {
		return nil, err
	}
	info := newInfo()
	conf := &types.Config{
		Importer:  importerFor(p),
		Sizes:     p.TypesSizes,
		GoVersion: goVersion(p),
	}
	var first error
	conf.Error = func(err error) {
		if first == nil {
			first = err
		}
	}
	tpkg, _ := conf.Check(p.PkgPath, p.Fset, files, info)
	if first != nil {
		return nil, fmt.Errorf("result does not type-check: %v", first)
	}
	return &pkgState{files: files, info: info, types: tpkg}, nil
}

// withChanged returns files with each changed one parsed again from its new
// content.
func withChanged(fset *token.FileSet, files []*ast.File, changed map[string][]byte) ([]*ast.File, error) {
	out := make([]*ast.File, len(files))
	for i, f := range files {
		out[i] = f
		name := fset.File(f.Pos()).Name()
		if content, ok := changed[name]; ok {
			nf, err := parseChanged(fset, name, content)
			if err != nil {
				return nil, err
			}
			out[i] = nf
		}
	}
	return out, nil
}

func parseChanged(fset *token.FileSet, name string, content []byte) (*ast.File, error) {
	nf, err := parser.ParseFile(fset, name, content, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("result does not parse: %v", err)
	}
	return nf, nil
}

func newInfo() *types.Info {
	return &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Instances:    map[*ast.Ident]types.Instance{},
		Scopes:       map[ast.Node]*types.Scope{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		FileVersions: map[*ast.File]string{},
	}
}

func newPass(fset *token.FileSet, st *pkgState, f *ast.File) *matchers.Pass {
	return &matchers.Pass{
		Fset:      fset,
		Pkg:       st.types,
		Info:      st.info,
		File:      f,
		Files:     st.files,
		Inspector: inspector.New([]*ast.File{f}),
	}
}

// fixable reports whether a finding's fix will be attempted in this run.
func fixable(fd matchers.Finding, pass *matchers.Pass, opts *Options) bool {
	if fd.Fix == nil {
		return false
	}
	r := rules.ByName(fd.Rule)
	if r == nil || !r.HasFix() || !r.FixAllowed(opts.Tier) {
		return false
	}
	if fd.Fix.Review != "" && opts.Tier != rules.Review {
		return false
	}
	if r.MinGo != "" && pass != nil && !pass.AtLeast(r.MinGo) {
		return false
	}
	return true
}

func fileOf(passes map[*ast.File]*matchers.Pass, pos token.Pos) *matchers.Pass {
	for f, p := range passes {
		if pos >= f.FileStart && pos <= f.FileEnd {
			return p
		}
	}
	return nil
}

// whyNoFix says why a finding's fix is not attempted in this run, or "".
func whyNoFix(fd matchers.Finding, pass *matchers.Pass, opts *Options) string {
	r := rules.ByName(fd.Rule)
	switch {
	case fd.Fix == nil && fd.NoFix != "":
		return fd.NoFix
	case fd.Fix == nil || r == nil || !r.HasFix():
		return "the rule reports this shape without a fix"
	case !r.FixAllowed(opts.Tier):
		return "review-tier fix: apply it with --tier review after reading `gofixconc explain " + r.Name + "`"
	case fd.Fix.Review != "" && opts.Tier != rules.Review:
		return "review-tier fix (" + fd.Fix.Review + "): apply it with --tier review"
	case r.MinGo != "" && pass != nil && !pass.AtLeast(r.MinGo):
		return "the fix needs " + r.MinGo + "; the file's Go version is " + orUnknown(pass.GoVersion())
	}
	return ""
}

func orUnknown(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

func resolve(fset *token.FileSet, fd matchers.Finding, fixable bool) Finding {
	start := position(fset, fd.Pos)
	end := start
	if fd.End.IsValid() {
		end = position(fset, fd.End)
	}
	out := Finding{
		Rule: fd.Rule, File: start.Filename, Line: start.Line, Col: start.Column,
		EndLine: end.Line, EndCol: end.Column, Message: fd.Message, Fixable: fixable,
	}
	if fd.Fix != nil {
		out.FixTitle = fd.Fix.Message
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// gofmtStable reports whether src is what gofmt would print.
func gofmtStable(src []byte) bool {
	out, err := format.Source(src)
	return err == nil && bytes.Equal(out, src)
}

func goVersion(p *packages.Package) string {
	if p.Module != nil && p.Module.GoVersion != "" {
		v := p.Module.GoVersion
		if !strings.HasPrefix(v, "go") {
			v = "go" + v
		}
		return v
	}
	if inGOROOT(p) {
		return gorootVersion() // see stdVersions
	}
	return ""
}
