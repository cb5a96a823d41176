package matchers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"testing"

	"golang.org/x/tools/go/ast/inspector"

	"github.com/gofixconc/gofixconc/matchers"
)

// checkSource parses and type-checks one file as package example.com/a at
// goVersion and returns the Pass a matcher gets: the shared set-up of the
// matcher table tests.
func checkSource(t *testing.T, fset *token.FileSet, imp types.Importer, name, goVersion, src string) *matchers.Pass {
	t.Helper()
	file, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		Scopes:       map[ast.Node]*types.Scope{},
		Instances:    map[*ast.Ident]types.Instance{},
		FileVersions: map[*ast.File]string{},
	}
	conf := &types.Config{Importer: imp, GoVersion: goVersion}
	pkg, err := conf.Check("example.com/a", fset, []*ast.File{file}, info)
	if err != nil {
		t.Fatal(err)
	}
	return &matchers.Pass{Fset: fset, Pkg: pkg, Info: info, File: file, Files: []*ast.File{file},
		Inspector: inspector.New([]*ast.File{file})}
}
