// Command gofixconc finds concurrency anti-patterns in Go code and fixes
// them: `check` reports, `diff` shows the verified fixes as a patch, `fix`
// applies them. See `gofixconc rules` and `gofixconc explain RULE`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wd, err := os.Getwd()
	if err != nil {
		os.Stderr.WriteString("gofixconc: " + err.Error() + "\n")
		os.Exit(exitError)
	}
	a := &app{stdout: os.Stdout, stderr: os.Stderr, dir: wd}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
