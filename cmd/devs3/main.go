// Command devs3 is a small S3-compatible server for tests and development
// (github.com/johannesboyne/gofakes3 over HTTP, objects in memory): tests
// start it as a process of its own and talk real S3 to it with minio-go.
// It prints "listening ADDR" once it accepts connections. It checks no
// credentials: never expose it.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithTimeSkewLimit(0))
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening", l.Addr())
	srv := &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(l))
}
