package rewrites

import "github.com/gofixconc/gofixconc/matchers"

// GoroutineNoExit guards every blocking operation of a goroutine's endless
// loop with the context in scope (the fix of matchers.GoroutineNoExit; see
// CtxDone): the goroutine returns once the context is done.
func GoroutineNoExit(f *File, fd matchers.Finding) error {
	return CtxDone(f, fd)
}
