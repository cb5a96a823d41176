package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// WgAddInGoroutine: a goroutine that adds itself to a sync.WaitGroup.
//
// Requires is empty on purpose: a package can call (*sync.WaitGroup).Add
// without importing sync, through a WaitGroup embedded in (or exposed by) a
// type of another package (s.Add(1), other.WG.Add(1)). The matcher's own
// fast path is cheap instead: it visits only go statements through the
// inspector's type filter, and recognises the method by the identity of its
// object in the sync package it belongs to.
var WgAddInGoroutine = register(&Rule{
	Name:    "wg-add-in-goroutine",
	Title:   "sync.WaitGroup.Add called inside the goroutine it counts",
	Tier:    Safe,
	MinGo:   "",
	Match:   matchers.WgAddInGoroutine,
	Rewrite: rewrites.WgAdd,
	Doc: Doc{
		Why: `The goroutine increments the WaitGroup counter itself. Nothing orders that
Add before the Wait that is meant to wait for the goroutine: if Wait runs
first (the goroutine has not been scheduled yet), it sees a zero counter and
returns at once, and the caller goes on while the goroutine still runs. The
sync documentation requires Adds with a positive delta that start from a
zero counter to happen before the Wait; go vet's waitgroup check reports the
same pattern.`,
		Fix: `Moves the Add statement out of the goroutine, to just before the go
statement (inside the loop body when the go statement is in a loop), so the
counter is raised before the goroutine exists. The go statement's leading
comment then heads the pair (a directive such as //nolint:… stays directly
above the go statement), the Add keeps its own comments, and comments below
it stay in the goroutine.

The fix is offered only when the move keeps the Add's meaning: the Add is the
goroutine's first statement (or follows only other Adds), and its receiver
and delta only read variables declared outside the function literal (plain
variables, fields, dereferences, indexes of slices and arrays, constants,
conversions, len and cap of slices, arrays and strings, arithmetic that
cannot panic). Nothing synchronises the go statement with the start of the
goroutine, so in a race-free program such an expression has the same value
at both points. The go statement's own arguments must not block or call
functions, since they are now evaluated after the Add. Before Go 1.22 (per
file), an Add that reads a variable of an enclosing loop is not moved: the
variable is shared by all iterations and may already hold a later value when
the goroutine reads it. Otherwise the finding is reported without a fix.

Go 1.25 added sync.WaitGroup.Go, which does the Add and the go statement in
one call (wg.Go(func() { … })); this fix does not need it and works with any
Go version.`,
		Wrong: `var wg sync.WaitGroup
for _, u := range urls {
	go func() {
		wg.Add(1)
		defer wg.Done()
		fetch(u)
	}()
}
wg.Wait() // may return before any fetch has started`,
		Right: `var wg sync.WaitGroup
for _, u := range urls {
	wg.Add(1)
	go func() {
		defer wg.Done()
		fetch(u)
	}()
}
wg.Wait()`,
		LeftAlone: `- An Add method of any other type, including a user type that embeds
  sync.WaitGroup and declares its own Add, and a local package named sync:
  the method is matched by object identity, never by name.
- wg.Add with a constant delta of zero or less: Add(-1) is a Done.
- An Add in a goroutine that is already counted (a Done on the same
  WaitGroup comes first, e.g. defer wg.Done()): the counter is positive, so
  adding for the goroutines it starts is correct.
- An Add directly followed by the go statement it counts, inside another
  goroutine (a producer starting workers): right for the inner goroutine;
  whether the producer itself is waited for is beyond the rule.
- Adds inside nested function literals, and goroutines started with a named
  function (go worker(&wg)): the rule does not look into other functions.
- Reported without a fix: an Add after other statements or nested in an if
  or a loop of the goroutine; a delta or receiver computed inside the
  goroutine (a parameter of the literal, a call, a receive, a map read, len
  of a channel); a go statement whose arguments call functions or receive;
  a labeled go statement; before Go 1.22, an Add that reads a loop variable.
- A non-constant delta is assumed positive: an Add(n) that really counts
  down as the goroutine's first statement would be moved as well.`,
	},
})
