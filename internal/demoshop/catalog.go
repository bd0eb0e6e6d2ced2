package demoshop

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// product is one article of the catalogue.
type product struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Category string   `json:"category"`
	PriceOre int      `json:"price_ore"`
	Price    string   `json:"price"`
	Summary  string   `json:"summary"`
	Image    string   `json:"image"`
	Badge    string   `json:"badge,omitempty"`
	Details  string   `json:"-"`
	Features []string `json:"-"`
	Stock    int      `json:"-"`
	Color    string   `json:"-"` // main colour of the product picture
	Shade    string   `json:"-"` // its darker tone
	Tint     string   `json:"-"` // the picture's background
	kind     string   // which drawing the picture uses
}

var catalog = func() []*product {
	ps := []*product{
		{
			ID: "fjell-shell", Name: "Fjell Shell Jacket", Category: "Jackets", PriceOre: 249900, Badge: "Bestseller",
			Summary:  "Three-layer waterproof shell for wind-blasted ridges.",
			Details:  "Built for sideways rain on the Kungsleden. A three-layer recycled shell with fully taped seams, pit zips that you can open with gloves on and a hood that fits over a helmet.",
			Features: []string{"20 000 mm waterproof, 15 000 g/m² breathable", "Two-way front zip and pit zips", "PFAS-free water repellency"},
			Stock:    14, Color: "#2f6f5e", Shade: "#1f4d40", Tint: "#dcebe4", kind: "jacket",
		},
		{
			ID: "vidde-down", Name: "Vidde Down Parka", Category: "Jackets", PriceOre: 329900,
			Summary:  "700-fill down, warm to −25 °C and light enough to forget.",
			Details:  "For winter nights on the open plateau. Responsibly sourced 700-fill down under a ripstop shell, with a long cut that covers your hips and a hood that closes around your face when the wind turns.",
			Features: []string{"700-fill RDS down", "Comfort to −25 °C", "Packs into its own pocket"},
			Stock:    6, Color: "#c8553d", Shade: "#92392a", Tint: "#f3e0d8", kind: "parka",
		},
		{
			ID: "tinde-pack", Name: "Tinde 28 L Daypack", Category: "Packs", PriceOre: 119900, Badge: "New",
			Summary:  "A roll-top daypack that shrugs off sleet and scree.",
			Details:  "Enough room for a down layer, a thermos and lunch for two. The roll-top closes tight against sleet, and the back panel keeps air moving on the long climbs.",
			Features: []string{"Welded roll-top, 28 litres", "Ventilated back panel", "Ice-axe and pole loops"},
			Stock:    22, Color: "#3d5a80", Shade: "#293d57", Tint: "#dde5ef", kind: "pack",
		},
		{
			ID: "myr-boots", Name: "Myr Hiking Boots", Category: "Footwear", PriceOre: 189900,
			Summary:  "Waxed leather boots for bog, birch forest and boulder.",
			Details:  "Named after the marshes of Lapland. Waxed full-grain leather over a waterproof membrane, on a grippy sole that is resoled in our Östersund workshop when it wears down.",
			Features: []string{"Waxed full-grain leather", "Waterproof membrane", "Resoleable for life"},
			Stock:    9, Color: "#8a6240", Shade: "#5e4128", Tint: "#efe5da", kind: "boot",
		},
		{
			ID: "lys-headlamp", Name: "Lys 400 Headlamp", Category: "Gear", PriceOre: 54900,
			Summary:  "400 lumens for the polar night, on a single charge.",
			Details:  "Lys means light. 400 lumens of warm white, a red mode that keeps your night vision, and a battery that lasts through the longest night of the year above the Arctic Circle.",
			Features: []string{"400 lumens, warm white and red", "USB-C rechargeable", "Works down to −30 °C"},
			Stock:    31, Color: "#e0a526", Shade: "#a97a12", Tint: "#f6ecd3", kind: "lamp",
		},
		{
			ID: "ull-base", Name: "Ull Merino Base Layer", Category: "Layers", PriceOre: 79900,
			Summary:  "Soft 200 g merino that stays warm when it is wet.",
			Details:  "The first layer of every Nordlys outfit. Soft 200 g/m² merino from mulesing-free farms, with flat seams that never rub under a pack.",
			Features: []string{"200 g/m² merino wool", "Flatlock seams", "Odour resistant for days"},
			Stock:    18, Color: "#6d597a", Shade: "#4b3c55", Tint: "#e8e1ec", kind: "shirt",
		},
	}
	for _, p := range ps {
		p.Price = formatPrice(p.PriceOre)
		p.Image = "/static/product/" + p.ID + ".svg"
	}
	return ps
}()

