package matchers

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
)

// FreshName returns a name based on base ("wg", "sem", "ctx") that a fix
// can declare at pos inside fn (a *ast.FuncDecl or *ast.FuncLit) without
// clashing or capturing: no object of that name is visible at pos, and no
// identifier of that name is defined or used anywhere in fn (a new
// declaration could otherwise shadow an outer object that code below it
// still means). It tries base, base2, base3, ...
func FreshName(p *Pass, fn ast.Node, pos token.Pos, base string) string {
	used := map[string]bool{}
	if fn != nil {
		ast.Inspect(fn, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				used[id.Name] = true
			}
			return true
		})
	}
	scope := p.ScopeAt(pos)
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = base + strconv.Itoa(i)
		}
		if used[name] {
			continue
		}
		if scope != nil {
			if _, obj := scope.LookupParent(name, pos); obj != nil {
				continue
			}
		}
		return name
	}
}

// ScopeAt returns the innermost scope of the file that contains pos.
func (p *Pass) ScopeAt(pos token.Pos) *types.Scope {
	if p.Pkg == nil {
		return nil
	}
	fileScope := p.Info.Scopes[p.File]
	if fileScope == nil {
		return p.Pkg.Scope()
	}
	return fileScope.Innermost(pos)
}

// CanQualify reports whether a fix can refer to the package at path from
// pos by its qualified name, as the dst restorer will write it: the file
// imports path under a name that still means that package at pos (or
// dot-imports it), or the file does not import it and the package's own
// name (pkgName, the last element of path for the standard library) is free
// at pos, so that the import the restorer adds is not shadowed. When it
// reports false, a careful fix gives up (finding without a fix).
func (p *Pass) CanQualify(pos token.Pos, path, pkgName string) bool {
	scope := p.ScopeAt(pos)
	for _, spec := range p.File.Imports {
		ip, err := strconv.Unquote(spec.Path.Value)
		if err != nil || ip != path {
			continue
		}
		var obj types.Object
		if spec.Name != nil {
			if spec.Name.Name == "." {
				return false // the restorer would have to write bare names; stay clear
			}
			if spec.Name.Name == "_" {
				continue
			}
			obj = p.Info.Defs[spec.Name]
		} else {
			obj = p.Info.Implicits[spec]
		}
		pn, ok := obj.(*types.PkgName)
		if !ok || scope == nil {
			return false
		}
		_, found := scope.LookupParent(pn.Name(), pos)
		return found == pn
	}
	if scope == nil {
		return false
	}
	_, obj := scope.LookupParent(pkgName, pos)
	return obj == nil
}
