package demoshop

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The shop's pictures are SVG drawn here, so that the shop needs no files
// and no network. They are drawn once, the same at every start.

var (
	heroSVG    = drawHero()
	faviconSVG = []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="20" fill="#13233f"/><path d="M5 21c6-9 13-11 30-8" stroke="#3ddc97" stroke-width="3" fill="none" stroke-linecap="round"/><path d="M4 33l9-9 5 5 6-7 12 11z" fill="#f6f7f9"/></svg>`)
	productSVG = func() map[string][]byte {
		m := make(map[string][]byte, len(catalog))
		for _, p := range catalog {
			m[p.ID] = drawProduct(p)
		}
		return m
	}()
)

type pt struct{ x, y float64 }

func points(ps []pt) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.0f,%.0f", p.x, p.y)
	}
	return b.String()
}

// ridge draws a mountain range through the given peaks and valleys, down
// to the bottom of the picture, with snow on the peaks higher than snowLine.
func ridge(b *strings.Builder, ps []pt, fill, snow string, snowLine float64) {
	poly := append([]pt{{ps[0].x, 640}}, ps...)
	poly = append(poly, pt{ps[len(ps)-1].x, 640})
	fmt.Fprintf(b, `<polygon points="%s" fill="%s"/>`, points(poly), fill)
	if snow == "" {
		return
	}
	for i := 1; i < len(ps)-1; i++ {
		p, l, r := ps[i], ps[i-1], ps[i+1]
		if p.y > snowLine || p.y > l.y || p.y > r.y {
			continue
		}
		at := func(q pt, t float64) pt { return pt{p.x + (q.x-p.x)*t, p.y + (q.y-p.y)*t} }
		snowCap := []pt{at(l, .32), p, at(r, .3), at(r, .22), at(pt{p.x, p.y + 80}, .3), at(l, .2)}
		snowCap[3].y += 10
		snowCap[5].y += 12
		fmt.Fprintf(b, `<polygon points="%s" fill="%s"/>`, points(snowCap), snow)
	}
}

func drawHero() []byte {
	rng := rand.New(rand.NewPCG(1998, 66))
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1600 640" width="1600" height="640">`)
	b.WriteString(`<defs>` +
		`<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#050a1a"/><stop offset=".5" stop-color="#10204a"/><stop offset="1" stop-color="#2d3f70"/></linearGradient>` +
		`<linearGradient id="a1" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3ddc97" stop-opacity="0"/><stop offset=".55" stop-color="#3ddc97" stop-opacity=".85"/><stop offset="1" stop-color="#1fb58f" stop-opacity="0"/></linearGradient>` +
		`<linearGradient id="a2" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#8f7cf7" stop-opacity="0"/><stop offset=".5" stop-color="#8f7cf7" stop-opacity=".6"/><stop offset="1" stop-color="#3ddc97" stop-opacity="0"/></linearGradient>` +
		`<radialGradient id="glow"><stop offset="0" stop-color="#ffc86b" stop-opacity=".7"/><stop offset="1" stop-color="#ffc86b" stop-opacity="0"/></radialGradient>` +
		`<filter id="blur" x="-10%" y="-60%" width="120%" height="220%"><feGaussianBlur stdDeviation="18"/></filter>` +
		`<linearGradient id="shade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#050a1a" stop-opacity=".6"/><stop offset=".5" stop-color="#050a1a" stop-opacity="0"/></linearGradient>` +
		`<filter id="soft" x="-10%" y="-60%" width="120%" height="220%"><feGaussianBlur stdDeviation="6"/></filter>` +
		`</defs>`)
	b.WriteString(`<rect width="1600" height="640" fill="url(#sky)"/>`)

	// Stars, more of them high in the sky.
	b.WriteString(`<g fill="#fff">`)
	for range 170 {
		x := rng.Float64() * 1600
		y := rng.Float64() * rng.Float64() * 420
		r := 0.6 + rng.Float64()*1.4
		o := 0.35 + rng.Float64()*0.65
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" opacity="%.2f"/>`, x, y, r, o)
	}
	b.WriteString(`</g>`)

	// The aurora: soft bands with sharper curtains inside.
	b.WriteString(`<g filter="url(#blur)">` +
		`<path d="M-60 250C200 110 420 300 720 170S1180 60 1660 180L1660 300C1220 170 1010 380 720 300S220 230 -60 380Z" fill="url(#a1)"/>` +
		`<path d="M200 120C480 40 700 170 980 90S1400 20 1660 60L1660 150C1380 90 1210 190 980 170S500 130 200 210Z" fill="url(#a2)"/>` +
		`</g>`)
	b.WriteString(`<g filter="url(#soft)" fill="#7df5c0" opacity=".55">`)
	for i := range 34 {
		x := 260 + float64(i)*34 + rng.Float64()*14
		top := 110 + 70*rng.Float64() + 60*float64((i*7)%5)/5
		h := 70 + rng.Float64()*110
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" rx="6" opacity="%.2f"/>`, x, top, 6+rng.Float64()*10, h, .3+rng.Float64()*.5)
	}
	b.WriteString(`</g>`)

	// Mountains, far to near.
	ridge(&b, []pt{{0, 430}, {110, 370}, {210, 400}, {330, 300}, {450, 380}, {560, 330}, {690, 400}, {820, 290}, {960, 380}, {1080, 320}, {1210, 390}, {1340, 280}, {1470, 360}, {1600, 330}}, "#2a3b68", "#c9d3ea", 340)
	ridge(&b, []pt{{0, 500}, {140, 420}, {260, 460}, {420, 370}, {560, 450}, {700, 410}, {860, 470}, {1000, 390}, {1150, 460}, {1290, 400}, {1440, 470}, {1600, 430}}, "#1c2a52", "#e9eef8", 430)
	b.WriteString(`<path d="M0 560C240 520 420 545 640 530S1080 500 1300 525 1520 540 1600 530L1600 640 0 640Z" fill="#eef2f8"/>`)
	b.WriteString(`<path d="M0 590C300 570 560 600 860 585S1340 570 1600 590L1600 640 0 640Z" fill="#d7deec"/>`)

	// The cabin, with a warm window.
	b.WriteString(`<circle cx="1180" cy="540" r="70" fill="url(#glow)"/>` +
		`<rect x="1140" y="512" width="84" height="46" fill="#3a2a22"/>` +
		`<polygon points="1128,516 1182,478 1236,516" fill="#eef2f8"/>` +
		`<polygon points="1134,516 1182,484 1230,516" fill="#5a3a2c"/>` +
		`<rect x="1156" y="526" width="18" height="14" fill="#ffc86b"/>` +
		`<rect x="1192" y="526" width="18" height="14" fill="#ffc86b"/>` +
		`<rect x="1206" y="484" width="10" height="22" fill="#3a2a22"/>`)

	// Spruce trees in the snow.
	b.WriteString(`<g fill="#0d1833">`)
	for _, x := range []float64{60, 110, 150, 260, 300, 470, 520, 900, 940, 1010, 1300, 1350, 1420, 1480, 1550} {
		h := 70 + rng.Float64()*60
		base := 575 + rng.Float64()*25
		w := h * 0.42
		for tier := range 3 {
			t := float64(tier)
			top := base - h + t*h*0.25
			bot := base - h*0.15 + t*h*0.05 - (2-t)*h*0.12
			half := w * (0.55 + t*0.22)
			fmt.Fprintf(&b, `<polygon points="%.0f,%.0f %.0f,%.0f %.0f,%.0f"/>`, x, top, x-half/1.0, bot, x+half, bot)
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="6" height="%.0f"/>`, x-3, base-h*0.2, h*0.2+4)
	}
	b.WriteString(`</g>`)
	// Shade on the left, where the shop writes its headline.
	b.WriteString(`<rect width="1600" height="640" fill="url(#shade)"/></svg>`)
	return []byte(b.String())
}

// drawProduct draws a product on its tinted background.
func drawProduct(p *product) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" width="600" height="600">`+
		`<defs><radialGradient id="bg" cx=".5" cy=".4" r=".75"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="%s"/></radialGradient></defs>`+
		`<rect width="600" height="600" fill="url(#bg)"/>`+
		`<ellipse cx="300" cy="500" rx="170" ry="22" fill="#000" opacity=".08"/>`, p.Tint)
	c, d := p.Color, p.Shade
	switch p.kind {
	case "jacket":
		fmt.Fprintf(&b, `<path d="M250 150Q300 70 350 150L340 175H260Z" fill="%[2]s"/>`+
			`<path d="M240 160L360 160L412 196Q440 300 458 420L414 432L392 310L396 480L204 480L208 310L186 432L142 420Q160 300 188 196Z" fill="%[1]s"/>`+
			`<path d="M300 165V480" stroke="%[2]s" stroke-width="5"/>`+
			`<path d="M228 330h44M328 330h44" stroke="%[2]s" stroke-width="5" stroke-linecap="round"/>`+
			`<path d="M142 420l44 12" stroke="%[2]s" stroke-width="10"/><path d="M414 432l44-12" stroke="%[2]s" stroke-width="10"/>`+
			`<path d="M258 175Q300 200 342 175" fill="none" stroke="%[2]s" stroke-width="5"/>`, c, d)
	case "parka":
		fmt.Fprintf(&b, `<path d="M244 150Q300 60 356 150L346 182H254Z" fill="%[2]s"/>`+
			`<path d="M252 150Q300 96 348 150" fill="none" stroke="#f1e7d8" stroke-width="12" stroke-linecap="round"/>`+
			`<path d="M236 160L364 160L418 200Q446 310 462 430L416 442L396 320L404 505L196 505L204 320L184 442L138 430Q154 310 182 200Z" fill="%[1]s"/>`+
			`<g stroke="%[2]s" stroke-width="4" opacity=".7"><path d="M206 240H394M204 290H396M202 340H398M200 390H400M198 440H402"/></g>`+
			`<path d="M300 170V505" stroke="%[2]s" stroke-width="6"/>`, c, d)
	case "pack":
		fmt.Fprintf(&b, `<path d="M240 190Q230 130 300 128Q370 130 360 190" fill="none" stroke="%[2]s" stroke-width="14"/>`+
			`<rect x="196" y="170" width="208" height="310" rx="56" fill="%[1]s"/>`+
			`<path d="M200 200Q300 150 400 200L400 260Q300 230 200 260Z" fill="%[2]s"/>`+
			`<rect x="236" y="330" width="128" height="110" rx="24" fill="%[2]s" opacity=".6"/>`+
			`<path d="M236 360h128" stroke="%[1]s" stroke-width="5"/>`+
			`<rect x="284" y="256" width="32" height="56" rx="8" fill="#f1e7d8"/>`+
			`<path d="M212 470l-8 18M388 470l8 18" stroke="%[2]s" stroke-width="10" stroke-linecap="round"/>`, c, d)
	case "boot":
		fmt.Fprintf(&b, `<path d="M220 150H338L344 322Q424 336 458 376Q470 398 466 430H200L206 330Z" fill="%[1]s"/>`+
			`<path d="M214 150H344V176H212Z" fill="%[2]s"/>`+
			`<path d="M196 430H470V462Q470 474 458 474H208Q196 474 196 462Z" fill="#2c2a28"/>`+
			`<g stroke="#f1e7d8" stroke-width="6" stroke-linecap="round"><path d="M300 200l34 14M300 236l36 14M300 272l38 14M302 308l40 14"/></g>`+
			`<path d="M206 380Q330 400 466 402" fill="none" stroke="%[2]s" stroke-width="6"/>`, c, d)
	case "lamp":
		fmt.Fprintf(&b, `<defs><linearGradient id="beam" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#fff3c4" stop-opacity=".9"/><stop offset="1" stop-color="#fff3c4" stop-opacity="0"/></linearGradient></defs>`+
			`<polygon points="268,330 332,330 440,520 160,520" fill="url(#beam)"/>`+
			`<ellipse cx="300" cy="260" rx="170" ry="84" fill="none" stroke="#2c2f3a" stroke-width="26"/>`+
			`<ellipse cx="300" cy="260" rx="170" ry="84" fill="none" stroke="%[1]s" stroke-width="8" stroke-dasharray="22 14"/>`+
			`<rect x="238" y="262" width="124" height="86" rx="22" fill="%[1]s"/>`+
			`<circle cx="300" cy="305" r="30" fill="#fff8dc" stroke="%[2]s" stroke-width="8"/>`+
			`<rect x="346" y="274" width="12" height="22" rx="4" fill="%[2]s"/>`, c, d)
	default: // shirt
		fmt.Fprintf(&b, `<path d="M250 150Q300 184 350 150L412 178Q448 300 466 440L422 452L394 300L396 480L204 480L206 300L178 452L134 440Q152 300 188 178Z" fill="%[1]s"/>`+
			`<path d="M250 150Q300 192 350 150" fill="none" stroke="%[2]s" stroke-width="10"/>`+
			`<path d="M134 440l44 12M422 452l44-12" stroke="%[2]s" stroke-width="10"/>`+
			`<path d="M204 460H396" stroke="%[2]s" stroke-width="6"/>`+
			`<g stroke="%[2]s" stroke-width="2" opacity=".35"><path d="M226 220v240M254 210v250M282 200v260M310 200v260M338 210v250M366 220v240"/></g>`, c, d)
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}
