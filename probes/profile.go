package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

// emulate applies the customer's device and network, the profile, to the
// target of ctx: the tab, or an out-of-process iframe attached to, which
// has its own renderer and its own emulation. A nil profile, or one that
// changes nothing, leaves the target as the browser opened it.
func emulate(ctx context.Context, p *config.Profile) error {
	if p == nil {
		return nil
	}
	// The desktop's screen is the browser's own window: left alone, so
	// that the desktop profile runs exactly as a run without one.
	if p.SetsScreen() {
		if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: int64(p.Width), Height: int64(p.Height), DeviceScaleFactor: p.DeviceScaleFactor, Mobile: p.Mobile,
		}); err != nil {
			return fmt.Errorf("set the screen: %w", err)
		}
	}
	if p.Touch {
		if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 1}); err != nil {
			return fmt.Errorf("enable touch: %w", err)
		}
	}
	if p.UserAgent != "" {
		if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: p.UserAgent}); err != nil {
			return fmt.Errorf("set the user agent: %w", err)
		}
	}
	if p.CPUSlowdown > 1 {
		if _, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: p.CPUSlowdown}); err != nil {
			return fmt.Errorf("slow the CPU down: %w", err)
		}
	}
	if p.SetsNetwork() {
		// One rule without a URL pattern matches every request of the
		// target. Like the deprecated Network.emulateNetworkConditions,
		// it delays each request's response headers by the latency: it
		// throttles requests, not packets.
		conditions := &network.Conditions{
			Latency:            float64(p.Latency.Microseconds()) / 1000,
			DownloadThroughput: throughput(p.Download),
			UploadThroughput:   throughput(p.Upload),
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{conditions},
		}); err != nil {
			return fmt.Errorf("throttle the network: %w", err)
		}
	}
	return nil
}

// throughput is t in bytes per second as CDP takes it; -1 is unthrottled.
func throughput(t config.Throughput) float64 {
	if t <= 0 {
		return -1
	}
	return t.BytesPerSecond()
}

type touchKey struct{}

// withTouch marks the run's context as one whose clicks are taps.
func withTouch(ctx context.Context, touch bool) context.Context {
	if !touch {
		return ctx
	}
	return context.WithValue(ctx, touchKey{}, true)
}

// touchInput reports whether clicks in ctx are taps.
func touchInput(ctx context.Context) bool {
	v, _ := ctx.Value(touchKey{}).(bool)
	return v
}

// Out-of-process iframes (a chat widget of another site) and workers run
// in targets of their own, which the tab's emulation does not reach, and
// they start loading as soon as they are created. followChildren therefore
// keeps a session of its own on the tab that auto-attaches to every such
// child with waitForDebuggerOnStart: Chromium holds the child until the
// session has sent it the profile, and only then lets it run. chromedp
// routes only the sessions it made itself, so this session is not flat:
// its messages, and those of its children, travel inside
// Target.sendMessageToTarget and Target.receivedMessageFromTarget.

// sendMessageToTarget is Target.sendMessageToTarget, which the protocol
// still serves for sessions that are not flat.
var sendMessageToTarget = cdp.Command[sendMessageParams, cdp.Empty]{Method: "Target.sendMessageToTarget"}

type sendMessageParams struct {
	SessionID target.SessionID `json:"sessionId"`
	Message   string           `json:"message"`
}

