package config

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// originExample is the origin messages suggest.
const originExample = `"https://shop.example.com"`

// Origin returns the origin of a URL in the form requests are matched
// against: a lower-case http or https scheme and host, and the port only
// when it is not the scheme's default. For a value written as an origin
// (trace_origins), problem says what is wrong with it; a URL with a path,
// query or user is not an origin.
func Origin(raw string) (origin, problem string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Sprintf("%q is not a URL", TruncateRunes(raw, 80))
	}
	origin, problem = OriginOf(u)
	if problem != "" {
		return "", problem
	}
	switch {
	case u.User != nil:
		return "", fmt.Sprintf("%q names a user: an origin is only scheme://host[:port]", TruncateRunes(raw, 80))
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Sprintf("%q has a path, query or fragment: an origin is only scheme://host[:port], such as %q", TruncateRunes(raw, 80), origin)
	case strings.ContainsAny(u.Host, `*?\`):
		return "", fmt.Sprintf("%q has a wildcard: write each origin in full", TruncateRunes(raw, 80))
	}
	return origin, ""
}

// OriginOf returns the origin of u (see Origin), or why it has none.
func OriginOf(u *url.URL) (origin, problem string) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Opaque != "" {
		return "", fmt.Sprintf("%q is not an http or https URL", TruncateRunes(u.String(), 80))
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", fmt.Sprintf("%q has no host", TruncateRunes(u.String(), 80))
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "80" && scheme == "http" || port == "443" && scheme == "https" {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, ""
}

// traceOrigins checks the trace_origins of the agent or a journey.
func (v *validator) traceOrigins(w where, m meta, key string, origins []string) {
	if !m.has(key) {
		return
	}
	seen := map[string]int{}
	for i, o := range origins {
		if !v.noReference(w, key, o, false) {
			continue
		}
		canon, problem := Origin(o)
		if problem != "" {
			v.add(w, key, "entry #%d: %s: write an origin, scheme://host[:port] without a path, such as %s", i+1, problem, originExample)
			continue
		}
		if first, dup := seen[canon]; dup {
			v.add(w, key, "entry #%d %q is the same origin as entry #%d: write each origin once", i+1, o, first)
			continue
		}
		seen[canon] = i + 1
	}
}

// traceURL checks [agent] trace_url.
func (v *validator) traceURL(w where, m meta) {
	const key = "agent.trace_url"
	s := v.d.cfg.Agent.TraceURL
	if !m.has(key) || !v.noReference(w, key, s, false) {
		return
	}
	const example = `"https://tempo.example/explore?trace={trace_id}"`
	if !strings.Contains(s, TraceIDPlaceholder) {
		v.add(w, key, "%q does not say where the trace id goes: write a URL with %s in it, such as %s", TruncateRunes(s, 80), TraceIDPlaceholder, example)
		return
	}
	u, err := url.Parse(strings.ReplaceAll(s, TraceIDPlaceholder, strings.Repeat("0", 32)))
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		v.add(w, key, "%q is not an http or https URL: write one with %s where the trace id goes, such as %s", TruncateRunes(s, 80), TraceIDPlaceholder, example)
	}
}

// otlp checks the [otlp] table.
func (v *validator) otlp() {
	o, m, top := &v.d.cfg.OTLP, v.d.root, where{}
	const example = `"http://collector:4318"`
	if m.has("otlp.endpoint") && v.noReference(top, "otlp.endpoint", o.Endpoint, false) {
		u, err := url.Parse(o.Endpoint)
		switch {
		case o.Endpoint == "":
			v.add(top, "otlp.endpoint", "must not be empty: write the collector's OTLP/HTTP address, such as %s, or leave [otlp] out to export nothing", example)
		case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "":
			v.add(top, "otlp.endpoint", "%q is not an http or https URL: write the collector's OTLP/HTTP address, such as %s; spans go to its /v1/traces", TruncateRunes(o.Endpoint, 80), example)
		case u.User != nil || u.RawQuery != "" || u.Fragment != "":
			v.add(top, "otlp.endpoint", "must have no user, query or fragment: write the collector's address, such as %s, and credentials in [otlp] headers", example)
		}
	}
	if m.has("otlp.headers") {
		if !m.has("otlp.endpoint") {
			v.add(top, "otlp.headers", "headers without an endpoint export nothing: write [otlp] endpoint, such as %s", example)
		}
		for _, name := range slices.Sorted(mapsKeys(o.Headers)) {
			if !validHeaderName(name) {
				v.add(top, "otlp.headers", "%q is not an HTTP header name: write a name such as \"Authorization\" or \"X-Scope-OrgID\"", TruncateRunes(name, 40))
				continue
			}
			if !validHeaderValue(o.Headers[name]) {
				// The value may be a secret: never quote it.
				v.add(top, "otlp.headers", "the value of %q has a control character such as a line break: write it on one line", http.CanonicalHeaderKey(name))
			}
		}
	}
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// fillHeaders fills the references in [otlp] headers; their values are
// secrets. A header whose references cannot be filled is reported by name.
func (f *filler) fillHeaders(c *collector, d *decoded) {
	h := d.cfg.OTLP.Headers
	for _, name := range slices.Sorted(mapsKeys(h)) {
		v, problems := f.fill(h[name])
		for _, msg := range problems {
			c.add(where{}, "otlp.headers", "value of %q: %s", name, msg)
			d.root.bad["otlp.headers"] = true
		}
		h[name] = v
	}
}

// canonicalOrigins returns origins in their canonical form (see Origin);
// they have been validated.
func canonicalOrigins(origins []string) []string {
	if origins == nil {
		return nil
	}
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		if c, problem := Origin(o); problem == "" {
			out = append(out, c)
		}
	}
	return out
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s has no control character but tab.
func validHeaderValue(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}
