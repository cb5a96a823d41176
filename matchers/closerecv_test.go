package matchers_test

import (
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// TestCloseFromReceiver checks what close-from-receiver reports, with a fix
// or with which reason for none.
func TestCloseFromReceiver(t *testing.T) {
	cuCheck(t, matchers.CloseFromReceiver, []cuCase{
		{"fixed", "go1.22", `package a
func first(xs []int) int {
	ch := make(chan int, len(xs))
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	v := <-ch
	close(ch) // want fix
	return v
}
func deferred(xs []int) (n int) {
	ch := make(chan int)
	defer close(ch) // want fix
	go func() {
		defer func() { n++ }()
		for _, x := range xs {
			ch <- x
		}
	}()
	for v := range ch {
		if v < 0 {
			return
		}
	}
	return
}
func senderCloses(n int) int {
	ch := make(chan int, n)
	go func() {
		defer close(ch)
		for i := 0; i < n; i++ {
			ch <- i
		}
	}()
	for v := range ch {
		if v == 5 {
			close(ch) // want fix
			return v
		}
	}
	return 0
}
func inGoroutine(xs []int, out chan int) {
	ch := make(chan int, len(xs))
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	go func() {
		v, ok := <-ch
		close(ch) // want fix
		if ok {
			out <- v
		}
	}()
}`},
		{"reasons", "go1.22", `package a
import "time"
func several(a, b int) int {
	ch := make(chan int)
	go func() { ch <- a }()
	go func() { ch <- b }()
	v := <-ch
	close(ch) // want "several goroutines"
	return v
}
func loop(xs []int) int {
	ch := make(chan int)
	for _, x := range xs {
		go func() { ch <- x }()
	}
	v := <-ch
	close(ch) // want "several goroutines"
	return v
}
func timeout(f func() int) int {
	ch := make(chan int)
	go func() { ch <- f() }()
	defer close(ch) // want "in a select"
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Second):
		return 0
	}
}
func recovers(xs []int) int {
	ch := make(chan int)
	go func() {
		defer func() { recover() }()
		for _, x := range xs {
			ch <- x
		}
	}()
	v := <-ch
	close(ch) // want "recovers"
	return v
}
func alsoSends(x, y int) int {
	ch := make(chan int, 2)
	ch <- x
	go func() { ch <- y }()
	v := <-ch
	close(ch) // want "also sends"
	return v
}
func after(xs []int) int {
	ch := make(chan int, len(xs))
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	n := <-ch
	close(ch) // want "after the close"
	for v := range ch {
		n += v
	}
	return n
}
func alone(xs []int, stop bool) int {
	ch := make(chan int, len(xs))
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	n := <-ch
	if stop {
		close(ch) // want "only statement"
	}
	return n
}
func literal(xs []int) int {
	ch := make(chan int, len(xs))
	defer func() {
		close(ch) // want "deferred function literal"
	}()
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	return <-ch
}
func senderSomePaths(xs []int) int {
	ch := make(chan int, len(xs))
	go func() {
		for _, x := range xs {
			if x < 0 {
				return
			}
			ch <- x
		}
		close(ch)
	}()
	v := <-ch
	close(ch) // want "not on every path"
	return v
}
func otherReceiver(xs []int, out chan int) int {
	ch := make(chan int, len(xs))
	go func() {
		for _, x := range xs {
			ch <- x
		}
	}()
	go func() { out <- <-ch }()
	v := <-ch
	close(ch) // want "another goroutine receives"
	return v
}`},
		{"silent", "go1.22", `package a
import "sync"
func waited(xs []int) int {
	ch := make(chan int, len(xs))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, x := range xs {
			ch <- x
		}
	}()
	v := <-ch
	wg.Wait()
	close(ch)
	return v
}
func doneFirst(xs []int) int {
	ch := make(chan int, len(xs))
	done := make(chan struct{})
	go func() {
		for _, x := range xs {
			ch <- x
		}
		close(done)
	}()
	v := <-ch
	<-done
	close(ch)
	return v
}
func closeThenDrain(xs []int) int {
	ch := make(chan int, len(xs))
	var wg sync.WaitGroup
	for _, x := range xs {
		wg.Add(1)
		go func() { defer wg.Done(); ch <- x }()
	}
	wg.Wait()
	close(ch)
	n := 0
	for v := range ch {
		n += v
	}
	return n
}
func noOtherSender(xs []int) int {
	ch := make(chan int, len(xs))
	for _, x := range xs {
		ch <- x
	}
	n := <-ch
	close(ch)
	return n
}
func escapes(xs []int, produce func(chan int)) int {
	ch := make(chan int)
	go produce(ch)
	v := <-ch
	close(ch)
	return v
}`},
	})
}

// TestCloseFromReceiverBehaviour: First takes the first n upper-cased items
// from a producer and closes the channel — while the producer is still
// sending: "send on closed channel" panics the test binary. When there are
// fewer than n items, the range never ends and First hangs. After the fix
// the producer closes the channel itself when it is done, and the drain
// started where First closed takes the rest: the producer finishes, and
// neither it nor the drain is left behind (the channel is unbuffered, so
// without the drain the producer would block for ever on its next send).
func TestCloseFromReceiverBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"leak_test.go": behave.LeakCheck("behaviour"),
			"first.go": `package behaviour

import "strings"

// First returns the first n items of items, upper-cased.
func First(items []string, n int) []string {
	ch := make(chan string)
	go func() {
		for _, it := range items {
			ch <- strings.ToUpper(it)
		}
	}()
	var out []string
	for v := range ch {
		out = append(out, v)
		if len(out) == n {
			break
		}
	}
	close(ch)
	return out
}
`,
			"first_test.go": `package behaviour

import (
	"runtime"
	"strings"
	"testing"
)

func TestFirst(t *testing.T) {
	base := runtime.NumGoroutine()
	items := strings.Split(strings.Repeat("x,", 999)+"x", ",")
	for i := 0; i < 200; i++ {
		if got := First(items, 2); len(got) != 2 || got[0] != "X" {
			t.Fatalf("First = %v", got)
		}
	}
	results := make(chan []string, 50)
	for i := 0; i < 50; i++ {
		go func() { results <- First([]string{"a", "b"}, 3) }()
	}
	noLeak(t, base)
	for i := 0; i < 50; i++ {
		if got := <-results; len(got) != 2 {
			t.Fatalf("First = %v", got)
		}
	}
}
`,
		},
		Before: behave.Fails("send on closed channel", "goroutine leak"),
		Engine: engine.Options{Tests: true, Rules: []*rules.Rule{rules.CloseFromReceiver}, Tier: rules.Review},
		Rewrite: behave.Rewrite{
			Has: []string{"\tgo func() {\n\t\tdefer close(ch)\n",
				"\t}\n\tgo func() {\n\t\tfor range ch {\n\t\t}\n\t}()\n\treturn out\n"},
			Lacks: []string{"\tclose(ch)\n"},
		},
		After: behave.Passes,
	})
}
