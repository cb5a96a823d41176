package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// CloseFromReceiver: a goroutine receives from a channel and closes it
// while another goroutine still sends on it.
//
// Requires is empty: channels and close need no import. The matcher's fast
// path is the inspector's type filter: it looks only at channels passed to
// the builtin close in the file.
//
// Tier review: moving the close changes when the channel is closed. On
// every execution that neither panicked nor hung before, nothing changes
// (see Doc.Fix); on those that did, the fix lets a sender that used to
// panic run to its end (for ever, if it never stops), and a receive that
// hung see the close — both need a reviewer's eye.
var CloseFromReceiver = register(&Rule{
	Name:    "close-from-receiver",
	Title:   "a channel is closed by its receiver while another goroutine sends on it",
	Tier:    Review,
	MinGo:   "",
	Match:   matchers.CloseFromReceiver,
	Rewrite: rewrites.CloseFromReceiver,
	Doc: Doc{
		Why: `Closing a channel tells its receivers that no more values will come; only
the sender knows that. When the receiver closes the channel — after it has
taken the values it wanted, on a timeout, on an error, or in a deferred
close(ch) — a sender that still has a value to send panics with "send on
closed channel", and the whole program crashes. Nothing orders the
receiver's close after the sender's last send: the panic depends on
scheduling and shows up under load. This is the "close from receiver"
shape of the Go concurrency bug studies (Docker, Kubernetes, etcd, gRPC).

The rule looks at channels a function makes for itself and never hands to
anyone else, so it sees every sender, receiver and close. It reports, at
the close call, a close in a goroutine (the function's own or a go
statement's) that receives from the channel and closes it afterwards (or
with defer), while another goroutine sends on it.`,
		Fix: `Moves the close to the sender and lets the sender finish:

- inserts defer close(ch) in the sending goroutine, after the defer
  statements its body starts with: the sender closes the channel when it
  has nothing more to send, as the channel rules of Go ask;
- replaces the receiver's close with a goroutine that drains the channel,
  go func() { for range ch {} }() (for defer close(ch), the deferred call
  starts it): whatever the sender still sends after the receiver stopped is
  received and dropped, the sender finishes and closes, and the drain ends
  with it. When the receiver only goes on once the channel is closed (its
  receives are ranges with no return, break, goto or panic in them), there
  is nothing to drain and the close is only deleted.

Offered only when that goroutine is the only sender (one go statement, not
in a loop), does not receive from the channel and does not call recover,
every receive of the channel is in the goroutine that closed it, none of
them in a select and none after a close that is not deferred, and the close
is the only one (see below for a sender that closes too). Then:

- On every execution that neither panicked nor hung before, nothing
  observable changes. Without a panic, every send happened before the
  receiver's close; without a hang, every receive got a value sent before
  it. The same sends meet the same receives after the fix, in the same
  order; the close only moves from the receiver's close statement to the
  sender's return, and nobody receives after it either way but the drain,
  which finds the values the old code left in the buffer (dropped then as
  now) and the close, and ends.
- An execution in which the sender sent after the receiver closed used to
  panic ("send on closed channel"). Now the drain takes those values and
  the sender runs to its end: its remaining work (the sends, and whatever
  it computes between them) now happens, where the program used to crash.
  A sender that never stops sending (an endless loop) now runs for ever
  with its drain instead of crashing the program: a leak for a crash.
  That is why this rule is in the review tier. To stop such a sender early,
  give it a done channel or a context (see select-ctx-done).
- An execution in which the receiver waited for a value that never came
  used to hang (nothing else sends, nobody closed). Now the receive sees
  the close: a range ends, v, ok := <-ch gets ok == false, and a plain
  <-ch gets the zero value and goes on. The first two are what those forms
  are for; the third deserves a look.

When the sender already closes the channel on every path (defer close(ch)),
the receiver's close is only replaced by the drain (or deleted): every
execution that reached both closes panicked ("send on closed channel" or
"close of closed channel"), and the receives keep seeing the sender's close
as before, so the restrictions on receives below do not apply.

Selects are excluded because they change the quiet case: a select that
used to wait on its other cases once the sender was done would now take the
closed channel's case again and again. Senders that recover are excluded
because for them the panic was the designed way out.`,
		Wrong: `results := make(chan Result)
go func() {
	for _, j := range jobs {
		results <- run(j) // panics once the loop below has stopped and closed
	}
}()
for r := range results {
	if r.Err != nil {
		break
	}
	report(r)
}
close(results)`,
		Right: `results := make(chan Result)
go func() {
	defer close(results)
	for _, j := range jobs {
		results <- run(j)
	}
}()
for r := range results {
	if r.Err != nil {
		break
	}
	report(r)
}
go func() {
	for range results {
	}
}()`,
		LeftAlone: `- Channels that escape: passed to a function (go producer(ch)), returned,
  stored, sent, assigned, captured by a function literal that is neither
  called on the spot, deferred, nor started by a go statement; parameters.
  The rule cannot see every sender of those.
- A close after the closing goroutine has waited for something else, which
  may be the senders finishing: wg.Wait(); close(ch) (sync.WaitGroup or
  sync.Cond Wait), a receive from another channel outside a select that
  also has a case on this one (<-done), a range over another channel.
- A close in a goroutine that does not receive from the channel (a closer
  goroutine, a producer), a close that comes before any receive (close then
  drain), and a channel nobody else sends on.
- Reported without a fix: several senders (two go statements, a go statement
  in a loop, the function itself and a goroutine); a receiver that also
  sends; a receive in a select or in another goroutine, or after the close;
  a sender that receives or calls recover; more than one close outside the
  sender, or a sender that closes the channel on some paths only; a close
  inside a deferred function literal, or alone in a block (the block would
  be left empty); close or the channel's name shadowed in the sender.`,
	},
})
