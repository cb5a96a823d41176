package matchers_test

import (
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

func TestSelectCtxDone(t *testing.T) {
	ctxrCheck(t, matchers.SelectCtxDone, []ctxrCase{
		{"operations in a goroutine", "go1.22", `package a
import "context"
func f(ctx context.Context, c chan int, s chan string) {
	go func() {
		c <- 1 // want fix 0
		<-c // want fix 0
		v := <-c // want fix 0
		w, ok := <-s // ok: expects a close, like a range
		v = <-c // want fix 0
		_, _, _ = v, w, ok
		println(<-c) // want nofix "larger expression"
		if x := <-c; x > 0 { // want nofix "init"
		}
	L:
		c <- 2 // want nofix "labeled"
		goto L
	}()
}`},
		{"operations outside goroutines and loops", "go1.22", `package a
import "context"
func f(ctx context.Context, c chan int) int {
	c <- 1
	defer func() { <-c }()
	return <-c
}`},
		{"loops of a function", "go1.22", `package a
import "context"
type T struct{ a, b int }
func none(ctx context.Context, c chan int) {
	for {
		c <- 1 // want fix 0
	}
}
func withErr(ctx context.Context, c chan int) (int, T, *T, error) {
	for i := 0; i < 3; i++ {
		c <- i // want fix 4
	}
	return 0, T{}, nil, nil
}
func noErr(ctx context.Context, c chan int) int {
	for i := 0; i < 3; i++ {
		c <- i // want nofix "not an error"
	}
	return 0
}
func lit(ctx context.Context, c chan int) {
	f := func() error {
		for range 3 {
			c <- 1 // want fix 1
		}
		return nil
	}
	_ = f
}`},
		{"selects", "go1.22", `package a
import (
	"context"
	"time"
)
func f(ctx context.Context, a, b chan int, done chan struct{}) {
	go func() {
		for {
			select { // want fix
			case <-a:
			case b <- 1:
			}
			select {
			case <-a:
			case <-time.After(time.Second):
			}
			select {
			case <-a:
			case <-done:
			}
			select {
			case <-a:
			default:
			}
			select {
			case <-a:
			case <-ctx.Done():
			}
			select {
			case <-a:
				return
			case <-b:
			}
			select {}
		}
	}()
}`},
		{"default branch", "go1.22", `package a
import "context"
func f(ctx context.Context, a chan int) {
	select {
	case <-ctx.Done():
	default:
		a <- 1 // want nofix "own ctx.Done() case"
		if <-a > 0 { // want nofix "own ctx.Done() case"
		}
		go func() { a <- 2 }() // want fix
	}
}`},
		{"what always completes", "go1.22", `package a
import (
	"context"
	"time"
)
func f(ctx context.Context, sig chan struct{}, tm *time.Timer) {
	go func() {
		<-sig
		<-tm.C
		<-time.Tick(time.Second)
		<-ctx.Done()
		sig <- struct{}{} // want fix
	}()
}`},
		{"local channels", "go1.22", `package a
import "context"
func sized(ctx context.Context, xs []int) {
	c := make(chan int, len(xs))
	for range xs {
		go func() { c <- 1 }()
	}
	for range xs {
		<-c
	}
}
func small(ctx context.Context, xs []int) {
	c := make(chan int, 1)
	for range xs {
		go func() { c <- 1 }()
	}
	for range xs {
		<-c // want fix
	}
}
func semaphore(ctx context.Context, jobs []func()) {
	sem := make(chan bool, 2)
	for _, job := range jobs {
		sem <- true
		go func() {
			job()
			<-sem
		}()
	}
}
func notSemaphore(ctx context.Context, sem chan bool, jobs []func()) {
	for _, job := range jobs {
		sem <- true // want fix
		go func() {
			job()
			<-sem // want fix
		}()
	}
}
func sizedButCaptured(ctx context.Context) {
	errc := make(chan error, 2)
	f := func() { errc <- nil }
	go f()
	go func() { errc <- nil; close(errc) }()
}
func escapes(ctx context.Context) chan int {
	c := make(chan int)
	go func() { c <- 1 }() // want fix
	return c
}`},
		{"private and escaping channels", "go1.22", `package a
import "context"
func private(ctx context.Context, n int) int {
	c := make(chan int)
	for i := range n {
		go func() { c <- i }()
	}
	defer func() {
		for range n - 1 {
			<-c
		}
	}()
	return <-c
}
func generator(ctx context.Context, n int) <-chan int {
	c := make(chan int)
	go func() {
		defer close(c)
		for i := range n {
			c <- i // want fix
		}
	}()
	return c
}
func handedOn(ctx context.Context, use func(chan int)) {
	c := make(chan int)
	go func() {
		for {
			c <- 1 // want fix
		}
	}()
	use(c)
}
func firstWins(ctx context.Context, n int) int {
	c := make(chan int)
	for i := range n {
		go func() { c <- i }() // want fix
	}
	return <-c
}`},
		{"locks made of channels", "go1.22", `package a
import "context"
func f(ctx context.Context, mu chan []int, xs []int) {
	for _, x := range xs {
		b := <-mu
		b = append(b, x)
		mu <- b
	}
	for range xs {
		<-mu // the function uses mu as a lock: all its operations on mu are left alone
		mu <- nil
	}
}
func g(ctx context.Context, mu chan []int, xs []int) {
	for range xs {
		<-mu // want fix
		mu <- nil // want fix
	}
}`},
		{"own done case", "go1.22", `package a
import (
	"context"
	"strings"
)
type l struct {
	out chan int
	err error
}
func (x *l) f(ctx context.Context, xs []int) {
	go func() {
		for _, v := range xs {
			select {
			case <-ctx.Done():
				x.err = ctx.Err()
				return
			default:
			}
			x.out <- v // want fix
		}
	}()
}
func g(ctx context.Context, xs []int, out chan int) string {
	for _, v := range xs {
		select {
		case <-ctx.Done():
			return strings.ToUpper("stopped")
		default:
		}
		out <- v // want fix
	}
	return ""
}`},
		{"cleanup after", "go1.22", `package a
import (
	"context"
	"sync"
)
func f(ctx context.Context, c chan int, wg *sync.WaitGroup, stop context.CancelFunc) {
	wg.Add(3)
	go func() {
		c <- 1 // want nofix "sync.Done"
		wg.Done()
	}()
	go func() {
		c <- 1 // want nofix "close"
		close(c)
	}()
	go func() {
		c <- 1 // want nofix "cancel"
		stop()
	}()
	go func() {
		defer wg.Done()
		c <- 1 // want fix
	}()
}`},
		{"types of declared variables", "go1.22", `package a
import (
	"context"
	"io"
	"time"
)
type local struct{ n int }
type gen[T any] struct{ v T }
func f(ctx context.Context) {
	type inner int
	var (
		a chan map[string][]*time.Duration
		b chan [3]<-chan int
		c chan io.Reader
		d chan gen[error]
		e chan inner
		g chan func()
		h chan struct{ x int }
		i chan interface{ M() }
		j chan local
	)
	go func() {
		va := <-a // want fix
		vb := <-b // want fix
		vc := <-c // want fix
		vd := <-d // want fix
		ve := <-e // want fix
		vg := <-g // want nofix "cannot be written"
		vh := <-h // want nofix "cannot be written"
		vi := <-i // want nofix "cannot be written"
		vj := <-j // want fix
		_, _, _, _, _, _, _, _, _ = va, vb, vc, vd, ve, vg, vh, vi, vj
	}()
}`},
	}, ctxrCheckCtxDoneFix)
}

// TestSelectCtxDoneBehaviour: a producer started as a goroutine blocks on
// its send forever once the consumer stops reading; after the fix,
// cancelling the context unblocks it.
func TestSelectCtxDoneBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"leak_test.go": behave.LeakCheck("behaviour"),
			"produce.go": `package behaviour

import "context"

// Produce sends 0..n-1 on out.
func Produce(ctx context.Context, out chan<- int, n int) error {
	for i := 0; i < n; i++ {
		out <- i
	}
	return nil
}

// Start runs Produce in a goroutine and returns its channel.
func Start(ctx context.Context, n int) <-chan int {
	out := make(chan int)
	go Produce(ctx, out, n)
	return out
}
`,
			"produce_test.go": `package behaviour

import (
	"context"
	"runtime"
	"testing"
)

func TestProduce(t *testing.T) {
	base := runtime.NumGoroutine()
	for range 100 {
		ctx, cancel := context.WithCancel(context.Background())
		out := Start(ctx, 10)
		if v := <-out; v != 0 {
			t.Fatalf("first value %d", v)
		}
		cancel() // the consumer is gone: the producer must stop
	}
	sum := 0
	for v := range take(Start(context.Background(), 4), 4) {
		sum += v
	}
	if sum != 6 {
		t.Fatalf("sum %d, want 6", sum)
	}
	noLeak(t, base)
}

func take(c <-chan int, n int) []int {
	var out []int
	for range n {
		out = append(out, <-c)
	}
	return out
}
`,
		},
		Before: behave.Fails("goroutine leak"),
		Engine: engine.Options{Rules: []*rules.Rule{rules.SelectCtxDone}, Tier: rules.Review},
		Rewrite: behave.Rewrite{Has: []string{
			"\t\tselect {\n\t\tcase out <- i:\n\t\tcase <-ctx.Done():\n\t\t\treturn ctx.Err()\n\t\t}\n"}},
		After: behave.Passes,
	})
}
