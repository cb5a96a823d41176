// Package rules is the registry: one value per rule ties its name, matcher,
// rewrite, documentation, safety tier and minimum Go version together.
// `gofixconc rules`, `gofixconc explain`, the README rule table and the
// golden tests are all generated from these values.
package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// Tier is a fix's safety tier.
type Tier string

const (
	// Safe fixes keep the program's behaviour; they are applied by default.
	Safe Tier = "safe"
	// Review fixes may change behaviour in a documented edge case; they are
	// applied only when asked for (--tier review).
	Review Tier = "review"
)

// A Rule is one anti-pattern with its matcher, rewrite and documentation.
type Rule struct {
	Name  string // kebab-case, e.g. "sleep-sync"
	Title string // one line
	Tier  Tier
	// MinGo is the lowest file Go version ("go1.22") the fix is offered for;
	// "" for any.
	MinGo string
	// Requires lists import paths of which the package must import at least
	// one for the rule to run at all (the fast path); empty: always run.
	Requires []string
	// Adds lists import paths the rewrite may add to a file.
	Adds []string

	Match   func(p *matchers.Pass) []matchers.Finding
	Rewrite rewrites.Rewrite // nil: detect only

	// Program, instead of Match, makes a whole-program rule: it sees every
	// package of a load at once, and each fix lists its Edits, which may
	// span files and packages. Rewrite is then called once per Edit, with
	// the Edit's file decorated and the Edit in rewrites.File.Edit.
	Program func(p *matchers.Program) []matchers.Finding

	Doc Doc
}

// Doc is a rule's documentation.
type Doc struct {
	Why       string // why it is a bug
	Fix       string // what the fix does and why it keeps behaviour
	Wrong     string // example code
	Right     string // example code
	LeftAlone string // look-alikes the rule deliberately leaves alone, and edge cases
}

var registry []*Rule

// Register adds a rule to the registry; the engine tests use it for rules
// that exist only to exercise the pipeline.
func Register(r *Rule) *Rule { return register(r) }

func register(r *Rule) *Rule {
	registry = append(registry, r)
	return r
}

// All returns every rule, sorted by name.
func All() []*Rule {
	out := append([]*Rule(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ByName returns the rule called name, or nil.
func ByName(name string) *Rule {
	for _, r := range registry {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Select resolves --rules and --disable lists (comma-separated names; empty
// enable means all) to rules, or an error naming the unknown rule.
func Select(enable, disable []string) ([]*Rule, error) {
	off := map[string]bool{}
	for _, n := range disable {
		if ByName(n) == nil {
			return nil, fmt.Errorf("unknown rule %q (see gofixconc rules)", n)
		}
		off[n] = true
	}
	var out []*Rule
	if len(enable) == 0 {
		for _, r := range All() {
			if !off[r.Name] {
				out = append(out, r)
			}
		}
		return out, nil
	}
	seen := map[string]bool{}
	for _, n := range enable {
		r := ByName(n)
		if r == nil {
			return nil, fmt.Errorf("unknown rule %q (see gofixconc rules)", n)
		}
		if !off[n] && !seen[n] {
			seen[n] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// HasFix reports whether the rule can fix what it finds.
func (r *Rule) HasFix() bool { return r.Rewrite != nil }

// FixAllowed reports whether the rule's fixes are applied at tier t.
func (r *Rule) FixAllowed(t Tier) bool {
	return r.Tier == Safe || t == Review
}

// Explain renders the rule's documentation as text.
func (r *Rule) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n\n", r.Name, r.Title)
	fix := "detect only"
	if r.HasFix() {
		fix = "has fix"
	}
	min := "any"
	if r.MinGo != "" {
		min = r.MinGo
	}
	fmt.Fprintf(&b, "tier: %s · %s · minimum Go for the fix: %s\n", r.Tier, fix, min)
	section := func(title, body string) {
		if body = strings.TrimSpace(body); body != "" {
			fmt.Fprintf(&b, "\n%s\n%s\n", title, indent(body))
		}
	}
	section("Why it is a bug", r.Doc.Why)
	section("The fix", r.Doc.Fix)
	section("WRONG", r.Doc.Wrong)
	section("RIGHT", r.Doc.Right)
	section("Left alone", r.Doc.LeftAlone)
	return b.String()
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "    " + l
		}
	}
	return strings.Join(lines, "\n")
}

// MarkdownTable renders the README's rule table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| rule | tier | fix | min Go | what it finds |\n|---|---|---|---|---|\n")
	for _, r := range All() {
		fix := "detect only"
		if r.HasFix() {
			fix = "yes"
		}
		min := "—"
		if r.MinGo != "" {
			min = r.MinGo
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.Name, r.Tier, fix, min, r.Title)
	}
	return b.String()
}
