package matchers_test

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gofixconc/gofixconc/internal/behave"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// ubWant matches the expectation comment on the line of a spawn:
//
//	// want fix N=32 ctx=ctx wrap setlimit
//	// want nofix: a substring of the reason
//
// Lines without one must not be reported.
var ubWant = regexp.MustCompile(`// want (fix[^:]*|nofix: .*)$`)

// ubErrgroupSrc stands in for golang.org/x/sync/errgroup (its API).
const ubErrgroupSrc = `package errgroup
import "context"
type Group struct{ n int }
func WithContext(ctx context.Context) (*Group, context.Context) { return &Group{}, ctx }
func (g *Group) Go(f func() error) {}
func (g *Group) TryGo(f func() error) bool { return true }
func (g *Group) SetLimit(n int) {}
func (g *Group) Wait() error { return nil }
`

// ubOldErrgroupSrc is an errgroup from before SetLimit (x/sync v0.0.0-2022).
const ubOldErrgroupSrc = `package errgroup
type Group struct{ n int }
func (g *Group) Go(f func() error) {}
func (g *Group) Wait() error { return nil }
`

var (
	ubImpOnce sync.Once
	ubImp     types.Importer
	ubFset    = token.NewFileSet()
)

// ubImporter imports the standard library from export data and errgroup
// from ubErrgroupSrc (the path old/errgroup… from ubOldErrgroupSrc).
func ubImporter(t *testing.T) types.Importer {
	ubImpOnce.Do(func() {
		std := importer.ForCompiler(ubFset, "gc", nil)
		pkgs := map[string]*types.Package{}
		for path, src := range map[string]string{
			"golang.org/x/sync/errgroup":                 ubErrgroupSrc,
			"example.com/old/golang.org/x/sync/errgroup": ubOldErrgroupSrc,
		} {
			f, err := parser.ParseFile(ubFset, path+".go", src, 0)
			if err != nil {
				panic(err)
			}
			pkg, err := (&types.Config{Importer: std}).Check(path, ubFset, []*ast.File{f}, nil)
			if err != nil {
				panic(err)
			}
			pkgs[path] = pkg
		}
		ubImp = ubImporterFunc(func(path string) (*types.Package, error) {
			if p, ok := pkgs[path]; ok {
				return p, nil
			}
			return std.Import(path)
		})
	})
	return ubImp
}

type ubImporterFunc func(string) (*types.Package, error)

func (f ubImporterFunc) Import(path string) (*types.Package, error) { return f(path) }

// ubDescribe renders a finding as the want comments spell it.
func ubDescribe(fd matchers.Finding) string {
	if fd.Fix == nil {
		return "nofix: " + fd.NoFix
	}
	d := fd.Fix.Data.(*matchers.UnboundedGoFix)
	s := "fix"
	if d.SetLimit {
		s += " setlimit"
	}
	s += " N=" + d.Limit()
	if d.Ctx != "" {
		s += " ctx=" + d.Ctx
	}
	if d.Wrap {
		s += " wrap"
	}
	return s
}

func ubRun(t *testing.T, goVersion, src string, limits matchers.Limits) (*token.FileSet, []matchers.Finding) {
	t.Helper()
	pass := checkSource(t, ubFset, ubImporter(t), "a.go", goVersion, src)
	pass.Limits = limits
	return ubFset, matchers.UnboundedGo(pass)
}

