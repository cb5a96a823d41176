package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gofixconc/gofixconc/internal/diff"
	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// Exit codes.
const (
	exitOK      = 0 // check: no findings; diff: nothing to change; fix: success
	exitPending = 1 // check: findings; diff: changes pending
	exitError   = 2 // bad usage, or a package, file or write that failed
)

// app is the CLI as a value: tests run it in-process with their own output
// streams and working directory.
type app struct {
	stdout, stderr io.Writer
	dir            string // the working directory

	// flags
	chdir      string
	enable     []string
	disable    []string
	tier       string
	jobs       int
	verbose    bool
	tags       []string
	tests      bool
	generated  bool
	limit      int // unbounded-go: the bound for every loop; 0: per loop
	ioLimit    int // unbounded-go: the bound for goroutines that do I/O
	format     string
	dryRun     bool
	patchFile  string
	markdown   bool
	exitStatus int
}

// errUsage marks errors already explained to the user.
var errUsage = errors.New("usage")

func (a *app) run(ctx context.Context, args []string) int {
	a.exitStatus = exitOK
	root := a.commands()
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(a.stderr, "gofixconc: %v\n", err)
		}
		return exitError
	}
	return a.exitStatus
}

func (a *app) commands() *cobra.Command {
	root := &cobra.Command{
		Use:   "gofixconc",
		Short: "Find and fix concurrency anti-patterns in Go code",
		Long: `gofixconc finds concurrency anti-patterns in Go code and fixes them.

Every fix is verified before it is shown or written: the file is
gofmt-stable, the package still type-checks, and a second run finds
nothing more to fix. A fix that fails verification is dropped and
reported; its file stays as it was.

Exit codes:
  check  0 no findings, 1 findings, 2 error
  diff   0 nothing to change, 1 changes pending, 2 error
  fix    0 success (whether or not files changed), 2 error
         (the files that could be fixed are still fixed)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&a.chdir, "chdir", "C", "", "run as if started in `dir`")
	pf.StringSliceVar(&a.enable, "rules", nil, "run only these rules (comma-separated)")
	pf.StringSliceVar(&a.disable, "disable", nil, "do not run these rules (comma-separated)")
	pf.StringVar(&a.tier, "tier", "safe", "apply fixes up to this safety tier: safe or review")
	pf.IntVar(&a.jobs, "jobs", runtime.GOMAXPROCS(0), "packages processed at once")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log progress to stderr")
	pf.StringSliceVar(&a.tags, "tags", nil, "build tags (comma-separated)")
	pf.BoolVar(&a.tests, "tests", true, "include _test.go files")
	pf.BoolVar(&a.generated, "include-generated", false, "also fix generated files")
	pf.IntVar(&a.limit, "limit", 0, "unbounded-go: bound every loop's goroutines to `N` (default: runtime.GOMAXPROCS(0) for CPU-bound work, --io-limit for I/O)")
	pf.IntVar(&a.ioLimit, "io-limit", matchers.DefaultIOLimit, "unbounded-go: the bound for goroutines that do I/O")

	check := &cobra.Command{
		Use:   "check [packages]",
		Short: "Report findings (exit 0 none, 1 findings, 2 error)",
		RunE:  func(cmd *cobra.Command, args []string) error { return a.check(cmd.Context(), args) },
	}
	check.Flags().StringVar(&a.format, "format", "text", "output format: text, json or sarif (SARIF 2.1.0)")

	diffCmd := &cobra.Command{
		Use:   "diff [packages]",
		Short: "Print the verified fixes as a unified diff; touch no file (exit 0 nothing, 1 pending, 2 error)",
		RunE:  func(cmd *cobra.Command, args []string) error { return a.diff(cmd.Context(), args) },
	}
	fix := &cobra.Command{
		Use:   "fix [packages]",
		Short: "Apply the verified fixes in place (exit 0 success, 2 error)",
		RunE:  func(cmd *cobra.Command, args []string) error { return a.fix(cmd.Context(), args) },
	}
	fix.Flags().BoolVar(&a.dryRun, "dry-run", false, "print the diff instead of writing (same as the diff command)")
	fix.Flags().StringVar(&a.patchFile, "patch", "", "write the fixes as a patch to `file` instead of changing sources")

	list := &cobra.Command{
		Use:   "rules",
		Short: "List the rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.markdown {
				_, err := io.WriteString(a.stdout, rules.MarkdownTable())
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tTIER\tFIX\tMIN GO\tTITLE")
			for _, r := range rules.All() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Tier, yesNo(r.HasFix()), minGo(r), r.Title)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&a.markdown, "markdown", false, "print the README's rule table")
	explain := &cobra.Command{
		Use:   "explain RULE",
		Short: "Show a rule's documentation with WRONG and RIGHT examples",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := rules.ByName(args[0])
			if r == nil {
				return fmt.Errorf("unknown rule %q (see gofixconc rules)", args[0])
			}
			_, err := io.WriteString(a.stdout, r.Explain())
			return err
		},
	}
	version := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintf(a.stdout, "gofixconc %s %s\n", buildVersion(), runtime.Version())
		},
	}
	root.AddCommand(check, diffCmd, fix, list, explain, version)
	return root
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func minGo(r *rules.Rule) string {
	if r.MinGo == "" {
		return "-"
	}
	return r.MinGo
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// workDir is where patterns resolve and paths are printed relative to.
func (a *app) workDir() string {
	if a.chdir == "" {
		return a.dir
	}
	if filepath.IsAbs(a.chdir) {
		return a.chdir
	}
	return filepath.Join(a.dir, a.chdir)
}

// runEngine runs the pipeline and prints its problems to stderr.
func (a *app) runEngine(ctx context.Context, patterns []string, fix bool) (*engine.Result, error) {
	rs, err := rules.Select(a.enable, a.disable)
	if err != nil {
		return nil, err
	}
	tier := rules.Tier(a.tier)
	if tier != rules.Safe && tier != rules.Review {
		return nil, fmt.Errorf("--tier must be safe or review, not %q", a.tier)
	}
	if a.format != "text" && a.format != "json" && a.format != "sarif" {
		return nil, fmt.Errorf("--format must be text, json or sarif, not %q", a.format)
	}
	opts := engine.Options{
		Dir: a.workDir(), Patterns: patterns, Tags: a.tags, Tests: a.tests,
		IncludeGenerated: a.generated, Rules: rs, Fix: fix, Tier: tier, Jobs: a.jobs,
		Limits: matchers.Limits{Limit: a.limit, IOLimit: a.ioLimit},
	}
	if a.limit < 0 || a.ioLimit <= 0 {
		return nil, fmt.Errorf("--limit must be 0 or more and --io-limit more than 0")
	}
	if a.verbose {
		opts.Verbose = a.stderr
	}
	res, err := engine.Run(ctx, opts)
	if err != nil {
		return nil, err
	}
	for _, p := range res.Problems {
		fmt.Fprintln(a.stderr, a.problemLine(p))
	}
	if fix {
		// What a reviewer still has to do by hand, and why.
		for _, f := range res.Findings {
			if !f.Fixed && f.Dropped == "" && f.NoFix != "" {
				fmt.Fprintf(a.stderr, "%s:%d:%d: %s: no fix: %s\n", a.rel(f.File), f.Line, f.Col, f.Rule, f.NoFix)
			}
		}
	}
	if a.verbose {
		fmt.Fprintf(a.stderr, "gofixconc: %d packages, %d files, %d findings\n", res.Packages, res.Files, len(res.Findings))
	}
	return res, nil
}

func (a *app) problemLine(p engine.Problem) string {
	switch {
	case p.File == "":
		// go/packages names files by absolute path; print them as the
		// rest of the output does.
		return strings.ReplaceAll(p.Message, a.workDir()+string(filepath.Separator), "")
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", a.rel(p.File), p.Line, p.Message)
	default:
		return fmt.Sprintf("%s: %s", a.rel(p.File), p.Message)
	}
}

// rel prints a path relative to the working directory.
func (a *app) rel(p string) string {
	if r, err := filepath.Rel(a.workDir(), p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func (a *app) check(ctx context.Context, patterns []string) error {
	res, err := a.runEngine(ctx, patterns, false)
	if err != nil {
		return err
	}
	if a.format == "sarif" {
		if err := a.writeSARIF(a.stdout, res.Findings); err != nil {
			return err
		}
	} else if a.format == "json" {
		out := make([]engine.Finding, len(res.Findings))
		for i, f := range res.Findings {
			f.File = a.rel(f.File)
			out[i] = f
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, f := range res.Findings {
			fmt.Fprintf(a.stdout, "%s:%d:%d: %s: %s\n", a.rel(f.File), f.Line, f.Col, f.Rule, f.Message)
		}
	}
	switch {
	case res.Errors() > 0:
		a.exitStatus = exitError
	case len(res.Findings) > 0:
		a.exitStatus = exitPending
	}
	return nil
}

// patch renders the verified changes as one unified diff with paths relative
// to the repository root (the working directory outside a repository).
func (a *app) patch(ctx context.Context, res *engine.Result) string {
	root := gitRoot(ctx, a.workDir())
	var b strings.Builder
	for _, ch := range res.Changes {
		p, err := filepath.Rel(root, ch.File)
		if err != nil {
			p = ch.File
		}
		b.WriteString(diff.Unified(filepath.ToSlash(p), ch.Old, ch.New))
	}
	return b.String()
}

func gitRoot(ctx context.Context, dir string) string {
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return dir
	}
	root := strings.TrimSpace(string(out))
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		// keep paths comparable when dir is reached through a symlink
		if r, err := filepath.Rel(real, root); err == nil {
			return filepath.Join(dir, r)
		}
	}
	return root
}

func (a *app) diff(ctx context.Context, patterns []string) error {
	res, err := a.runEngine(ctx, patterns, true)
	if err != nil {
		return err
	}
	io.WriteString(a.stdout, a.patch(ctx, res))
	switch {
	case res.Errors() > 0:
		a.exitStatus = exitError
	case len(res.Changes) > 0:
		a.exitStatus = exitPending
	}
	return nil
}

func (a *app) fix(ctx context.Context, patterns []string) error {
	if a.dryRun {
		return a.diff(ctx, patterns)
	}
	res, err := a.runEngine(ctx, patterns, true)
	if err != nil {
		return err
	}
	failed := res.Errors()
	written := 0
	if a.patchFile != "" {
		p := a.patchFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(a.workDir(), p)
		}
		if err := os.WriteFile(p, []byte(a.patch(ctx, res)), 0o644); err != nil {
			return fmt.Errorf("%s: write patch: %v", a.rel(p), err)
		}
	} else {
		for _, ch := range res.Changes {
			if err := writeFile(ch); err != nil {
				fmt.Fprintf(a.stderr, "%s: not written: %v\n", a.rel(ch.File), err)
				failed++
				continue
			}
			written++
		}
	}
	a.summary(res, written)
	if failed > 0 {
		a.exitStatus = exitError
	}
	return nil
}

// summary prints what fix did, on stderr.
func (a *app) summary(res *engine.Result, written int) {
	// Findings fixed, per rule: a whole-program fix that edits many files
	// counts once, and so does each finding it fixes with it.
	perRule := map[string]int{}
	for _, f := range res.Findings {
		if f.Fixed {
			perRule[f.Rule]++
		}
	}
	names := make([]string, 0, len(perRule))
	for r := range perRule {
		names = append(names, r)
	}
	sort.Strings(names)
	var parts []string
	for _, r := range names {
		parts = append(parts, fmt.Sprintf("%s %d", r, perRule[r]))
	}
	left, dropped, deferred := 0, 0, 0
	for _, f := range res.Findings {
		if !f.Fixed {
			left++
		}
	}
	for _, p := range res.Problems {
		switch p.Kind {
		case engine.Dropped:
			dropped++
		case engine.Deferred:
			deferred++
		}
	}
	verb := "changed"
	files := written
	if a.patchFile != "" {
		verb, files = "in the patch", len(res.Changes)
	}
	fixes := "none"
	if len(parts) > 0 {
		fixes = strings.Join(parts, ", ")
	}
	left -= deferred // they have a fix, in the next run
	again := ""
	if deferred > 0 {
		again = fmt.Sprintf("; %d fixes deferred: run fix again", deferred)
	}
	fmt.Fprintf(a.stderr, "gofixconc: %d files %s; fixes: %s; %d findings left without a fix; %d fixes dropped%s\n",
		files, verb, fixes, left, dropped, again)
}

// writeFile replaces a file's content: a temp file in the same directory,
// the original mode, then a rename; refused when the file changed since it
// was read.
func writeFile(ch engine.Change) error {
	cur, err := os.ReadFile(ch.File)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, ch.Old) {
		return errors.New("file changed since it was read; run again")
	}
	st, err := os.Stat(ch.File)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(ch.File), "."+filepath.Base(ch.File)+".gofixconc-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(ch.New)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(name, st.Mode().Perm())); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, ch.File); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}
