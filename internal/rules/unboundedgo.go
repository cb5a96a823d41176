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
net/http, os, os/exec, database/sql, io, bufio, syscall or time.Sleep, or
calls a function of another package that takes or returns one of their
types or a context.Context. The fix message says which N and why.

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
  of the goroutines it started has ended. A fix is offered only when the
  goroutines finish on their own as far as the rule can see: they do not
  receive from a channel, wait in a select, send on a channel that is not
  buffered for every item, wait on a sync.WaitGroup, sync.Cond or errgroup,
  or lock a mutex that the spawning function also locks (or whose name ends
  in Locked). Then the wait always ends and everything the goroutines do
  still happens, in the same order within each goroutine.
- The rule follows calls into the package's own functions (four levels
  deep), but not into other packages, function values or interface
  methods: a goroutine that waits in such code for something the loop or
  the code after it does later — or that never ends, like a server's Serve
  loop — would keep later items from starting. A goroutine that runs only
  a function value (go f()) gets no fix for that reason.
- A lock held by the caller of the spawning function while the goroutines
  lock it would deadlock; the rule sees only the spawning function.
- With a context, cancellation mid-loop now skips the items not yet
  started: their goroutines never run (before, each was started and
  typically returned ctx.Err() at once). A function that returns the
  goroutines' errors may then return partial results without an error for
  the skipped items; check ctx.Err() after the loop if callers rely on it.
- Fewer goroutines run at once: code that relies on all of them running
  together (a goroutine that spins on an atomic flag a later one sets)
  would not make progress; the rule does not look for such flags.`,
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
- Loops whose count is runtime.NumCPU() or runtime.GOMAXPROCS(…).
- for loops that are not counted (for cond {…}, for {…}: accept loops and
  the like), and a goroutine started in a loop nested inside the matched
  loop (only the innermost loop is looked at).
- Worker pools: goroutines that loop receiving from a channel (range over a
  channel, a for loop around a receive or a select).
- Loops already gated: a channel send or receive, a select without a
  default, or a call named Acquire, TryAcquire, Wait, WaitN, Take or
  *acquire* in the loop's body; a goroutine whose first statement acquires
  (a send of a constant value, a receive, a select, an Acquire call); an
  errgroup.Group that has SetLimit or TryGo called on it; an errgroup.Group
  that is a parameter or a field (its owner may limit it).
- TryGo and goroutines started in function literals inside the loop body.
- Reported without a fix:
  - goroutines that may wait for each other or for the code after the
    loop (see above: receives, selects, unbuffered or under-buffered
    sends, WaitGroup/Cond/errgroup Wait, a mutex the function locks): a
    bound could deadlock them;
  - a loop nested in another loop: a semaphore before it would bound each
    pass of the outer loop separately;
  - a loop that starts goroutines in more than one place;
  - go f(x) whose function or arguments could change between the go
    statement and the start of the goroutine; go f() of a function value;
    wg.Go(f) with a function value;
  - a labeled go statement; a loop whose statement is not in a list;
  - when make or runtime cannot be named at the loop (shadowed or
    dot-imported), or errgroup has no SetLimit in that version;
  - an errgroup.Group used other than by Go and Wait (passed on, TryGo),
    or whose goroutines start others in it.`,
	},
})
