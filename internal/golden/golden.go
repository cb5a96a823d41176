// Package golden runs the golden cases under testdata/golden: each case is a
// txtar archive holding a small module, the expected output of every file
// that must change (NAME.golden) and the expected findings. The driver runs
// the same pipeline as the CLI.
package golden

import (
	"bytes"
	"context"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/txtar"

	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
)

// FindingsSection is the name of the txtar section holding the findings.
const FindingsSection = "findings"

// FlagsSection optionally sets options of the run, one per line:
// `tier=review` runs the case with review-tier fixes on (a case of a safe
// rule that needs a review-tier path, or the reverse: `tier=safe` on a
// review rule shows what stays a finding); `limit=N` and `io-limit=N` set
// the bounds of rules that bound concurrency (--limit, --io-limit);
// `patterns=./a/ ./b/` runs over those packages instead of ./... (a run
// over part of a module).
const FlagsSection = "flags"

// A Case is one parsed golden archive.
type Case struct {
	Path    string // the .txtar file
	Rule    *rules.Rule
	Archive *txtar.Archive
}

// Load reads the case at path; the rule is the name of its directory.
func Load(path string) (*Case, error) {
	a, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(filepath.Dir(path))
	r := rules.ByName(name)
	if r == nil {
		return nil, fmt.Errorf("%s: directory %q names no rule", path, name)
	}
	return &Case{Path: path, Rule: r, Archive: a}, nil
}

// Inputs are the module's files: everything but goldens and findings.
func (c *Case) Inputs() map[string][]byte {
	m := map[string][]byte{}
	for _, f := range c.Archive.Files {
		if f.Name == FindingsSection || f.Name == FlagsSection || strings.HasSuffix(f.Name, ".golden") {
			continue
		}
		m[f.Name] = f.Data
	}
	return m
}

// Section returns the named section's data and whether it exists.
func (c *Case) Section(name string) ([]byte, bool) {
	for _, f := range c.Archive.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// Outcome is what one run of the pipeline made of a case.
type Outcome struct {
	Outputs  map[string][]byte // changed files: name → new content
	Findings string            // the findings section as the run formats it
	Result   *engine.Result
}

// WriteModule writes files into dir.
func WriteModule(dir string, files map[string][]byte) error {
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Run runs the case's rule over the module in dir (already written) with
// fixes on, at the rule's own tier.
func (c *Case) Run(ctx context.Context, dir string) (*Outcome, error) {
	tier := c.Rule.Tier
	var limits matchers.Limits
	patterns := []string{"./..."}
	if flags, ok := c.Section(FlagsSection); ok {
		for _, line := range strings.Split(string(flags), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "":
			case line == "tier=safe":
				tier = rules.Safe
			case line == "tier=review":
				tier = rules.Review
			case strings.HasPrefix(line, "limit=") && atoi(line, &limits.Limit):
			case strings.HasPrefix(line, "io-limit=") && atoi(line, &limits.IOLimit):
			case strings.HasPrefix(line, "patterns="):
				patterns = strings.Fields(strings.TrimPrefix(line, "patterns="))
			default:
				return nil, fmt.Errorf("%s: unknown flag %q in -- flags --", c.Path, line)
			}
		}
	}
	res, err := engine.Run(ctx, engine.Options{
		Dir:      dir,
		Patterns: patterns,
		Tests:    true,
		Rules:    []*rules.Rule{c.Rule},
		Fix:      true,
		Tier:     tier,
		Limits:   limits,
		Jobs:     2,
	})
	if err != nil {
		return nil, err
	}
	out := &Outcome{Outputs: map[string][]byte{}, Result: res}
	for _, ch := range res.Changes {
		out.Outputs[relSlash(dir, ch.File)] = ch.New
	}
	out.Findings = FormatFindings(dir, res)
	return out, nil
}

// atoi parses the positive number after the = of a flag line into *n.
func atoi(line string, n *int) bool {
	_, v, _ := strings.Cut(line, "=")
	x, err := strconv.Atoi(v)
	if err != nil || x <= 0 {
		return false
	}
	*n = x
	return true
}

// FormatFindings renders findings and problems as the golden section does:
// `file:line:col: rule: message [fix]` for findings (the marker when the fix
// was applied), then `file:line: message` for problems (dropped fixes,
// skipped packages).
func FormatFindings(dir string, res *engine.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s", relSlash(dir, f.File), f.Line, f.Col, f.Rule, f.Message)
		if f.Fixed {
			b.WriteString(" [fix]")
		}
		b.WriteByte('\n')
	}
	for _, p := range res.Problems {
		switch {
		case p.File == "":
			fmt.Fprintf(&b, "%s\n", p.Message)
		case p.Line > 0:
			fmt.Fprintf(&b, "%s:%d: %s\n", relSlash(dir, p.File), p.Line, p.Message)
		default:
			fmt.Fprintf(&b, "%s: %s\n", relSlash(dir, p.File), p.Message)
		}
	}
	return b.String()
}

// Update rewrites the archive's goldens and findings from an outcome.
func (c *Case) Update(o *Outcome) error {
	var files []txtar.File
	for _, f := range c.Archive.Files {
		if f.Name == FindingsSection || strings.HasSuffix(f.Name, ".golden") {
			continue
		}
		files = append(files, f)
		if f.Name == FlagsSection {
			continue
		}
		if out, ok := o.Outputs[f.Name]; ok {
			files = append(files, txtar.File{Name: f.Name + ".golden", Data: out})
		}
	}
	files = append(files, txtar.File{Name: FindingsSection, Data: []byte(o.Findings)})
	c.Archive.Files = files
	return os.WriteFile(c.Path, txtar.Format(c.Archive), 0o644)
}

// Check compares an outcome with the case's expectations and returns every
// difference, one message each.
func (c *Case) Check(o *Outcome) []string {
	var errs []string
	inputs := c.Inputs()
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		want, hasGolden := c.Section(name + ".golden")
		got, changed := o.Outputs[name]
		switch {
		case hasGolden && !changed:
			errs = append(errs, fmt.Sprintf("%s: expected a change (%s.golden), got none", name, name))
		case !hasGolden && changed:
			errs = append(errs, fmt.Sprintf("%s: must come out byte-identical, but changed to:\n%s", name, got))
		case hasGolden && !bytes.Equal(got, want):
			errs = append(errs, fmt.Sprintf("%s: output differs from golden\n--- got\n%s\n--- want\n%s", name, got, want))
		}
		if changed && strings.HasSuffix(name, ".go") {
			if src := inputs[name]; gofmtClean(src) && !gofmtClean(got) {
				errs = append(errs, fmt.Sprintf("%s: input is gofmt-clean, output is not", name))
			}
		}
	}
	want, _ := c.Section(FindingsSection)
	if string(want) != o.Findings {
		errs = append(errs, fmt.Sprintf("findings differ\n--- got\n%s--- want\n%s", o.Findings, want))
	}
	return errs
}

func gofmtClean(src []byte) bool {
	out, err := format.Source(src)
	return err == nil && bytes.Equal(out, src)
}

func relSlash(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}
