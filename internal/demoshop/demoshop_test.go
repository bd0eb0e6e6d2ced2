package demoshop

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

func start(t *testing.T, opts Options) *Shop {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// client returns a client with its own cookie jar and connections, which
// does not follow redirects.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Jar:       jar,
		Transport: tr,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, u, contentType, body string) result {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, u, err)
	}
	return result{resp.StatusCode, resp.Header, string(b)}
}

func get(t *testing.T, c *http.Client, u string) result {
	t.Helper()
	return do(t, c, http.MethodGet, u, "", "")
}

func addToBasket(t *testing.T, c *http.Client, s *Shop, id string) basketSummary {
	t.Helper()
	r := do(t, c, http.MethodPost, s.URL()+"api/basket", "application/json", `{"id":"`+id+`"}`)
	if r.status != http.StatusOK {
		t.Fatalf("POST /api/basket: status %d: %s", r.status, r.body)
	}
	var b basketSummary
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatalf("POST /api/basket: %v in %s", err, r.body)
	}
	return b
}

var basketCountRE = regexp.MustCompile(`<span id="basket-count"[^>]*>(\d+)</span>`)

func basketCount(t *testing.T, body string) string {
	t.Helper()
	m := basketCountRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no #basket-count in page")
	}
	return m[1]
}

func TestPagesHaveTheirIDs(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	addToBasket(t, c, s, "fjell-shell")
	everyPage := []string{`id="basket-count"`, `id="basket-link"`, `id="chat-launcher"`, `data-widget="` + s.ChatURL() + `widget"`}
	deliveryForm := []string{`action="/checkout/delivery"`, `method="post"`, `id="name"`, `id="email"`, `id="postcode"`, `id="to-payment"`}
	tests := []struct {
		name  string
		url   string
		shop  bool
		want  []string
		wantR []*regexp.Regexp
	}{
		{"landing", s.URL(), true,
			[]string{`<img class="hero-img" src="/static/hero.svg"`, `id="consent-banner"`, `id="consent-accept"`, `id="product-list"`},
			nil},
		{"product", s.URL() + "product/fjell-shell", true,
			append([]string{`Fjell Shell Jacket`, `id="basket-drawer"`, `src="/static/product/fjell-shell.svg"`}, deliveryForm...),
			[]*regexp.Regexp{regexp.MustCompile(`<button id="add-to-basket"[^>]*\bdisabled\b`)}},
		{"basket", s.URL() + "basket", true,
			[]string{`id="checkout"`, `href="/checkout"`, `Fjell Shell Jacket`},
			nil},
		{"checkout", s.URL() + "checkout", true, deliveryForm, nil},
		{"payment", s.URL() + "checkout/payment", true,
			[]string{`action="/checkout/pay"`, `id="card"`, `id="expiry"`, `id="cvc"`, `id="pay"`},
			nil},
		{"confirmation", s.URL() + "confirmation", true,
			[]string{"Thank you"},
			[]*regexp.Regexp{regexp.MustCompile(`<span id="order-number"[^>]*>TP-\d{5}</span>`)}},
		{"chat widget", s.ChatURL() + "widget", false,
			[]string{`id="chat-form"`, `id="message"`, `id="send"`, `fetch('/api/reply'`},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, tt.url)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: status %d", tt.url, r.status)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q", ct)
			}
			want := tt.want
			if tt.shop {
				want = append(want, everyPage...)
			}
			for _, w := range want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
			for _, re := range tt.wantR {
				if !re.MatchString(r.body) {
					t.Errorf("page does not match %s", re)
				}
			}
		})
	}
}

