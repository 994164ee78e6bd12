// obsdemo: a small Go service for the go_observability tests. It serves /healthz on -listen, net/http/pprof on
// $PPROF_ADDR when set (as the go_service pprof option asks), and keeps -workers goroutines busy in short bursts
// (-burst of CPU, then -pause of sleep) so that the scheduler, the CPU profile and the runtime trace have
// something to show.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

var sink uint64

func work(burst, pause time.Duration) {
	for {
		end := time.Now().Add(burst)
		for time.Now().Before(end) {
			for i := uint64(0); i < 10000; i++ {
				sink += i * i
			}
		}
		time.Sleep(pause)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address of /healthz")
	workers := flag.Int("workers", 2, "busy goroutines")
	burst := flag.Duration("burst", 2*time.Millisecond, "CPU time per burst")
	pause := flag.Duration("pause", 2*time.Millisecond, "sleep between bursts")
	flag.Parse()

	if addr := os.Getenv("PPROF_ADDR"); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		go func() { log.Fatal(http.ListenAndServe(addr, mux)) }()
	}
	for i := 0; i < *workers; i++ {
		go work(*burst, *pause)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
