package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// MissingClose: a goroutine ranges over a channel that its sender does not
// close on every path.
//
// Requires is empty: channels, make, range and close need no import. The
// matcher's fast path is the inspector's type filter: it looks only at
// channels that a range statement of the file ranges over.
var MissingClose = register(&Rule{
	Name:    "missing-close",
	Title:   "a channel that a goroutine ranges over is not closed by its sender on every path",
	Tier:    Safe,
	MinGo:   "",
	Match:   matchers.MissingClose,
	Rewrite: rewrites.MissingClose,
	Doc: Doc{
		Why: `A for … range over a channel ends only when the channel is closed. When the
goroutine that sends on it returns without closing it — it never closes it,
or an early return (an error, a cancelled context) skips the close at the
end — the ranging goroutine waits forever after the last value: a hang if
it is the caller, a goroutine leak (with everything it references) if it
runs in the background. Leaks of this shape are among the most frequent
blocking bugs found in studies of large Go code bases.

The rule looks at channels a function makes for itself and never hands to
anyone else (not passed to a function, stored or assigned): then it sees
every sender, receiver and close. It reports, at the make call, a channel
that some goroutine ranges over when its only sender can return on a path
that does not close it (paths from the control-flow graph of the sender's
function; a sender that never returns, for { ch <- x }, is fine), or when
several goroutines send and nothing closes it at all. A path on which the
sender signals another channel that the ranging goroutine waits on before
its range (errs <- err; return, while the caller selects on errs first) is
coordinated and not counted.

Generators — functions that return the channel receive-only (<-chan T) —
are checked too: their callers can receive but neither send nor close, so
every sender and closer is still in view. Since the callers' receives are
not, a generator is reported only when its sender closes the channel on
some paths but not all (the classic: defer close(out) registered after an
early return): the author meant the callers to see the close.`,
		Fix: `Inserts defer close(ch) in the sending goroutine, after the defer statements
its body starts with (if any), so that the channel is closed on every path
out of the goroutine, panics included. An explicit close(ch) that was the
goroutine's last statement is removed: the deferred close replaces it. A
defer close(ch) registered too late (after an early return) is moved up to
that place instead, when no other defer statement lies in between: the
deferred calls keep their order.

Why this keeps behaviour: the goroutine is the channel's only sender and
nothing else closes it, so after the close no send can happen (no "send on
closed channel" panic) and the close is the only one (no double close). On
the paths that closed the channel before, the close still happens after
the last statement of the body and before the calls deferred at its start
(the fix is not offered when a defer statement comes later in the body: its
call would now run before the close). On the paths that did not close it,
every range over the channel (the callers' too, for a generator) used to
wait forever once the sender had returned; now it ends. Code after the range that never ran now runs — that
is the behaviour the range was written for, and the reason for the fix. It
is the only change: no other goroutine could proceed past a receive on the
channel before, since nobody else sends on it.

The fix is only offered when every receive of the channel is a range or a
comma-ok receive (v, ok := <-ch) outside a select: those are written for a
closed channel. A plain receive would now read a zero value where it used to
block, and a select case on the channel, which used to stay quiet while the
select waited on its other cases, would fire again and again.`,
		Wrong: `results := make(chan Result)
go func() {
	for _, job := range jobs {
		r, err := run(job)
		if err != nil {
			return // results is never closed
		}
		results <- r
	}
	close(results)
}()
for r := range results { // never ends after an error
	report(r)
}`,
		Right: `results := make(chan Result)
go func() {
	defer close(results)
	for _, job := range jobs {
		r, err := run(job)
		if err != nil {
			return
		}
		results <- r
	}
}()
for r := range results {
	report(r)
}`,
		LeftAlone: `- Channels that escape: passed to a function (go producer(ch)), returned as
  a bidirectional channel, stored in a field or a map, sent on another
  channel, assigned, captured by a function literal that is neither called
  on the spot, nor deferred, nor started by a go statement. Someone the
  rule cannot see may close them. Function parameters are left alone for
  the same reason.
- Generators whose sender never closes the channel: their callers may
  count their receives.
- Channels closed by anyone who does not send: a closer goroutine
  (go func() { wg.Wait(); close(ch) }()) or the receiver itself (see
  close-from-receiver).
- Channels nobody ranges over: counted receives (for range n { <-ch }), a
  single receive, selects. Buffered result channels read a known number of
  times need no close.
- A sender that never returns (an endless for loop without break or return),
  and a goroutine that both sends on the channel and ranges over it.
- Reported without a fix: several senders (two go statements, a go
  statement in a loop, or the function and a goroutine), which need a
  sync.WaitGroup and a separate closer; the function itself as the only
  sender (where the close belongs — after the last send, before the function
  waits for the ranging goroutines — is a judgement call); a receive that is
  not a range or a comma-ok receive outside a select; a goroutine that also
  receives from the channel; a close in the sender that is not its last
  statement, or one followed by defer statements later in the body, or a
  late defer close(ch) with other defer statements before it; a
  sender in which close or the channel's name means something else (a
  parameter called close).`,
	},
})
