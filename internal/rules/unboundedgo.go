package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// UnboundedGo: a loop over data that starts a goroutine per item with
// nothing bounding how many run at once.
//
// Requires is empty: a go statement needs no import, and the fix adds
// runtime (Adds) when the bound is runtime.GOMAXPROCS(0).
var UnboundedGo = register(&Rule{
	Name:    "unbounded-go",
	Title:   "a loop over data starts a goroutine per item with no bound on how many run at once",
	Tier:    Review,
	MinGo:   "",
	Adds:    []string{"runtime"},
	Match:   matchers.UnboundedGo,
	Rewrite: rewrites.UnboundedGo,
	Doc: Doc{
		Why: `A loop that starts a goroutine for every item of a slice, map, channel,
string or iterator (or counts to a number that comes from data) runs as
many goroutines at once as there are items. With ten items that is fine;
with a million it is a million stacks, a million open connections or files,
and a scheduler, memory allocator and remote service that all fall over
together — the program's concurrency is set by its input, not by the
machine. Nothing in the loop waits for a goroutine to finish before
starting the next.`,
		Fix: `Bounds the number of goroutines running at once to N with a semaphore,
a buffered channel declared right before the loop:

    sem := make(chan struct{}, N)   // fresh name when sem is taken
    for … {
        sem <- struct{}{}            // acquire, just before the go statement
        go func() {
            defer func() { <-sem }() // release, first in the goroutine
            …
        }()
    }

The release is deferred first, so it runs last, after the goroutine's other
deferred calls (wg.Done, recover handlers), on every path out of it
(return, panic, runtime.Goexit).

N is --limit when given. Otherwise it is runtime.GOMAXPROCS(0) when the
goroutine's work is CPU-bound, and the I/O bound (32, or --io-limit) when
its code — or the functions of its package that it calls — uses net,
net/http, os, os/exec, database/sql, io, io/fs, bufio, syscall, crypto/tls
or time.Sleep (field getters such as fi.Name() aside), waits on a timer,
or calls a function (of another package, a function value, or its own
package's) that takes a context.Context, or one of another package that
takes or returns an I/O package's type. The fix message says which N and
why.

With a sync.WaitGroup, the acquire goes BEFORE the wg.Add(1) that counts the
goroutine (right before the go statement otherwise): if the loop leaves on
cancellation (below) after an Add, Wait would wait for a goroutine that
never starts. Acquire, Add, go — so every Add is matched by a started
goroutine's Done, and Wait after the loop keeps waiting for exactly the
goroutines that were started.

With wg.Go(func() {…}) (Go 1.25), the acquire goes before wg.Go and the
release is the first statement of the function literal. go f(x) with a
named function becomes go func() { defer func() { <-sem }(); f(x) }() when
f and its arguments read the same values at the go statement as when the
goroutine starts (constants, functions, &v, variables nothing assigns
afterwards; a loop variable only from Go 1.22 on, where every iteration has
its own).

When a context.Context is in scope (the one the goroutine uses, or else the
innermost one), the acquire must not keep waiting once it is cancelled:

    loop:                            // fresh label, or the loop's own
    for … {
        select {
        case sem <- struct{}{}:
        case <-ctx.Done():
            break loop
        }
        …
    }

The break leaves the loop, so the code after it (its wg.Wait, g.Wait or
collection of results) still runs and waits for the goroutines already
started. This shape is used only when leaving early cannot leave that code
waiting for an item that was never started: the goroutines send or close
no channel and count down only a WaitGroup counted up right before the
spawn, and the function adds to no WaitGroup before the loop (wg.Add(len(xs))
there counts items the loop would skip). Otherwise the acquire is the
plain send, which waits only until one of the running goroutines ends.

When the goroutines are started with g.Go on an errgroup.Group declared in
the function and not limited (no SetLimit, no TryGo), the fix is
g.SetLimit(N) right after the group's declaration, before any goroutine of
the group exists (SetLimit panics otherwise); g.Go then waits for a free
slot. The limit applies to every goroutine of the group, so all of its Go
calls must pass the checks below.

Why this keeps the program's behaviour, and the edge cases where it does
not (hence the review tier):
- The fix only makes the loop wait, before starting a goroutine, until one
  of the goroutines it started has ended. A fix is offered only when, as
  far as the rule can see, the goroutines end on their own: they do not
  receive from a channel, wait in a select, send on a channel that is not
  buffered for every item, wait on a sync.WaitGroup, sync.Cond or errgroup,
  spin on an atomic value other goroutines change, serve a listener, or run
  a loop that never ends; and the spawning function holds no mutex while it
  starts them (Lock or RLock before the spawn with no Unlock in between,
  deferred unlocks included) and is not named …Locked. Then the wait always
  ends, and everything the goroutines do still happens, in the same order
  within each goroutine.
- A send is fine when it cannot block: the channel is made in the function
  with make(chan T, len(X)) before a range over X, make(chan T, n) before a
  loop counting to n, a constant buffer at least the constant count, or a
  buffer of one for a channel made in the loop's body; the goroutine sends
  on it at most once (a send followed by return counts once) and nothing
  else sends on it or takes it (except to a slice of receive-only channels).
- The rule follows calls into the package's own functions, methods and
  local function variables set once to a literal (and once.Do(f)), a few
  levels deep, but not into other packages, other function values or
  interface methods: a goroutine that waits in such code for something the
  loop or the code after it does later — or that never ends, like a
  server's Serve loop — would keep later items from starting. A goroutine
  that runs only a function value (go f()) gets no fix for that reason.
- A lock held by the caller of the spawning function while the goroutines
  take it deadlocks the same way; the rule sees only the spawning function
  (and its name: …Locked).
- With a context, cancellation mid-loop now skips the items not yet
  started: their goroutines never run (before, each was started and
  typically returned ctx.Err() at once). A function that returns the
  goroutines' errors may then return partial results without an error for
  the skipped items; check ctx.Err() after the loop if callers rely on it.
- Fewer goroutines run at once: throughput changes, and code that relies on
  all of them running together through means the rule does not recognise
  would not make progress.`,
		Wrong: `func FetchAll(ctx context.Context, urls []string) []Page {
	pages := make([]Page, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[i] = fetch(ctx, u) // http.Get inside
		}()
	}
	wg.Wait()
	return pages
}`,
		Right: `func FetchAll(ctx context.Context, urls []string) []Page {
	pages := make([]Page, len(urls))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
loop:
	for i, u := range urls {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem }()
			defer wg.Done()
			pages[i] = fetch(ctx, u)
		}()
	}
	wg.Wait()
	return pages
}`,
		LeftAlone: `- Loops with a constant count no larger than the bound (for i := 0; i < 4;
  i++, a range over an array or a literal of a few elements): a fixed,
  chosen fan-out. The bound compared with is --limit, or the I/O bound.
- Loops whose count follows the machine: runtime.NumCPU() or
  runtime.GOMAXPROCS(…), a variable set once to one of them, arithmetic on
  them (parallelism × GOMAXPROCS), min(n, NumCPU()), or a slice made with
  such a length (one goroutine per processor).
- Counted loops to a bound named as a degree of concurrency (workers,
  concurrency, parallelism, threads, procs, shards, pool…): a pool.
- for loops that are not counted (for cond {…}, for {…}: accept loops and
  the like), and, in a nest, every loop but the innermost one around the
  go statement.
- Worker pools: goroutines whose own code (or a function it calls directly)
  loops receiving from a channel (range, a receive or a select in a loop),
  loops forever (a for with no condition and no way out), or takes its
  items from a shared atomic counter (for { i := next.Add(1) - 1 … }).
- Loops already gated: a channel send or receive, a select without a
  default, or a call named Acquire, TryAcquire, Wait, WaitN, Take or
  *acquire* in the loop's body; a goroutine whose first statement takes a
  slot of a semaphore it gives back (sem <- x … <-sem, <-tokens …
  tokens <- t, an Acquire call); an errgroup.Group that has SetLimit or
  TryGo called on it; an errgroup.Group that is a parameter or a field (its
  owner may limit it).
- TryGo, and goroutines started in function literals inside the loop body.
- Reported without a fix (the reason is in the finding):
  - goroutines that may wait for each other, for the code after the loop,
    or forever (see above): a bound could deadlock them;
  - in _test.go files: a test's goroutines are usually meant to run at
    once (stress and race tests, goroutines blocked in I/O whose other end
    the test drives after the loop);
  - a loop nested in another loop: a semaphore before it would bound each
    pass of the outer loop separately;
  - a loop that starts goroutines in more than one place;
  - go f(x) whose function or arguments could change between the go
    statement and the start of the goroutine (fields, calls, variables
    assigned anywhere in the function, a loop variable before Go 1.22);
    go f() of a function value; wg.Go(f) with a function value;
  - a labeled go statement; a loop whose statement is not in a list;
  - when make or runtime cannot be named at the loop (shadowed or
    dot-imported), when the file imports a package twice (restoring the
    file would merge the imports), or when errgroup has no SetLimit in that
    version;
  - an errgroup.Group used other than by Go and Wait (passed on), declared
    inside the loop, or whose goroutines start others in it, or any of
    whose other goroutines could wait.`,
	},
})
