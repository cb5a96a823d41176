package matchers

import (
	"go/ast"
	"go/token"
	"go/types"
)

// A Program is every type-checked package of one load, for whole-program
// rules: rules whose findings follow calls across packages and whose fixes
// edit files in several packages at once (a Rule with Program set).
//
// Test variants: the go command type-checks a package again with its
// _test.go files ("p [p.test]"), and the files of p are parsed for each
// variant, so the same function has one types.Object per variant. Packages
// here are those variants as loaded; a file appears in Owned of exactly one
// of them (the one whose fixes the engine applies). To relate a function
// across variants (a caller in package q sees p's objects, while p's own
// files are owned by p [p.test]), key it by ObjectKey, not by identity.
type Program struct {
	Fset     *token.FileSet
	Packages []*ProgramPackage
	// Review is set when the run applies review-tier fixes (--tier review):
	// a whole-program rule whose fixes reach further at that tier (public
	// API) computes them for it, and marks each such fix with Fix.Review.
	Review bool
}

// ProgramPackage is one package variant of a Program.
type ProgramPackage struct {
	ID    string // the go/packages ID: "p", "p [p.test]", "p_test [p.test]"
	Pkg   *types.Package
	Info  *types.Info
	Files []*ast.File // every syntax file of the variant
	Owned []*ast.File // the files this run may report on and rewrite
}

// Pass returns a Pass for file f of package pp (for the per-file helpers:
// FreshName, CanQualify, AtLeast…).
func (pp *ProgramPackage) Pass(fset *token.FileSet, f *ast.File) *Pass {
	return &Pass{Fset: fset, Pkg: pp.Pkg, Info: pp.Info, File: f, Files: pp.Files}
}

// ObjectKey names a declared object the same way in every package variant:
// its declaring file, line and column, and its name.
func ObjectKey(fset *token.FileSet, obj types.Object) string {
	if obj == nil {
		return ""
	}
	p := fset.PositionFor(obj.Pos(), false)
	return p.String() + " " + obj.Name()
}

// An Edit is one file's part of a whole-program fix.
type Edit struct {
	File   *ast.File // the file to rewrite (one of some package's Owned files)
	Anchor ast.Node  // the node the rewrite edits first; orders a file's edits
	Data   any       // rule specific: what to do in this file
}