func TestStaticAndNotFound(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	tests := []struct {
		url    string
		status int
		ctype  string
	}{
		{s.URL() + "static/hero.svg", 200, "image/svg+xml"},
		{s.URL() + "static/favicon.svg", 200, "image/svg+xml"},
		{s.URL() + "static/product/myr-boots.svg", 200, "image/svg+xml"},
		{s.URL() + "static/product/nope.svg", 404, "text/html"},
		{s.URL() + "product/nope", 404, "text/html"},
		{s.URL() + "nowhere", 404, "text/html"},
		{s.URL() + "api/stock/nope", 404, "application/json"},
		{s.ChatURL(), 200, "text/plain"},
		{s.ChatURL() + "nowhere", 404, "text/plain"},
	}
	for _, tt := range tests {
		r := get(t, c, tt.url)
		if r.status != tt.status || !strings.HasPrefix(r.header.Get("Content-Type"), tt.ctype) {
			t.Errorf("GET %s: %d %s, want %d %s", tt.url, r.status, r.header.Get("Content-Type"), tt.status, tt.ctype)
		}
	}
	// The hero must carry enough detail for Chromium to count it as the
	// Largest Contentful Paint (it ignores images under 0.05 bits per
	// displayed pixel, and the hero is shown at up to 1132x453).
	if n := len(heroSVG); n*8 < 1132*453/20*2 {
		t.Errorf("hero.svg is only %d bytes", n)
	}
}

func TestConsentBanner(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	if r := get(t, c, s.URL()); !strings.Contains(r.body, `id="consent-accept"`) {
		t.Fatal("no consent banner without a consent cookie")
	}
	u, _ := url.Parse(s.URL())
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "consent", Value: "yes"}})
	if r := get(t, c, s.URL()); strings.Contains(r.body, `id="consent-banner"`) {
		t.Fatal("consent banner shown although consent=yes")
	}
}

func TestAPIProducts(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	r := get(t, c, s.URL()+"api/products")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	var data struct {
		Products []struct {
			ID, Name, Price, Image string
			PriceOre               int `json:"price_ore"`
		}
	}
	if err := json.Unmarshal([]byte(r.body), &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Products) < 3 {
		t.Fatalf("%d products", len(data.Products))
	}
	for _, p := range data.Products {
		if p.ID == "" || p.Name == "" || p.Price == "" || p.PriceOre <= 0 {
			t.Errorf("incomplete product %+v", p)
		}
		if r := get(t, c, s.URL()+"product/"+p.ID); r.status != 200 || !strings.Contains(r.body, p.Name) {
			t.Errorf("product page of %s: status %d", p.ID, r.status)
		}
		if r := get(t, c, strings.TrimSuffix(s.URL(), "/")+p.Image); r.status != 200 {
			t.Errorf("image of %s: status %d", p.ID, r.status)
		}
		r := get(t, c, s.URL()+"api/stock/"+p.ID)
		var st struct {
			InStock bool `json:"in_stock"`
		}
		if err := json.Unmarshal([]byte(r.body), &st); err != nil || r.status != 200 || !st.InStock {
			t.Errorf("stock of %s: status %d, %s", p.ID, r.status, r.body)
		}
	}
}

func TestBasketCookieCounts(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	if got := basketCount(t, get(t, c, s.URL()).body); got != "0" {
		t.Fatalf("fresh count %s, want 0", got)
	}
	if b := addToBasket(t, c, s, "fjell-shell"); b.Count != 1 || len(b.Lines) != 1 {
		t.Fatalf("after one add: %+v", b)
	}
	// A browser that kept its cookies would see 2 after its next add.
	b := addToBasket(t, c, s, "fjell-shell")
	if b.Count != 2 || len(b.Lines) != 1 || b.Lines[0].Quantity != 2 {
		t.Fatalf("after two adds: %+v", b)
	}
	if b := addToBasket(t, c, s, "lys-headlamp"); b.Count != 3 || len(b.Lines) != 2 {
		t.Fatalf("after a third add: %+v", b)
	}
	r := get(t, c, s.URL()+"basket")
	if got := basketCount(t, r.body); got != "3" {
		t.Errorf("basket page count %s, want 3", got)
	}
	if !strings.Contains(r.body, "Lys 400 Headlamp") || !strings.Contains(r.body, "Qty 2") {
		t.Errorf("basket page lacks its lines")
	}

	// Another browser has its own basket.
	if b := addToBasket(t, client(t), s, "fjell-shell"); b.Count != 1 {
		t.Errorf("fresh client after one add: count %d, want 1", b.Count)
	}

	for _, body := range []string{`{"id":"nope"}`, `not json`} {
		if r := do(t, c, http.MethodPost, s.URL()+"api/basket", "application/json", body); r.status != http.StatusBadRequest {
			t.Errorf("POST /api/basket %s: status %d, want 400", body, r.status)
		}
	}
}

