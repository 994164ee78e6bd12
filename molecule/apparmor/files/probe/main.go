// probe is the test service of the apparmor scenario: it serves the files it is asked for, so that the tests can
// see what its AppArmor profile allows, and reports its own confinement.
//
//	GET /read?path=/etc/probe/config.txt   200 and the content, or 403 and the error (EACCES under enforce)
//	GET /self                              the content of /proc/self/attr/current
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"path/filepath"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8089", "address to serve on")
	state := flag.String("state", "", "state directory: a file is written there at start")
	startupRead := flag.String("startup-read", "", "a file to read once at start (the complain-mode tests)")
	flag.Parse()
	if *state != "" {
		if err := os.WriteFile(filepath.Join(*state, "started"), []byte("ok\n"), 0o644); err != nil {
			log.Printf("state: %v", err)
		}
	}
	if *startupRead != "" {
		if _, err := os.ReadFile(*startupRead); err != nil {
			log.Printf("startup read: %v", err)
		}
	}
	http.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(r.URL.Query().Get("path"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		_, _ = w.Write(data)
	})
	http.HandleFunc("/self", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile("/proc/self/attr/current")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(data)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
