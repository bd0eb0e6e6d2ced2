package demoshop

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"
)

//go:embed templates
var templateFS embed.FS

//go:embed templates/shop.css
var shopCSS string

//go:embed templates/shop.js
var shopJS string

// blockingHTML is the lab page whose button's click handler blocks the
// main thread for a known time (BlockingPath).
//
//go:embed templates/blocking.html
var blockingHTML []byte

// pageTemplates holds one template set per page, each made of base.html
// and the page's own file.
var pageTemplates = func() map[string]*template.Template {
	m := make(map[string]*template.Template)
	for _, name := range []string{"landing", "product", "basket", "checkout", "payment", "confirmation", "error"} {
		m[name] = template.Must(template.ParseFS(templateFS, "templates/base.html", "templates/"+name+".html"))
	}
	m["widget"] = template.Must(template.ParseFS(templateFS, "templates/widget.html"))
	return m
}()

// failure is how a broken page breaks.
type failure int

const (
	failPage failure = iota // 500 with an error page
	failJSON                // 500 with a JSON error
	failHang                // never answer
)

// inject wraps the handler of a route of page with its delay and failure.
func (s *Shop) inject(page string, how failure, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.countRequest(page)
		delay, broken := s.state(page)
		if broken && how == failHang {
			<-r.Context().Done()
			return
		}
		if !sleep(r.Context(), delay) {
			return
		}
		if !broken {
			h(w, r)
			return
		}
		switch how {
		case failJSON:
			writeJSON(w, http.StatusInternalServerError, map[string]string{
				"error": "internal server error",
				"demo":  "page " + page + " is set to fail",
			})
		default:
			s.render(w, r, http.StatusInternalServerError, "error", &pageData{
				Title:   "Something went wrong",
				Heading: "Something went wrong on our side",
				Message: "We could not load this page. Please try again in a moment.",
				Demo:    "touchprobe demo: the page “" + page + "” is set to fail.",
			})
		}
	}
}

// sleep waits for d, or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Shop) shopHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.inject("landing", failPage, s.landing))
	mux.HandleFunc("GET /static/hero.svg", serveSVG(heroSVG))
	mux.HandleFunc("GET /static/favicon.svg", serveSVG(faviconSVG))
	mux.HandleFunc("GET /static/product/{file}", s.productImage)
	mux.HandleFunc("GET /api/products", s.inject("products", failJSON, apiProducts))
	mux.HandleFunc("GET /api/stock/{id}", apiStock)
	mux.HandleFunc("POST /api/basket", s.inject("basket", failJSON, apiAddToBasket))
	mux.HandleFunc("GET /product/{id}", s.inject("product", failPage, s.productPage))
	mux.HandleFunc("GET /basket", s.inject("basket", failPage, s.basketPage))
	mux.HandleFunc("GET /checkout", s.inject("checkout", failPage, s.checkoutPage))
	mux.HandleFunc("POST /checkout/delivery", s.inject("checkout", failPage, postDelivery))
	mux.HandleFunc("GET /checkout/payment", s.inject("payment", failPage, s.paymentPage))
	mux.HandleFunc("POST /checkout/pay", postPay)
	mux.HandleFunc("GET /confirmation", s.inject("confirmation", failPage, s.confirmationPage))
	mux.HandleFunc("GET "+BlockingPath, func(w http.ResponseWriter, r *http.Request) {
		// Cross-origin isolation lets the page share memory with the
		// worker that measures the work (SharedArrayBuffer).
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		writeBody(w, http.StatusOK, "text/html; charset=utf-8", blockingHTML)
	})
	mux.HandleFunc("/", s.notFound)
	return mux
}

func (s *Shop) chatHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Nordlys Care chat service. The widget is at /widget.\n")
	})
	mux.HandleFunc("GET /widget", s.widget)
	mux.HandleFunc("POST /api/reply", s.inject("chat", failHang, s.apiReply))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	})
	return mux
}

// pageData is what the page templates see.
type pageData struct {
	Title   string
	Page    string
	Count   int
	Consent bool
	Widget  string
	CSS     template.CSS
	JS      template.JS

	Product  *product
	Products []*product
	Basket   basketSummary
	Delivery delivery
	Order    string

	// The error page.
	Heading string
	Message string
	Demo    string
}

func (s *Shop) render(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) {
	if d.Page == "" {
		d.Page = name
	}
	d.Count = len(basketIDs(r))
	d.Consent = hasConsent(r)
	d.Widget = s.chatURL + "widget"
	d.CSS = template.CSS(shopCSS)
	d.JS = template.JS(shopJS)
	var buf bytes.Buffer
	if err := pageTemplates[name].ExecuteTemplate(&buf, "base", d); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, "text/html; charset=utf-8", buf.Bytes())
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, "application/json", append(b, '\n'))
}

