package main

import (
	"fmt"
	"time"

	"github.com/touchprobe/touchprobe/internal/demoshop"
)

// chatDelay is the chat agent's reply time during the benchmark.
const chatDelay = 300 * time.Millisecond

// pageDelays are the delays the shop injects. They are small enough to keep
// a journey short and large enough that a tool which misses a wait (ends a
// step before its page loaded) shows up in the fidelity figures.
var pageDelays = map[string]time.Duration{
	"landing":      100 * time.Millisecond,
	"product":      150 * time.Millisecond,
	"basket":       100 * time.Millisecond,
	"checkout":     100 * time.Millisecond,
	"payment":      100 * time.Millisecond,
	"confirmation": 100 * time.Millisecond,
}

// injected is what the shop adds to each step of the journey: the delays
// of the requests the step waits for.
var injected = map[string]time.Duration{
	"landing":          pageDelays["landing"],
	"accept cookies":   0,
	"product page":     pageDelays["product"],
	"add to basket":    pageDelays["basket"],  // POST /api/basket
	"basket":           pageDelays["basket"],  // GET /basket
	"checkout":         pageDelays["checkout"],
	"delivery details": pageDelays["checkout"] + pageDelays["payment"], // POST, then the payment page
	"payment":          pageDelays["confirmation"],
	"confirmation":     0,
	"chat reply":       chatDelay,
}

// stepNames is the journey's steps in order, as every tool names them.
var stepNames = []string{
	"landing", "accept cookies", "product page", "add to basket", "basket",
	"checkout", "delivery details", "payment", "confirmation", "chat reply",
}

func startShop() (*demoshop.Shop, error) {
	shop, err := demoshop.Start(demoshop.Options{Slow: pageDelays, ChatDelay: chatDelay})
	if err != nil {
		return nil, fmt.Errorf("starting the demo shop: %w", err)
	}
	return shop, nil
}
