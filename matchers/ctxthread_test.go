package matchers_test

import (
	"go/ast"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// ctxWriteModule writes files (name → content) under a new temp dir.
func ctxWriteModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	behave.WriteTree(t, dir, files)
	return dir
}

// ctxProgram loads ./... of dir (no tests: one variant per package, each
// owning its files) and builds a matchers.Program from it.
func ctxProgram(t *testing.T, dir string) *matchers.Program {
	t.Helper()
	cfg := &packages.Config{Mode: packages.LoadSyntax | packages.NeedImports, Dir: dir, Env: append(os.Environ(), "GOWORK=off", "GOFLAGS=")}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		t.Fatal(err)
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		t.Fatalf("%d load errors", n)
	}
	prog := &matchers.Program{}
	for _, p := range pkgs {
		prog.Fset = p.Fset
		prog.Packages = append(prog.Packages, &matchers.ProgramPackage{
			ID: p.ID, Pkg: p.Types, Info: p.TypesInfo, Files: p.Syntax, Owned: p.Syntax})
	}
	return prog
}

// ctxSummary renders findings as "file:line: message [fix: kinds per file]".
func ctxSummary(dir string, prog *matchers.Program, fds []matchers.Finding) []string {
	var out []string
	for _, fd := range fds {
		pos := prog.Fset.Position(fd.Pos)
		rel, _ := filepath.Rel(dir, pos.Filename)
		line := filepath.ToSlash(rel) + ":" + itoa(pos.Line) + ": " + fd.Message
		if fd.Fix != nil {
			perFile := map[string][]string{}
			for _, e := range fd.Fix.Edits {
				name, _ := filepath.Rel(dir, prog.Fset.File(e.File.Pos()).Name())
				perFile[filepath.ToSlash(name)] = append(perFile[filepath.ToSlash(name)], ctxKind(e.Data.(matchers.CtxThreadEdit)))
			}
			var files []string
			for f, ks := range perFile {
				sort.Strings(ks)
				files = append(files, f+"("+strings.Join(ks, ",")+")")
			}
			sort.Strings(files)
			line += " [fix: " + strings.Join(files, " ") + "]"
		}
		out = append(out, line)
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func ctxKind(e matchers.CtxThreadEdit) string {
	switch e.Kind {
	case matchers.CtxAddParam:
		return "param " + e.Name
	case matchers.CtxReplace:
		return "replace " + e.Arg.String()
	case matchers.CtxAddArg:
		return "arg " + e.Arg.String()
	case matchers.CtxBind:
		return "bind " + e.Name
	case matchers.CtxVariant:
		return "variant " + e.Variant.To
	}
	return "?"
}

func ctxCheck(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// A chain through the exported API of an importable package: left alone
// by default, changed in every package with the API option.
// ctxAPILib is a package whose exported Get reaches context.Background().
const ctxAPILib = `package lib

import "context"

// Get is public API.
func Get(key string) error { return get(key) }

func get(key string) error { return context.Background().Err() }
`

func TestCtxThreadingAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	t.Parallel()
	dir := ctxWriteModule(t, map[string]string{
		"go.mod":     "module example.com/x\n\ngo 1.22\n",
		"lib/lib.go": ctxAPILib,
		"cmd/app/main.go": `package main

import (
	"net/http"

	"example.com/x/lib"
)

func serve(w http.ResponseWriter, r *http.Request) { _ = lib.Get(r.URL.Path) }

func main() {
	_ = lib.Get("warm")
	http.HandleFunc("/", serve)
}
`,
	})
	prog := ctxProgram(t, dir)
	ctxCheck(t, ctxSummary(dir, prog, matchers.CtxThreading(prog)), []string{
		"lib/lib.go:8: context.Background() in get ignores the context of main.serve (main.serve -> Get -> get); not fixed: Get is exported API of package example.com/x/lib: changing its signature is a review-tier fix (apply it with --tier review)",
	})
	ctxCheck(t, ctxSummary(dir, prog, matchers.CtxThreadingWith(prog, matchers.CtxThreadingOptions{API: true})), []string{
		"lib/lib.go:8: context.Background() in get ignores the context of main.serve (main.serve -> Get -> get) [fix: cmd/app/main.go(arg context.TODO(),arg r.Context()) lib/lib.go(arg ctx,param ctx,param ctx,replace ctx)]",
	})
}

// Functions a load cannot see all callers of are left alone: one named in
// a file of another GOOS, one named in a //go:linkname directive, one
// called from a generated file (not owned by the run). A method whose
// name an interface of an imported package lists (io.Closer's Close) may
// implement it.
func TestCtxThreadingBlind(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	t.Parallel()
	dir := ctxWriteModule(t, map[string]string{
		"go.mod": "module example.com/y\n\ngo 1.22\n",
		"a.go": `package main

import (
	"context"
	"io"
	"net/http"
	_ "unsafe"
)

func tagged() error { return context.Background().Err() }

//go:linkname linked
func linked() error { return context.Background().Err() }

func gen() error { return context.Background().Err() }

type res struct{}

func (res) Close() error { return context.Background().Err() }

var _ io.Closer = res{}

func free() error { return context.Background().Err() }

func serve(w http.ResponseWriter, r *http.Request) {
	_ = tagged()
	_ = linked()
	_ = gen()
	_ = res{}.Close()
	_ = free()
}

func main() { http.HandleFunc("/", serve) }
`,
		"a_other.go": `//go:build never

package main

func other() { _ = tagged() }
`,
	})
	prog := ctxProgram(t, dir)
	// Pretend a generated file calls gen: a file the run does not own.
	genFile := `package main

func generated() { _ = gen() }
`
	if err := os.WriteFile(filepath.Join(dir, "gen.go"), []byte(genFile), 0o644); err != nil {
		t.Fatal(err)
	}
	prog = ctxProgram(t, dir)
	for _, pp := range prog.Packages {
		var owned []*ast.File
		for _, f := range pp.Files {
			if filepath.Base(prog.Fset.File(f.Pos()).Name()) != "gen.go" {
				owned = append(owned, f)
			}
		}
		pp.Owned = owned
	}
	ctxCheck(t, ctxSummary(dir, prog, matchers.CtxThreading(prog)), []string{
		"a.go:10: context.Background() in tagged ignores the context of serve (serve -> tagged); not fixed: tagged is named in files of other build configurations",
		"a.go:13: context.Background() in linked ignores the context of serve (serve -> linked); not fixed: linked is named in a //go:linkname or //export directive",
		"a.go:15: context.Background() in gen ignores the context of serve (serve -> gen); not fixed: gen is called from a file this run does not rewrite (gen.go:3)",
		"a.go:19: context.Background() in res.Close ignores the context of serve (serve -> res.Close); not fixed: res.Close is a method that may implement an interface",
		"a.go:23: context.Background() in free ignores the context of serve (serve -> free) [fix: a.go(arg r.Context(),param ctx,replace ctx)]",
	})
}

// Two handlers reach two leaves through a shared function: one fix for
// both, the second finding says where the fix is. The fix of alone, which
// shares the handler one but nothing else, cannot be made (sweep shadows
// the context package): it does not hold back the other, and the handler's
// context, now used once in the fix, is not bound.
func TestCtxThreadingGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("loads packages")
	}
	t.Parallel()
	dir := ctxWriteModule(t, map[string]string{
		"go.mod": "module example.com/z\n\ngo 1.22\n",
		"a.go": `package main

import (
	"context"
	"net/http"
)

func shared() int { return leaf1() + leaf2() }

func leaf1() int {
	if context.Background().Err() != nil {
		return 0
	}
	return 1
}

func leaf2() int {
	if context.TODO().Err() != nil {
		return 0
	}
	return 2
}

func alone() error { return context.Background().Err() }

func one(w http.ResponseWriter, r *http.Request) { _ = shared(); _ = alone() }

func two(w http.ResponseWriter, r *http.Request) { _ = shared() }

func sweep() {
	context := 1
	_ = context
	_ = alone()
}

func main() {
	sweep()
	http.HandleFunc("/1", one)
	http.HandleFunc("/2", two)
}
`,
	})
	prog := ctxProgram(t, dir)
	ctxCheck(t, ctxSummary(dir, prog, matchers.CtxThreading(prog)), []string{
		"a.go:11: context.Background() in leaf1 ignores the context of one (one -> shared -> leaf1) [fix: a.go(arg ctx,arg ctx,arg r.Context(),arg r.Context(),param ctx,param ctx,param ctx,replace ctx,replace ctx)]",
		"a.go:18: context.TODO() in leaf2 ignores the context of one (one -> shared -> leaf2); fixed with the finding at a.go:11",
		"a.go:24: context.Background() in alone ignores the context of one (one -> alone); not fixed: the context package cannot be named at a.go:33",
	})
}

