package metrics

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/probes"
)

// request is one way a scraper asks for /metrics.
type request struct {
	method   string
	accept   string
	encoding []string // one Accept-Encoding header line each
}

// serve serves req by h.
func serve(h http.Handler, req request) *httptest.ResponseRecorder {
	r := httptest.NewRequest(cmp.Or(req.method, http.MethodGet), "/metrics", nil)
	if req.accept != "" {
		r.Header.Set("Accept", req.accept)
	}
	for _, e := range req.encoding {
		r.Header.Add("Accept-Encoding", e)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// sameResponse checks that got says what want, promhttp's answer to the
// same request, says: status, the headers a scraper or a cache reads, and
// touchprobe's series.
func sameResponse(t *testing.T, name string, got, want *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code {
		t.Errorf("%s: status %d, want %d", name, got.Code, want.Code)
		return
	}
	for _, h := range []string{"Content-Type", "Content-Encoding"} {
		if g, w := got.Header().Get(h), want.Header().Get(h); g != w {
			t.Errorf("%s: %s %q, want %q", name, h, g, w)
		}
	}
	if g, w := slices.Sorted(slices.Values(got.Header().Values("Vary"))), slices.Sorted(slices.Values(want.Header().Values("Vary"))); !slices.Equal(g, w) {
		t.Errorf("%s: Vary %q, want %q", name, g, w)
	}
	if want.Body.Len() == 0 || got.Body.Len() == 0 {
		if got.Body.Len() != want.Body.Len() {
			t.Errorf("%s: %d bytes, want %d", name, got.Body.Len(), want.Body.Len())
		}
		return
	}
	gotBody, wantBody := plainBody(t, got), plainBody(t, want)
	contentType := want.Header().Get("Content-Type")
	switch expfmt.Format(contentType).FormatType() {
	case expfmt.TypeOpenMetrics:
		if g, w := openMetricsLines(t, gotBody), openMetricsLines(t, wantBody); !slices.Equal(g, w) {
			t.Errorf("%s: lines\n%s\nwant\n%s", name, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	case expfmt.TypeTextPlain, expfmt.TypeProtoDelim:
		g, w := touchprobeFamilies(t, gotBody, contentType), touchprobeFamilies(t, wantBody, contentType)
		if len(g) != len(w) {
			t.Errorf("%s: %d families, want %d", name, len(g), len(w))
		}
		for n, wf := range w {
			if !proto.Equal(g[n], wf) {
				t.Errorf("%s: %s is\n%v\nwant\n%v", name, n, g[n], wf)
			}
		}
	default:
		if !bytes.Contains(gotBody, []byte("touchprobe_journey_success")) {
			t.Errorf("%s: no touchprobe_journey_success in\n%.300s", name, gotBody)
		}
	}
}

// plainBody is rec's body, gunzipped if it says it is gzipped.
func plainBody(t *testing.T, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Encoding") != "gzip" {
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Content-Encoding: gzip, but: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return plain
}

// negotiated returns Metrics with a journey that ran, the handler of
// /metrics and promhttp's handler of the same metrics.
func negotiated(t *testing.T) (*Metrics, http.Handler, http.Handler) {
	t.Helper()
	m := New()
	journeys := []config.Journey{checkout(), support()}
	m.SetJourneys("oslo", journeys, intervals(journeys))
	m.ObserveRun(successRun())
	m.ObserveRun(supportRun())
	return m, Handler(m, nil), promhttp.HandlerFor(NewRegistry(m), promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// The handler picks the format promhttp picks, for what Prometheus 2 and
// 3, other scrapers, curl and browsers send, and serves it with the same
// headers: Vary says what a cache must key the answer on.
func TestHandlerNegotiatesFormatsAsPromhttp(t *testing.T) {
	_, h, gathered := negotiated(t)
	const protoDelim = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
	for name, accept := range map[string]string{
		"no Accept":                  "",
		"*/*":                        "*/*",
		"curl":                       "*/*",
		"browser":                    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
		"text/plain":                 "text/plain",
		"text 0.0.4":                 "text/plain;version=0.0.4",
		"text 1.0.0":                 "text/plain;version=1.0.0;escaping=allow-utf-8",
		"text, escaping=underscores": "text/plain;version=0.0.4;escaping=underscores",
		"text, escaping=values":      "text/plain;version=0.0.4;escaping=values",
		"text, escaping=dots":        "text/plain;version=0.0.4;escaping=dots",
		"Prometheus 2":               acceptOpenMetrics,
		"Prometheus 3":               "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
		"Prometheus 3, native":       protoDelim + ";escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
		"OpenMetrics 0.0.1":          "application/openmetrics-text;version=0.0.1",
		"OpenMetrics, no version":    "application/openmetrics-text",
		"OpenMetrics 2.0.0":          "application/openmetrics-text;version=2.0.0",
		"OpenMetrics, underscores":   "application/openmetrics-text;version=1.0.0;escaping=underscores",
		"protobuf":                   protoDelim,
		"protobuf q=0.1, text":       protoDelim + ";q=0.1,text/plain;version=0.0.4;q=0.5",
		"protobuf q=0, text":         protoDelim + ";q=0,text/plain;version=0.0.4;q=0.5",
		"protobuf, values":           protoDelim + ";escaping=values",
		"protobuf text":              "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
		"protobuf compact text":      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text",
		"unknown":                    "application/json",
		"VictoriaMetrics":            "text/plain;version=0.0.4;q=1,*/*;q=0.1",
	} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			for _, encoding := range [][]string{nil, {"gzip"}} {
				req := request{method: method, accept: accept, encoding: encoding}
				sameResponse(t, name+" "+method+" "+strings.Join(encoding, ","), serve(h, req), serve(gathered, req))
			}
		}
	}
}

// The handler compresses when promhttp, which offers identity and gzip,
// would: the best q-value wins, identity on a tie, "*" stands for
// either, and q=0 refuses.
func TestHandlerNegotiatesEncodingsAsPromhttp(t *testing.T) {
	_, h, gathered := negotiated(t)
	for _, encoding := range [][]string{
		nil,
		{""},
		{"gzip"},
		{"gzip;q=0"},
		{"gzip; q=0.0"},
		{"gzip;Q=0"},
		{"gzip;level=1;q=0"},
		{"GZIP"},
		{"x-gzip"},
		{"*"},
		{"*;q=0"},
		{"identity;q=0"},
		{"gzip, identity;q=0"},
		{"identity;q=0.5, gzip;q=0.1"},
		{"gzip;q=0.5, *"},
		{"deflate, gzip, br, zstd"},
		{"gzip, deflate, br, zstd"},
		{"zstd"},
		{"br;foo=bar, gzip"},
		{"identity", "gzip"},
		{"gzip;q=1.0, identity; q=0.5, *;q=0"},
	} {
		req := request{accept: acceptText, encoding: encoding}
		sameResponse(t, "Accept-Encoding: "+strings.Join(encoding, " / "), serve(h, req), serve(gathered, req))
	}
}

// brokenWriter is a scraper that goes away after n bytes.
type brokenWriter struct {
	header http.Header
	n      int
}

func (w *brokenWriter) Header() http.Header { return w.header }
func (w *brokenWriter) WriteHeader(int)     {}
func (w *brokenWriter) Write(b []byte) (int, error) {
	if len(b) > w.n {
		n := w.n
		w.n = 0
		return n, errors.New("broken pipe")
	}
	w.n -= len(b)
	return len(b), nil
}

// encodingErrors is promhttp_metric_handler_errors_total{cause="encoding"}
// as h serves it.
func encodingErrors(t *testing.T, h http.Handler) float64 {
	t.Helper()
	body, contentType := scrape(t, h, acceptText, "")
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.Format(contentType))
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err != nil {
			t.Fatalf("no promhttp_metric_handler_errors_total: %v", err)
		}
		if mf.GetName() != "promhttp_metric_handler_errors_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			if labels(metric)["cause"] == "encoding" {
				return metric.GetCounter().GetValue()
			}
		}
		t.Fatalf("promhttp_metric_handler_errors_total has no cause=\"encoding\": %v", mf)
	}
}

