// hello is the module the go_service scenario installs with `go install gohost.test/hello@v1.0.0` from a
// file-layout GOPROXY (make_goproxy.py): a service that says it started and waits for SIGTERM.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	fmt.Println("hello v1.0.0 started, built by go install")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	fmt.Println("hello stopping:", <-stop)
}