func TestCheckoutRedirects(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	addToBasket(t, c, s, "tinde-pack")
	form := url.Values{"name": {"Synthetic Shopper"}, "email": {"s@example.com"}, "postcode": {"113 51"}, "shipping": {"express"}}
	r := do(t, c, http.MethodPost, s.URL()+"checkout/delivery", "application/x-www-form-urlencoded", form.Encode())
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/checkout/payment" {
		t.Fatalf("POST /checkout/delivery: %d to %q, want 303 to /checkout/payment", r.status, r.header.Get("Location"))
	}
	if r := get(t, c, s.URL()+"checkout/payment"); !strings.Contains(r.body, "Synthetic Shopper, 113 51") {
		t.Errorf("payment page does not show the delivery details")
	}
	pay := url.Values{"card": {"4111 1111 1111 1111"}, "expiry": {"12/30"}, "cvc": {"123"}}
	r = do(t, c, http.MethodPost, s.URL()+"checkout/pay", "application/x-www-form-urlencoded", pay.Encode())
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/confirmation" {
		t.Fatalf("POST /checkout/pay: %d to %q, want 303 to /confirmation", r.status, r.header.Get("Location"))
	}
	first := get(t, c, s.URL()+"confirmation")
	again := get(t, c, s.URL()+"confirmation")
	re := regexp.MustCompile(`id="order-number"[^>]*>(TP-\d{5})<`)
	m1, m2 := re.FindStringSubmatch(first.body), re.FindStringSubmatch(again.body)
	if m1 == nil || m2 == nil || m1[1] != m2[1] {
		t.Errorf("order number not stable: %v %v", m1, m2)
	}
	if !strings.Contains(first.body, "Thank you, Synthetic!") {
		t.Errorf("confirmation does not greet the customer")
	}
	if got := basketCount(t, first.body); got != "0" {
		t.Errorf("basket count after paying %s, want 0", got)
	}
}

// route is one request that a page's delay and failure apply to.
type route struct {
	page        string
	method      string
	chat        bool
	path        string
	contentType string
	body        string
}

var routes = []route{
	{"landing", "GET", false, "", "", ""},
	{"products", "GET", false, "api/products", "", ""},
	{"product", "GET", false, "product/fjell-shell", "", ""},
	{"basket", "POST", false, "api/basket", "application/json", `{"id":"fjell-shell"}`},
	{"basket", "GET", false, "basket", "", ""},
	{"checkout", "GET", false, "checkout", "", ""},
	{"checkout", "POST", false, "checkout/delivery", "application/x-www-form-urlencoded", "name=A&email=b%40c.d&postcode=11351"},
	{"payment", "GET", false, "checkout/payment", "", ""},
	{"confirmation", "GET", false, "confirmation", "", ""},
	{"chat", "POST", true, "api/reply", "application/json", `{"message":"Is this in stock?"}`},
}

func (rt route) url(s *Shop) string {
	if rt.chat {
		return s.ChatURL() + rt.path
	}
	return s.URL() + rt.path
}

func TestEveryPageHasARoute(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.page] = true
	}
	for _, p := range Pages {
		if !seen[p] {
			t.Errorf("page %q has no route in the tests", p)
		}
	}
}

