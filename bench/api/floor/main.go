// Command floor is the API benchmark's calibration server (bench/api
// -scenarios floor): a plain net/http server that answers every GET with
// the same bytes, a list response captured from Tandem a moment before.
// It has no authentication, no database, no encoding, no access log and
// no metrics, so what the load generator measures against it is what this
// machine, Go's net/http and the generator itself cost for a response of
// that size at that rate: the floor under Tandem's own figures.
//
//	floor BODY-FILE
//
// It listens on 127.0.0.1 (a free port), with TCP keep-alive off as
// Tandem's listener, and prints the line Tandem prints when it starts
// (`{"msg":"tandem started","url":...}`) on stderr, which is what bench/api
// waits for.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor BODY-FILE")
		os.Exit(2)
	}
	body, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	length := strconv.Itoa(len(body))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.Write([]byte("ok\n"))
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", length)
		w.Write(body)
	})}
	fmt.Fprintf(os.Stderr, "{\"level\":\"INFO\",\"msg\":\"tandem started\",\"url\":\"http://%s\"}\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
