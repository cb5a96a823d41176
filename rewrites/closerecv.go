package rewrites

import (
	"fmt"

	"github.com/gofixconc/gofixconc/matchers"
)

// CloseFromReceiver deletes the receiver's close(ch) (or defer close(ch))
// and inserts defer close(ch) in the sending goroutine, after the leading
// defer statements of its body — or only deletes it, when the sender closes
// the channel itself already (its comments then go with it).
//
// Decorations: the deleted close's comments (above it and on its line) go
// with it to the deferred close in the sender; comment lines below it stay
// in the receiver. The blank line above the deleted close, if any, stays
// above the statement that follows it. A goroutine written on one line is
// spread over several.
func CloseFromReceiver(f *File, fd matchers.Finding) error {
	if fd.Fix == nil {
		return fmt.Errorf("close-from-receiver: no fix")
	}
	data, ok := fd.Fix.Data.(matchers.CloseRecvFix)
	if !ok || data.Remove == nil {
		return fmt.Errorf("close-from-receiver: fix data is %T, not matchers.CloseRecvFix", fd.Fix.Data)
	}
	if data.Body == nil {
		// The sender closes the channel itself: only delete.
		if err := cuRemoveInto(f, data.Remove, nil); err != nil {
			return fmt.Errorf("close-from-receiver: %v", err)
		}
		return nil
	}
	def, err := cuInsertDeferClose(f, data.ChanCloseInsert)
	if err != nil {
		return fmt.Errorf("close-from-receiver: %v", err)
	}
	if err := cuRemoveInto(f, data.Remove, def); err != nil {
		return fmt.Errorf("close-from-receiver: %v", err)
	}
	return nil
}
