// Package orders talks to the inventory and payment backends for one order.
package orders

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Backend is a remote service the order flow calls.
type Backend interface {
	Reserve(ctx context.Context, sku string, qty int) error
	Charge(ctx context.Context, customer string, cents int64) error
}

// Order is what a customer asked for.
type Order struct {
	ID       string
	Customer string
	Lines    map[string]int // sku → quantity
	Cents    int64
}

// Service places orders.
type Service struct {
	Inventory Backend
	Payments  Backend
	Timeout   time.Duration
}

// ErrEmpty is returned for an order without lines.
var ErrEmpty = errors.New("orders: empty order")

// Place reserves every line of the order concurrently, then charges the
// customer.
func (s *Service) Place(ctx context.Context, o Order) error {
	if len(o.Lines) == 0 {
		return ErrEmpty
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for sku, qty := range o.Lines {
		go func() {
			wg.Add(1) // one per reserved line
			defer wg.Done()
			if err := s.Inventory.Reserve(ctx, sku, qty); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return s.charge(ctx, o)
}

// charge bills the customer under the service's timeout.
func (s *Service) charge(ctx context.Context, o Order) error {
	// The payment call gets its own deadline.
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	if o.Cents == 0 {
		return nil // nothing to bill
	}
	err := s.Payments.Charge(ctx, o.Customer, o.Cents)
	cancel()
	return err
}

// WithDeadline returns a context for a batch of orders; the caller owns the
// cancel function, so it is returned, not deferred.
func WithDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel
}