func TestSetSlowDelaysTheRoute(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	const chatDelay = 50 * time.Millisecond
	for _, rt := range routes {
		t.Run(rt.page+" "+rt.method+" /"+rt.path, func(t *testing.T) {
			t.Parallel()
			s := start(t, Options{ChatDelay: chatDelay})
			if err := s.SetSlow(rt.page, delay); err != nil {
				t.Fatal(err)
			}
			if got := s.Delay(rt.page); got != delay {
				t.Fatalf("Delay(%q) = %v, want %v", rt.page, got, delay)
			}
			want := delay
			if rt.chat {
				want += chatDelay
			}
			begin := time.Now()
			r := do(t, client(t), rt.method, rt.url(s), rt.contentType, rt.body)
			took := time.Since(begin)
			if r.status >= 400 {
				t.Fatalf("status %d", r.status)
			}
			if took < want {
				t.Errorf("answered after %v, want at least %v", took, want)
			}
		})
	}
	t.Run("options", func(t *testing.T) {
		t.Parallel()
		s := start(t, Options{Slow: map[string]time.Duration{"product": delay}})
		if got := s.Delay("product"); got != delay {
			t.Fatalf("Delay = %v, want %v", got, delay)
		}
		begin := time.Now()
		get(t, client(t), s.URL()+"product/ull-base")
		if took := time.Since(begin); took < delay {
			t.Errorf("answered after %v, want at least %v", took, delay)
		}
		if err := s.SetSlow("product", 0); err != nil {
			t.Fatal(err)
		}
		if got := s.Delay("product"); got != 0 {
			t.Errorf("Delay after SetSlow 0 = %v", got)
		}
	})
	t.Run("default chat delay", func(t *testing.T) {
		t.Parallel()
		s := start(t, Options{})
		begin := time.Now()
		r := do(t, client(t), "POST", s.ChatURL()+"api/reply", "application/json", `{"message":"Is this in stock?"}`)
		if took := time.Since(begin); took < DefaultChatDelay {
			t.Errorf("chat answered after %v, want at least %v", took, DefaultChatDelay)
		}
		var reply struct{ Reply string }
		if err := json.Unmarshal([]byte(r.body), &reply); err != nil || !strings.Contains(reply.Reply, "in stock") {
			t.Errorf("reply %q (%v)", r.body, err)
		}
	})
}

func TestSetFailBreaksTheRoute(t *testing.T) {
	t.Parallel()
	for _, rt := range routes {
		t.Run(rt.page+" "+rt.method+" /"+rt.path, func(t *testing.T) {
			t.Parallel()
			s := start(t, Options{ChatDelay: 10 * time.Millisecond})
			if err := s.SetFail(rt.page, true); err != nil {
				t.Fatal(err)
			}
			c := client(t)
			if rt.chat {
				c.Timeout = 500 * time.Millisecond
				req, _ := http.NewRequest(rt.method, rt.url(s), strings.NewReader(rt.body))
				req.Header.Set("Content-Type", rt.contentType)
				resp, err := c.Do(req)
				if err == nil {
					resp.Body.Close()
					t.Fatalf("a broken chat answered %d", resp.StatusCode)
				}
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Fatalf("want a client timeout, got %v", err)
				}
				return
			}
			r := do(t, c, rt.method, rt.url(s), rt.contentType, rt.body)
			if r.status != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500", r.status)
			}
			if r.header.Get("Set-Cookie") != "" {
				t.Errorf("a broken page set a cookie: %s", r.header.Get("Set-Cookie"))
			}
			if !strings.HasPrefix(rt.path, "api/") && !strings.Contains(r.body, `id="error"`) {
				t.Errorf("no error page")
			}

			// Mended, it works again.
			if err := s.SetFail(rt.page, false); err != nil {
				t.Fatal(err)
			}
			if r := do(t, c, rt.method, rt.url(s), rt.contentType, rt.body); r.status >= 400 {
				t.Errorf("after SetFail false: status %d", r.status)
			}
		})
	}
	t.Run("options", func(t *testing.T) {
		t.Parallel()
		s := start(t, Options{Fail: map[string]bool{"checkout": true}})
		if r := get(t, client(t), s.URL()+"checkout"); r.status != 500 {
			t.Errorf("status %d, want 500", r.status)
		}
	})
}

func TestUnknownPages(t *testing.T) {
	t.Parallel()
	if _, err := Start(Options{Slow: map[string]time.Duration{"home": time.Second}}); err == nil || !strings.Contains(err.Error(), "landing") {
		t.Errorf("Start with an unknown slow page: %v", err)
	}
	if _, err := Start(Options{Fail: map[string]bool{"cart": true}}); err == nil {
		t.Errorf("Start with an unknown broken page: no error")
	}
	if _, err := Start(Options{ChatDelay: -time.Second}); err == nil {
		t.Errorf("Start with a negative chat delay: no error")
	}
	s := start(t, Options{})
	if err := s.SetSlow("cart", time.Second); err == nil {
		t.Error("SetSlow of an unknown page: no error")
	}
	if err := s.SetSlow("product", -time.Second); err == nil {
		t.Error("SetSlow with a negative delay: no error")
	}
	if err := s.SetFail("cart", true); err == nil {
		t.Error("SetFail of an unknown page: no error")
	}
	if s.Delay("cart") != 0 {
		t.Error("Delay of an unknown page is not 0")
	}
	for _, p := range Pages {
		if !ValidPage(p) {
			t.Errorf("ValidPage(%q) = false", p)
		}
	}
	for _, p := range []string{"", "Landing", "cart", "product "} {
		if ValidPage(p) {
			t.Errorf("ValidPage(%q) = true", p)
		}
	}
}

func TestParseSlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		page    string
		d       time.Duration
		wantErr []string
	}{
		{spec: "product=4s", page: "product", d: 4 * time.Second},
		{spec: " chat = 1500ms ", page: "chat", d: 1500 * time.Millisecond},
		{spec: "landing=0s", page: "landing", d: 0},
		{spec: "product", wantErr: []string{"PAGE=DURATION", "landing, products, product, basket, checkout, payment, confirmation, chat"}},
		{spec: "cart=4s", wantErr: []string{`"cart"`, "valid pages: landing, products, product, basket, checkout, payment, confirmation, chat"}},
		{spec: "=4s", wantErr: []string{"page name", "landing"}},
		{spec: "product=4", wantErr: []string{`"4"`, "not a duration"}},
		{spec: "product=soon", wantErr: []string{`"soon"`}},
		{spec: "product=-1s", wantErr: []string{"negative"}},
		{spec: "", wantErr: []string{"PAGE=DURATION"}},
	}
	for _, tt := range tests {
		page, d, err := ParseSlow(tt.spec)
		if tt.wantErr == nil {
			if err != nil || page != tt.page || d != tt.d {
				t.Errorf("ParseSlow(%q) = %q, %v, %v; want %q, %v", tt.spec, page, d, err, tt.page, tt.d)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseSlow(%q): no error", tt.spec)
			continue
		}
		for _, w := range tt.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseSlow(%q) error %q lacks %q", tt.spec, err, w)
			}
		}
	}
}

func TestChatOriginIsAnotherSite(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	shop, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	chat, err := url.Parse(s.ChatURL())
	if err != nil {
		t.Fatal(err)
	}
	if shop.Hostname() != "127.0.0.1" || shop.Path != "/" || shop.Port() == "" {
		t.Errorf("URL() = %q", s.URL())
	}
	if chat.Hostname() != "localhost" || chat.Path != "/" || chat.Port() == "" {
		t.Errorf("ChatURL() = %q", s.ChatURL())
	}
	if shop.Hostname() == chat.Hostname() || shop.Port() == chat.Port() {
		t.Errorf("the chat origin %q is not another site than %q", s.ChatURL(), s.URL())
	}
	// The chat answers on its host name.
	if r := get(t, client(t), s.ChatURL()+"widget"); r.status != 200 {
		t.Errorf("GET widget: status %d", r.status)
	}
}