var productByID = func() map[string]*product {
	m := make(map[string]*product, len(catalog))
	for _, p := range catalog {
		m[p.ID] = p
	}
	return m
}()

// formatPrice writes an amount in öre the Swedish way: "2 499 kr".
func formatPrice(ore int) string {
	kr := ore / 100
	s := fmt.Sprint(kr)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(c)
	}
	b.WriteString("\u00a0kr")
	return b.String()
}

const (
	basketCookie   = "basket"
	consentCookie  = "consent"
	deliveryCookie = "delivery"
	orderCookie    = "order"

	maxBasketItems = 50
	cookieMaxAge   = 7 * 24 * time.Hour
)

// basketIDs reads the product ids in the basket cookie, one per item added,
// in the order they were added.
func basketIDs(r *http.Request) []string {
	c, err := r.Cookie(basketCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	var ids []string
	for id := range strings.SplitSeq(c.Value, ".") {
		if productByID[id] != nil && len(ids) < maxBasketItems {
			ids = append(ids, id)
		}
	}
	return ids
}

func setBasket(w http.ResponseWriter, ids []string) {
	http.SetCookie(w, &http.Cookie{
		Name:     basketCookie,
		Value:    strings.Join(ids, "."),
		Path:     "/",
		MaxAge:   int(cookieMaxAge / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// line is one row of the basket.
type line struct {
	Product  *product `json:"-"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Image    string   `json:"image"`
	Quantity int      `json:"quantity"`
	Price    string   `json:"price"`
	Total    string   `json:"total"`
}

// basketSummary is the basket as the pages and the API show it.
type basketSummary struct {
	Count int    `json:"count"`
	Lines []line `json:"lines"`
	Total string `json:"total"`
}

func summarize(ids []string) basketSummary {
	sum := basketSummary{Count: len(ids), Lines: []line{}}
	index := make(map[string]int)
	totalOre := 0
	for _, id := range ids {
		p := productByID[id]
		totalOre += p.PriceOre
		i, ok := index[id]
		if !ok {
			i = len(sum.Lines)
			index[id] = i
			sum.Lines = append(sum.Lines, line{Product: p, ID: p.ID, Name: p.Name, Image: p.Image, Price: p.Price})
		}
		sum.Lines[i].Quantity++
	}
	for i := range sum.Lines {
		sum.Lines[i].Total = formatPrice(sum.Lines[i].Product.PriceOre * sum.Lines[i].Quantity)
	}
	sum.Total = formatPrice(totalOre)
	return sum
}

// delivery is what the customer typed into the delivery form. It lives in
// a cookie so that the payment and confirmation pages can greet them.
type delivery struct {
	Name     string `json:"n"`
	Email    string `json:"e"`
	Postcode string `json:"p"`
	Shipping string `json:"s"`
}

func (d delivery) FirstName() string {
	first, _, _ := strings.Cut(strings.TrimSpace(d.Name), " ")
	return first
}

func (d delivery) Express() bool { return d.Shipping == "express" }

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func setDelivery(w http.ResponseWriter, d delivery) {
	b, _ := json.Marshal(d)
	http.SetCookie(w, &http.Cookie{
		Name:     deliveryCookie,
		Value:    base64.RawURLEncoding.EncodeToString(b),
		Path:     "/",
		MaxAge:   int(cookieMaxAge / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

func readDelivery(r *http.Request) delivery {
	var d delivery
	c, err := r.Cookie(deliveryCookie)
	if err != nil {
		return d
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return d
	}
	_ = json.Unmarshal(b, &d)
	return d
}

var orderNumberRE = regexp.MustCompile(`^TP-[0-9]{5}$`)

func newOrderNumber() string {
	return fmt.Sprintf("TP-%05d", rand.IntN(100000))
}

// orderNumber returns the order number the pay handler set, or a new one
// for a visitor who opened the confirmation page directly.
func orderNumber(r *http.Request) string {
	if c, err := r.Cookie(orderCookie); err == nil && orderNumberRE.MatchString(c.Value) {
		return c.Value
	}
	return newOrderNumber()
}

func hasConsent(r *http.Request) bool {
	c, err := r.Cookie(consentCookie)
	return err == nil && c.Value != ""
}
