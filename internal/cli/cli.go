// Package cli turns touchprobe's command line into calls of the agent, the prober and the demo shop.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/shard"
	"github.com/touchprobe/touchprobe/internal/version"
)

// DefaultListenAddress is touchprobe's port, from the exporter range of
// Prometheus's default port allocations.
const DefaultListenAddress = ":9747"

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("touchprobe", "Synthetic monitoring of customer journeys in a real browser, for Prometheus.")
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	app.HelpFlag.Short('h')
	logCfg := &promslog.Config{Writer: stderr}
	promslogflag.AddFlags(app, logCfg)

	c := &commands{stdout: stdout, stderr: stderr, logCfg: logCfg}
	c.register(app)

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "touchprobe: %v (try --help)\n", err)
		return 2
	}
	return c.run(cmd)
}

type commands struct {
	stdout, stderr io.Writer
	logCfg         *promslog.Config

	configFile    string
	browserPath   string
	browserDir    string
	listen        []string
	webConfig     string
	externalURL   string
	shutdownGrace time.Duration
	maxConns      int

	onceJourneys []string
	onceFormat   string
	onceProfile  string

	shard    shardFlags
	location string

	demo demoFlags
	rec  recorderFlags

	handlers map[string]func() int
}

func (c *commands) register(app *kingpin.Application) {
	c.handlers = map[string]func() int{}

	configFlag := func(cmd *kingpin.CmdClause) {
		cmd.Flag("config", "Configuration file (TOML).").Short('c').Required().PlaceHolder("FILE").StringVar(&c.configFile)
	}
	browserFlags := func(cmd *kingpin.CmdClause) {
		cmd.Flag("browser.path", "Chromium binary; overrides [browser] path in the configuration.").PlaceHolder("PATH").StringVar(&c.browserPath)
		cmd.Flag("browser.dir", "Directory for Chromium's profile and temporary files (default: the system temp directory).").PlaceHolder("DIR").StringVar(&c.browserDir)
	}
	webFlags := func(cmd *kingpin.CmdClause, listen string) {
		cmd.Flag("web.listen-address", "Address to listen on for metrics and the status pages; repeatable.").Default(listen).StringsVar(&c.listen)
		cmd.Flag("web.config.file", "Exporter-toolkit web configuration file for TLS and basic authentication.").PlaceHolder("FILE").StringVar(&c.webConfig)
		cmd.Flag("web.max-connections", "Most connections held open at once; past it, the longest-idle keep-alive connections are closed first.").Default(strconv.Itoa(agent.DefaultMaxConnections)).IntVar(&c.maxConns)
		cmd.Flag("web.external-url", "URL under which touchprobe is reached, for links in alerts and pages.").PlaceHolder("URL").StringVar(&c.externalURL)
		cmd.Flag("shutdown.grace", "How long running journeys may take to finish on shutdown before they are cancelled.").Default("30s").DurationVar(&c.shutdownGrace)
	}

	run := app.Command("run", "Run the agent: schedule journeys, serve /metrics.").Default()
	configFlag(run)
	browserFlags(run)
	webFlags(run, DefaultListenAddress)
	c.shard.register(run, "Split the configuration's runs over this many agents (a StatefulSet's replicas); each runs its share.",
		"This agent's share, from 0 to --shard.count - 1 (default: the ordinal at the end of the host name, as in touchprobe-2).")
	run.Flag("location", "The location label of every series; overrides [agent] location, so that one configuration serves every location.").Envar("TOUCHPROBE_LOCATION").PlaceHolder("NAME").StringVar(&c.location)
	c.handlers[run.FullCommand()] = c.runAgent

	once := app.Command("once", "Run each selected journey once, print a step table, exit 1 if any step failed or went over budget.")
	configFlag(once)
	browserFlags(once)
	once.Flag("journey", "Run only this journey; repeatable.").PlaceHolder("NAME").StringsVar(&c.onceJourneys)
	once.Flag("format", "Output format.").Default("text").EnumVar(&c.onceFormat, "text", "json")
	once.Flag("profile", "Run the journeys under this profile only, instead of under each of their own.").PlaceHolder("NAME").StringVar(&c.onceProfile)
	c.shard.register(once, "Run only one shard's share of the journeys, of this many (default: all of them, whatever the environment says).",
		"The shard whose share to run, with --shard.count.")
	c.handlers[once.FullCommand()] = c.runOnce

	check := app.Command("check", "Validate a configuration file; print every error and exit 1 if there are any.")
	configFlag(check)
	check.Flag("shard.count", "Also print how many runs (journey × profile) each of this many shards gets.").PlaceHolder("N").IsSetByUser(&c.shard.checkGiven).IntVar(&c.shard.checkCount)
	c.handlers[check.FullCommand()] = c.runCheck

	demo := app.Command("demo", "Serve the built-in demo shop on loopback and monitor it.")
	browserFlags(demo)
	webFlags(demo, "127.0.0.1:9747")
	c.demo.register(demo)
	c.handlers[demo.FullCommand()] = c.runDemo

	c.registerRecorder(app)

	ver := app.Command("version", "Print the version.")
	c.handlers[ver.FullCommand()] = func() int {
		fmt.Fprintln(c.stdout, version.Info())
		return 0
	}
}

