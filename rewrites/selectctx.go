package rewrites

import "github.com/gofixconc/gofixconc/matchers"

// SelectCtxDone guards a blocking channel operation with the context in
// scope (the fix of matchers.SelectCtxDone; see CtxDone).
func SelectCtxDone(f *File, fd matchers.Finding) error {
	return CtxDone(f, fd)
}
