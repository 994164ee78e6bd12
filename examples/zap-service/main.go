// zap-service is the example Go service of noble.gohost: it logs with go.uber.org/zap either as JSON lines on
// stdout (journald stores each line as MESSAGE) or as native journal fields (journalcore), or both, and serves a
// few HTTP endpoints that the go_service and journald tests use. Every flag has an environment variable.
//
//	-log-format  ZAPSVC_LOG_FORMAT  json | journal | both | auto (journal when stdout is the journal)  [json]
//	-log-level   ZAPSVC_LOG_LEVEL   debug | info | warn | error                                      [info]
//	-identifier  ZAPSVC_IDENTIFIER  SYSLOG_IDENTIFIER of native entries                               [zap-service]
//	-listen      ZAPSVC_LISTEN      HTTP address, loopback only by default                           [127.0.0.1:8080]
//	-mode        ZAPSVC_MODE        serve | crash | exit | load                                      [serve]
//	-after       ZAPSVC_AFTER       delay before crash/exit modes act                                [0s]
//	-exit-code   ZAPSVC_EXIT_CODE   exit status of exit mode and of /exit                            [0]
//	-count       ZAPSVC_COUNT       entries written by load mode                                     [100000]
//
// PPROF_ADDR (set by noble.gohost.go_service when pprof.enabled): a loopback address (127.0.0.1:6060) where
// net/http/pprof is served, on a listener of its own; unset, there is no profiling endpoint. A non-loopback
// address is a configuration error (exit status 2).
//
// HTTP endpoints (serve, crash and exit modes):
//
//	GET /healthz               200 and JSON: pid, version, log format, GOMAXPROCS, GOMEMLIMIT (runtime and env)
//	GET /log?level=&msg=&k=v   logs one entry at that level with every other parameter as a string field
//	GET /crash                 answers, then dies of SIGSEGV (a real signal death, as systemd sees it)
//	GET /exit?code=N           answers, then exits with status N (default -exit-code)
//	GET /probe?syscall=NAME    makes one syscall (personality, uname, sysinfo, getpriority, mlock, pidfd_getfd) and reports errno
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/noble-gohost/noble.gohost/examples/zap-service/journalcore"
)

// version is set at build time with -ldflags "-X main.version=..."; the go_service rollout tests build two.
var version = "dev"

type config struct {
	format, level, identifier, listen, mode string
	after                                   time.Duration
	exitCode, count                         int
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("zap-service", flag.ContinueOnError)
	fs.StringVar(&c.format, "log-format", env("ZAPSVC_LOG_FORMAT", "json"), "json | journal | both | auto")
	fs.StringVar(&c.level, "log-level", env("ZAPSVC_LOG_LEVEL", "info"), "lowest level logged")
	fs.StringVar(&c.identifier, "identifier", env("ZAPSVC_IDENTIFIER", "zap-service"), "SYSLOG_IDENTIFIER of native entries")
	fs.StringVar(&c.listen, "listen", env("ZAPSVC_LISTEN", "127.0.0.1:8080"), "HTTP listen address")
	fs.StringVar(&c.mode, "mode", env("ZAPSVC_MODE", "serve"), "serve | crash | exit | load")
	after, err := time.ParseDuration(env("ZAPSVC_AFTER", "0s"))
	if err != nil {
		return c, fmt.Errorf("ZAPSVC_AFTER: %w", err)
	}
	fs.DurationVar(&c.after, "after", after, "delay before crash/exit modes act")
	code, err := strconv.Atoi(env("ZAPSVC_EXIT_CODE", "0"))
	if err != nil {
		return c, fmt.Errorf("ZAPSVC_EXIT_CODE: %w", err)
	}
	fs.IntVar(&c.exitCode, "exit-code", code, "exit status of exit mode and /exit")
	count, err := strconv.Atoi(env("ZAPSVC_COUNT", "100000"))
	if err != nil {
		return c, fmt.Errorf("ZAPSVC_COUNT: %w", err)
	}
	fs.IntVar(&c.count, "count", count, "entries written by load mode")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *showVersion {
		fmt.Println(version)
		os.Exit(0)
	}
	switch c.mode {
	case "serve", "crash", "exit", "load":
	default:
		return c, fmt.Errorf("-mode %q: want serve, crash, exit or load", c.mode)
	}
	return c, nil
}

