// langsvc: a small HTTP service that answers with the languages of the request's Accept-Language header, parsed
// with golang.org/x/text/language.ParseAcceptLanguage. The fleet scenario builds it twice, with golang.org/x/text
// v0.3.7 (affected by GO-2022-1059 in that very function) and v0.3.8 (fixed), so that playbooks/vulncheck.yml has a
// known finding to report and a fixed build to clear.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"

	"golang.org/x/text/language"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8082", "address to listen on")
	flag.Parse()
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, tags)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