// TestUnboundedGo checks which spawns the rule reports, with or without a
// fix and why, and the fix's bound, context and shape.
func TestUnboundedGo(t *testing.T) {
	cases := []struct {
		name, goVersion string
		limits          matchers.Limits
		src             string
	}{
		{"cpu and io", "go1.22", matchers.Limits{}, `package a
import ("os"; "net/http"; "time"; "io"; "database/sql"; "os/exec")
func f(xs []int, ps []string, db *sql.DB, w io.Writer) {
	for _, x := range xs {
		go func() { _ = x * x }() // want fix N=runtime.GOMAXPROCS(0)
	}
	for _, p := range ps {
		go func() { os.ReadFile(p) }() // want fix N=32
	}
	for _, p := range ps {
		go func() { http.Get(p) }() // want fix N=32
	}
	for range xs {
		go func() { time.Sleep(time.Second) }() // want fix N=32
	}
	for _, p := range ps {
		go func() { db.Exec(p) }() // want fix N=32
	}
	for _, p := range ps {
		go func() { exec.Command(p).Run() }() // want fix N=32
	}
	for _, p := range ps {
		go func() { io.WriteString(w, p) }() // want fix N=32
	}
	for _, p := range ps {
		go func() { _ = os.Getenv(p) }() // want fix N=runtime.GOMAXPROCS(0)
	}
}`},
		{"io through the package's functions", "go1.22", matchers.Limits{}, `package a
import "os"
func a(p string) { b(p) }
func b(p string) { c(p) }
func c(p string) { os.Remove(p) }
func rec(p string, n int) { if n > 0 { rec(p, n-1) } }
func f(ps []string) {
	for _, p := range ps {
		go a(p) // want fix N=32 wrap
	}
	for _, p := range ps {
		go rec(p, 3) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
}`},
		{"io by signature", "go1.22", matchers.Limits{}, `package a
import ("context"; "net/http"; "strings")
type client interface{ Get(ctx context.Context, k string) error }
func f(ctx context.Context, ks []string, c client, h http.Handler, w http.ResponseWriter) {
	for _, k := range ks {
		go func() { strings.ToUpper(k) }() // want fix N=runtime.GOMAXPROCS(0) ctx=ctx
	}
	for _, k := range ks {
		go func() { http.NewRequestWithContext(ctx, "GET", k, nil) }() // want fix N=32 ctx=ctx
	}
	for range ks {
		go func() { w.Write(nil) }() // want fix N=32 ctx=ctx
	}
}`},
		{"limits", "go1.22", matchers.Limits{Limit: 5}, `package a
import "os"
func f(xs []int, ps []string) {
	for _, x := range xs {
		go func() { _ = x }() // want fix N=5
	}
	for _, p := range ps {
		go func() { os.Remove(p) }() // want fix N=5
	}
	for i := 0; i < 5; i++ {
		go func() { _ = i }()
	}
	for i := 0; i < 6; i++ {
		go func() { _ = i }() // want fix N=5
	}
}`},
		{"io limit", "go1.22", matchers.Limits{IOLimit: 7}, `package a
import "os"
func f(xs []int, ps []string) {
	for _, x := range xs {
		go func() { _ = x }() // want fix N=runtime.GOMAXPROCS(0)
	}
	for _, p := range ps {
		go func() { os.Remove(p) }() // want fix N=7
	}
	for i := 0; i < 7; i++ {
		go func() { os.Remove("x") }()
	}
}`},
		{"contexts", "go1.22", matchers.Limits{}, `package a
import ("context"; "sync"; "time")
func g(context.Context) {}
func f(ctx context.Context, xs []int) {
	var wg sync.WaitGroup
	for range xs {
		wg.Add(1)
		go func() { defer wg.Done(); g(ctx) }() // want fix N=32 ctx=ctx
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	for range xs {
		wg.Add(1)
		go func() { defer wg.Done(); g(ctx) }() // want fix N=32 ctx=ctx
	}
	for range xs {
		wg.Add(1)
		go func() { defer wg.Done(); _ = 1 }() // want fix N=runtime.GOMAXPROCS(0) ctx=inner
	}
	for range xs {
		c2, cancel2 := context.WithTimeout(inner, time.Second)
		wg.Add(1)
		go func() { defer wg.Done(); defer cancel2(); g(c2) }() // want fix N=32 ctx=inner
	}
	wg.Wait()
}
func h(xs []int) {
	var wg sync.WaitGroup
	wg.Add(len(xs))
	ctx := context.Background()
	for range xs {
		go func() { defer wg.Done(); g(ctx) }() // want fix N=32
	}
	wg.Wait()
	done := make(chan bool, len(xs))
	for range xs {
		go func() { g(ctx); close(done) }() // want fix N=32
	}
}`},
		{"deadlocks", "go1.22", matchers.Limits{}, `package a
import ("context"; "sync"; "time")
type S struct{ mu sync.Mutex; m map[int]int; rw sync.RWMutex }
func recv(c chan int) int { return <-c }
func (s *S) f(ctx context.Context, xs []int, c chan int, wg *sync.WaitGroup, cond *sync.Cond) {
	for range xs {
		go func() { <-c }() // want nofix: the goroutines receive from a channel
	}
	for range xs {
		go func() { recv(c) }() // want nofix: the goroutines call recv, which receives from a channel
	}
	for range xs {
		go func() { c <- 1 }() // want nofix: the goroutines send on c, which is not buffered for every item
	}
	for range xs {
		go func() { wg.Wait() }() // want nofix: wait on a sync.WaitGroup
	}
	for range xs {
		go func() { cond.Wait() }() // want nofix: wait on a sync.Cond
	}
	for range xs {
		go func() { select { case c <- 1: case <-ctx.Done(): } }() // want nofix: wait in a select
	}
	for range xs {
		go func() { <-ctx.Done() }() // want nofix: wait until a context is done
	}
	for range xs {
		go func() { <-time.After(time.Second) }() // want fix N=32 ctx=ctx
	}
	for range xs {
		go func() { select { case c <- 1: default: } }() // want fix N=runtime.GOMAXPROCS(0)
	}
	s.mu.Lock()
	for _, x := range xs {
		go func() { s.mu.Lock(); s.m[x] = x; s.mu.Unlock() }() // want nofix: the function holds s.mu while it starts the goroutines
	}
	s.mu.Unlock()
	for _, x := range xs {
		go s.set(x) // want nofix: lock mu, which the function also locks
	}
	for _, x := range xs {
		go func() { s.rw.RLock(); _ = s.m[x]; s.rw.RUnlock() }() // want fix N=runtime.GOMAXPROCS(0) ctx=ctx
	}
}
func (s *S) set(x int) { s.mu.Lock(); s.m[x] = x; s.mu.Unlock() }`},
		{"sized sends", "go1.22", matchers.Limits{}, `package a
func work(int) int { return 0 }
func take(chan int) {}
func f(xs []int, n int) {
	a := make(chan int, len(xs))
	for _, x := range xs {
		go func() { a <- work(x) }() // want fix N=runtime.GOMAXPROCS(0)
	}
	b := make(chan int, len(xs))
	for _, x := range xs {
		go func() { for range 2 { b <- work(x) } }() // want nofix: send on b in a loop
	}
	c := make(chan int, len(xs))
	for _, x := range xs {
		go func() { c <- 1; c <- work(x) }() // want nofix: may send on c more than once
	}
	d := make(chan int, len(xs))
	take(d)
	for _, x := range xs {
		go func() { d <- work(x) }() // want nofix: send on d, which is not buffered
	}
	e := make(chan int, len(xs))
	e <- 0
	for _, x := range xs {
		go func() { e <- work(x) }() // want nofix: send on e, which is not buffered
	}
	g := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() { g <- work(i) }() // want fix N=runtime.GOMAXPROCS(0)
	}
	h := make(chan int, n)
	for i := 1; i < n; i++ {
		go func() { h <- work(i) }() // want fix N=runtime.GOMAXPROCS(0)
	}
	m := make(chan int, 1000)
	for i := 0; i < 1000; i++ {
		go func() { m <- work(i) }() // want fix N=runtime.GOMAXPROCS(0)
	}
	for _, x := range xs {
		p := make(chan int)
		go func() { p <- work(x) }() // want nofix: send on p, which is not buffered
		_ = p
	}
}
func grown(n int) {
	k := make(chan int, n)
	n++
	for i := 0; i < n; i++ {
		go func() { k <- work(i) }() // want nofix: send on k, which is not buffered
	}
}`},
		{"left alone", "go1.22", matchers.Limits{}, `package a
import ("context"; "runtime"; "sync")
type W struct{}
func (W) Acquire(context.Context, int64) error { return nil }
func work(int) {}
func f(ctx context.Context, xs []int, jobs chan int, w W, n int) {
	for i := 0; i < n; i++ {
		go func() { for j := range jobs { work(j) } }()
	}
	for i := 0; i < n; i++ {
		go func() { for { select { case j := <-jobs: work(j); case <-ctx.Done(): return } } }()
	}
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		go work(i)
	}
	for i := range runtime.NumCPU() {
		go work(i)
	}
	for _, x := range xs {
		w.Acquire(ctx, 1)
		go work(x)
	}
	var wg sync.WaitGroup
	for _, x := range xs {
		wg.Add(1)
		go func() { defer wg.Done(); work(x) }()
		wg.Wait()
	}
	for _, x := range xs {
		go func() { w.Acquire(ctx, 1); work(x) }()
	}
	for _, x := range xs {
		select {
		case jobs <- x:
		default:
			go work(x) // want fix N=runtime.GOMAXPROCS(0) ctx=ctx wrap
		}
	}
	for x := 0; x < len(xs); x = x * 2 {
		go work(x)
	}
	for _, x := range [3]int{} {
		go work(x)
	}
	for _, x := range map[int]int{1: 1, 2: 2} {
		go work(x)
	}
	for _, x := range "héllo" {
		go work(int(x))
	}
}`},
		{"waits the rule cannot fix", "go1.22", matchers.Limits{}, `package a
import ("net"; "net/http"; "runtime"; "sync/atomic")
func f(n int, ls []net.Listener, srvs []*http.Server, handler func(net.Listener)) {
	var count int32
	for i := 0; i < n; i++ {
		go func() { // want nofix: spin until other goroutines change an atomic value
			atomic.AddInt32(&count, 1)
			for atomic.LoadInt32(&count) < int32(n) {
			}
		}()
	}
	var turn atomic.Int64
	for i := 0; i < n; i++ {
		go func() { // want nofix: spin until other goroutines change
			for j := int64(i); j < int64(n*n); runtime.Gosched() {
				if turn.CompareAndSwap(j, j+1) {
					j += int64(n)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		go func() { // want fix N=runtime.GOMAXPROCS(0)
			for {
				old := turn.Load()
				if turn.CompareAndSwap(old, old+1) {
					return
				}
			}
		}()
	}
	for _, l := range ls {
		go func() { handler(l) }() // want nofix: serve a listener
	}
	for i, s := range srvs {
		go func() { s.Serve(ls[i]) }() // want nofix: serve a listener
	}
}`},
		{"held locks and pools", "go1.22", matchers.Limits{}, `package a
import ("sync"; "sync/atomic")
type H struct{ mu sync.RWMutex; subs []int; once sync.Once; numWorkers int }
func (h *H) notify(int) {}
func (h *H) run() { h.once.Do(h.start) }
func (h *H) start() { var wg sync.WaitGroup; wg.Wait() }
func (h *H) f(n int, items []int) {
	h.mu.RLock()
	for _, s := range h.subs {
		go h.notify(s) // want nofix: the function holds h.mu while it starts the goroutines
	}
	h.mu.RUnlock()
	for _, s := range h.subs {
		go h.notify(s) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	func() {
		h.mu.Lock()
		defer h.mu.Unlock()
	}()
	for _, s := range h.subs {
		go h.notify(s) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	for i := 0; i < h.numWorkers; i++ {
		go h.notify(i)
	}
	concurrency := n
	for range concurrency {
		go h.notify(n)
	}
	var next atomic.Int64
	for i := 0; i < n; i++ {
		go func() {
			for {
				j := int(next.Add(1)) - 1
				if j >= len(items) {
					return
				}
				h.notify(items[j])
			}
		}()
	}
	var done atomic.Int64
	for i := 0; i < n; i++ {
		go func() { // want fix N=runtime.GOMAXPROCS(0)
			for j := 0; j < 3; j++ {
				done.Add(1)
			}
		}()
	}
	for range items {
		go h.run() // want nofix: call H.run, which calls H.start, which waits on a sync.WaitGroup
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range items {
		go h.notify(s) // want nofix: the function holds h.mu
	}
}`},
		{"closures", "go1.22", matchers.Limits{}, `package a
import ("os"; "path/filepath"; "sync")
func f(dirs []string, ch chan string) {
	var wg sync.WaitGroup
	var walk func(dir string)
	walk = func(dir string) {
		ch <- dir
		fis, _ := os.ReadDir(dir)
		for _, fi := range fis {
			wg.Go(func() { walk(filepath.Join(dir, fi.Name())) }) // want nofix: call walk, which sends on a channel
		}
	}
	for _, d := range dirs {
		go walk(d) // want nofix: the goroutines send on a channel
	}
	read := func(p string) { os.ReadFile(p) }
	for _, d := range dirs {
		go func() { read(d) }() // want fix N=32
	}
	for _, d := range dirs {
		go read(d) // want fix N=32 wrap
	}
	wg.Wait()
}`},
		{"machine-sized", "go1.22", matchers.Limits{}, `package a
import "runtime"
func work(int) {}
func f() {
	procs := runtime.GOMAXPROCS(0)
	for i := 0; i < procs; i++ {
		go work(i)
	}
	per := make([][]int, runtime.NumCPU())
	for i := range per {
		go work(i)
	}
	for i := 0; i < len(per); i++ {
		go work(i)
	}
	grown := make([]int, procs)
	grown = append(grown, 1)
	for i := range grown {
		go work(i) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	n := runtime.NumCPU()
	n *= 4
	for i := 0; i < n; i++ {
		go work(i) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	for i := 0; i < 2*runtime.GOMAXPROCS(0); i++ {
		go work(i)
	}
	for i := 0; i < min(len(per), runtime.NumCPU()); i++ {
		go work(i)
	}
}`},
		{"forever", "go1.22", matchers.Limits{}, `package a
var q []int
func dequeue() int { return 0 }
func runner() {
	for {
		_ = dequeue()
	}
}
func stops() {
	for {
		if dequeue() == 0 {
			break
		}
	}
}
func inner() {
	for {
		for range q {
			break
		}
		switch {
		default:
			break
		}
	}
}
func f(n int) {
	for range n {
		go runner()
	}
	for range n {
		go inner()
	}
	for range n {
		go stops() // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	for _, x := range q {
		go serve(x) // want nofix: call serve, which calls loop, which runs a loop that never ends
	}
}
func serve(x int) { _ = x; loop() }
func loop() { for { _ = dequeue() } }`},
		{"duplicate import", "go1.22", matchers.Limits{}, `package a
import ("sync/atomic"; . "sync/atomic")
func f(xs []int) {
	var n int64
	for range xs {
		go func() { atomic.AddInt64(&n, 1); AddInt64(&n, 1) }() // want fix N=runtime.GOMAXPROCS(0)
	}
}`},
		{"errgroup", "go1.22", matchers.Limits{}, `package a
import ("context"; "os"; "golang.org/x/sync/errgroup")
func f(ctx context.Context, ps []string) {
	var g errgroup.Group
	for _, p := range ps {
		g.Go(func() error { return os.Remove(p) }) // want fix setlimit N=32
	}
	g.Wait()
	g2, ctx := errgroup.WithContext(ctx)
	for _, p := range ps {
		g2.Go(func() error { _ = p; return ctx.Err() }) // want fix setlimit N=runtime.GOMAXPROCS(0)
	}
	g2.Wait()
	var g3 errgroup.Group
	g3.SetLimit(3)
	for _, p := range ps {
		g3.Go(func() error { return os.Remove(p) })
	}
	var g4 errgroup.Group
	for _, p := range ps {
		g4.Go(func() error { return os.Remove(p) }) // want nofix: used other than by its Go and Wait
	}
	use(&g4)
	var g5 errgroup.Group
	c := make(chan string)
	g5.Go(func() error { for range c {}; return nil })
	for _, p := range ps {
		g5.Go(func() error { return os.Remove(p) }) // want nofix: another goroutine of the group
	}
	for _, p := range ps {
		g6 := new(errgroup.Group)
		g6.Go(func() error { return os.Remove(p) }) // want nofix: declared inside the loop
	}
	var g7 errgroup.Group
	remove := func() error { return nil }
	for range ps {
		g7.Go(remove) // want fix setlimit N=runtime.GOMAXPROCS(0)
	}
}
func use(*errgroup.Group) {}
func param(g *errgroup.Group, ps []string) {
	for _, p := range ps {
		g.Go(func() error { return os.Remove(p) })
	}
}`},
		{"old errgroup", "go1.22", matchers.Limits{}, `package a
import "example.com/old/golang.org/x/sync/errgroup"
func f(ps []string) {
	var g errgroup.Group
	for _, p := range ps {
		g.Go(func() error { _ = p; return nil }) // want nofix: no SetLimit
	}
}`},
		{"wg.Go", "go1.25", matchers.Limits{}, `package a
import ("context"; "sync")
func f(ctx context.Context, xs []int, fs []func()) {
	var wg sync.WaitGroup
	for _, x := range xs {
		wg.Go(func() { _ = x }) // want fix N=runtime.GOMAXPROCS(0) ctx=ctx
	}
	for _, f := range fs {
		wg.Go(f) // want nofix: function value
	}
	wg.Wait()
}`},
		{"wrap before go1.22", "go1.21", matchers.Limits{}, `package a
func work(int) {}
func f(xs []int, n int) {
	for _, x := range xs {
		go work(x) // want nofix: loop variable
	}
	for i := 0; i < n; i++ {
		go work(i) // want nofix: loop variable
	}
	for range xs {
		go work(n) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	for _, x := range xs {
		go func(x int) { work(x) }(x) // want fix N=runtime.GOMAXPROCS(0)
	}
}`},
		{"wrap", "go1.22", matchers.Limits{}, `package a
type T struct{ f int }
func work(int) {}
func (T) m(int) {}
func f(xs []int, t T, p *T, fv func(int)) {
	for _, x := range xs {
		go work(x) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	for _, x := range xs {
		x++
		go work(x) // want nofix: arguments could change
	}
	for _, x := range xs {
		go work(t.f + x) // want nofix: arguments could change
	}
	for _, x := range xs {
		go t.m(x) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	for _, x := range xs {
		go p.m(x) // want fix N=runtime.GOMAXPROCS(0) wrap
	}
	for _, x := range xs {
		go fv(x) // want nofix: function value whose code
	}
	y := 0
	for _, x := range xs {
		go work(x + y) // want nofix: arguments could change
	}
	for range xs {
		go work(len(xs)) // want nofix: arguments could change
	}
	z := 1
	_ = &z
	for range xs {
		go work(z) // want nofix: arguments could change
	}
}
func g(xs []int, p *T) {
	p = nil
	for _, x := range xs {
		go p.m(x) // want nofix: function value could change
	}
}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fset, fds := ubRun(t, tc.goVersion, tc.src, tc.limits)
			want := map[int]string{}
			for i, line := range strings.Split(tc.src, "\n") {
				if m := ubWant.FindStringSubmatch(line); m != nil {
					want[i+1] = m[1]
				}
			}
			got := map[int]string{}
			for _, fd := range fds {
				line := fset.Position(fd.Pos).Line
				if _, dup := got[line]; dup {
					t.Errorf("line %d reported twice", line)
				}
				got[line] = ubDescribe(fd)
				if fd.Message != "goroutine started on every loop iteration with no bound on how many run at once" {
					t.Errorf("line %d: message %q", line, fd.Message)
				}
				if fd.Fix == nil && fd.NoFix == "" {
					t.Errorf("line %d: no fix and no reason", line)
				}
				if fd.Fix != nil {
					checkUnboundedGoFix(t, fset, fd)
				}
			}
			for line, w := range want {
				g, ok := got[line]
				switch {
				case !ok:
					t.Errorf("line %d: not reported, want %q", line, w)
				case strings.HasPrefix(w, "nofix: "):
					if !strings.HasPrefix(g, "nofix: ") || !strings.Contains(g, strings.TrimPrefix(w, "nofix: ")) {
						t.Errorf("line %d: got %q, want %q", line, g, w)
					}
				case g != w:
					t.Errorf("line %d: got %q, want %q", line, g, w)
				}
			}
			for line, g := range got {
				if _, ok := want[line]; !ok {
					t.Errorf("line %d: unexpected finding (%s)", line, g)
				}
			}
		})
	}
}

// checkUnboundedGoFix checks the shape the rewrite relies on, and that the
// fix message names the bound and why.
func checkUnboundedGoFix(t *testing.T, fset *token.FileSet, fd matchers.Finding) {
	t.Helper()
	at := fset.Position(fd.Pos)
	f := fd.Fix
	d := f.Data.(*matchers.UnboundedGoFix)
	if !strings.Contains(f.Message, d.Limit()) {
		t.Errorf("%s: fix message %q does not name the bound %s", at, f.Message, d.Limit())
	}
	if d.SetLimit {
		if len(f.Nodes) != 1 || len(f.Lists) != 1 || d.Group == "" || f.Anchor != f.Nodes[0] {
			t.Errorf("%s: malformed SetLimit fix %+v", at, f)
		}
		return
	}
	if len(f.Nodes) < 4 || d.Sem == "" {
		t.Errorf("%s: malformed fix: %d nodes, sem %q", at, len(f.Nodes), d.Sem)
		return
	}
	if d.Ctx != "" && d.Label == "" {
		t.Errorf("%s: a context but no label", at)
	}
	if f.Nodes[3].Pos() != fd.Pos {
		t.Errorf("%s: node 3 is not the spawn", at)
	}
	if d.Wrap != (len(f.Nodes) == 4) {
		t.Errorf("%s: wrap %v with %d nodes", at, d.Wrap, len(f.Nodes))
	}
	switch {
	case d.N == 0 && !strings.Contains(f.Message, "CPU-bound"):
		t.Errorf("%s: fix message %q does not say why", at, f.Message)
	case d.N != 0 && !strings.Contains(f.Message, "--limit") && !strings.Contains(f.Message, "the goroutine "):
		t.Errorf("%s: fix message %q does not say why", at, f.Message)
	}
}

// ubBehaviourFiles is a module whose Squares starts a goroutine per item:
// the goroutines count how many of them run at once (Running, Peak) and how
// many started (Started); Hook lets a test cancel the context from item i.
var ubBehaviourFiles = map[string]string{
	"go.mod": "module example.com/behaviour\n\ngo 1.22\n",
	"run.go": `package behaviour

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Running, Peak and Started count Squares's goroutines: running now, most
// running at once, started in all.
var Running, Peak, Started atomic.Int64

// Hook, when set, runs in the goroutine of every item.
var Hook func(i int)

func square(i int) int {
	n := Running.Add(1)
	defer Running.Add(-1)
	for {
		p := Peak.Load()
		if n <= p || Peak.CompareAndSwap(p, n) {
			break
		}
	}
	Started.Add(1)
	if Hook != nil {
		Hook(i)
	}
	for j := 0; j < 50; j++ {
		runtime.Gosched()
	}
	return i * i
}

// Squares returns the squares of xs, each computed in a goroutine of its
// own.
func Squares(ctx context.Context, xs []int) []int {
	out := make([]int, len(xs))
	var wg sync.WaitGroup
	for i, x := range xs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = square(x)
		}()
	}
	wg.Wait()
	return out
}
`,
	"run_test.go": `package behaviour

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
)

