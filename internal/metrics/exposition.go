package metrics

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The exposition formats /metrics serves from each journey's rendering.
// Others (protobuf as text, a name[] filter) go through promhttp, which
// gathers every series anew.
const (
	formatText = iota
	formatOpenMetrics
	formatProtobuf
	numFormats
)

// formatIdle is how long after its last two scrapes a format is still
// rendered as runs are recorded. A format nobody asks for costs nothing;
// the first scrape in it after a while renders every journey.
const formatIdle = time.Hour

// chunk is one journey's series of one metric, encoded: lines of the text
// formats without their HELP and TYPE lines, or the repeated metric field of
// a protobuf MetricFamily without its name, help and type.
type chunk struct {
	name string
	body []byte
}

// cachedFormat returns which cached format serves f.
func cachedFormat(f expfmt.Format) (int, bool) {
	switch f.FormatType() {
	case expfmt.TypeTextPlain:
		return formatText, true
	case expfmt.TypeOpenMetrics:
		// 2.0.0 is written otherwise; Prometheus 2 and 3 ask for 1.0.0.
		if strings.Contains(string(f), "version="+expfmt.OpenMetricsVersion_2_0_0) {
			return 0, false
		}
		return formatOpenMetrics, true
	case expfmt.TypeProtoDelim:
		return formatProtobuf, true
	}
	return 0, false
}

// rendering is one journey's series encoded in one format.
type rendering struct {
	// bodies holds the encoding of each of the journey's metrics by
	// name; a metric touched since it was encoded has none.
	bodies map[string][]byte
	// chunks is bodies in order of name, as a scrape takes them; nil
	// when a metric is to be encoded again.
	chunks []chunk
}

// renderingIn returns j's rendering in format, an empty one if it has
// none yet.
func (j *journeyMetrics) renderingIn(format int) *rendering {
	if j.rendered[format] == nil {
		j.rendered[format] = &rendering{bodies: map[string][]byte{}}
	}
	return j.rendered[format]
}

// encoding is one metric of a journey to encode in a format, the body of
// chunks[i].
type encoding struct {
	j *journeyMetrics
	// version is j's when the encoding was planned: the body is kept
	// only if no series of j was touched since.
	version      uint64
	def          *def
	series       []*series
	chunks       []chunk
	i            int
	header, body []byte
}

// plan returns j's series in format, metric by metric in order of name
// and each metric's series in order of their labels, as a registry would
// gather them: the bodies of metrics touched since they were last
// encoded are left out, and an encoding of each is added to todo. m.mu
// is held.
func (j *journeyMetrics) plan(format int, todo []*encoding) ([]chunk, []*encoding) {
	r := j.renderingIn(format)
	if r.chunks != nil {
		return r.chunks, todo
	}
	all := j.sortedSeries()
	chunks := make([]chunk, 0, len(r.bodies)+1)
	planned := len(todo)
	for i := 0; i < len(all); {
		d := all[i].def
		end := i
		for end < len(all) && all[end].def == d {
			end++
		}
		body, ok := r.bodies[d.Name]
		if !ok {
			todo = append(todo, &encoding{j: j, version: j.version, def: d, series: all[i:end], i: len(chunks)})
		}
		chunks = append(chunks, chunk{name: d.Name, body: body})
		i = end
	}
	for _, e := range todo[planned:] {
		e.chunks = chunks
	}
	if len(todo) == planned {
		r.chunks = chunks
	}
	return chunks, todo
}

// encode encodes e's series. It reads series that runs may be recording
// meanwhile, which is safe: m.mu need not be held.
func (e *encoding) encode(buf *bytes.Buffer, format int) {
	mf := &dto.MetricFamily{Name: proto.String(e.def.Name), Help: proto.String(e.def.Help), Type: e.def.metricType().Enum()}
	for _, s := range e.series {
		pm := &dto.Metric{}
		// Counters, gauges and histograms write without error.
		if err := s.c.(prometheus.Metric).Write(pm); err == nil {
			mf.Metric = append(mf.Metric, pm)
		}
	}
	e.header, e.body = encodeFamily(buf, format, mf)
}