// A scrape that cannot be written to its end counts one encoding error,
// as promhttp counts it, and logs it as an error, whatever the format and
// wherever the scraper went away. (promhttp misses those its gzip
// compressor held until the end: they are counted too.)
func TestHandlerCountsWriteErrors(t *testing.T) {
	m, _, _ := negotiated(t)
	reg := NewRegistry(m)
	gathered := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, Registry: reg})
	var logs bytes.Buffer
	h := Handler(m, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError})))
	for _, accept := range cachedAccepts {
		for _, encoding := range []string{"", "gzip"} {
			for _, after := range []int{0, 20, 500} {
				var got, want float64
				for _, c := range []struct {
					h     http.Handler
					count *float64
				}{{h, &got}, {gathered, &want}} {
					before := encodingErrors(t, c.h)
					r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
					r.Header.Set("Accept", accept)
					r.Header.Set("Accept-Encoding", encoding)
					c.h.ServeHTTP(&brokenWriter{header: http.Header{}, n: after}, r)
					*c.count = encodingErrors(t, c.h) - before
				}
				if got != 1 || encoding == "" && want != 1 {
					t.Errorf("Accept: %s, Accept-Encoding: %q, broken after %d bytes: %v encoding errors counted, want 1 (promhttp counts %v)", accept, encoding, after, got, want)
				}
			}
		}
	}
	if !strings.Contains(logs.String(), "broken pipe") {
		t.Errorf("no error logged of a scrape that could not be written:\n%s", logs.String())
	}
}

