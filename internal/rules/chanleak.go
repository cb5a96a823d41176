package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// ChanLeakEarlyReturn: goroutines send on a local unbuffered channel that
// the function can stop receiving from.
//
// Requires is empty: the pattern needs no import (make, go, <-).
var ChanLeakEarlyReturn = register(&Rule{
	Name:    "chan-leak-early-return",
	Title:   "goroutines send on a local unbuffered channel whose receive the function can skip",
	Tier:    Safe,
	MinGo:   "",
	Match:   matchers.ChanLeakEarlyReturn,
	Rewrite: rewrites.ChanLeak,
	Doc: Doc{
		Why: `A send on an unbuffered channel waits until another goroutine receives
the value. When a function starts goroutines that send their results on a
local unbuffered channel, and then can return without receiving every value
— the receive sits in a select with a timeout or a ctx.Done() case, an
error return comes first, or a loop that receives returns early —, the
senders left over wait forever: nothing else can ever receive from a channel
that never left the function. Each call leaks goroutines and everything
they hold. Studies of real blocking bugs (Docker, Kubernetes, etcd, gRPC,
CockroachDB) find this shape among the most common.

The rule follows the channel only when every use is visible: it is made in
the function with make(chan T) (or make(chan T, 0)); it is sent on only by
goroutines the function starts (function literals started by go statements,
possibly nested), received only by the function itself, and used in no
other way (not passed, stored, returned, closed, ranged over, compared or
captured by another literal; the function has no goto). On the function's
control-flow graph it counts, along every path from the make to an exit (a
return, the end of the function, or the next iteration of a loop that
makes the channel again), the sends the goroutines started on that path can
make minus the receives done: a path with sends left over leaks. A
goroutine's sends are counted along its longest branch (an if/else that
sends in both branches sends once). Paths that end in panic, os.Exit,
log.Fatal, t.Fatal and the like are not exits.

When a loop is in the way the exact count is unknown; the rule then reports
a path from a go statement to an exit without any receive, a return inside
the loop that receives, and goroutines started in a loop against a fixed
number of receives — without a fix.`,
		Fix: `Gives the channel a buffer for every send: make(chan T) becomes
make(chan T, k), where k is the most values a run of the function can send
(summed over the goroutines it starts). With that buffer no send ever
waits, so a value the function does not receive stays in the buffer and
the goroutine ends; the channel is garbage collected with it.

Why the program behaves the same otherwise:
- The function's side cannot tell the difference: a receive still gets the
  values in an order the unbuffered channel allowed too (each send is
  synchronized before its receive either way), and a select case that
  receives is ready exactly when a value is waiting, as when a sender was
  blocked on it. len and cap of the channel, which would show the buffer,
  are not used (any such use stops the rule).
- The goroutines' side: an unbuffered send also waits for the receiver
  (the receive is synchronized before the send completes). That is lost
  with the buffer, so the fix is offered only when nothing in the goroutine
  can depend on it: every send is the goroutine's last action — after it
  come only a bare return, more sends on the same channel, or the end of
  the literal — and its only deferred call is WaitGroup.Done (a Wait can
  then return earlier, which changes no value anyone reads). A goroutine
  that goes on working after its send is reported without a fix.
- The channel does not escape, so no other goroutine can observe it.
The fix introduces no name and needs no Go version.`,
		Wrong: `func First(ctx context.Context, q Query) (Result, error) {
	ch := make(chan Result)
	go func() {
		ch <- q.Run()
	}()
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return Result{}, ctx.Err() // the goroutine blocks on ch forever
	}
}`,
		Right: `func First(ctx context.Context, q Query) (Result, error) {
	ch := make(chan Result, 1)
	go func() {
		ch <- q.Run()
	}()
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}`,
		LeftAlone: `- Buffered channels (make(chan T, n) with n other than 0): the rule does not
  judge whether n is enough.
- Channels that escape or are used in any other way than sends in the
  function's goroutines and receives in the function: passed to a function
  or a goroutine as an argument, stored, returned, closed, ranged over,
  received by a goroutine, captured by a function literal that is not a
  goroutine (a deferred func, a callback), len/cap, comparisons; and
  functions with a goto.
- A receive on every path: known receivers for every send leave nothing to
  fix (a goroutine that sends conditionally counts as sending at most once).
- Sends made by the function itself (the reverse direction: the function
  sends and a goroutine receives) — buffering would not help the receiver.
- Sends in select cases: the goroutine already has another way out.
- main.main: returning from it ends the program.
- Reported without a fix: senders in a loop or goroutines started in a loop
  (k unknown; select-ctx-done guards such sends when a context is in
  scope), and goroutines that do something after their send (they may rely
  on the receiver having taken the value).
- Paths are not checked for feasibility: two ifs on the same condition, one
  starting a goroutine and the other receiving, count as a leaking path (the
  buffer is harmless there).`,
	},
})
