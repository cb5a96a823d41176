package golden

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofixconc/gofixconc/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the goldens and findings in testdata/golden from the current output")

// TestGolden runs every case under testdata/golden: output byte for byte,
// findings, then a second run over the output that must find nothing more to
// fix, change nothing and type-check (idempotence and fixpoint).
func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/golden/*/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, path := range paths {
		rule := filepath.Base(filepath.Dir(path))
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(rule+"/"+name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Archive.Comment) == 0 {
				t.Errorf("%s: a case starts with prose saying what it shows", path)
			}
			dir := t.TempDir()
			if err := WriteModule(dir, c.Inputs()); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			o, err := c.Run(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := c.Update(o); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, e := range c.Check(o) {
				t.Error(e)
			}
			// Second run over the output: nothing more to fix, nothing
			// changes, every package still loads and type-checks.
			if err := WriteModule(dir, o.Outputs); err != nil {
				t.Fatal(err)
			}
			again, err := c.Run(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Outputs) > 0 {
				t.Errorf("second run changed files again (not idempotent):\n%s", again.Findings)
			}
			// A fix the first run dropped is dropped again, for the same
			// reason: that is the case's expected outcome, not a new one.
			droppedBefore := map[string]bool{}
			for _, p := range o.Result.Problems {
				droppedBefore[p.Message] = true
			}
			for _, f := range again.Result.Findings {
				if f.Fixable && !(f.Dropped != "" && droppedBefore[f.Rule+": fix dropped: "+f.Dropped]) {
					t.Errorf("second run still finds a fixable %s at %d:%d: %s", f.Rule, f.Line, f.Col, f.Message)
				}
			}
			for _, p := range again.Result.Problems {
				if !droppedBefore[p.Message] {
					t.Errorf("second run: %s: %s", p.File, p.Message)
				}
			}
		})
	}
}

// TestEveryRuleHasGoldens keeps the promise that every rule is covered.
func TestEveryRuleHasGoldens(t *testing.T) {
	for _, r := range rules.All() {
		cases, _ := filepath.Glob(filepath.Join("../../testdata/golden", r.Name, "*.txtar"))
		if len(cases) < 8 {
			t.Errorf("rule %s has %d golden cases; every rule needs at least 8", r.Name, len(cases))
		}
	}
	entries, err := os.ReadDir("../../testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && rules.ByName(e.Name()) == nil {
			t.Errorf("testdata/golden/%s names no rule", e.Name())
		}
	}
}
