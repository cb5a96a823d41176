package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// TickLeak: time.Tick in a function that returns, in a module older than Go
// 1.23.
//
// Requires time: time.Tick can only be called through an import of package
// time (qualified, aliased or dot-imported).
var TickLeak = register(&Rule{
	Name:     "tick-leak",
	Title:    "time.Tick in a function that returns leaks its ticker (before Go 1.23)",
	Tier:     Safe,
	MinGo:    "",
	Requires: []string{"time"},
	Adds:     []string{"time"},
	Match:    matchers.TickLeak,
	Rewrite:  rewrites.TickLeak,
	Doc: Doc{
		Why: `time.Tick(d) starts a time.Ticker and returns only its channel, so nothing
can ever stop the ticker. Before Go 1.23 the runtime kept every ticker that
had not been stopped alive — it stays in the timer heap and fires every d
for the rest of the program — even when nothing references its channel any
more. A function that calls time.Tick and returns therefore leaks one
running ticker per call: memory and timer work that grow with every call.

Since Go 1.23 the garbage collector frees unreferenced tickers whether or
not they were stopped, and time.Tick's documentation no longer warns
against it. That new behaviour is not a property of a file: the runtime
takes it from the GODEBUG defaults of the program, set by the go line of the
main module that builds it (before go1.23: asynctimerchan=1, the old
timers), or by a godebug setting. So the rule checks the Go version of the
file's package — its module's go line — rather than the file's language
version: a //go:build go1.23 line raises the latter but not the runtime's
behaviour, and a //go:build go1.21 line in a go1.23 module lowers it but
does not bring the leak back. Packages of go1.23 modules or later are left
alone, since the main module building them is at least as recent (the go
command requires it since Go 1.21); when the package's version is unknown,
the file's is used, and when both are unknown the rule assumes an older
version. A program that sets asynctimerchan=1 by hand still leaks in go1.23
modules; the rule does not see that.

Like staticcheck's SA1015, the rule does not report time.Tick where the
leak cannot grow: in test files, in the main function of package main and
in init functions (they run once), and in functions that never return —
for range time.Tick(d) { … } with no break or return, or an endless for
loop: the ticker is used for as long as the function runs. The check is
on the innermost function: a handler literal defined in main is checked
like any other function.`,
		Fix: `Declares the ticker right before the statement that used time.Tick, stops
it when the function returns, and uses its channel where the call was:

    ticker := time.NewTicker(d)
    defer ticker.Stop()
    for range ticker.C { … }

(The name is ticker, or ticker2, ticker3… when ticker is already used in
the function.) time.Tick(d) is exactly time.NewTicker(d).C for d > 0, so
the ticks are the same; stopping the ticker when the function returns only
releases it, since nothing can receive from its channel after the return.

The fix is offered only when that is true and the move cannot change
anything else:
- the channel does not outlive the function: time.Tick's result is ranged
  over, received from, or assigned to a local variable that is only ranged
  over or received from, in the function itself (not returned, stored in a
  field, passed to a function or a goroutine, or used in a function literal,
  any of which may go on receiving after the return — stopping the ticker
  would silence it);
- the duration is a constant greater than zero: time.NewTicker panics on a
  duration ≤ 0, where time.Tick returns nil (a channel that never delivers);
- the statement is in a statement list, evaluates the call once (not in a
  for loop's condition or post statement), and is not inside a loop: a
  ticker and a deferred Stop per iteration would pile up until the function
  returns (move the ticker out of the loop by hand, or use time.After);
- package time can be referred to there (not dot-imported, the name not
  shadowed).
The duration expression is evaluated slightly earlier (before the rest of
the statement), which cannot matter for a constant.`,
		Wrong: `func waitReady(check func() bool) {
	for range time.Tick(100 * time.Millisecond) {
		if check() {
			return // the ticker runs on, for ever (before Go 1.23)
		}
	}
}`,
		Right: `func waitReady(check func() bool) {
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for range ticker.C {
		if check() {
			return
		}
	}
}`,
		LeftAlone: `- Packages of modules at go1.23 or later: the garbage collector frees
  unreferenced tickers, and time.Tick is fine.
- Test files, func main of package main, init functions.
- Functions that never return (endless loops, a range over the tick channel
  with no way out): the ticker lives as long as the function, which is
  for ever. A goroutine literal that loops for ever over time.Tick is the
  common case.
- time.Tick with a constant duration ≤ 0: it returns nil and starts no
  ticker.
- Reported without a fix: a channel that escapes (returned, stored,
  passed, captured by a function literal or goroutine); a duration that is
  not a constant (time.NewTicker would panic on a value ≤ 0 where
  time.Tick returned nil — check the value and fix by hand); time.Tick in
  a loop or a select inside a loop, which creates a ticker per iteration
  (hoisting it would change when the ticks come; time.After or one ticker
  outside the loop is the usual fix); a dot-imported or shadowed time.`,
	},
})