func serveSVG(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Cache-Control", "public, max-age=3600")
		w.Write(body)
	}
}

func (s *Shop) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", &pageData{
		Title:   "Page not found",
		Page:    "not-found",
		Heading: "We could not find that page",
		Message: "The trail ends here. The page may have moved, or the link is wrong.",
	})
}

func (s *Shop) landing(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "landing", &pageData{Title: "Gear for the northern light"})
}

func (s *Shop) productImage(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if img := productSVG[id]; ok && img != nil {
		serveSVG(img)(w, r)
		return
	}
	s.notFound(w, r)
}

func apiProducts(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"products": catalog})
}

func apiStock(w http.ResponseWriter, r *http.Request) {
	p := productByID[r.PathValue("id")]
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown product"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":       p.ID,
		"in_stock": p.Stock > 0,
		"quantity": p.Stock,
		"message":  "In stock, ships in 1–2 working days",
	})
}

func apiAddToBasket(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a JSON body like {\"id\": \"fjell-shell\"}"})
		return
	}
	if productByID[req.ID] == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown product " + req.ID})
		return
	}
	ids := basketIDs(r)
	if len(ids) >= maxBasketItems {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "the basket is full"})
		return
	}
	ids = append(ids, req.ID)
	setBasket(w, ids)
	writeJSON(w, http.StatusOK, summarize(ids))
}

func (s *Shop) productPage(w http.ResponseWriter, r *http.Request) {
	p := productByID[r.PathValue("id")]
	if p == nil {
		s.notFound(w, r)
		return
	}
	var more []*product
	for _, o := range catalog {
		if o != p && len(more) < 3 {
			more = append(more, o)
		}
	}
	s.render(w, r, http.StatusOK, "product", &pageData{Title: p.Name, Product: p, Products: more})
}

func (s *Shop) basketPage(w http.ResponseWriter, r *http.Request) {
	sum := summarize(basketIDs(r))
	s.render(w, r, http.StatusOK, "basket", &pageData{Title: "Your basket", Basket: sum})
}

func (s *Shop) checkoutPage(w http.ResponseWriter, r *http.Request) {
	sum := summarize(basketIDs(r))
	s.render(w, r, http.StatusOK, "checkout", &pageData{Title: "Checkout", Basket: sum})
}

func postDelivery(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	setDelivery(w, delivery{
		Name:     clip(r.PostFormValue("name"), 80),
		Email:    clip(r.PostFormValue("email"), 120),
		Postcode: clip(r.PostFormValue("postcode"), 16),
		Shipping: clip(r.PostFormValue("shipping"), 16),
	})
	http.Redirect(w, r, "/checkout/payment", http.StatusSeeOther)
}

func (s *Shop) paymentPage(w http.ResponseWriter, r *http.Request) {
	sum := summarize(basketIDs(r))
	s.render(w, r, http.StatusOK, "payment", &pageData{Title: "Payment", Basket: sum, Delivery: readDelivery(r)})
}

// postPay takes the payment. The card details are read and dropped.
func postPay(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: orderCookie, Value: newOrderNumber(), Path: "/",
		MaxAge: int(cookieMaxAge / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	clearCookie(w, basketCookie)
	http.Redirect(w, r, "/confirmation", http.StatusSeeOther)
}

func (s *Shop) confirmationPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "confirmation", &pageData{
		Title:    "Thank you",
		Delivery: readDelivery(r),
		Order:    orderNumber(r),
	})
}

func (s *Shop) widget(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := pageTemplates["widget"].Execute(&buf, nil); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// apiReply answers a chat message after the agent's reply time. The
// "chat" delay has already been slept by inject.
func (s *Shop) apiReply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a JSON body like {\"message\": \"Hello\"}"})
		return
	}
	if !sleep(r.Context(), s.chatDelay) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"reply": replyTo(req.Message), "agent": "Astrid"})
}

// replyTo picks the agent's answer to msg.
func replyTo(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "stock"):
		return "Good news: yes, it is in stock in our Östersund warehouse and ships within 1–2 working days."
	case strings.Contains(m, "deliver") || strings.Contains(m, "shipping"):
		return "Standard delivery is free and takes 2–4 working days; express arrives the next working day."
	case strings.Contains(m, "return") || strings.Contains(m, "refund"):
		return "You can return anything unused within 60 days, free of charge. Just keep the receipt email."
	case strings.Contains(m, "size") || strings.Contains(m, "fit"):
		return "Our jackets fit true to size with room for a mid layer. If you are between sizes, go up one."
	default:
		return "Thanks for your message! I am happy to help. Could you tell me a little more about your trip?"
	}
}
