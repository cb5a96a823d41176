package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// GoroutineNoExit: a goroutine loops forever with no way to stop.
//
// Requires is empty: the pattern needs no import.
var GoroutineNoExit = register(&Rule{
	Name:    "goroutine-no-exit",
	Title:   "a goroutine loops forever with no way to stop",
	Tier:    Review,
	MinGo:   "",
	Match:   matchers.GoroutineNoExit,
	Rewrite: rewrites.GoroutineNoExit,
	Doc: Doc{
		Why: `Every goroutine needs a plan for how it stops. A goroutine whose body
loops forever — for { … } or for { select { … } } — with no return, no
break out of the loop and no context or done channel to watch, runs until
the program exits: in a long-lived process every call that starts one
leaks a goroutine, its stack and everything it references. Studies of
goroutine leaks in large service fleets find this shape again and again.

Reported at the go statement: the goroutine is a function literal, or a
function or method of the same package started by name, and its body holds
a loop without a condition (or with the constant true) that nothing leaves
— no return, no break or continue out of it, no goto, no call that never
returns (panic, os.Exit, log.Fatal, runtime.Goexit, t.Fatal…) — and that
watches nothing that could say stop: no receive from a chan struct{} (a done
or quit channel, a context's Done), no call of a context's Done or Err.`,
		Fix: `When the goroutine is a function literal and one context variable is in
scope (as in select-ctx-done), every blocking operation of the loop watches
it (a channel used as a lock, v := <-mu … mu <- v, is left as it is): each
send or receive statement — timer channels included, so a ticker
loop stops too — is wrapped in select { case op: case <-ctx.Done(): return },
and each select without default gets case <-ctx.Done(): return. The
goroutine then returns once the context is done, at the next operation it
reaches. A loop without a channel operation (time.Sleep, busy work, a
blocking call) gets no fix; neither does a goroutine started by name (the
function may be called in other ways), nor one where several contexts are
in scope.

Why review: after the fix the goroutine stops when the context is done,
where it used to run until the program ended; work it would still have done
(or values it would have sent) after the cancellation is dropped, and a
select with a ready case and a done context picks either at random.
Deferred calls still run. Nothing after the loop is skipped: it never ran.`,
		Wrong: `func (s *Server) Start(ctx context.Context) {
	go func() {
		for {
			select {
			case ev := <-s.events:
				s.handle(ev)
			case <-s.ticker.C:
				s.flush()
			}
		}
	}()
}`,
		Right: `func (s *Server) Start(ctx context.Context) {
	go func() {
		for {
			select {
			case ev := <-s.events:
				s.handle(ev)
			case <-s.ticker.C:
				s.flush()
			case <-ctx.Done():
				return
			}
		}
	}()
}`,
		LeftAlone: `- Loops with a condition or over a range (they end), for v := range ch
  (it ends when the producer closes ch), and loops that can be left: a
  return, a break or continue out of the loop, a goto, a call that never
  returns.
- Loops that watch a stop signal even without leaving (a receive from a
  chan struct{}, a context's Done or Err): a plan exists; that it does not
  act on it is another bug.
- Goroutines that run a function of another package, a method value or a
  function variable: their body is not visible.
- Goroutines meant to live as long as the program (a signal handler in
  main, a metrics flusher) are reported too: the rule cannot tell; disable
  it for such packages, or give the goroutine a context.`,
	},
})
