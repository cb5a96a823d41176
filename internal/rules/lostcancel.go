package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// LostCancel: the cancel func of context.WithCancel/WithTimeout/WithDeadline
// (and their Cause variants) is not called on every path.
//
// Requires the context import: the With* functions can only be called
// through an import of package context (qualified, aliased or dot-imported).
var LostCancel = register(&Rule{
	Name:     "lostcancel",
	Title:    "the cancel func of a context.With* call is not called on every path",
	Tier:     Safe,
	MinGo:    "",
	Requires: []string{"context"},
	Match:    matchers.LostCancel,
	Rewrite:  rewrites.LostCancel,
	Doc: Doc{
		Why: `context.WithCancel, WithTimeout, WithDeadline and their Cause variants
return a derived context and a cancel function. Until cancel is called (or
the parent is done, or the timer fires) the derived context stays registered
with its parent, and a timeout keeps its timer: a path that returns without
calling cancel leaks them, once per call. The context documentation asks
for cancel to be called as soon as the operations running in the context
are complete. go vet's lostcancel reports the same paths; this rule reports
at least what vet reports (paths are found on the control-flow graph of
golang.org/x/tools/go/cfg, as in vet), except vet's name-based guess on a
variable called context, and it also sees dot-imported calls.`,
		Fix: `Inserts defer cancel() right after the assignment, so cancel runs on every
return. For WithCancelCause the cancel func takes a cause and the fix
inserts defer cancel(nil) (a nil cause means context.Canceled); the
WithTimeoutCause and WithDeadlineCause cancel funcs take none. The choice
follows the cancel variable's type, not the function's name. Calls of cancel
already in the function stay: calling cancel again is a no-op, and an
explicit earlier call (with its cause) still comes first.

The fix is offered only when cancelling at return cannot cut short work
that outlives the function: cancel itself does not escape (see below), and
neither the context nor a value derived from it in the function (a request
built with it, that request's response, its Done channel...) is returned,
stored anywhere but in a local variable, sent on a channel, passed to a go
statement or captured by a function literal that is not called on the spot.
Values whose type cannot carry a context (numbers, strings, byte slices,
errors...) end the trail. Passing the context as an argument of an ordinary
call is its normal use and allowed: the fix assumes the callee does not keep
it beyond the return. The fix is not offered either when the assignment
is the init statement of an if, switch or for (there is no statement list
to insert into, and the first statement of the body would miss the else
path), or when it sits on a loop of its own function — for, range or a
backward goto: a defer per iteration would pile up until the function
returns. Those findings come without a fix. The inserted statement
introduces no name and needs no Go version.`,
		Wrong: `func fetch(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, time.Second)
	if err := work(ctx); err != nil {
		return err // leaks the context and its timer
	}
	cancel()
	return nil
}`,
		Right: `func fetch(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, time.Second)
	defer cancel()
	if err := work(ctx); err != nil {
		return err
	}
	cancel()
	return nil
}`,
		LeftAlone: `- Cancel funcs that escape on every path: returned, stored in a field, map,
  slice or struct literal, assigned to another variable, passed to a
  function (also inside another call's arguments), called by a goroutine or
  captured by a function literal that may outlive the call. If a path
  without any of these (or a call) reaches a return, the leak is reported
  without a fix: inserting the defer would cancel a context the receiver
  of cancel still relies on.
- Cancel called on every path: a defer cancel() before any return, a
  deferred or immediately called function literal that calls it, or a call
  before each return. Paths ending in panic, os.Exit, log.Fatal and the like,
  runtime.Goexit, testing's FailNow/Fatal/Skip, or a function of the same
  package that never returns, are not returns.
- Any mention of the cancel variable counts as a use, as in vet (a
  comparison with nil, a reassignment), except a blank assignment
  _ = cancel, which only silences the compiler: the leak is reported, but
  without a fix, since the blank assignment may say that the context is
  meant to outlive the function.
- A cancel variable declared outside the function that assigns it (a
  closure assigning its enclosing function's variable, a package variable)
  and a cancel assigned to a field or element: other uses may exist.
- main.main: returning from it ends the process (as in vet).
- Functions named like context's (a local package called context, a
  variable called context with a WithTimeout method, another function called
  WithCancel): the callee is matched by object identity in the standard
  context package, so an aliased or dot import matches and a shadowing name
  does not. Likewise cancel is compared by object, so another variable
  called cancel (and a defer of it) neither hides nor causes a finding.
- A discarded cancel (ctx, _ := context.WithCancel(...)) is reported, as in
  vet, without a fix: there is no variable to call.
- Lost paths between functions are not followed: a context passed to a
  callee that stores it, or a cancel handed to one that drops it.`,
	},
})