// store puts the encoded bodies of todo in their chunks, and keeps them
// as the journeys' renderings where no series of the journey was
// touched since they were planned. m.mu is held.
func (m *Metrics) store(format int, todo []*encoding) {
	if m.headers[format] == nil {
		m.headers[format] = map[string][]byte{}
	}
	for _, e := range todo {
		e.chunks[e.i].body = e.body
		if _, ok := m.headers[format][e.def.Name]; !ok {
			m.headers[format][e.def.Name] = e.header
		}
		if e.j.version != e.version {
			continue
		}
		e.j.renderingIn(format).bodies[e.def.Name] = e.body
	}
	// A journey's encodings are planned together, with its version:
	// either all of them are kept or none.
	for _, e := range todo {
		if e.j.version == e.version {
			e.j.rendered[format].chunks = e.chunks
		}
	}
}

// render encodes j's series in format where they were touched since they
// were last encoded; m.mu is held.
func (m *Metrics) render(j *journeyMetrics, format int) {
	_, todo := j.plan(format, nil)
	var buf bytes.Buffer
	for _, e := range todo {
		e.encode(&buf, format)
	}
	m.store(format, todo)
}

// encodeFamily encodes mf in format and returns its header (HELP and TYPE,
// or name, help and type) apart from its series.
func encodeFamily(buf *bytes.Buffer, format int, mf *dto.MetricFamily) (header, body []byte) {
	buf.Reset()
	switch format {
	case formatProtobuf:
		header, _ = proto.Marshal(&dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type})
		body, _ = proto.Marshal(&dto.MetricFamily{Metric: mf.Metric})
		return header, body
	case formatOpenMetrics:
		// As promhttp writes it: no _created lines.
		expfmt.MetricFamilyToOpenMetrics(buf, mf)
	default:
		expfmt.MetricFamilyToText(buf, mf)
	}
	b := buf.Bytes()
	n := 0
	for n < len(b) && b[n] == '#' {
		nl := bytes.IndexByte(b[n:], '\n')
		if nl < 0 {
			break
		}
		n += nl + 1
	}
	return bytes.Clone(b[:n]), bytes.Clone(b[n:])
}

// renderScraped renders j in every format scraped twice within
// formatIdle of now, as a scraper on a schedule does, and forgets its
// renderings in the others; m.mu is held.
func (m *Metrics) renderScraped(j *journeyMetrics, now time.Time) {
	for format, at := range m.scrapedBefore {
		if !at.IsZero() && now.Sub(at) < formatIdle {
			m.render(j, format)
		} else {
			j.rendered[format] = nil
		}
	}
}

// family is one metric of the journeys' series in a scrape.
type family struct {
	name   string
	header []byte
	bodies [][]byte
}

