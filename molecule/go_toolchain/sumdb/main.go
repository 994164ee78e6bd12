// Command gohost-sumdb is a Go checksum database (the protocol of sum.golang.org: /lookup, /latest, /tile) for the
// go_toolchain scenario. It vouches for the module zips of a file-layout GOPROXY directory, signing its tree with a
// fixed test key, so that the role's `source: module` path without a pinned h1: is checked by the real go command
// against a real (if local) database. A version named with -tamper is recorded with the hash of other bytes than the
// proxy serves: what the go command sees when a proxy hands out a tampered zip.
//
//	gohost-sumdb -proxy DIR [-listen 127.0.0.1:8098] [-tamper golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64]
//	gohost-sumdb -print-key        prints the verifier key (the GOSUMDB value is "<key> http://<listen>")
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// keys derives the signer and verifier keys from a fixed seed: the database is for tests only.
func keys(name string) (string, string) {
	seed := sha256.Sum256([]byte("noble.gohost go_toolchain scenario checksum database"))
	skey, vkey, err := note.GenerateKey(bytes.NewReader(seed[:]), name)
	if err != nil {
		log.Fatal(err)
	}
	return skey, vkey
}

func main() {
	proxy := flag.String("proxy", "", "file-layout GOPROXY directory whose modules the database vouches for")
	listen := flag.String("listen", "127.0.0.1:8098", "address to serve on")
	name := flag.String("name", "sumdb.gohost.test", "database name (the first part of the verifier key)")
	printKey := flag.Bool("print-key", false, "print the verifier key and exit")
	var tamper list
	flag.Var(&tamper, "tamper", "module@version recorded with the hash of other bytes than the proxy serves (repeatable)")
	flag.Parse()
	skey, vkey := keys(*name)
	if *printKey {
		fmt.Println(vkey)
		return
	}
	gosum := func(path, vers string) ([]byte, error) {
		esc, err := module.EscapePath(path)
		if err != nil {
			return nil, err
		}
		base := filepath.Join(*proxy, filepath.FromSlash(esc), "@v", vers)
		zipHash, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
		if err != nil {
			return nil, err
		}
		for _, t := range tamper {
			if t == path+"@"+vers {
				sum := sha256.Sum256([]byte("other bytes than " + zipHash))
				zipHash, err = dirhash.Hash1([]string{"tampered"}, func(string) (io.ReadCloser, error) {
					return io.NopCloser(bytes.NewReader(sum[:])), nil
				})
				if err != nil {
					return nil, err
				}
			}
		}
		modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(base + ".mod") })
		if err != nil {
			return nil, err
		}
		log.Printf("vouching for %s@%s %s", path, vers, zipHash)
		return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, vers, zipHash, path, vers, modHash)), nil
	}
	srv := sumdb.NewServer(sumdb.NewTestServer(skey, gosum))
	mux := http.NewServeMux()
	for _, p := range sumdb.ServerPaths {
		mux.Handle(p, srv)
	}
	log.Printf("checksum database %s on %s for %s", vkey, *listen, *proxy)
	log.Fatal(http.ListenAndServe(*listen, mux))
}