// TestCtxThreadingBehaviour runs an HTTP server (httptest, loopback) whose
// handler reaches a job that used context.Background(): before the fix,
// cancelling the client's request does not stop the job; after the fix
// made by the engine, the job sees the request's cancellation. The test
// is driven by channels: no clock is involved.
func TestCtxThreadingBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"server.go": `package server

import (
	"context"
	"net/http"
)

var (
	stepc   = make(chan int)
	proceed = make(chan struct{})
	result  = make(chan error, 1)
	reqDone = make(chan struct{})
)

// Handler runs the job of a request and reports its outcome.
func Handler(w http.ResponseWriter, r *http.Request) {
	go func() {
		<-r.Context().Done()
		close(reqDone)
	}()
	result <- job(3)
}

func job(n int) error {
	return work(context.Background(), n)
}

// work does n steps; before each it tells the test and waits for it.
func work(ctx context.Context, n int) error {
	for i := 0; i < n; i++ {
		stepc <- i
		<-proceed
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
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

func TestCancelReachesJob(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(Handler))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if i := <-stepc; i != 0 {
		t.Fatalf("first step %d", i)
	}
	cancel()    // the client gives up
	<-reqDone   // the server has seen it: the request's context is done
	proceed <- struct{}{}
	select {
	case err := <-result:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("job returned %v, want context.Canceled", err)
		}
	case i := <-stepc:
		// Let the job run out so the server can close, then fail.
		go func() {
			for range stepc {
			}
		}()
		close(proceed)
		<-result
		t.Fatalf("the job went on to step %d after the request was cancelled", i)
	}
}
`,
		},
		Before: behave.Fails("after the request was cancelled"),
		Engine: engine.Options{Patterns: []string{"./..."}, Tests: true, Rules: []*rules.Rule{rules.CtxThreading}},
		Rewrite: behave.Rewrite{Has: []string{
			"result <- job(r.Context(), 3)", "func job(ctx context.Context, n int) error {\n\treturn work(ctx, n)"}},
		After: behave.Passes,
	})
}