func (c *commands) run(cmd string) int {
	h, ok := c.handlers[cmd]
	if !ok {
		fmt.Fprintf(c.stderr, "touchprobe: unknown command %q\n", cmd)
		return 2
	}
	return h()
}

func (c *commands) logger() *slog.Logger {
	return promslog.New(c.logCfg)
}

// loadFile is the agent's loader for a configuration file.
func (c *commands) loadFile() (*config.Config, error) {
	cfg, err := config.Load(c.configFile)
	if err != nil || c.location == "" {
		return cfg, err
	}
	if p := config.TextProblem(c.location); p != "" {
		return nil, fmt.Errorf("--location %q: it %s; give a plain name such as eu-north-1", c.location, p)
	}
	cfg.Agent.Location = c.location
	return cfg, nil
}

func (c *commands) runCheck() int {
	cfg, err := config.Load(c.configFile)
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	steps := 0
	for _, j := range cfg.Journeys {
		steps += len(j.Steps)
	}
	fmt.Fprintf(c.stdout, "%s: OK: %d journeys, %d steps\n", c.configFile, len(cfg.Journeys), steps)
	for i := range cfg.Journeys {
		for _, n := range cfg.ProfileNotes(&cfg.Journeys[i]) {
			fmt.Fprintf(c.stdout, "note: %s\n", n)
		}
	}
	for _, n := range cfg.Secrets().Notes() {
		fmt.Fprintf(c.stdout, "note: %s\n", n)
	}
	if c.shard.checkGiven {
		if err := (shard.Shard{Count: c.shard.checkCount}).Validate(); err != nil {
			fmt.Fprintln(c.stderr, err)
			return 1
		}
		// A run is a journey under one of its profiles; the profiles of a
		// journey may go to different shards.
		for i, n := range shard.Runs(cfg, c.shard.checkCount) {
			journeys := len(shard.Shard{Index: i, Count: c.shard.checkCount}.Filter(cfg).Journeys)
			fmt.Fprintf(c.stdout, "shard %d of %d: %d journeys, %d runs\n", i, c.shard.checkCount, journeys, n)
		}
	}
	return 0
}

func (c *commands) runAgent() int {
	sig := catchSignals()
	defer sig.release()
	logger := c.logger()
	logger.Info("starting touchprobe", "version", version.Info(), "config", c.configFile)
	sh, err := c.shard.resolve(true)
	if err != nil {
		logger.Error("cannot start", "err", err)
		fmt.Fprintln(c.stderr, err)
		return 2
	}
	return c.serve(logger, sig, agent.Options{Load: c.loadFile, Shard: sh})
}

// signals are the signals a daemon heeds, caught from the start of the
// command: until signal.Notify, SIGHUP ends a Go program, so a reload
// asked for while the configuration is read at start would kill it.
type signals struct {
	// ctx ends on SIGINT or SIGTERM.
	ctx  context.Context
	stop context.CancelFunc
	// hup holds a SIGHUP until the agent can reload.
	hup chan os.Signal
}

func catchSignals() *signals {
	s := &signals{hup: make(chan os.Signal, 1)}
	s.ctx, s.stop = signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	signal.Notify(s.hup, syscall.SIGHUP)
	return s
}

func (s *signals) release() {
	signal.Stop(s.hup)
	s.stop()
}

// serve runs an agent until SIGINT or SIGTERM, reloading on SIGHUP; a
// SIGHUP that came while the agent was being set up reloads once it runs.
func (c *commands) serve(logger *slog.Logger, sig *signals, opts agent.Options) int {
	opts.Logger = logger
	opts.BrowserPath = c.browserPath
	opts.BrowserDir = c.browserDir
	opts.ListenAddresses = c.listen
	opts.WebConfigFile = c.webConfig
	opts.ExternalURL = c.externalURL
	opts.ShutdownGrace = c.shutdownGrace
	opts.MaxConnections = c.maxConns
	a, err := agent.New(opts)
	if err != nil {
		logger.Error("cannot start", "err", err)
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	ctx, hup := sig.ctx, sig.hup
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				logger.Info("SIGHUP received: reloading configuration")
				_ = a.Reload()
			}
		}
	}()
	if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("agent stopped with an error", "err", err)
		return 1
	}
	return 0
}
