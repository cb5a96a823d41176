package matchers_test

import (
	"go/ast"
	"go/token"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// checkChanLeakFix checks the fix's shape and its capacity (the number on
// the want line).
func checkChanLeakFix(t *testing.T, fset *token.FileSet, fd matchers.Finding, n int) {
	t.Helper()
	at := fset.Position(fd.Pos)
	if !strings.HasPrefix(fd.Message, "goroutine leak: ") {
		t.Errorf("%s: message %q", at, fd.Message)
	}
	if fd.Fix == nil {
		return
	}
	data, ok := fd.Fix.Data.(matchers.ChanLeakFix)
	if !ok {
		t.Errorf("%s: data %T", at, fd.Fix.Data)
		return
	}
	if n >= 0 && data.Cap != n {
		t.Errorf("%s: capacity %d, want %d", at, data.Cap, n)
	}
	if len(fd.Fix.Nodes) != 1 {
		t.Errorf("%s: %d nodes, want the make call", at, len(fd.Fix.Nodes))
		return
	}
	if _, ok := fd.Fix.Nodes[0].(*ast.CallExpr); !ok {
		t.Errorf("%s: node %T, want the make call", at, fd.Fix.Nodes[0])
	}
	switch fd.Fix.Anchor.(type) {
	case *ast.AssignStmt, *ast.ValueSpec:
	default:
		t.Errorf("%s: anchor %T, want the make's statement", at, fd.Fix.Anchor)
	}
}

func TestChanLeakEarlyReturn(t *testing.T) {
	ctxrCheck(t, matchers.ChanLeakEarlyReturn, []ctxrCase{
		{"select", "go1.22", `package a
import "context"
func f(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 1 }() // want fix 1
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}`},
		{"default case", "go1.22", `package a
func f() int {
	ch := make(chan int)
	go func() { ch <- 1 }() // want fix 1
	select {
	case v := <-ch:
		return v
	default:
		return 0
	}
}`},
		{"two selects", "go1.22", `package a
import "context"
func f(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 1 }() // want fix 2
	go func() { ch <- 2 }()
	n := 0
	for _, _ = range [1]int{} {
	}
	select {
	case v := <-ch:
		n += v
	case <-ctx.Done():
	}
	v := <-ch
	return n + v
}`},
		{"received on every path", "go1.22", `package a
import "context"
func f(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return <-ch
	}
}`},
		{"more receives than sends", "go1.22", `package a
func f() int {
	ch := make(chan int)
	go func() { ch <- 1 }()
	return <-ch + <-ch
}`},
		{"if else sends once", "go1.22", `package a
func f(b bool) error {
	ch := make(chan int)
	go func() {
		if b {
			ch <- 1 // want fix 1
		} else {
			ch <- 2
		}
	}()
	if b {
		return nil
	}
	<-ch
	return nil
}`},
		{"send and return, or send", "go1.22", `package a
func w() error { return nil }
func f(stop chan struct{}) error {
	ch := make(chan error)
	go func() {
		if err := w(); err != nil {
			ch <- err // want fix 1
			return
		}
		ch <- nil
	}()
	select {
	case err := <-ch:
		return err
	case <-stop:
		return nil
	}
}
func g() error {
	ch := make(chan error)
	go func() {
		if err := w(); err != nil {
			ch <- err
			return
		}
		if w() == nil {
			panic("no")
		}
		ch <- nil
	}()
	return <-ch
}`},
		{"send then work", "go1.22", `package a
func g() {}
func f(b bool) {
	ch := make(chan int)
	go func() {
		ch <- 1 // want nofix "after its send"
		g()
	}()
	if b {
		return
	}
	<-ch
}`},
		{"send in select case", "go1.22", `package a
import "context"
func f(ctx context.Context, b bool) {
	ch := make(chan int)
	go func() {
		select {
		case ch <- 1:
		case <-ctx.Done():
		}
	}()
	if b {
		return
	}
	<-ch
}`},
		{"loop sender", "go1.22", `package a
func f(xs []int, b bool) {
	ch := make(chan int)
	go func() {
		for _, x := range xs {
			ch <- x // want nofix "unknown"
		}
	}()
	if b {
		return
	}
	<-ch
}`},
		{"send then break", "go1.22", `package a
func w() error { return nil }
func f(ctx interface{ Done() <-chan struct{} }) {
	ch := make(chan error)
	go func() {
		for {
			if err := w(); err != nil {
				ch <- err // want fix 1
				break
			}
		}
	}()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}`},
		{"send then break of an inner switch", "go1.22", `package a
func w() error { return nil }
func f(ctx interface{ Done() <-chan struct{} }) {
	ch := make(chan error)
	go func() {
		for {
			switch err := w(); {
			case err != nil:
				ch <- err // want nofix "unknown"
				break
			}
		}
	}()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}`},
		{"send then return in a labeled loop", "go1.22", `package a
func w() error { return nil }
func f(stop chan struct{}) {
	ch := make(chan error)
	go func() {
	outer:
		for {
			for {
				if err := w(); err != nil {
					ch <- err // want fix 1
					break outer
				}
				if w() == nil {
					ch <- nil
					return
				}
			}
		}
	}()
	select {
	case <-ch:
	case <-stop:
	}
}`},
		{"function sends itself", "go1.22", `package a
func f(b bool) {
	ch := make(chan int)
	go func() { <-ch }()
	if b {
		return
	}
	ch <- 1
}`},
		{"named goroutine", "go1.22", `package a
func send(ch chan int) { ch <- 1 }
func f(b bool) {
	ch := make(chan int)
	go send(ch)
	if b {
		return
	}
	<-ch
}`},
		{"nil channel compare", "go1.22", `package a
func f(b bool) {
	ch := make(chan int)
	go func() { ch <- 1 }()
	if ch == nil || b {
		return
	}
	<-ch
}`},
		{"buffered", "go1.22", `package a
func f(b bool) {
	ch := make(chan int, 1)
	go func() { ch <- 1 }()
	if b {
		return
	}
	<-ch
}`},
		{"zero constant capacity", "go1.22", `package a
const none = 0
func f(b bool) {
	ch := make(chan int, none)
	go func() { ch <- 1 }() // want fix 1
	if b {
		return
	}
	<-ch
}`},
		{"send-only make is not ours", "go1.22", `package a
func f(b bool) {
	ch := make(chan<- int)
	go func() { ch <- 1 }()
	if b {
		return
	}
}`},
		{"goroutine in a function literal", "go1.22", `package a
func f(b bool) {
	run := func() {
		ch := make(chan int)
		go func() { ch <- 1 }() // want fix 1
		if b {
			return
		}
		<-ch
	}
	run()
}`},
		{"select without default never falls through", "go1.22", `package a
func f(a, b chan int) int {
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {
	case v := <-ch:
		return v
	}
}`},
		{"wait in select is not an exit", "go1.22", `package a
func f(stop chan struct{}) int {
	ch := make(chan int)
	go func() { ch <- 1 }()
	for {
		select {
		case v := <-ch:
			return v
		case <-stop:
		}
	}
}`},
	}, checkChanLeakFix)
}

// TestChanLeakBehaviour: a function that gives up on a cancelled context
// leaks its worker before the fix (the worker's send blocks forever) and
// not after, over many calls, under -race.
func TestChanLeakBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"leak_test.go": behave.LeakCheck("behaviour"),
			"first.go": `package behaviour

import "context"

// First runs work in a goroutine and returns its result, or the context's
// error when the context is done first.
func First(ctx context.Context, work func() int) (int, error) {
	ch := make(chan int)
	go func() {
		ch <- work()
	}()
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
`,
			"first_test.go": `package behaviour

import (
	"context"
	"runtime"
	"testing"
)

func TestFirst(t *testing.T) {
	base := runtime.NumGoroutine()
	for range 100 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		release := make(chan struct{})
		if _, err := First(ctx, func() int { <-release; return 1 }); err == nil {
			t.Fatal("First on a cancelled context returned no error")
		}
		close(release) // the worker finishes after First gave up
	}
	if v, err := First(context.Background(), func() int { return 7 }); v != 7 || err != nil {
		t.Fatalf("First = %d, %v", v, err)
	}
	noLeak(t, base)
}
`,
		},
		Before:  behave.Fails("goroutine leak"),
		Engine:  engine.Options{Rules: []*rules.Rule{rules.ChanLeakEarlyReturn}, Tier: rules.Review},
		Rewrite: behave.Rewrite{Has: []string{"ch := make(chan int, 1)\n"}},
		After:   behave.Passes,
	})
}
