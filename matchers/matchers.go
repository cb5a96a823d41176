// Package matchers finds concurrency anti-patterns on the typed go/ast.
//
// A matcher never imports dst and never edits code: it reads one file of a
// type-checked package (a Pass) and returns Findings. A Finding that can be
// fixed carries a Fix: the ast anchors and the data its rewrite needs. The
// rewrite itself lives in package rewrites.
package matchers

import (
	"go/ast"
	"go/token"
	"go/types"
	"go/version"

	"golang.org/x/tools/go/ast/inspector"
)

// A Pass is one file of a type-checked package, handed to a matcher.
type Pass struct {
	Fset *token.FileSet
	Pkg  *types.Package
	Info *types.Info
	File *ast.File
	// Files are all syntax files of the package (File is one of them).
	Files []*ast.File
	// Inspector indexes File once for every rule (use its Root cursor or
	// Preorder instead of walking the file again).
	Inspector *inspector.Inspector
	// Limits are the run's bounds for rules that bound concurrency
	// (--limit, --io-limit); the zero value means their defaults.
	Limits Limits
}

// GoVersion returns the file's Go version ("go1.22"), or "" when unknown.
func (p *Pass) GoVersion() string {
	if p.Info != nil && p.Info.FileVersions != nil {
		if v, ok := p.Info.FileVersions[p.File]; ok {
			return v
		}
	}
	return ""
}

// AtLeast reports whether the file's Go version is known and at least v
// (for example "go1.25"). Unknown counts as older: the conservative answer.
func (p *Pass) AtLeast(v string) bool {
	fv := p.GoVersion()
	return fv != "" && version.Compare(fv, v) >= 0
}

// Imports reports whether the package imports path directly.
func (p *Pass) Imports(path string) bool {
	if p.Pkg == nil {
		return false
	}
	for _, imp := range p.Pkg.Imports() {
		if imp.Path() == path {
			return true
		}
	}
	return false
}

// A Finding is one match: an anti-pattern at a position, with a fix or not.
type Finding struct {
	Rule    string    // the rule's name, filled in by the engine
	Pos     token.Pos // start of the reported range
	End     token.Pos // end of the reported range
	Message string    // lowercase fragment, no trailing period
	Fix     *Fix      // nil: detect only
	// NoFix says, when Fix is nil, why this finding gets no fix (the
	// edge case that makes a rewrite unsafe); shown to the user.
	NoFix string
	// With (whole-program rules only) is the Pos of another finding of the
	// same rule whose fix also fixes this one: a chain of edits that
	// serves several calls. Such a finding has no Fix of its own; the
	// engine reports it fixed when that fix lands, and dropped with it.
	With token.Pos
}

// A Fix describes an edit for the rule's rewrite to carry out.
type Fix struct {
	// Message is a verb phrase ("insert defer cancel() after the call").
	Message string
	// Anchor is the statement (or other node) the rewrite edits; the engine
	// applies a file's fixes in reverse order of their anchors.
	Anchor ast.Node
	// Lists are the statement lists (*ast.BlockStmt, *ast.CaseClause,
	// *ast.CommClause) whose statements the rewrite inserts, moves or
	// deletes. Two fixes that share a list are applied in successive rounds.
	Lists []ast.Node
	// Nodes are further ast nodes the rewrite needs, rule specific.
	Nodes []ast.Node
	// Data is further rule-specific data (names, numbers); never ast nodes.
	Data any
	// Edits are set only by whole-program rules: the fix's part in each
	// file it changes, possibly in several packages. The engine applies a
	// whole-program fix entirely or not at all.
	Edits []Edit
	// Review, when set, puts this one fix in the review tier although its
	// rule is safe: it names the edge case in which the fix changes
	// behaviour ("net.Dial's context form also bounds the dial by the
	// caller's deadline"). The engine applies it only at --tier review and
	// otherwise reports the finding without a fix, quoting this text.
	Review string
}