// protobufFamilies decodes a delimited protobuf exposition message by
// message with the protobuf library alone: a varint length, then a
// MetricFamily of that length with no field the model does not know.
func protobufFamilies(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	out := map[string]*dto.MetricFamily{}
	for len(body) > 0 {
		n, l := protowire.ConsumeVarint(body)
		if l < 0 || uint64(len(body)-l) < n {
			t.Fatalf("protobuf: bad length prefix %d (%d) before %d bytes", n, l, len(body)-max(l, 0))
		}
		mf := &dto.MetricFamily{}
		if err := proto.Unmarshal(body[l:l+int(n)], mf); err != nil {
			t.Fatalf("protobuf: %v", err)
		}
		body = body[l+int(n):]
		if len(mf.ProtoReflect().GetUnknown()) > 0 {
			t.Errorf("protobuf: %s has unknown fields", mf.GetName())
		}
		if _, dup := out[mf.GetName()]; dup || mf.GetName() == "" {
			t.Errorf("protobuf: family %q twice or without a name", mf.GetName())
		}
		if strings.HasPrefix(mf.GetName(), "touchprobe_") {
			slices.SortFunc(mf.Metric, func(a, b *dto.Metric) int { return strings.Compare(a.String(), b.String()) })
			out[mf.GetName()] = mf
		}
	}
	return out
}

// The protobuf exposition, put together from renderings, decodes with the
// protobuf library alone into what promhttp serves, native histograms and
// exemplars included, in each histogram mode.
func TestHandlerProtobufFraming(t *testing.T) {
	for _, mode := range config.HistogramModes {
		m := New()
		m.SetHistograms(mode)
		js := staleJourneys()
		m.SetJourneys("oslo", js, intervals(js))
		h := Handler(m, nil)
		gathered := promhttp.HandlerFor(NewRegistry(m), promhttp.HandlerOpts{EnableOpenMetrics: true})
		serve(h, request{accept: acceptProtobuf})
		for _, r := range []*probes.Result{successRun(), failedRun(), overBudgetRun(), supportRun()} {
			m.ObserveRun(r)
		}
		got := protobufFamilies(t, plainBody(t, serve(h, request{accept: acceptProtobuf, encoding: []string{"gzip"}})))
		want := protobufFamilies(t, plainBody(t, serve(gathered, request{accept: acceptProtobuf})))
		if len(got) != len(want) {
			t.Errorf("%s: %d families, want %d", mode, len(got), len(want))
		}
		for name, w := range want {
			if !proto.Equal(got[name], w) {
				t.Errorf("%s: %s is\n%v\nwant\n%v", mode, name, got[name], w)
			}
		}
		if hist := got["touchprobe_step_duration_seconds"]; mode != config.HistogramsClassic && len(hist.GetMetric()[0].GetHistogram().GetExemplars()) == 0 {
			t.Errorf("%s: no native exemplar in %v", mode, hist.GetMetric()[0])
		}
	}
}

