// Package rewrites carries out the fixes that matchers describe, on the
// decorated syntax tree of github.com/dave/dst so that comments and layout
// survive.
//
// A rewrite receives one File (the dst file, decorated once, with the map back
// to the go/ast the matcher saw) and one finding. It looks up the dst nodes
// of the finding's ast nodes through File.Node and edits them in place. Names
// and positions come from the ast side: dst nodes have no positions.
package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"golang.org/x/tools/go/ast/astutil"

	"github.com/gofixconc/gofixconc/matchers"
)

// A Rewrite applies one finding's fix to a decorated file.
type Rewrite func(f *File, fd matchers.Finding) error

// File is a decorated file under rewrite.
type File struct {
	Pass *matchers.Pass       // the ast side the findings were made on
	Dec  *decorator.Decorator // ast → dst map
	Dst  *dst.File
	// Edit is, for a whole-program rule, the part of the fix to make in
	// this file; nil for per-file rules.
	Edit *matchers.Edit
}

// Node returns the dst node decorated from the ast node n, or an error when
// n has none (a node of another file, or one the decorator drops).
func (f *File) Node(n ast.Node) (dst.Node, error) {
	if n == nil {
		return nil, fmt.Errorf("no ast node")
	}
	d, ok := f.Dec.Dst.Nodes[n]
	if !ok || d == nil {
		return nil, fmt.Errorf("no dst node for %T at %s", n, f.Pass.Fset.Position(n.Pos()))
	}
	return d, nil
}

// Stmt is Node for a statement.
func (f *File) Stmt(n ast.Stmt) (dst.Stmt, error) {
	d, err := f.Node(n)
	if err != nil {
		return nil, err
	}
	s, ok := d.(dst.Stmt)
	if !ok {
		return nil, fmt.Errorf("dst node for %T is %T, not a statement", n, d)
	}
	return s, nil
}

// EnclosingList returns the ast node whose statement list holds stmt: a
// *ast.BlockStmt, *ast.CaseClause or *ast.CommClause.
func EnclosingList(file *ast.File, stmt ast.Stmt) (ast.Node, error) {
	path, _ := astutil.PathEnclosingInterval(file, stmt.Pos(), stmt.End())
	for i, n := range path {
		if n != stmt {
			continue
		}
		if i+1 < len(path) {
			switch p := path[i+1].(type) {
			case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
				return p, nil
			}
		}
		break
	}
	return nil, fmt.Errorf("statement at %d is not in a statement list", stmt.Pos())
}

// list returns a pointer to the statement slice of a dst list node.
func list(n dst.Node) (*[]dst.Stmt, error) {
	switch n := n.(type) {
	case *dst.BlockStmt:
		return &n.List, nil
	case *dst.CaseClause:
		return &n.Body, nil
	case *dst.CommClause:
		return &n.Body, nil
	}
	return nil, fmt.Errorf("%T holds no statement list", n)
}

// locate finds the dst list holding the ast statement and its index there.
func (f *File) locate(stmt ast.Stmt) (*[]dst.Stmt, int, error) {
	an, err := EnclosingList(f.Pass.File, stmt)
	if err != nil {
		return nil, 0, err
	}
	dn, err := f.Node(an)
	if err != nil {
		return nil, 0, err
	}
	l, err := list(dn)
	if err != nil {
		return nil, 0, err
	}
	ds, err := f.Stmt(stmt)
	if err != nil {
		return nil, 0, err
	}
	for i, s := range *l {
		if s == ds {
			return l, i, nil
		}
	}
	return nil, 0, fmt.Errorf("statement at %s not found in its dst list", f.Pass.Fset.Position(stmt.Pos()))
}

// InsertAfter inserts stmts right after the ast statement at, in its list.
func (f *File) InsertAfter(at ast.Stmt, stmts ...dst.Stmt) error {
	l, i, err := f.locate(at)
	if err != nil {
		return err
	}
	*l = splice(*l, i+1, 0, stmts...)
	return nil
}

// InsertBefore inserts stmts right before the ast statement at, in its list.
// Comments above at stay above at's group: the first inserted statement
// takes over at's leading decorations (its comments and blank line), ahead
// of its own leading comments, so the comment that introduced at keeps
// introducing the group.
func (f *File) InsertBefore(at ast.Stmt, stmts ...dst.Stmt) error {
	l, i, err := f.locate(at)
	if err != nil {
		return err
	}
	if len(stmts) > 0 {
		ds := (*l)[i]
		first := stmts[0].Decorations()
		first.Before = ds.Decorations().Before
		first.Start = append(append(dst.Decorations(nil), ds.Decorations().Start...), first.Start...)
		ds.Decorations().Before = dst.NewLine
		ds.Decorations().Start = nil
	}
	*l = splice(*l, i, 0, stmts...)
	return nil
}

// Remove deletes the ast statement from its list and returns its dst node,
// decorations (comments) included, for the caller to place elsewhere.
func (f *File) Remove(stmt ast.Stmt) (dst.Stmt, error) {
	l, i, err := f.locate(stmt)
	if err != nil {
		return nil, err
	}
	ds := (*l)[i]
	*l = splice(*l, i, 1)
	return ds, nil
}

func splice(l []dst.Stmt, i, del int, ins ...dst.Stmt) []dst.Stmt {
	out := make([]dst.Stmt, 0, len(l)-del+len(ins))
	out = append(out, l[:i]...)
	out = append(out, ins...)
	return append(out, l[i+del:]...)
}

// Call builds the call statement fun(args...) where fun is a local name.
func Call(fun string, args ...dst.Expr) *dst.ExprStmt {
	return &dst.ExprStmt{X: &dst.CallExpr{Fun: dst.NewIdent(fun), Args: args}}
}

// Defer builds defer fun(args...).
func Defer(fun string, args ...dst.Expr) *dst.DeferStmt {
	return &dst.DeferStmt{Call: &dst.CallExpr{Fun: dst.NewIdent(fun), Args: args}}
}

// Qualified builds a reference to name in the package at path; the engine
// writes it with the file's name for that import (the first non-blank one,
// bare for a dot import), and adds the import, in the right group of the
// file's own import block, when the file lacks it.
func Qualified(path, name string) *dst.Ident {
	return &dst.Ident{Path: path, Name: name}
}

// Line reports the line of pos in the pass's file set (for messages).
func (f *File) Line(pos token.Pos) int { return f.Pass.Fset.Position(pos).Line }
