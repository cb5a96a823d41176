// Command loadonly loads packages exactly as gofixconc does (same go/packages
// mode, tests included) and does nothing else: the baseline that
// scripts/bench.sh compares gofixconc's wall time and peak memory against.
package main

import (
	"fmt"
	"os"

	"golang.org/x/tools/go/packages"
)

func main() {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
			packages.NeedImports | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedSyntax |
			packages.NeedTypesSizes | packages.NeedModule,
		Tests: true,
	}
	patterns := os.Args[1:]
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadonly:", err)
		os.Exit(2)
	}
	files := 0
	for _, p := range pkgs {
		files += len(p.Syntax)
	}
	fmt.Fprintf(os.Stderr, "loadonly: %d packages, %d files\n", len(pkgs), files)
}
