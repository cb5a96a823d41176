package matchers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// ctxReviewModule: a handler reaches exported API (lib.Get → get, which
// calls context.Background()) and an http.Get (page).
var ctxReviewModule = map[string]string{
	"go.mod":     "module example.com/x\n\ngo 1.22\n",
	"lib/lib.go": ctxAPILib,
	"cmd/app/main.go": `package main

import (
	"net/http"

	"example.com/x/lib"
)

func page(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func serve(w http.ResponseWriter, r *http.Request) {
	_ = lib.Get(r.URL.Path)
	_ = page("http://example.com/")
}

func main() { http.HandleFunc("/", serve) }
`,
}

// At the review tier the fixes that change exported API or use a
// review-tier context form carry a review note naming the edge case; at
// the safe tier they are not made, and the reason points to --tier review.
func TestCtxThreadingReviewNotes(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	t.Parallel()
	dir := ctxWriteModule(t, ctxReviewModule)
	prog := ctxProgram(t, dir)

	safe := matchers.CtxThreadingWith(prog, matchers.CtxThreadingOptions{})
	if len(safe) != 2 {
		t.Fatalf("safe tier: %d findings, want 2:\n%s", len(safe), strings.Join(ctxSummary(dir, prog, safe), "\n"))
	}
	for _, fd := range safe {
		if fd.Fix != nil || !strings.Contains(fd.NoFix, "--tier review") {
			t.Errorf("safe tier: %q: fix %v, no-fix %q: want no fix and a reason pointing to --tier review", fd.Message, fd.Fix != nil, fd.NoFix)
		}
	}

	prog.Review = true
	review := matchers.CtxThreadingWith(prog, matchers.CtxThreadingOptions{API: true})
	var notes []string
	for _, fd := range review {
		if fd.Fix != nil {
			notes = append(notes, fd.Fix.Review)
		}
	}
	want := []string{
		"changes the signature of exported lib.Get: callers in other modules must pass a context",
		"http.Get: the request now stops when the context is cancelled or its deadline passes, and so does reading the response body",
	}
	got := strings.Join(notes, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("review notes lack %q:\n%s", w, got)
		}
	}
}

// Through the engine: at the safe tier ctx-variants reports net.Dial and
// http.Get without a fix, the no-fix reason quoting the edge case; at the
// review tier both are fixed.
func TestCtxVariantsReviewTier(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	t.Parallel()
	dir := ctxWriteModule(t, map[string]string{
		"go.mod": "module example.com/x\n\ngo 1.22\n",
		"main.go": `package main

import (
	"context"
	"net"
	"net/http"
)

func get(ctx context.Context, url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	return net.Dial("tcp", addr)
}

func main() {}
`,
	})
	run := func(tier rules.Tier) *engine.Result {
		res, err := engine.Run(context.Background(), engine.Options{
			Dir: dir, Patterns: []string{"./..."}, Rules: []*rules.Rule{rules.CtxVariants}, Fix: true, Tier: tier,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run(rules.Safe)
	if len(res.Findings) != 2 || len(res.Changes) != 0 {
		t.Fatalf("safe tier: %d findings, %d changes; want 2, 0", len(res.Findings), len(res.Changes))
	}
	for _, f := range res.Findings {
		var edge string
		switch {
		case strings.Contains(f.Message, "http.Get"):
			edge = "and so does reading the response body"
		case strings.Contains(f.Message, "net.Dial"):
			edge = "the connection, once made, does not depend on it"
		}
		if f.Fixed || edge == "" || !strings.HasPrefix(f.NoFix, "review-tier fix (") ||
			!strings.Contains(f.NoFix, edge) || !strings.HasSuffix(f.NoFix, "apply it with --tier review") {
			t.Errorf("safe tier: %s: fixed %v, no-fix %q", f.Message, f.Fixed, f.NoFix)
		}
	}
	res = run(rules.Review)
	if len(res.Changes) != 1 {
		t.Fatalf("review tier: %d changes, want 1", len(res.Changes))
	}
	for _, f := range res.Findings {
		if !f.Fixed {
			t.Errorf("review tier: %s not fixed: %s", f.Message, f.NoFix)
		}
	}
}

// TestHTTPGetBehaviour: a handler whose http.Get goes to a backend. The
// client's transport (set by the test) records the outgoing request's
// context and blocks until that context is done or the test releases it.
// Before the fix the outgoing request has context.Background(), which can
// never be done: cancelling the client's request leaves it running. After
// the review-tier fix made by the engine, cancelling the client's request
// cancels the outgoing one, and http.Get's replacement returns
// context.Canceled. Driven by channels: no clock.
func TestHTTPGetBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"server.go": `package server

import (
	"context"
	"io"
	"net/http"
)

var result = make(chan error, 1)

// Backend is the URL the handler forwards to.
var Backend = "http://backend.invalid/"

func forward(ctx context.Context, w http.ResponseWriter) error {
	resp, err := http.Get(Backend)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

// Handler forwards the request and reports how forwarding ended.
func Handler(w http.ResponseWriter, r *http.Request) {
	result <- forward(r.Context(), w)
}
`,
			"server_test.go": `package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

type transport struct {
	seen    chan context.Context
	release chan struct{}
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tr.seen <- ctx
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-tr.release:
		return nil, errors.New("released")
	}
}

func TestCancelReachesBackend(t *testing.T) {
	tr := &transport{seen: make(chan context.Context, 1), release: make(chan struct{})}
	http.DefaultClient.Transport = tr
	srv := httptest.NewServer(http.HandlerFunc(Handler))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: http.DefaultTransport}
	go func() {
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	out := <-tr.seen // the handler's outgoing request is in flight
	cancel()         // the client gives up
	if out.Done() == nil {
		close(tr.release) // let the handler finish so the server can close
		<-result
		t.Fatal("the outgoing request cannot be cancelled: its context is never done")
	}
	<-out.Done()
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Fatalf("forward returned %v, want context.Canceled", err)
	}
}
`,
		},
		Before: behave.Fails("the outgoing request cannot be cancelled"),
		Engine: engine.Options{Patterns: []string{"./..."}, Tests: true, Rules: []*rules.Rule{rules.CtxVariants}, Tier: rules.Review},
		Rewrite: behave.Rewrite{Has: []string{
			"req, err := http.NewRequestWithContext(ctx, http.MethodGet, Backend, nil)",
			"resp, err := http.DefaultClient.Do(req)"}},
		After: behave.Passes,
	})
}
