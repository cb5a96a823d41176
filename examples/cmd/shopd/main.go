// Command shopd serves the shop's stock page.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"time"

	"example.com/shop/internal/stock"
)

type server struct {
	stock *stock.Client
}

// levels looks every sku up; a client that hangs up should stop the
// lookups, but nothing tells them.
func (s *server) levels(skus []string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	for _, sku := range skus {
		n, err := s.stock.Level(sku)
		if err != nil {
			return nil, err
		}
		out[sku] = n
	}
	return out, nil
}

// audit records the request; it should end with it.
func audit(path string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	<-ctx.Done() // stands in for a write to the audit log
	log.Printf("audit %s", path)
}

func (s *server) serveStock(w http.ResponseWriter, r *http.Request) {
	audit(r.URL.Path)
	levels, err := s.levels(r.URL.Query()["sku"])
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_ = json.NewEncoder(w).Encode(levels)
}

func main() {
	s := &server{stock: &stock.Client{BaseURL: "http://warehouse.internal", HTTP: http.DefaultClient}}
	http.HandleFunc("/stock", s.serveStock)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
