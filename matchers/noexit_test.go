package matchers_test

import (
	"go/token"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

func TestGoroutineNoExit(t *testing.T) {
	check := func(t *testing.T, fset *token.FileSet, fd matchers.Finding, n int) {
		t.Helper()
		if !strings.Contains(fd.Message, " loops forever: the loop at ") {
			t.Errorf("%s: message %q", fset.Position(fd.Pos), fd.Message)
		}
		ctxrCheckCtxDoneFix(t, fset, fd, n)
	}
	ctxrCheck(t, matchers.GoroutineNoExit, []ctxrCase{
		{"endless", "go1.22", `package a
import (
	"context"
	"time"
)
func work() {}
func f(ctx context.Context, in chan int, t *time.Ticker) {
	go func() { // want fix
		for {
			select {
			case <-in:
			case <-t.C:
			}
		}
	}()
	go func() { // want fix
		for {
			<-t.C
			in <- 1
		}
	}()
	go func() { // want nofix "no channel operation"
		for {
			time.Sleep(time.Second)
			work()
		}
	}()
	go func() { // want nofix "larger expression"
		for {
			println(<-in)
		}
	}()
	go func() { // want nofix "no channel operation"
		for {
			select {
			case <-in:
			default:
			}
		}
	}()
}`},
		{"ways out", "go1.22", `package a
import (
	"context"
	"os"
	"runtime"
)
func f(ctx context.Context, in chan int, quit chan struct{}) {
	go func() {
		for {
			if <-in == 0 {
				return
			}
		}
	}()
	go func() {
	outer:
		for {
			for {
				if <-in == 0 {
					break outer
				}
			}
		}
	}()
	go func() {
		for {
			switch <-in {
			case 0:
				runtime.Goexit()
			}
		}
	}()
	go func() {
		for {
			if <-in == 0 {
				os.Exit(0)
			}
		}
	}()
	go func() {
		for {
			select {
			case <-in:
			case <-quit:
			}
		}
	}()
	go func() {
		for ctx.Err() == nil {
			<-in
		}
	}()
}`},
		{"breaks that stay", "go1.22", `package a
func f(in chan int) {
	go func() { // want nofix "no context"
		for {
			switch <-in {
			case 0:
				break
			}
			select {
			case <-in:
				break
			}
			for range 3 {
				break
			}
		}
	}()
	go func() { // want nofix "no context"
	outer:
		for {
		inner:
			for {
				<-in
				break inner
			}
			continue outer
		}
	}()
}`},
		{"named", "go1.22", `package a
type S struct{ in chan int }
func (s *S) loop() {
	for {
		<-s.in
	}
}
func (s *S) ok() {
	for {
		if <-s.in == 0 {
			return
		}
	}
}
func run(in chan int) {
	for {
		<-in
	}
}
func f(s *S, fn func()) {
	go s.loop() // want nofix "by name"
	go s.ok()
	go run(s.in) // want nofix "by name"
	go fn()
	go func() { s.loop() }()
}`},
	}, check)
}

// TestGoroutineNoExitBehaviour: a watcher goroutine loops over a select
// forever; after the fix, cancelling its context makes it return.
func TestGoroutineNoExitBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"leak_test.go": behave.LeakCheck("behaviour"),
			"watch.go": `package behaviour

import (
	"context"
	"sync/atomic"
)

// Watch counts the events on in, in a goroutine.
func Watch(ctx context.Context, in <-chan int, count *atomic.Int64) {
	go func() {
		for {
			select {
			case v := <-in:
				count.Add(int64(v))
			}
		}
	}()
}
`,
			"watch_test.go": `package behaviour

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
)

func TestWatch(t *testing.T) {
	base := runtime.NumGoroutine()
	var n atomic.Int64
	for range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		in := make(chan int)
		Watch(ctx, in, &n)
		in <- 1
		cancel() // the watcher must stop
	}
	noLeak(t, base) // first: a watcher counts its last event after the send returned
	if n.Load() != 50 {
		t.Fatalf("counted %d events, want 50", n.Load())
	}
}
`,
		},
		Before:  behave.Fails("goroutine leak"),
		Engine:  engine.Options{Rules: []*rules.Rule{rules.GoroutineNoExit}, Tier: rules.Review},
		Rewrite: behave.Rewrite{Has: []string{"\t\t\tcase <-ctx.Done():\n\t\t\t\treturn\n"}},
		After:   behave.Passes,
	})
}