// Where the agent's own metrics and the journeys' share a name, the
// exposition holds one family with the series of both, as a registry
// gathering both would, in every format.
func TestExpositionMergesAFamilyOfBoth(t *testing.T) {
	m := New()
	m.SetJourneys("oslo", []config.Journey{checkout()}, nil)
	agent := []*dto.MetricFamily{{
		Name: proto.String(journeySuccess.Name), Help: proto.String(journeySuccess.Help), Type: dto.MetricType_GAUGE.Enum(),
		Metric: []*dto.Metric{{
			Label: []*dto.LabelPair{{Name: proto.String("journey"), Value: proto.String("agent")}},
			Gauge: &dto.Gauge{Value: proto.Float64(1)},
		}},
	}}
	m.ObserveRun(successRun())
	for format, contentType := range map[int]expfmt.Format{
		formatText:        expfmt.NewFormat(expfmt.TypeTextPlain),
		formatOpenMetrics: expfmt.NewFormat(expfmt.TypeOpenMetrics),
		formatProtobuf:    expfmt.NewFormat(expfmt.TypeProtoDelim),
	} {
		var buf bytes.Buffer
		if err := writeExposition(&buf, contentType, format, agent, m.journeyFamilies(format, time.Now())); err != nil {
			t.Fatal(err)
		}
		var journeys []string
		if format == formatOpenMetrics {
			for _, line := range openMetricsLines(t, buf.Bytes()) {
				if rest, ok := strings.CutPrefix(line, journeySuccess.Name+"{"); ok {
					_, value, _ := strings.Cut(rest, `journey="`)
					journeys = append(journeys, value[:strings.IndexByte(value, '"')])
				}
			}
		} else {
			for _, metric := range decodeFamilies(t, buf.Bytes(), contentType)[journeySuccess.Name].GetMetric() {
				journeys = append(journeys, labels(metric)["journey"])
			}
		}
		if slices.Sort(journeys); !slices.Equal(journeys, []string{"agent", "checkout"}) {
			t.Errorf("%s: %s of journeys %v, want agent and checkout", contentType, journeySuccess.Name, journeys)
		}
	}
}

// decodeFamilies decodes an exposition in the text or protobuf format by
// name, each name once.
func decodeFamilies(t *testing.T, body []byte, contentType expfmt.Format) map[string]*dto.MetricFamily {
	t.Helper()
	out := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(bytes.NewReader(body), contentType)
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("decoding %s: %v", contentType, err)
		}
		if out[mf.GetName()] != nil {
			t.Errorf("%s: %s twice", contentType, mf.GetName())
		}
		out[mf.GetName()] = mf
	}
}

// A scrape whose agent metrics cannot be gathered is answered as promhttp
// answers it, and counted.
func TestHandlerGatheringError(t *testing.T) {
	m, _, _ := negotiated(t)
	failing := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return nil, errors.New("reading /proc/self/stat: no such file")
	})
	h := Handler(m, nil).(*handler)
	h.agent = failing
	gathered := promhttp.HandlerFor(failing, promhttp.HandlerOpts{EnableOpenMetrics: true})
	for _, accept := range cachedAccepts {
		req := request{accept: accept, encoding: []string{"gzip"}}
		got, want := serve(h, req), serve(gathered, req)
		if got.Code != want.Code || got.Body.String() != want.Body.String() || got.Header().Get("Content-Encoding") != want.Header().Get("Content-Encoding") {
			t.Errorf("%s: %d %q (Content-Encoding %q), want %d %q (%q)", accept, got.Code, got.Body, got.Header().Get("Content-Encoding"), want.Code, want.Body, want.Header().Get("Content-Encoding"))
		}
	}
	h.agent = prometheus.NewRegistry()
	h.agent.(*prometheus.Registry).MustRegister(h.errors)
	body, contentType := scrape(t, h, acceptText, "")
	for _, metric := range decodeFamilies(t, body, expfmt.Format(contentType))["promhttp_metric_handler_errors_total"].GetMetric() {
		if labels(metric)["cause"] == "gathering" && metric.GetCounter().GetValue() != 3 {
			t.Errorf("promhttp_metric_handler_errors_total{cause=\"gathering\"} is %v, want 3", metric.GetCounter().GetValue())
		}
	}
}