func TestCloseEndsAHangingChat(t *testing.T) {
	// Not parallel: it counts goroutines.
	before := runtime.NumGoroutine()
	s, err := Start(Options{Fail: map[string]bool{"chat": true}, Slow: map[string]time.Duration{"landing": time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for _, u := range []string{s.ChatURL() + "api/reply", s.URL()} {
		wg.Go(func() {
			method, body := http.MethodGet, ""
			if strings.HasSuffix(u, "api/reply") {
				method, body = http.MethodPost, `{"message":"hello?"}`
			}
			req, _ := http.NewRequest(method, u, strings.NewReader(body))
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	// Both handlers count the request on entry, before they wait.
	testutil.WaitFor(t, 30*time.Second, "both requests to reach their handlers", func() bool {
		return s.Requests("chat") == 1 && s.Requests("landing") == 1
	})

	begin := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if took := time.Since(begin); took > shutdownGrace/2 {
		t.Errorf("Close took %v with a hanging chat request open", took)
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	tr.CloseIdleConnections()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before Start, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestConcurrentSettings(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			page := Pages[i%len(Pages)]
			_ = s.SetSlow(page, time.Duration(i%3)*time.Millisecond)
			_ = s.SetFail(page, i%2 == 0)
			_ = s.Delay(page)
		}
	})
	for range 20 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"product/fjell-shell", nil)
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	cancel()
	wg.Wait()
}

func TestJourneyAndExampleConfig(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	j := s.Journey("@every 15s")
	for _, w := range []string{
		`url = "` + s.URL() + `"`,
		`schedule = "@every 15s"`,
		`location = "demo"`,
		`name = "checkout"`,
		`labels = { brand = "nordlys" }`,
		`selector = "#basket-link"`,
		`wait_for = "#order-number"`,
		`text = "TP-"`,
		`frame = "iframe#chat-frame"`,
		`reply = "p.reply"`,
	} {
		if !strings.Contains(j, w) {
			t.Errorf("Journey lacks %s", w)
		}
	}
	if strings.Contains(j, "{{") || strings.Contains(j, "artifacts_dir") {
		t.Errorf("Journey has a placeholder or artifacts_dir:\n%s", j)
	}
	if j := s.Journey(`a"b\c`); !strings.Contains(j, `schedule = "a\"b\\c"`) {
		t.Errorf("schedule not escaped")
	}
	if j := s.Journey(""); !strings.Contains(j, `schedule = "@every 1m"`) {
		t.Errorf("empty schedule not defaulted")
	}

	// Under profiles, side by side: one run of each at once.
	cfg, err := config.Parse([]byte(s.Journey("@every 15s", "desktop", "mobile-4g")), "demo.toml")
	if err != nil {
		t.Fatalf("the journey under two profiles does not load: %v", err)
	}
	if got := cfg.Journeys[0].Profiles; !slices.Equal(got, []string{"desktop", "mobile-4g"}) || cfg.Agent.Concurrency != 2 {
		t.Errorf("profiles %q, concurrency %d; want desktop and mobile-4g, 2 at once", got, cfg.Agent.Concurrency)
	}

	e := s.ExampleConfig()
	if strings.Contains(e, "shop.example.com") || !strings.Contains(e, `url = "`+s.URL()+`"`) {
		t.Errorf("ExampleConfig not pointed at the shop:\n%s", e)
	}
	for _, w := range []string{`"#email" = "${env:CHECKOUT_EMAIL}"`, `artifacts_dir = "/var/lib/touchprobe"`, `budget = "2s"`} {
		if !strings.Contains(e, w) {
			t.Errorf("ExampleConfig lacks %s", w)
		}
	}
}

// TestSelectorsExist checks that every id the two configurations use is
// on the page where the journey needs it.
func TestSelectorsExist(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := client(t)
	idRE := regexp.MustCompile(`"#([a-z-]+)`)
	pages := get(t, c, s.URL()).body + get(t, c, s.URL()+"product/fjell-shell").body +
		get(t, c, s.URL()+"basket").body + get(t, c, s.URL()+"checkout/payment").body +
		get(t, c, s.URL()+"confirmation").body + get(t, c, s.ChatURL()+"widget").body
	for _, conf := range []string{s.Journey("@every 1m"), s.ExampleConfig()} {
		for _, m := range idRE.FindAllStringSubmatch(conf, -1) {
			if !strings.Contains(pages, `id="`+m[1]+`"`) && !strings.Contains(pages, `.id = '`+m[1]+`'`) {
				t.Errorf("no page has #%s", m[1])
			}
		}
	}
	// a.product-link is rendered by the landing page's script.
	if !strings.Contains(get(t, c, s.URL()).body, `el('a', 'product-link')`) {
		t.Errorf("the landing page does not render a.product-link")
	}
}

// FailNext breaks a page for the next requests only: a flaky page.
func TestFailNextBreaksTheNextRequests(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	if err := s.FailNext("product", 2); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	var got []int
	for range 3 {
		got = append(got, get(t, c, s.URL()+"product/fjell-shell").status)
	}
	if got[0] != 500 || got[1] != 500 || got[2] != 200 {
		t.Errorf("statuses %v, want 500, 500, then 200", got)
	}
	if err := s.FailNext("nope", 1); err == nil {
		t.Error("FailNext of an unknown page: no error")
	}
	if err := s.FailNext("product", -1); err == nil {
		t.Error("FailNext of -1: no error")
	}
}
