package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestPprofServedOnLoopbackWhenSet(t *testing.T) {
	t.Setenv(pprofEnv, "127.0.0.1:0")
	srv, ln, err := servePprof(func(err error) { t.Errorf("pprof server: %v", err) })
	if err != nil || srv == nil || ln == nil {
		t.Fatalf("servePprof() = %v, %v, %v; want a server", srv, ln, err)
	}
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	if code, body := get(t, base+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("GET /debug/pprof/ = %d %.200q; want 200 and the profile index", code, body)
	}
	if code, body := get(t, base+"/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("GET /debug/pprof/goroutine = %d %.200q", code, body)
	}
	if code, _ := get(t, base+"/debug/pprof/profile?seconds=1"); code != 200 {
		t.Fatalf("GET /debug/pprof/profile = %d; want 200", code)
	}
	if code, _ := get(t, base+"/healthz"); code != 404 {
		t.Fatalf("the pprof listener serves /healthz (%d); it should serve pprof only", code)
	}
}

func TestPprofNotServedWhenUnset(t *testing.T) {
	t.Setenv(pprofEnv, "")
	srv, ln, err := servePprof(func(err error) { t.Errorf("pprof server: %v", err) })
	if srv != nil || ln != nil || err != nil {
		t.Fatalf("servePprof() with %s empty = %v, %v, %v; want nothing", pprofEnv, srv, ln, err)
	}
}

func TestPprofRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "[::]:6060", "localhost:6060", "127.0.0.1"} {
		t.Setenv(pprofEnv, addr)
		srv, ln, err := servePprof(func(err error) { t.Errorf("pprof server: %v", err) })
		if err == nil {
			if srv != nil {
				srv.Close()
			}
			t.Errorf("%s=%q accepted (listening on %v); want an error", pprofEnv, addr, ln)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "127.1.2.3:0"} {
		ln, err := pprofListen(addr)
		if err != nil {
			t.Errorf("pprofListen(%q): %v", addr, err)
			continue
		}
		ln.Close()
	}
}

func TestMainMuxHasNoPprof(t *testing.T) {
	srv := httptest.NewServer(handlers(zap.NewNop(), config{}, "json"))
	defer srv.Close()
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline"} {
		if code, _ := get(t, srv.URL+path); code != 404 {
			t.Errorf("main listener GET %s = %d; want 404 (pprof only on %s)", path, code, pprofEnv)
		}
	}
	if code, _ := get(t, srv.URL+"/healthz"); code != 200 {
		t.Errorf("main listener GET /healthz = %d", code)
	}
}