// journeyFamilies returns every journey's series in format, metric by
// metric in order of name, encoding what was touched since it was last
// encoded. It holds m.mu only to put references together: it encodes
// without it, a run recorded meanwhile showing in this scrape or the
// next, and the bytes are never changed once encoded, so a scrape writes
// them to a slow scraper without holding up the recording of runs.
func (m *Metrics) journeyFamilies(format int, now time.Time) []family {
	m.mu.Lock()
	m.scrapedBefore[format], m.scraped[format] = m.scraped[format], now
	journeys := make([][]chunk, 0, len(m.byKey))
	var todo []*encoding
	for _, key := range m.byKey {
		var chunks []chunk
		chunks, todo = m.journeys[key].plan(format, todo)
		journeys = append(journeys, chunks)
	}
	m.mu.Unlock()

	if len(todo) > 0 && m.encodeHook != nil {
		m.encodeHook()
	}
	var buf bytes.Buffer
	for _, e := range todo {
		e.encode(&buf, format)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	m.store(format, todo)
	byName := map[string]*family{}
	for _, chunks := range journeys {
		for _, c := range chunks {
			f := byName[c.name]
			if f == nil {
				f = &family{name: c.name, header: m.headers[format][c.name], bodies: make([][]byte, 0, len(journeys))}
				byName[c.name] = f
			}
			f.bodies = append(f.bodies, c.body)
		}
	}
	families := make([]family, 0, len(byName))
	for _, f := range byName {
		families = append(families, *f)
	}
	slices.SortFunc(families, func(a, b family) int { return strings.Compare(a.name, b.name) })
	return families
}

// handler serves /metrics: the agent's own metrics gathered anew, the
// journeys' series from their renderings.
type handler struct {
	m      *Metrics
	agent  prometheus.Gatherer
	log    *slog.Logger
	errors *prometheus.CounterVec
	// other serves what the renderings cannot: other formats, a name[]
	// filter.
	other http.Handler
}

// Handler returns the handler of /metrics for m, the registry NewRegistry
// returns, served in the text format, OpenMetrics or protobuf, gzipped
// when asked. A scrape of thousands of journeys puts together what each
// journey's last change rendered, instead of gathering and encoding every
// series again: at 1,000 journeys of 8 steps it takes a tenth of the time.
// Errors are logged to logger.
func Handler(m *Metrics, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The counter promhttp keeps, shared with the fallback.
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promhttp_metric_handler_errors_total",
		Help: "Total number of internal errors encountered by the promhttp metric handler.",
	}, []string{"cause"})
	errs.WithLabelValues("gathering")
	errs.WithLabelValues("encoding")

	agent := prometheus.NewRegistry()
	agent.MustRegister(agentCollector{m}, shardCollector{m}, errs)
	agent.MustRegister(processCollectors()...)
	full := NewRegistry(m)
	full.MustRegister(errs)
	return &handler{
		m:      m,
		agent:  agent,
		log:    logger,
		errors: errs,
		other: promhttp.HandlerFor(full, promhttp.HandlerOpts{
			Registry:          full,
			EnableOpenMetrics: true,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		}),
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	contentType := expfmt.NegotiateIncludingOpenMetrics(r.Header)
	format, ok := cachedFormat(contentType)
	if !ok || r.URL.Query().Has("name[]") {
		h.other.ServeHTTP(w, r)
		return
	}
	agent, err := h.agent.Gather()
	if err != nil {
		h.log.Error("error gathering metrics", "err", err)
		h.errors.WithLabelValues("gathering").Inc()
		http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	journeys := h.m.journeyFamilies(format, time.Now())

	header := w.Header()
	header.Set("Content-Type", string(contentType))
	header.Add("Vary", "Accept")
	header.Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	var gz *gzip.Writer
	if acceptsGzip(r.Header) {
		header.Set("Content-Encoding", "gzip")
		gz = gzipWriters.Get().(*gzip.Writer)
		gz.Reset(w)
		defer gzipWriters.Put(gz)
		out = gz
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	err = writeExposition(bw, contentType, format, agent, journeys)
	if err == nil {
		err = bw.Flush()
	}
	if gz != nil {
		// Closed even after an error, to be reused.
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		// Counted as promhttp counts an error in writing the
		// exposition, most likely a scraper that went away: the
		// status is sent.
		h.log.Error("error encoding and sending metric family", "err", err)
		h.errors.WithLabelValues("encoding").Inc()
	}
}

// writeExposition writes the agent's metric families and the journeys'
// in order of name, as one family where a name is in both.
func writeExposition(w io.Writer, contentType expfmt.Format, format int, agent []*dto.MetricFamily, journeys []family) error {
	enc := expfmt.NewEncoder(w, contentType)
	for len(agent) > 0 || len(journeys) > 0 {
		var a *dto.MetricFamily
		var j *family
		switch {
		case len(journeys) == 0 || len(agent) > 0 && agent[0].GetName() < journeys[0].name:
			a, agent = agent[0], agent[1:]
		case len(agent) == 0 || journeys[0].name < agent[0].GetName():
			j, journeys = &journeys[0], journeys[1:]
		default:
			a, j = agent[0], &journeys[0]
			agent, journeys = agent[1:], journeys[1:]
		}
		if err := writeFamily(w, enc, format, a, j); err != nil {
			return err
		}
	}
	if format == formatOpenMetrics {
		_, err := expfmt.FinalizeOpenMetrics(w)
		return err
	}
	return nil
}

// writeFamily writes one metric family: a of the agent's, j of the
// journeys', or both.
func writeFamily(w io.Writer, enc expfmt.Encoder, format int, a *dto.MetricFamily, j *family) error {
	if j == nil {
		return enc.Encode(a)
	}
	var head []byte
	if a != nil {
		if format == formatProtobuf {
			// Repeated fields of two encodings of one message add up.
			head, _ = proto.Marshal(a)
		} else if err := enc.Encode(a); err != nil {
			return err
		}
	} else {
		head = j.header
	}
	if format == formatProtobuf {
		n := len(head)
		for _, b := range j.bodies {
			n += len(b)
		}
		if _, err := w.Write(protowire.AppendVarint(nil, uint64(n))); err != nil {
			return err
		}
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	for _, b := range j.bodies {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// gzipWriters are compressors at the fastest level: a scrape of 1,000
// journeys is about 30 MiB of text, which the default level takes four
// times as long to compress, for 12% less on the wire.
var gzipWriters = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return gz
}}

// acceptsGzip reports whether promhttp, which offers identity and then
// gzip, would gzip for h's Accept-Encoding: the coding of the highest
// q-value wins, identity on a tie, "*" stands for either, and q=0
// refuses. As promhttp reads the header, codings are matched as written
// and a header line is read up to its first element that is not a coding
// with an optional q-value.
func acceptsGzip(h http.Header) bool {
	best, bestQ := "identity", -1.0
	specs := acceptEncodings(h.Values("Accept-Encoding"))
	for _, offer := range []string{"identity", "gzip"} {
		for _, s := range specs {
			if s.q > bestQ && (s.coding == "*" || s.coding == offer) {
				best, bestQ = offer, s.q
			}
		}
	}
	return best == "gzip" && bestQ > 0
}

// acceptEncoding is one element of an Accept-Encoding header.
type acceptEncoding struct {
	coding string
	q      float64
}

// acceptEncodings parses Accept-Encoding header lines as promhttp does.
func acceptEncodings(lines []string) []acceptEncoding {
	var specs []acceptEncoding
	for _, s := range lines {
		for {
			var spec acceptEncoding
			spec.coding, s = httpToken(s)
			if spec.coding == "" {
				break
			}
			spec.q = 1
			s = strings.TrimLeft(s, " \t\r\n")
			if rest, ok := strings.CutPrefix(s, ";"); ok {
				rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " \t\r\n"), "q=")
				if !ok {
					break
				}
				if spec.q, s = httpQuality(rest); spec.q < 0 {
					break
				}
			}
			specs = append(specs, spec)
			rest, ok := strings.CutPrefix(strings.TrimLeft(s, " \t\r\n"), ",")
			if !ok {
				break
			}
			s = strings.TrimLeft(rest, " \t\r\n")
		}
	}
	return specs
}

// httpToken splits s after its leading run of token characters (RFC 9110)
// and slashes.
func httpToken(s string) (token, rest string) {
	i := strings.IndexFunc(s, func(r rune) bool {
		return r != '/' && (r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[]\\{}", r))
	})
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// httpQuality reads a q-value off the start of s: 0 or 1, then optional
// decimals; -1 if s starts with neither.
func httpQuality(s string) (float64, string) {
	var q float64
	switch {
	case strings.HasPrefix(s, "0"):
	case strings.HasPrefix(s, "1"):
		q = 1
	default:
		return -1, ""
	}
	s = s[1:]
	rest, ok := strings.CutPrefix(s, ".")
	if !ok {
		return q, s
	}
	n, d, i := 0, 1, 0
	for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
		n = n*10 + int(rest[i]-'0')
		d *= 10
	}
	return q + float64(n)/float64(d), rest[i:]
}

// metricType is d's type in the protobuf model.
func (d *def) metricType() dto.MetricType {
	switch d.Type {
	case typeCounter:
		return dto.MetricType_COUNTER
	case typeHistogram:
		return dto.MetricType_HISTOGRAM
	}
	return dto.MetricType_GAUGE
}
