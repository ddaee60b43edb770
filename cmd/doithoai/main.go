// Command doithoai is the whole Đối Thoại suite in one binary:
//
//	doithoai serve      run HTTP (forum, live chat, console) and the SIP hotline
//	doithoai migrate    apply database migrations
//	doithoai seed       add demo data (categories, hotline menu, demo staff)
//	doithoai user create --role R --login L --password-stdin [--sip] [--name N]
//	doithoai user sip-secret --login L
//	doithoai backup check [--restore-to DIR]
//
// Configuration comes from the environment (see README.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "doithoai:", err)
		os.Exit(1)
	}
}
