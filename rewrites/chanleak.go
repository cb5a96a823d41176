package rewrites

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/matchers"
)

// ChanLeak gives the channel's make call (Fix.Nodes[0]) the capacity of
// the fix: make(chan T) becomes make(chan T, k), make(chan T, 0) becomes
// make(chan T, k). Comments around the old capacity stay around the new one.
func ChanLeak(f *File, fd matchers.Finding) error {
	if fd.Fix == nil || len(fd.Fix.Nodes) != 1 {
		return fmt.Errorf("malformed fix: want one node (the make call)")
	}
	data, ok := fd.Fix.Data.(matchers.ChanLeakFix)
	if !ok || data.Cap <= 0 {
		return fmt.Errorf("fix data is %T, not matchers.ChanLeakFix", fd.Fix.Data)
	}
	call, ok := fd.Fix.Nodes[0].(*ast.CallExpr)
	if !ok {
		return fmt.Errorf("node is %T, not the make call", fd.Fix.Nodes[0])
	}
	dn, err := f.Node(call)
	if err != nil {
		return err
	}
	dc, ok := dn.(*dst.CallExpr)
	if !ok {
		return fmt.Errorf("dst node of the make call is %T", dn)
	}
	lit := &dst.BasicLit{Kind: token.INT, Value: strconv.Itoa(data.Cap)}
	switch len(dc.Args) {
	case 1:
		dc.Args = append(dc.Args, lit)
	case 2:
		lit.Decs.NodeDecs = *dc.Args[1].Decorations()
		dc.Args[1] = lit
	default:
		return fmt.Errorf("make call with %d arguments", len(dc.Args))
	}
	return nil
}
