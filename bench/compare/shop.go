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
	"add to basket":    pageDelays["basket"], // POST /api/basket
	"basket":           pageDelays["basket"], // GET /basket
	"checkout":         pageDelays["checkout"],
	"delivery details": pageDelays["checkout"] + pageDelays["payment"], // POST, then the payment page
	"payment":          pageDelays["confirmation"],
	"confirmation":     0,
	"chat reply":       chatDelay,
}

// delayedRequests counts, for each step, the requests with an injected
// delay that the step waits for: raising every page's delay by d raises
// the step's true time by d times this.
var delayedRequests = map[string]int{
	"landing": 1, "product page": 1, "add to basket": 1, "basket": 1, "checkout": 1,
	"delivery details": 2, "payment": 1, "chat reply": 1,
}

// extraDelay is what the slow variant of each round adds to every delayed
// request. Comparing a tool's step times in the two variants cancels the
// page's own work and leaves the tool's measuring error.
const extraDelay = 250 * time.Millisecond

// stepNames is the journey's steps in order, as every tool names them.
var stepNames = []string{
	"landing", "accept cookies", "product page", "add to basket", "basket",
	"checkout", "delivery details", "payment", "confirmation", "chat reply",
}

// slowDown adds extra to every delayed request of shop, or takes it away
// again with extra 0.
func slowDown(shop *demoshop.Shop, extra time.Duration) error {
	for page, d := range pageDelays {
		if err := shop.SetSlow(page, d+extra); err != nil {
			return err
		}
	}
	return shop.SetSlow("chat", extra)
}

func startShop() (*demoshop.Shop, error) {
	shop, err := demoshop.Start(demoshop.Options{Slow: pageDelays, ChatDelay: chatDelay})
	if err != nil {
		return nil, fmt.Errorf("starting the demo shop: %w", err)
	}
	return shop, nil
}
