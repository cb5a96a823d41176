package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// SleepSync: a time.Sleep used to wait for goroutines.
//
// Requires the time import: time.Sleep can only be called through an import
// of package time (qualified, aliased or dot-imported).
//
// Tier review, for the whole rule: the engine has one tier per rule, and
// every fix of this rule changes when the code goes on, by design — see
// Doc.Fix for the exact edge cases.
var SleepSync = register(&Rule{
	Name:     "sleep-sync",
	Title:    "time.Sleep used to wait for goroutines instead of a sync.WaitGroup",
	Tier:     Review,
	MinGo:    "",
	Requires: []string{"time"},
	Adds:     []string{"sync"},
	Match:    matchers.SleepSync,
	Rewrite:  rewrites.SleepSync,
	Doc: Doc{
		Why: `A function starts goroutines, then sleeps and goes on as if they had
finished: it reads what they wrote, returns, or ends the program. Nothing
orders the goroutines' work before the code after the sleep. On a loaded
machine (CI, a container with a CPU quota, the race detector) a goroutine may
not even have started when the sleep returns: results are lost or half
written, main exits before the goroutines print, and go test -race reports
the unsynchronized reads. A longer sleep only makes it rarer, and slows
every run.`,
		Fix: `Declares var wg sync.WaitGroup right before the first statement that starts
the goroutines (wg2, wg3… when wg is taken anywhere in the function or
visible there, or given to another sleep of the function), puts wg.Add(1)
right before each go statement (inside the loop or if that holds it), makes
defer wg.Done() the first statement of each goroutine, and replaces the
sleep with wg.Wait(). The Wait returns exactly when every goroutine counted
has returned — also when one calls runtime.Goexit (t.FailNow), since the
deferred Done still runs. The goroutines counted are those started after
the last statement before the sleep that synchronizes or calls out (see
Left alone); a function in phases (goroutines, sleep, goroutines, sleep…)
gets one WaitGroup per phase, all fixed at once. Comments stay: the comment
above the first go statement introduces the declaration and the Add, a
directive (//nolint:…) stays directly above the go statement, the sleep's
comments stay on the Wait. sync is imported (under the file's name for
it), and time is dropped when nothing else uses it.

A goroutine started with a call (go f(a, b), go s.m(x)) becomes
go func(a A, b B) { defer wg.Done(); f(a, b) }(a, b): Go evaluates the
function value, the receiver (with the implicit & or * of the method call)
and the arguments at the go statement, and so does the fix — they are the
new literal's arguments; constants, nil and functions of a package stay in
the call. In a file of Go 1.25 or later, a goroutine started with a literal
that takes no arguments becomes wg.Go(func() { … }) (which also does not
call Done when the function panics, so Wait cannot let the program exit
before the panic is reported); wg.Go captures the loop variables exactly as
the literal did (per iteration, which Go 1.25 implies).

Tier: review, for every shape. The fix is meant to change when the code
after the sleep runs; even for a goroutine that only writes a slice
element, the function alone cannot show that the sleep did not also cover
something else. The edge cases where that is not what the author wanted:
- A goroutine takes longer than the sleep: the code now waits for it
  (that is the point), which may be much longer — a goroutine that calls
  into another package (the rule does not look there) and blocks forever
  there hangs the Wait where the sleep went on. Goroutines whose
  termination the rule can see is in doubt are not fixed (see below).
- The sleep also waited for something the rule cannot see: a process, a
  timer, a goroutine started by a called function, another program. The
  Wait may return before that has happened. The rule stays silent on the
  shapes it recognizes (below), not on all of them.
- Results sent on a buffered channel made in the function are assumed to
  fit in its buffer: if they do not, a goroutine blocks on its send and
  the Wait hangs (before the fix, the results were lost or the close after
  the sleep panicked).

Termination check. The goroutine's literal, the functions and methods of the
package it calls and the closures of the function it runs (work := func…,
never assigned again), three calls deep, are read for what would keep it
from finishing. Reported without a fix, with the goroutine's line and the
reason in the message:
- a loop without condition and without exit (return, break out of it, goto,
  panic, os.Exit, log.Fatal, runtime.Goexit, t.Fatal/FailNow): "loops
  forever";
- a call named ListenAndServe, ListenAndServeTLS, Serve or ServeTLS, unless
  the code shuts that server down after the sleep (Shutdown, Close…);
- an empty select {}, or a range over a ticker's channel (never closed)
  unless the code stops the ticker after the sleep;
- a receive, range, or select (without default) that nothing before the
  sleep can complete: a single receive needs a send or close of the channel
  in the function before the sleep (not in a deferred call) or in another of
  the goroutines; a range or a receive in a loop needs a close; timers'
  channels (time.After, Timer.C) fire by themselves;
- an unbuffered send (or a send on a channel the function did not make
  with a buffer) that no other goroutine of the group receives;
- in a loop without condition, a select with a default that spins on a
  channel nothing closes before the sleep;
- a goroutine started with a call the rule cannot read (a function of
  another package, an interface method, a function value) that is handed a
  context.Context: such a call typically runs until the context is
  cancelled (a relay, a worker loop) — left alone instead when the code
  cancels or uses the context after the sleep.
Calls of other packages, interface methods and function values are assumed
to return — unless the code gives a sign that they may be blocked until it
releases them (see Left alone). That assumption is the first edge case of
the review tier.

Also reported without a fix (the reason is the finding's no-fix note, which
diff and fix print): a goroutine whose literal starts goroutines of
its own (the WaitGroup would not wait for those); a labeled go statement; a
sleep whose duration calls a function, receives, or could panic (an index,
an explicit dereference, a division by a variable: the Wait drops it); a
goroutine call whose bound values have a type the file cannot write (an
unexported type of another package, a package the file does not import);
a file where sync cannot be named (dot-imported, or the name shadowed where
the WaitGroup is declared).`,
		Wrong: `results := make([]int, len(jobs))
for i, j := range jobs {
	go func() {
		results[i] = work(j)
	}()
}
time.Sleep(time.Second) // wait for the workers
return results`,
		Right: `results := make([]int, len(jobs))
var wg sync.WaitGroup
for i, j := range jobs {
	wg.Add(1)
	go func() {
		defer wg.Done()
		results[i] = work(j)
	}()
}
wg.Wait() // wait for the workers
return results`,
		LeftAlone: `Only a time.Sleep statement in the same statement list as go statements
before it (directly, or nested in loops, ifs, switches and blocks of that
list), in the same function, is considered. It is left alone — nothing is
reported — when:
- it is inside a goroutine (a go func literal, or a function passed to a Go
  method such as WaitGroup.Go or errgroup.Group.Go), in a synctest bubble
  (a function given to synctest.Run or synctest.Test: the clock is fake),
  in the time package's own tests, or in an init function (goroutines
  started there serve the whole program; the sleep gives them time to
  start);
- it is in a loop of its function (for, range, or a backward goto):
  polling, retry, backoff and pacing;
- no goroutine is started after the last statement before the sleep that
  does anything but compute, start goroutines, send on and close channels,
  and call formatting, logging, strings, strconv, math, sort, slices, maps,
  bytes, errors, atomics, time.Now/Since and a test's Log/Error/Fatal (a
  receive, a select, a Wait, a Lock, a Close, a call of the package or
  another sleep: the goroutines may already be waited for, or the sleep
  waits for something else);
- a goroutine started before that statement is not visibly dealt with
  between its go statement and that point: an earlier sleep of the list
  that the rule reports as waiting for it ends its phase, or the code
  mentions one of its channels or WaitGroups there (receives, Waits, hands
  it on); otherwise — a background goroutine an earlier sleep only let
  start, say — the sleep may be waiting for what it does;
- another time.Sleep follows in the same list before any new goroutine is
  started: a test that goes by time (after 5ms the job still runs, after
  30ms it is done);
- the code after the sleep measures time across it (time.Since, time.Until
  or Time.Sub of a time taken before the sleep): the sleep's length is what
  it is about;
- the function starts a process before the sleep (exec.Cmd Start or Run,
  os.StartProcess, syscall.ForkExec): the sleep may give the process time;
- a comment from the line above the first go statement to the sleep's line
  says the code races on purpose (race, racy, on purpose, deliberately,
  intentionally), or the test's name contains Race: the goroutines are left
  unsynchronized for the race detector;
- after the sleep (or in a deferred call or another function literal of
  the function, which may run later) the code mentions a channel or blocking
  call operand the goroutines use (also a channel or sync value passed to a
  call goroutine), or a variable their loops depend on (a stop flag; a
  context, or the cancel func that comes from the same assignment): the
  sleep lets them get going or reach a point (a test checking that a
  goroutine blocks), it does not wait for their end. Results sent on a
  buffered channel made in the function and read after the sleep do not
  count, nor does reading results under the mutex the goroutines take;
- the code holds, during the sleep, a lock a goroutine takes (Lock, RLock,
  any …Lock method but TryLock, Acquire; counted as Lock calls minus Unlock
  calls before the sleep, a deferred Unlock not counting): the goroutine
  cannot finish before the Unlock;
- a goroutine calls code the rule does not read, and the code holds a lock
  during the sleep, or after the sleep operates on a channel, calls a
  function value (cancel()) or a method or function whose name starts with
  Close, Stop, Shutdown, Cancel, Kill, Release, Signal, Broadcast,
  Interrupt, Disconnect or Terminate, or an atomic Store/Swap: the goroutine
  may be blocked until then, and a Wait would deadlock;
- a goroutine blocks in a call that waits for a peer (a method named
  Accept, Read…, Recv, Scan or Wait, except on bytes and strings types;
  exec.Cmd Run/Output; io.Copy, io.ReadAll, io.ReadFull and friends;
  sync.Cond.Wait): the sleep typically lets it reach that point;
- a goroutine sleeps (or waits on time.After) at least as long as the sleep,
  with constant durations, sets off a time.AfterFunc, or loops until a time
  (time.Now in a loop condition): a watchdog or timed work, not work the
  sleep waits for to finish;
- a goroutine's literal ends in a panic, os.Exit, log.Fatal, t.Fatal or
  runtime.Goexit (go func() { f(); panic("did not block") }()): reaching its
  end is the failure the code watches for, the sleep gives it time to
  block;
- a goroutine calls methods of a sync.WaitGroup: the code has its own
  WaitGroup and should call its Wait; a second one would only confuse;
- a function of the package that a goroutine calls starts goroutines of its
  own: the WaitGroup could not wait for them.
A Sleep of another package or a method called Sleep is never matched: the
call is recognized by object identity, whatever the import is called.`,
	},
})
