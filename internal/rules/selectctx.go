package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// SelectCtxDone: a blocking channel operation in a goroutine or a loop does
// not watch the context in scope.
//
// Requires is empty: a function can hold a context without importing
// package context (r.Context(), an alias from another package); the
// matcher's own fast path looks for context.Context among the package's
// dependencies.
var SelectCtxDone = register(&Rule{
	Name:    "select-ctx-done",
	Title:   "a blocking channel operation in a goroutine or loop ignores the context in scope",
	Tier:    Review,
	MinGo:   "",
	Match:   matchers.SelectCtxDone,
	Rewrite: rewrites.SelectCtxDone,
	Doc: Doc{
		Why: `A send waits for a receiver, a receive for a sender, a select for one of
its cases. In a goroutine, or in a loop that feeds or drains a pipeline, the
other side may be gone — it returned early, failed, or was cancelled — and
the operation then waits forever: the goroutine leaks, or the function
never returns. When a context is in scope, its Done channel says exactly
when to give up, but only an operation that selects on it can notice.

Reported, when a context variable is in scope (a local variable or
parameter of type context.Context, compared by type identity, so aliases,
dot imports and renamed imports all count; a named result or a var declared
without a value, which may be nil, does not; if several are in scope the
innermost wins, and of two in the same scope the one derived from the
other — ctx, cancel := context.WithCancel(parent) — else none):
- a send, or a receive, in a function literal started by go or in a loop,
  that is not itself a case of a select;
- a select without default and without a case on a context's Done, in a
  goroutine or a loop, none of whose cases leaves the loop (return, break
  out, goto, panic): a for { select { … } } that can never stop;
- a send or receive in the default branch of a select that has a
  <-ctx.Done() case: the default branch runs when no case is ready, and its
  operation then waits unguarded (reported without a fix).`,
		Fix: `The operation gets a way out: a send or receive statement becomes

	select {
	case ch <- v:
	case <-ctx.Done():
		return
	}

and a select gets the case <-ctx.Done(): return. v := <-ch becomes
var v T followed by the select with case v = <-ch (the variable keeps its
name, type and scope below). Inside a goroutine the return is bare. In a
loop of a function with results, it returns the zero value of each result
and ctx.Err() for the last one, which must be an error (structs and arrays
as T{}, type parameters as *new(T)); without an error result there is no
fix, since zero values would hide the cancellation from the caller. Empty
interfaces are written any from Go 1.18 on, interface{} before. When the
function already has a case <-ctx.Done() for the same context whose body
is simple (assignments, calls, then a return) and can be copied to the
operation, the new case does the same thing instead (l.err = ctx.Err();
return), so callers see the function stop the way it already does.

Why review: the fix changes what happens once the context is done. Before,
the operation waits until the other side shows up (or forever); after, it
may return instead — even if the other side would still have come, since a
select with two ready cases picks one at random. A receiver that does not
watch the same context may then wait for a value or a close that never
comes, and the function returns ctx.Err() where it used to finish its
work. Deferred calls still run. The fix is withheld where the early return
would skip cleanup that others wait for: code after the operation that
closes a channel, calls a sync method (Unlock, Done, Broadcast…) or a
context cancel func outside a defer — move such cleanup into a defer first.
The watched context's own cancel func does not count: once that context
is done, calling it changes nothing.`,
		Wrong: `func produce(ctx context.Context, out chan<- Item, items []Item) error {
	for _, it := range items {
		out <- it // blocks forever once the consumer is gone
	}
	return nil
}`,
		Right: `func produce(ctx context.Context, out chan<- Item, items []Item) error {
	for _, it := range items {
		select {
		case out <- it:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}`,
		LeftAlone: `- Functions with no context variable in scope (a context in a struct field
  is not followed), and operations outside goroutines and loops.
- Operations already in a select that has a case on any context's Done, a
  default, a timer (time.After, time.Tick, a Timer's or Ticker's C) or a
  receive from a signal channel (chan struct{}: a done or quit channel);
  selects in a loop with a case that leaves the loop; select {}.
- Receives that always complete or are themselves the plan for stopping:
  from timer channels, from chan struct{} channels, from a context's Done,
  from a local channel the function closes in a defer. Sends on
  chan struct{} (a semaphore) are reported.
- for v := range ch and v, ok := <-ch: they expect the producer to close
  the channel, which is their plan for stopping.
- Channels whose protocol the function owns: a local channel that never
  leaves the function that makes it (it is only sent on, received from,
  closed and ranged over there and in its goroutines and deferred funcs —
  a deferred drain that counts senders, a test that cancels on purpose and
  then reads the error) is chan-leak-early-return's to judge: guarding one
  side could deadlock the other. Only when that rule's analysis sees a
  leak it cannot fix (senders in a loop) is the send reported here.
- Sends on channels made with a buffer in the same function — a local
  variable, a field (b.ready = make(chan bool, n)) or elements of a slice
  of channels (rescv[i] = make(chan T, 1)): the author chose the capacity.
  The release <-sem of a semaphore the function itself acquires.
- Channels used as a lock: the function takes a value out (v := <-mu) and
  puts it back (mu <- v). Like Lock and Unlock they are not looked at; a
  select on the put could drop the token for good.
- Reported without a fix: several contexts in the innermost scope (one
  derived from all the others, ctx, cancel := context.WithCancel(parent),
  is chosen); a receive inside a larger expression (f(<-ch), return <-ch);
  a statement that is not in a statement list (if/for init, labeled); a
  v := <-ch whose type cannot be written at that point (an unexported type
  of another package, a type shadowed there, a struct with fields, a
  function type); a function whose last result is not an error; cleanup
  after the operation (see above); the default branch of a select with a
  ctx.Done() case (its own case may do more than return).
- Method calls that block (Wait, Lock, I/O) are not channel operations and
  are not looked at.
- Known limits: the rule cannot see a receiver that always answers (a
  worker started by the same function that always sends, a reply channel
  made elsewhere with a buffer); such findings are reported and their fix
  is unneeded — review them as such.`,
	},
})
