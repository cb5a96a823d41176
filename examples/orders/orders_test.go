package orders

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type fake struct {
	mu       sync.Mutex
	reserved map[string]int
	charged  int64
	fail     string
}

func (f *fake) Reserve(ctx context.Context, sku string, qty int) error {
	if sku == f.fail {
		return errors.New("out of stock: " + sku)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reserved == nil {
		f.reserved = map[string]int{}
	}
	f.reserved[sku] += qty
	return nil
}

func (f *fake) Charge(ctx context.Context, customer string, cents int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.charged += cents
	return nil
}

func TestPlace(t *testing.T) {
	inv, pay := &fake{}, &fake{}
	s := &Service{Inventory: inv, Payments: pay, Timeout: time.Minute}
	o := Order{ID: "1", Customer: "c", Lines: map[string]int{"a": 1, "b": 2}, Cents: 500}
	if err := s.Place(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if pay.charged != 500 {
		t.Errorf("charged %d, want 500", pay.charged)
	}
}

func TestPlaceOutOfStock(t *testing.T) {
	s := &Service{Inventory: &fake{fail: "b"}, Payments: &fake{}, Timeout: time.Minute}
	o := Order{ID: "2", Customer: "c", Lines: map[string]int{"a": 1, "b": 2}, Cents: 500}
	if err := s.Place(context.Background(), o); err == nil {
		t.Fatal("want an error for an out-of-stock line")
	}
}

func TestEmpty(t *testing.T) {
	s := &Service{}
	if err := s.Place(context.Background(), Order{}); !errors.Is(err, ErrEmpty) {
		t.Fatalf("got %v, want ErrEmpty", err)
	}
}
