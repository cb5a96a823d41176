// Package worker drains a queue of jobs with a fixed pool of goroutines.
package worker

import (
	"context"
	"sync"
)

// Job is one unit of work.
type Job func(ctx context.Context) error

// Pool runs jobs on n goroutines until the queue closes.
type Pool struct {
	wg sync.WaitGroup
}

// Run starts n workers over queue and returns a channel that reports each
// job's error.
func (p *Pool) Run(ctx context.Context, n int, queue <-chan Job) <-chan error {
	errs := make(chan error, n)
	ctx, cancel := context.WithCancel(ctx)
	for i := 0; i < n; i++ {
		// Each worker counts itself in before it takes jobs.
		go func() {
			p.wg.Add(1)
			defer p.wg.Done()
			for job := range queue {
				if err := job(ctx); err != nil {
					errs <- err
				}
			}
		}()
	}
	go func() {
		p.wg.Wait()
		cancel()
		close(errs)
	}()
	return errs
}