func items() []int {
	xs := make([]int, 10000)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// TestBound: never more than the bound running at once, same results.
func TestBound(t *testing.T) {
	bound := int64(runtime.GOMAXPROCS(0))
	if s := os.Getenv("UB_LIMIT"); s != "" {
		n, _ := strconv.Atoi(s)
		bound = int64(n)
	}
	Peak.Store(0)
	xs := items()
	out := Squares(context.Background(), xs)
	for i, x := range xs {
		if out[i] != x*x {
			t.Fatalf("out[%d] = %d, want %d", i, out[i], x*x)
		}
	}
	t.Logf("peak=%d bound=%d", Peak.Load(), bound)
	if p := Peak.Load(); p > bound {
		t.Fatalf("%d goroutines ran at once, more than the bound %d", p, bound)
	}
}

// TestCancel: cancelling the context mid-loop stops new goroutines from
// starting, and Squares returns.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Started.Store(0)
	Hook = func(i int) {
		if i == 100 {
			cancel()
		}
	}
	defer func() { Hook = nil }()
	xs := items()
	out := Squares(ctx, xs)
	started := Started.Load()
	t.Logf("started=%d of %d", started, len(xs))
	for i, v := range out {
		if v != 0 && v != xs[i]*xs[i] {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}
	if started == int64(len(xs)) {
		t.Fatalf("all %d goroutines started after the context was cancelled", started)
	}
}
`,
}

// TestUnboundedGoBehaviour runs a module whose loop starts a goroutine per
// item, under the race detector: before the fix more goroutines than the
// bound run at once and all of them start although the context is
// cancelled early; after the fix made by the engine (once with the default
// bound, runtime.GOMAXPROCS(0), once with --limit 8) never more than the
// bound run at once, the results are the same, and cancelling the context
// stops the loop. Nothing is timed.
func TestUnboundedGoBehaviour(t *testing.T) {
	before := behave.Write(t, ubBehaviourFiles)
	behave.Test(t, before, "before the fix", behave.Fails("more than the bound").Only("TestBound"))
	behave.Test(t, before, "before the fix", behave.Fails("started after the context was cancelled").Only("TestCancel"))

	for _, limit := range []int{0, 8} {
		dir := behave.Write(t, ubBehaviourFiles)
		behave.Fix(t, dir, engine.Options{
			Rules:  []*rules.Rule{rules.UnboundedGo},
			Tier:   rules.Review,
			Limits: matchers.Limits{Limit: limit},
		}, behave.Rewrite{Has: []string{"case <-ctx.Done():\n\t\t\tbreak loop\n"}})
		after := behave.Passes
		if limit > 0 {
			after = after.Env("UB_LIMIT=" + strconv.Itoa(limit))
		}
		when := fmt.Sprintf("after the fix (limit %d)", limit)
		behave.Test(t, dir, when, after.Only("TestBound"))
		behave.Test(t, dir, when, after.Only("TestCancel"))
	}
}