// newLogger builds the logger: zap's production JSON encoder on stdout, the journal core, or both.
func newLogger(c config) (*zap.Logger, string, error) {
	level, err := zapcore.ParseLevel(c.level)
	if err != nil {
		return nil, "", fmt.Errorf("-log-level: %w", err)
	}
	format := c.format
	if format == "auto" {
		format = "json"
		if ok, _ := journal.StdoutIsJournalStream(); ok && journalcore.Enabled() {
			format = "journal"
		}
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.FunctionKey = "func"
	jsonCore := zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), zapcore.Lock(os.Stdout), level)
	var core zapcore.Core
	switch format {
	case "json":
		core = jsonCore
	case "journal", "both":
		if !journalcore.Enabled() {
			return nil, "", errors.New("-log-format " + format + ": no journald socket at /run/systemd/journal/socket")
		}
		core = journalcore.New(level, c.identifier)
		if format == "both" {
			core = zapcore.NewTee(jsonCore, core)
		}
	default:
		return nil, "", fmt.Errorf("-log-format %q: want json, journal, both or auto", c.format)
	}
	return zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel)), format, nil
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "zap-service:", err)
		os.Exit(2)
	}
	log, format, err := newLogger(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zap-service:", err)
		os.Exit(2)
	}
	defer func() { _ = log.Sync() }()

	if c.mode == "load" {
		runLoad(log, c.count)
		return
	}

	srv := &http.Server{Handler: handlers(log, c, format), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		log.Fatal("cannot listen", zap.String("listen", c.listen), zap.Error(err))
	}
	pprofSrv, pprofLn, err := servePprof(func(err error) { log.Fatal("pprof server failed", zap.Error(err)) })
	if err != nil {
		log.Error("cannot serve pprof", zap.Error(err))
		_ = log.Sync()
		os.Exit(2)
	}
	pprofAddr := ""
	if pprofLn != nil {
		pprofAddr = pprofLn.Addr().String()
	}
	log.Info("started", zap.String("version", version), zap.String("mode", c.mode), zap.String("listen", ln.Addr().String()),
		zap.String("log_format", format), zap.Int("gomaxprocs", runtime.GOMAXPROCS(0)),
		zap.Int64("gomemlimit", debug.SetMemoryLimit(-1)), zap.Int("pid", os.Getpid()), zap.String("pprof", pprofAddr))
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal("http server failed", zap.Error(err))
		}
	}()

	switch c.mode {
	case "crash":
		time.AfterFunc(c.after, func() { log.Error("crashing on purpose", zap.String("signal", "SIGSEGV")); segfault() })
	case "exit":
		time.AfterFunc(c.after, func() { log.Info("exiting on purpose", zap.Int("code", c.exitCode)); os.Exit(c.exitCode) })
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	sig := <-stop
	log.Info("stopping", zap.String("signal", sig.String()))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	if pprofSrv != nil {
		_ = pprofSrv.Shutdown(ctx)
	}
}

// runLoad writes count entries as fast as it can (the journald throughput benchmark), then a summary.
func runLoad(log *zap.Logger, count int) {
	l := log.With(zap.String("component", "load"))
	start := time.Now()
	for i := 0; i < count; i++ {
		l.Info("load entry", zap.Int("seq", i), zap.String("request_id", "r-"+strconv.Itoa(i)), zap.Bool("ok", true))
	}
	elapsed := time.Since(start)
	log.Info("load done", zap.Int("count", count), zap.Float64("seconds", elapsed.Seconds()),
		zap.Float64("lines_per_second", float64(count)/elapsed.Seconds()))
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func handlers(log *zap.Logger, c config, format string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]interface{}{
			"status": "ok", "pid": os.Getpid(), "version": version, "log_format": format,
			"gomaxprocs": runtime.GOMAXPROCS(0), "gomemlimit": debug.SetMemoryLimit(-1),
			"env": map[string]string{"GOMAXPROCS": os.Getenv("GOMAXPROCS"), "GOMEMLIMIT": os.Getenv("GOMEMLIMIT")},
		})
	})
	mux.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		level, err := zapcore.ParseLevel(q.Get("level"))
		if q.Get("level") == "" {
			level, err = zapcore.InfoLevel, nil
		}
		if err != nil || level > zapcore.ErrorLevel {
			http.Error(w, "level: want debug, info, warn or error", http.StatusBadRequest)
			return
		}
		msg := q.Get("msg")
		if msg == "" {
			msg = "requested entry"
		}
		fields := []zap.Field{}
		for k, vs := range q {
			if k != "level" && k != "msg" {
				fields = append(fields, zap.String(k, vs[0]))
			}
		}
		if ce := log.Check(level, msg); ce != nil {
			ce.Write(fields...)
		}
		writeJSON(w, map[string]string{"logged": level.String()})
	})
	mux.HandleFunc("/crash", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"crashing": "SIGSEGV"})
		w.(http.Flusher).Flush()
		go func() {
			time.Sleep(100 * time.Millisecond)
			log.Error("crashing on request", zap.String("signal", "SIGSEGV"))
			segfault()
		}()
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		code := c.exitCode
		if s := r.URL.Query().Get("code"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 255 {
				http.Error(w, "code: want 0..255", http.StatusBadRequest)
				return
			}
			code = n
		}
		writeJSON(w, map[string]int{"exiting": code})
		w.(http.Flusher).Flush()
		go func() {
			time.Sleep(100 * time.Millisecond)
			log.Info("exiting on request", zap.Int("code", code))
			_ = log.Sync()
			os.Exit(code)
		}()
	})
	mux.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("syscall")
		errno, ok := probe(name)
		if !ok {
			http.Error(w, "syscall: want one of "+probeNames, http.StatusBadRequest)
			return
		}
		log.Info("probe", zap.String("syscall", name), zap.Int("errno", errno))
		writeJSON(w, map[string]interface{}{"syscall": name, "errno": errno})
	})
	return mux
}
