package matchers_test

import (
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// TestTickLeak checks what tick-leak reports, with a fix or with which
// reason for none, and the Go version boundary.
func TestTickLeak(t *testing.T) {
	cuCheck(t, matchers.TickLeak, []cuCase{
		{"fixed", "go1.22", `package a
import "time"
func poll(ready func() bool) {
	for range time.Tick(time.Second) { // want fix
		if ready() {
			return
		}
	}
}
func heartbeat(done chan struct{}, beat func()) {
	tick := time.Tick(time.Minute) // want fix
	for {
		select {
		case <-tick:
			beat()
		case <-done:
			return
		}
	}
}`},
		{"reasons", "go1.22", `package a
import "time"
func variable(d time.Duration, ready func() bool) {
	for range time.Tick(d) { // want "not a constant"
		if ready() {
			return
		}
	}
}
func returned() <-chan time.Time {
	return time.Tick(time.Second) // want "outlives the function"
}
func captured(f func()) {
	tick := time.Tick(time.Second) // want "outlives the function"
	go func() {
		for range tick {
			f()
		}
	}()
}
func inLoop(in chan int) {
	for {
		select {
		case <-in:
			return
		case <-time.Tick(time.Second): // want "once per loop iteration"
		}
	}
}
func cond(n int) {
	for i := 0; i < n && !(<-time.Tick(time.Millisecond)).IsZero(); i++ { // want "condition or post"
	}
}`},
		{"silent", "go1.22", `package a
import "time"
func init() {
	<-time.Tick(time.Millisecond)
}
func endless(f func()) {
	for range time.Tick(time.Second) {
		f()
	}
}
func endlessSelect(in chan int, f func()) {
	tick := time.Tick(time.Second)
	for {
		select {
		case <-tick:
			f()
		case <-in:
		}
	}
}
func goroutine(f func()) {
	go func() {
		for range time.Tick(time.Second) {
			f()
		}
	}()
}
func zero() {
	for range time.Tick(0) {
		return
	}
}`},
		{"go1.23", "go1.23", `package a
import "time"
func poll(ready func() bool) {
	for range time.Tick(time.Second) {
		if ready() {
			return
		}
	}
}`},
		{"unknown version", "", `package a
import "time"
func poll(ready func() bool) {
	for range time.Tick(time.Second) { // want fix
		if ready() {
			return
		}
	}
}`},
	})
}

// TestTickLeakBehaviour: Wait selects on a time.Tick channel until ready is
// closed. In a go 1.22 module (the runtime keeps pre-1.23 timers: GODEBUG
// asynctimerchan=1 by default) every call leaks its ticker; after the fix
// the ticker is stopped when Wait returns and the garbage collector frees
// it. Tickers leak memory, not goroutines, so the check is on the heap
// after a collection: the bytes retained per call (a leaked ticker keeps
// some 250 bytes; nothing should be left), over many calls so that the
// margin is large, with no assertion on time.
func TestTickLeakBehaviour(t *testing.T) {
	behave.Run(t, behave.Case{
		Files: map[string]string{
			"go.mod": "module example.com/behaviour\n\ngo 1.22\n", // before 1.23: see above
			"wait.go": `package behaviour

import "time"

// Wait counts hourly ticks until ready is closed.
func Wait(ready <-chan struct{}) int {
	n := 0
	tick := time.Tick(time.Hour)
	for {
		select {
		case <-tick:
			n++
		case <-ready:
			return n
		}
	}
}
`,
			"wait_test.go": `package behaviour

import (
	"runtime"
	"testing"
)

func TestWait(t *testing.T) {
	ready := make(chan struct{})
	close(ready)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const calls = 50000
	for i := 0; i < calls; i++ {
		Wait(ready)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / calls; per > 64 {
		t.Fatalf("tickers leaked: %d bytes retained per call", per)
	}
}
`,
		},
		Before: behave.Fails("tickers leaked"),
		Engine: engine.Options{Tests: true, Rules: []*rules.Rule{rules.TickLeak}, Tier: rules.Review},
		Rewrite: behave.Rewrite{Has: []string{
			"\tticker := time.NewTicker(time.Hour)\n\tdefer ticker.Stop()\n\ttick := ticker.C\n"}},
		After: behave.Passes,
	})
}
