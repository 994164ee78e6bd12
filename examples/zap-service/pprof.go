package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// pprofEnv names the variable that go_service sets (pprof.enabled) to the loopback address net/http/pprof is
// served on. Unset or empty: no profiling endpoint at all. The main listener never serves /debug/pprof/.
const pprofEnv = "PPROF_ADDR"

// pprofListen opens the profiling listener on addr, which must be a loopback IP address and port
// (127.0.0.1:6060, [::1]:6060; "localhost" is refused, it may resolve elsewhere). addr "" returns nil, nil.
func pprofListen(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", pprofEnv, addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s=%q: want a loopback IP address and port (127.0.0.1:6060 or [::1]:6060)", pprofEnv, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", pprofEnv, addr, err)
	}
	return ln, nil
}

// pprofHandler serves the net/http/pprof endpoints under /debug/pprof/, on a mux of its own (the package's init
// registers them on http.DefaultServeMux, which this service never serves).
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// servePprof starts the profiling server when PPROF_ADDR is set; it returns the server (nil when not set).
func servePprof(onError func(error)) (*http.Server, net.Listener, error) {
	ln, err := pprofListen(os.Getenv(pprofEnv))
	if err != nil || ln == nil {
		return nil, nil, err
	}
	// No WriteTimeout: /debug/pprof/profile and /trace answer after ?seconds= of sampling.
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			onError(err)
		}
	}()
	return srv, ln, nil
}
