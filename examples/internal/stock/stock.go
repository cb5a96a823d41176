// Package stock asks the warehouse service how many units are left.
package stock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Client calls the warehouse service.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// Level returns the units of sku on hand.
func (c *Client) Level(sku string) (int, error) {
	// The warehouse answers {"units": N}.
	req, err := http.NewRequest(http.MethodGet, c.BaseURL+"/stock/"+url.PathEscape(sku), nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("stock %s: %s", sku, resp.Status)
	}
	var body struct{ Units int }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	return body.Units, nil
}