// rawMessage is a protocol message of a session that is not flat.
type rawMessage struct {
	ID     int64           `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

// sendRaw sends m to the session that is not flat, inside
// Target.sendMessageToTarget.
func sendRaw(ctx context.Context, session target.SessionID, m rawMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = chromedp.CallBrowser(ctx, sendMessageToTarget, sendMessageParams{SessionID: session, Message: string(b)})
	return err
}

// childCommands are the commands that give a child target the profile:
// all of them for an iframe, the network's for a worker, which has no
// screen or CPU of its own to set.
func childCommands(p *config.Profile, kind string) []rawMessage {
	var out []rawMessage
	if p == nil {
		return nil
	}
	add := func(method string, params any) {
		b, _ := json.Marshal(params)
		out = append(out, rawMessage{Method: method, Params: b})
	}
	// An iframe takes its screen from the page: Chromium refuses
	// setDeviceMetricsOverride on it.
	if kind == "iframe" {
		if p.Touch {
			add(emulation.CommandSetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 1})
		}
		if p.UserAgent != "" {
			add(emulation.CommandSetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: p.UserAgent})
		}
		if p.CPUSlowdown > 1 {
			add(emulation.CommandSetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: p.CPUSlowdown})
		}
	}
	if p.Latency.Duration > 0 || p.Download > 0 || p.Upload > 0 {
		// The conditions hold only where the network domain is enabled.
		add(network.CommandEnable, network.EnableParams{})
		add(network.CommandEmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{
				Latency:            float64(p.Latency.Microseconds()) / 1000,
				DownloadThroughput: throughput(p.Download),
				UploadThroughput:   throughput(p.Upload),
			}},
		})
	}
	return out
}

// followChildren gives commands (the profile, and the network a network
// step set) to every out-of-process iframe and
// worker the tab starts from now on, until stop. A profile that changes
// nothing needs no session.
func followChildren(tab context.Context, commands func(kind string) []rawMessage, needed bool, logger *slog.Logger) (stop func(), err error) {
	noop := func() {}
	if !needed {
		return noop, nil
	}
	c := chromedp.FromContext(tab)
	if c == nil || c.Target == nil {
		return noop, errors.New("no tab")
	}
	res, err := chromedp.CallBrowser(tab, target.AttachToTarget, target.AttachToTargetParams{TargetID: c.Target.TargetID, Flatten: ptrTo(false)})
	if err != nil {
		return noop, fmt.Errorf("attach to the tab: %w", err)
	}
	session := res.SessionID

	// Listeners must not call the browser: they hand messages to the
	// goroutine below, which answers them, every one (see childQueue).
	ctx, cancel := context.WithCancel(tab)
	inbox := newChildQueue[string]()
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		// Only new children matter; the children's own traffic (their
		// network events) is dropped here.
		if e, ok := ev.(*target.EventReceivedMessageFromTarget); ok && e.SessionID == session && strings.Contains(e.Message, `"Target.attachedToTarget"`) {
			inbox.push(e.Message)
		}
	}); err != nil {
		cancel()
		return noop, err
	}

	var next int64
	// send sends a command to the tab session, or, through it, to one of
	// its children.
	send := func(child target.SessionID, m rawMessage) error {
		next++
		m.ID = next
		if child != "" {
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			wrapped, err := json.Marshal(sendMessageParams{SessionID: child, Message: string(b)})
			if err != nil {
				return err
			}
			next++
			m = rawMessage{ID: next, Method: "Target.sendMessageToTarget", Params: wrapped}
		}
		return sendRaw(ctx, session, m)
	}
	autoAttach, _ := json.Marshal(target.SetAutoAttachParams{AutoAttach: true, WaitForDebuggerOnStart: true, Flatten: ptrTo(false)})
	if err := send("", rawMessage{Method: target.CommandSetAutoAttach, Params: autoAttach}); err != nil {
		cancel()
		return noop, fmt.Errorf("follow the tab's frames: %w", err)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-inbox.ready:
			}
			for _, msg := range inbox.take() {
				var m rawMessage
				if json.Unmarshal([]byte(msg), &m) != nil || m.Method != "Target.attachedToTarget" {
					continue
				}
				var ev target.EventAttachedToTarget
				if json.Unmarshal(m.Params, &ev) != nil || ev.TargetInfo == nil {
					continue
				}
				// Commands of one session run in order: the child gets
				// the whole profile before it runs. A command that fails
				// costs the child its profile, never its resumption.
				for _, cmd := range commands(ev.TargetInfo.Type) {
					if err := send(ev.SessionID, cmd); err != nil {
						logger.Debug("profile not applied to a frame", "target_type", ev.TargetInfo.Type, "err", err)
					}
				}
				if err := send(ev.SessionID, rawMessage{Method: runtime.CommandRunIfWaitingForDebugger}); err != nil && ctx.Err() == nil {
					logger.Warn("frame not resumed", "target_type", ev.TargetInfo.Type, "err", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		// The tab may be gone already; then so is the session.
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(tab), 2*time.Second)
		defer dcancel()
		_, _ = chromedp.CallBrowser(dctx, target.DetachFromTarget, target.DetachFromTargetParams{SessionID: session})
	}, nil
}

func ptrTo[T any](v T) *T { return &v }

// childQueue holds the messages of children attached and not yet taken
// by the goroutine that applies the profile and resumes them. A listener
// must not block, and a child it dropped would stay paused for ever
// (auto-attach waits for the debugger), so push never blocks and never
// drops: the queue grows with the frames and workers the page starts.
type childQueue[T any] struct {
	mu    sync.Mutex
	queue []T
	// ready has a value when the queue may hold messages.
	ready chan struct{}
}

func newChildQueue[T any]() *childQueue[T] { return &childQueue[T]{ready: make(chan struct{}, 1)} }

// push adds msg to the queue.
func (q *childQueue[T]) push(msg T) {
	q.mu.Lock()
	q.queue = append(q.queue, msg)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take empties the queue and returns what it held, oldest first.
func (q *childQueue[T]) take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.queue
	q.queue = nil
	return out
}

// childCommands are the commands a child target gets: the profile's, then
// the network a network step set, if one did.
func (r *run) childCommands(kind string) []rawMessage {
	out := childCommands(r.profile, kind)
	r.netMu.Lock()
	c := r.stepNetwork
	r.netMu.Unlock()
	if c != nil {
		b, _ := json.Marshal(network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{c}})
		e, _ := json.Marshal(network.EnableParams{})
		out = append(out, rawMessage{Method: network.CommandEnable, Params: e}, rawMessage{Method: network.CommandEmulateNetworkConditionsByRule, Params: b})
	}
	return out
}

// setViewport sets the page's screen from the step on, as the Recorder's
// setViewport does (Puppeteer's page.setViewport), unless the run's
// profile sets the screen: a profile chosen in the configuration wins.
func (r *run) setViewport(ctx context.Context, st *config.Step) error {
	if r.profile.SetsScreen() {
		r.logger.Info("the profile's screen holds; the step's viewport is not applied", "step", st.Name, "profile", r.profile.Name)
		return nil
	}
	dsf := st.DeviceScaleFactor
	if dsf == 0 {
		dsf = 1
	}
	orientation := &emulation.ScreenOrientation{Type: emulation.ScreenOrientationTypePortraitPrimary, Angle: 0}
	if st.Landscape {
		orientation = &emulation.ScreenOrientation{Type: emulation.ScreenOrientationTypeLandscapePrimary, Angle: 90}
	}
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: int64(st.Width), Height: int64(st.Height), DeviceScaleFactor: dsf, Mobile: st.Mobile, ScreenOrientation: orientation,
	}); err != nil {
		return fmt.Errorf("set the viewport: %w", err)
	}
	// A profile with touch keeps it.
	if !(r.profile != nil && r.profile.Touch) {
		if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: st.Touch, MaxTouchPoints: 1}); err != nil {
			return fmt.Errorf("set touch: %w", err)
		}
	}
	return nil
}

// setNetwork throttles the page's network from the step on, and that of
// the out-of-process iframes attached later, as the Recorder's
// emulateNetworkConditions does, unless the run's profile throttles the
// network: a profile chosen in the configuration wins.
func (r *run) setNetwork(ctx context.Context, st *config.Step) error {
	if r.profile.SetsNetwork() {
		r.logger.Info("the profile's network holds; the step's network is not applied", "step", st.Name, "profile", r.profile.Name)
		return nil
	}
	c := &network.Conditions{
		Latency:            float64(st.Latency.Microseconds()) / 1000,
		DownloadThroughput: throughput(st.Download),
		UploadThroughput:   throughput(st.Upload),
		Offline:            st.Offline,
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{c},
	}); err != nil {
		return fmt.Errorf("throttle the network: %w", err)
	}
	r.netMu.Lock()
	r.stepNetwork = c
	r.netMu.Unlock()
	return nil
}
