package rules

import (
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// CtxThreading: context.Background()/TODO() (or a context-less API) in a
// function reached from one that has a context; the fix threads a ctx
// parameter down the call chains, across packages.
var CtxThreading = register(&Rule{
	Name:  "ctx-threading",
	Title: "context.Background/TODO in a function reached from one that has a context",
	Tier:  Safe,
	Adds:  []string{"context"},
	// At --tier review the chains also go through exported API and reach
	// the review-tier context forms (net.Dial, http.Get...); each such
	// fix carries its Fix.Review note.
	Program: func(p *matchers.Program) []matchers.Finding {
		return matchers.CtxThreadingWith(p, matchers.CtxThreadingOptions{API: p.Review})
	},
	Rewrite: rewrites.CtxThreading,
	Doc: Doc{
		Why: `A function that calls context.Background() or context.TODO() starts a
context that is never cancelled and has no deadline. When that function is
reached from one that has a context — a context.Context parameter, an
HTTP handler (r.Context()), a test (t.Context(), Go 1.24) — the caller's
cancellation and deadline stop at that call: a client that hung up, a
request that timed out or a test that ended leaves the downstream work
(queries, outgoing requests, commands) running to completion. Likewise a
context-less API (http.NewRequest, (*sql.DB).Query, exec.Command,
net.Dial, http.Get...) deep in the chain cannot be cancelled. go/analysis fixes stay inside one
package and linters (contextcheck, noctx) only report; this rule changes
the whole call chain, across packages.`,
		Fix: `Adds ctx context.Context as the first parameter of every function on the
call chains from the roots that have a context down to the function with
the call (a fresh name — ctx2... — when ctx is taken there, unless the
only ctx is a top-level ctx := context.Background() the fix replaces and
nothing assigns again: then the parameter is ctx and that line goes), replaces
context.Background()/TODO() with it (or calls the API's context form:
http.NewRequestWithContext(ctx, ...), QueryContext(ctx, ...),
BeginTx(ctx, nil), exec.CommandContext(ctx, ...)), and updates every call
site of every changed function in every loaded package: a caller on a
chain passes its new ctx, a caller that has a context passes it, and a
caller without one passes context.TODO() — a visible marker for the next
step that behaves exactly like context.Background(). In an HTTP handler
the root context is r.Context(), bound once (ctx := r.Context()) when it is
used more than once; in a test it is t.Context(). A function that takes
an *http.Request r and is called only by handlers passing their own
request as r is a root too: it keeps its signature and uses r.Context(),
which is what its callers would pass. A handler whose request parameter
is blank (_ *http.Request) gets it named (r, or a fresh name) and passes
r.Context() like any handler. A go statement on a chain
passes ctx into the goroutine when the function waits for it
(sync.WaitGroup.Wait, errgroup.Group.Wait); a goroutine it does not wait for
gets context.TODO(). A fix edits files of several packages at once and is
verified as a whole: every changed package and every loaded package that
depends on one must type-check, or nothing is applied.

A value made with the context (a response, rows) may be returned by the
function that makes it: it is followed into every caller that will pass a
real context, which must not keep it either. A root may return such a
value only when the context it passes is its ctx parameter as received,
not a context derived from it that it may cancel on return (its caller
could not read the response's body); otherwise the finding has no fix.

At --tier review (review-tier fixes, each naming its edge case):
- Chains also go through exported functions and methods of importable
  packages. Every call site in the loaded module is updated (other
  packages, tests, external test packages, examples), but callers in
  other modules, which the run cannot see, must then pass a context:
  the fix's review note names the exported functions it changes.
- net.Dial, net.DialTimeout and (*net.Dialer).Dial, and http.Get, Head and
  Post (and the same methods of an *http.Client variable) deep in a chain
  are targets too, rewritten as ctx-variants does (see gofixconc explain
  ctx-variants): (&net.Dialer{Timeout: t}).DialContext(ctx, ...), and
  http.NewRequestWithContext plus Do. Their edge case: the dial (DNS
  lookup and connect) stops when the context is done, though the
  connection, once made, does not depend on it; the request stops, and
  so does reading the response body, which is therefore followed like any
  value made with the context.
- Chains through work shared between callers: a function on the chain
  stores what a changed function returns under a package variable, or in
  a map element reached from its receiver or a parameter (an in-flight
  table, a memo cache), directly or through a local variable it then
  stores there. Edge case: the shared computation now runs with the first
  caller's context, and that caller's cancellation fails (or is cached
  for) every other caller waiting on it. At the safe tier the chain stops
  at the function whose result is shared: it keeps its signature and
  passes context.TODO() below, and the rest of the chain is fixed.
- Chains through cleanup: a call on the chain (or the
  context.Background() itself) in the body of an if that tests against
  nil an error returned by a call given a context (err := save(ctx)), or
  calls ctx.Err(), or in a select case receiving from ctx.Done(). Edge
  case: when the error is the cancellation, the cleanup (a rollback, a
  compensating write) now starts with a context that is already done and
  does not run. An error from a call without a context (a parse error) is
  plain error handling and stays safe.
At the safe tier these are reported without a fix, and no chain is
threaded only for them.

Behaviour changes only where it is meant to: when the root's context is
cancelled or its deadline passes, the downstream work now stops with the
context's error instead of running on. Values (trace IDs) now flow down.
Review the one edge case the recognised shapes above do not catch: a
function on a chain that caches what it computes some other way (a
memoized probe in a struct the caller does not own) may now cache a
failure caused by one caller's cancellation. (sync.Once.Do, singleflight
Do and other callbacks are never on a chain.)`,
		Wrong: `func serve(w http.ResponseWriter, r *http.Request) {
	u, err := load(r.URL.Query().Get("id"))
	...
}

func load(id string) (*user, error) {
	row := db.QueryRowContext(context.Background(), "SELECT ...", id)
	...
}`,
		Right: `func serve(w http.ResponseWriter, r *http.Request) {
	u, err := load(r.Context(), r.URL.Query().Get("id"))
	...
}

func load(ctx context.Context, id string) (*user, error) {
	row := db.QueryRowContext(ctx, "SELECT ...", id)
	...
}`,
		LeftAlone: `- Calls not reached from a function that has a context (main, init, package
  variables, callbacks) are not reported.
- Calls whose context is meant to outlive the caller are not reported: the
  context itself is returned (a function that makes contexts) or stored in
  a struct, slice or map; it, or a request, rows or a command made with
  it, is stored in a field or package variable, sent on a channel, passed
  to a go statement or captured by a function literal that may run later,
  or passed to a function of the loaded program that does one of these.
- if ctx == nil { ctx = context.Background() } is a default, not a
  context ignored: not reported. Nor is context.Background() or TODO()
  that is only compared (ctx != context.Background(), a switch tag or
  case): no context is used for work there, and ctx != ctx would always be
  false.
- Production code is not changed for the sake of tests alone: a call from
  a _test.go file into a function of a non-test file does not carry a
  chain (a test root threads its t.Context() through test helpers only).
  A test that calls a function changed for a production root passes its
  t.Context().
  Calls in deferred code (a cleanup that must run after cancellation), in
  function literals that are not called on the spot, and in goroutines
  that are not waited for are not reported either.
- context.Background() in a function that already has a context.Context
  parameter is reported without a fix: the author had ctx at hand, and
  may detach on purpose.
- Functions are changed only when their signature is theirs to change:
  not exported API of an importable package (not main, not under
  internal/) except at --tier review, not main, init or a test function,
  not a method that may implement an interface (some interface of the
  loaded program or a package it imports has a method of its name; an
  interface and its implementations are never changed), not a function used as a value (callback, variable, method
  value), named in a //go:linkname or //export directive, or referenced by
  a file this run does not rewrite (generated, another GOOS or build tag).
  An exported method of an unexported type that no exported declaration
  of its package mentions (no exported function, variable, field,
  embedded field or alias hands one out) is not API; and when no value
  holding that type (the type, a pointer, a slice, a struct of its
  package with one...) is converted to an interface in its package
  (assigned, passed, returned or stored where an interface, such as
  fmt.Println's ...any, is expected) nor named in a file of another build
  configuration, it implements no interface either, whatever its methods'
  names (except the conventional String, Error, Close, Unwrap... that the
  standard library looks up at run time, which stay blocked).
  A chain blocked by such a function is reported without a fix, naming it.
- Only static calls are followed: no interface dispatch, no function
  values. Recursive and generic functions are followed.
- Context-less APIs in a function that has a context are ctx-variants'.`,
	},
})

// CtxVariants: a context-less API with a context form, called where a
// context is in scope.
var CtxVariants = register(&Rule{
	Name:     "ctx-variants",
	Title:    "a context-less API (http.NewRequest, http.Get, sql Query/Exec, exec.Command, net.Dial) called where a context is in scope",
	Tier:     Safe,
	Requires: []string{"net/http", "database/sql", "os/exec", "net"},
	Match:    matchers.CtxVariants,
	Rewrite:  rewrites.CtxVariants,
	Doc: Doc{
		Why: `http.NewRequest, the Query, QueryRow, Exec, Prepare, Begin and Ping methods
of *sql.DB, *sql.Tx and *sql.Stmt, exec.Command, net.Dial and
net.DialTimeout, (*net.Dialer).Dial, and http.Get, Head and Post (and the
same methods of an *http.Client) use context.Background(): called in a
function that has a context (a context.Context parameter, an HTTP
handler's r.Context(), a Go 1.24 test's t.Context()), they ignore its
cancellation and deadline, so the request, query, command or dial runs on
after the caller gave up.`,
		Fix: `Calls the context form with the context in scope:
http.NewRequestWithContext(ctx, ...), QueryContext, QueryRowContext,
ExecContext, PrepareContext, PingContext (ctx, ...), BeginTx(ctx, nil),
exec.CommandContext(ctx, ...). Each context-less form is implemented as
its context form called with context.Background() (and nil options), so
nothing changes but cancellation and deadlines, which is the point. The
context is the ctx parameter (or a context variable that shadows it at the
call, derived from it), r.Context() in a handler, t.Context() in a test.

Review tier (--tier review; at the safe tier these are reported without a
fix, the reason naming the edge case):
- net.Dial(n, a) is a zero Dialer's Dial, which is DialContext with
  context.Background(): it becomes (&net.Dialer{}).DialContext(ctx, n, a);
  net.DialTimeout(n, a, t) becomes (&net.Dialer{Timeout: t}).DialContext(ctx,
  n, a); d.Dial(n, a) becomes d.DialContext(ctx, n, a). Edge case: the dial
  (DNS lookup and connect) now stops when ctx is cancelled or its deadline
  passes, earlier than the Timeout when ctx's deadline is sooner; once
  connected, the connection does not depend on ctx, so it may be kept or
  returned. (Values in ctx, such as an httptrace.ClientTrace, now see the
  dial.)
- http.Get(u) is DefaultClient.Get(u): NewRequest("GET", u, nil), its error
  returned as it is with a nil response, then Do (Post also sets the
  Content-Type header). It has no context form to rename to, so the fix
  writes those statements with NewRequestWithContext, in the two shapes
  where this is the same but for the context. A statement followed by an
  error check,
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
  becomes
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
  when the check's body always leaves (return, break, continue, panic,
  log.Fatal, os.Exit, t.Fatal...) and does not use resp: the check is
  repeated for the request's error (req is a fresh name). And return
  http.Get(u) in a function returning (*http.Response, error) gets
  if err != nil { return nil, err } for the request's error. c.Get(u) on
  an *http.Client variable c becomes c.Do(req). Edge case: the request now
  stops when ctx is cancelled or its deadline passes, and so does reading
  the response body; a response that may outlive the context (stored,
  returned from a handler, returned past a derived context) gets no fix.`,
		Wrong: `func fetch(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}`,
		Right: `func fetch(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}`,
		LeftAlone: `- Calls in deferred code, in function literals that may run later and in
  goroutines the function does not wait for: a cleanup or background work
  may have to outlive the context.
- The fix is withheld (finding without fix) when the result holds on to
  the context and may outlive it — a request, rows, a row, a transaction,
  a command or an HTTP response stored, sent, handed to a goroutine,
  captured by a literal that may run later, or returned from a handler or
  test, or returned after ctx was replaced by a context derived from it
  (returning it from a function whose ctx parameter is passed as it is is
  allowed: the caller owns that context) — and for exec.Command when the
  command is not run to completion in the function (Run, Output,
  CombinedOutput, or Start with Wait): CommandContext kills the process
  when the context is done.
- http.Get/Head/Post in any other shape: in an if's init statement, with
  the error unchecked or checked by code that may fall through, uses resp,
  jumps with goto or declares a label; assigning to an existing response
  variable that may be read after the check (a failed request would set
  it to nil; the copied check leaves it as it was) — a result, a variable
  a closure sees, or a check that breaks or continues — or to an err
  declared in an outer block; Post with a computed content type, or a client that is
  not a plain variable (either would be evaluated after the request is
  built); a client type that is not *http.Client (its Do may differ);
  return http.Get(u) from a function whose results are not
  (*http.Response, error). PostForm is left alone. Also net.DialTimeout
  whose timeout and address both call functions (the order would change).
- A file whose Go version is known and predates the context form (Go 1.13
  for NewRequestWithContext, 1.8 for database/sql, 1.7 for CommandContext
  and DialContext): finding without fix. (A file without a known version,
  such as the standard library's, builds at the toolchain's version, which
  has them all.)
- A type embedding *sql.DB that declares its own QueryContext, a shadowed
  dot-imported name, and a dot-imported or hidden net or net/http where
  the fix would have to write new names of it: the context form must mean
  the standard one.
- An http.NewRequest whose request gets the context in scope before it
  is sent: req.WithContext(ctx) or req.Clone(ctx) (also as
  req = req.WithContext(ctx)), every other use being a field of the
  request (req.Header.Set...) or AddCookie, SetBasicAuth, SetPathValue.
  The request that goes out carries ctx already. (A helper of another
  function that calls WithContext is not followed: that call is still
  fixed, which is harmless.)
- An http.NewRequest whose request never reaches a client: every use is
  a field, AddCookie, SetBasicAuth, SetPathValue, or the request argument
  of a handler call (a function or method taking an http.ResponseWriter
  and the *http.Request, such as ServeHTTP) — a test serving it to a
  handler with an httptest.ResponseRecorder. Nothing goes over the
  network. (A handler that forwards the request itself, such as
  httputil.ReverseProxy, is taken as a handler too.)
- Functions without a context: see ctx-threading.`,
	},
})
