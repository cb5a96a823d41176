package diff

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	const hdr = "diff --git a/pkg/a.go b/pkg/a.go\n--- a/pkg/a.go\n+++ b/pkg/a.go\n"
	tests := []struct {
		name, old, new, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"both empty", "", "", ""},
		{
			"change in middle",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			"1\n2\n3\n4\nX\n6\n7\n8\n9\n",
			hdr + "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n",
		},
		{
			"insert at top",
			"1\n2\n3\n4\n5\n",
			"A\nB\n1\n2\n3\n4\n5\n",
			hdr + "@@ -1,3 +1,5 @@\n+A\n+B\n 1\n 2\n 3\n",
		},
		{
			"insert at top of short file",
			"1\n2\n",
			"A\n1\n2\n",
			hdr + "@@ -1,2 +1,3 @@\n+A\n 1\n 2\n",
		},
		{
			"delete at end",
			"1\n2\n3\n4\n5\n6\n",
			"1\n2\n3\n4\n",
			hdr + "@@ -2,5 +2,3 @@\n 2\n 3\n 4\n-5\n-6\n",
		},
		{
			"delete everything",
			"1\n2\n",
			"",
			hdr + "@@ -1,2 +0,0 @@\n-1\n-2\n",
		},
		{
			"single line to single line",
			"a\n",
			"b\n",
			hdr + "@@ -1 +1 @@\n-a\n+b\n",
		},
		{
			"two far-apart changes",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			"X\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\nY\n",
			hdr + "@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n" +
				"@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+Y\n",
		},
		{
			"two close changes merge (gap of 6)",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
			"1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n",
			hdr + "@@ -1,10 +1,10 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+Y\n 10\n",
		},
		{
			"gap of 7 does not merge",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
			"X\n2\n3\n4\n5\n6\n7\n8\nY\n10\n",
			hdr + "@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n" +
				"@@ -6,5 +6,5 @@\n 6\n 7\n 8\n-9\n+Y\n 10\n",
		},
		{
			"last line without newline changed",
			"1\n2\n3",
			"1\n2\nX",
			hdr + "@@ -1,3 +1,3 @@\n 1\n 2\n-3\n\\ No newline at end of file\n+X\n\\ No newline at end of file\n",
		},
		{
			"unchanged last line without newline as context",
			"1\n2\n3\n4\n5",
			"1\nX\n3\n4\n5",
			hdr + "@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n\\ No newline at end of file\n",
		},
		{
			"add trailing newline",
			"1\n2\n3",
			"1\n2\n3\n",
			hdr + "@@ -1,3 +1,3 @@\n 1\n 2\n-3\n\\ No newline at end of file\n+3\n",
		},
		{
			"remove trailing newline",
			"1\n2\n3\n",
			"1\n2\n3",
			hdr + "@@ -1,3 +1,3 @@\n 1\n 2\n-3\n+3\n\\ No newline at end of file\n",
		},
		{
			"new content from empty old",
			"",
			"a\nb\nc\n",
			hdr + "@@ -0,0 +1,3 @@\n+a\n+b\n+c\n",
		},
		{
			"new content without newline from empty old",
			"",
			"a",
			hdr + "@@ -0,0 +1 @@\n+a\n\\ No newline at end of file\n",
		},
		{
			"CRLF kept byte-exact",
			"1\r\n2\r\n3\r\n",
			"1\r\nX\r\n3\r\n",
			hdr + "@@ -1,3 +1,3 @@\n 1\r\n-2\r\n+X\r\n 3\r\n",
		},
		{
			"LF to CRLF",
			"1\n2\n",
			"1\r\n2\n",
			hdr + "@@ -1,2 +1,2 @@\n-1\n+1\r\n 2\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unified("pkg/a.go", []byte(tt.old), []byte(tt.new))
			if got != tt.want {
				t.Errorf("Unified(%q, %q):\ngot:\n%s\nwant:\n%s", tt.old, tt.new, got, tt.want)
			}
		})
	}
}

// TestLargeFile checks that many distinct lines (more than the runes below the
// surrogate range) are handled and that one change gives one small hunk.
func TestLargeFile(t *testing.T) {
	const n = 60000
	var ob, nb strings.Builder
	for i := range n {
		fmt.Fprintf(&ob, "line %d\n", i)
		if i == 58000 {
			nb.WriteString("changed\n")
		} else {
			fmt.Fprintf(&nb, "line %d\n", i)
		}
	}
	got := Unified("big.txt", []byte(ob.String()), []byte(nb.String()))
	want := "diff --git a/big.txt b/big.txt\n--- a/big.txt\n+++ b/big.txt\n" +
		"@@ -57998,7 +57998,7 @@\n line 57997\n line 57998\n line 57999\n" +
		"-line 58000\n+changed\n line 58001\n line 58002\n line 58003\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestRuneEncoding checks that line indexes never map to invalid runes and round-trip.
func TestRuneEncoding(t *testing.T) {
	for _, i := range []int{0, 1, surrogateMin - 1, surrogateMin, surrogateMin + 1, 0xFFFD, maxLines - 1} {
		r := indexToRune(i)
		if r >= surrogateMin && r < surrogateMin+surrogateLen || r > 0x10FFFF {
			t.Errorf("indexToRune(%#x) = %#x, not a valid rune", i, r)
		}
		if got := runeToIndex(r); got != i {
			t.Errorf("runeToIndex(indexToRune(%#x)) = %#x", i, got)
		}
	}
}

// randomFile returns a small file built from a few possible lines, so that repeated
// lines (which make diffs ambiguous) are common.
func randomFile(r *rand.Rand) []string {
	n := r.IntN(25)
	lines := make([]string, n)
	for i := range lines {
		lines[i] = randomLine(r)
	}
	return lines
}

func randomLine(r *rand.Rand) string {
	words := []string{"", "a", "b", "c", "d", "}", "\tx := 1", "ü€"}
	eol := "\n"
	if r.IntN(10) == 0 {
		eol = "\r\n"
	}
	return words[r.IntN(len(words))] + eol
}

// randomEdit applies a few random insertions, deletions and replacements to lines and
// randomly drops the final newline of both versions.
func randomEdit(r *rand.Rand, lines []string) (old, new []byte) {
	out := append([]string(nil), lines...)
	for range r.IntN(5) {
		pos := r.IntN(len(out) + 1)
		switch r.IntN(3) {
		case 0:
			out = append(out[:pos], append([]string{randomLine(r)}, out[pos:]...)...)
		case 1:
			if pos < len(out) {
				out = append(out[:pos], out[pos+1:]...)
			}
		case 2:
			if pos < len(out) {
				out[pos] = randomLine(r)
			}
		}
	}
	join := func(ls []string) []byte {
		s := strings.Join(ls, "")
		if r.IntN(5) == 0 {
			s = strings.TrimSuffix(s, "\n")
		}
		return []byte(s)
	}
	return join(lines), join(out)
}

// hermeticEnv keeps user and system git configuration out of the test.
func hermeticEnv() []string {
	return append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
}

func run(t *testing.T, dir string, stdin []byte, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = hermeticEnv()
	cmd.Stdin = bytes.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestRoundTrip applies random diffs with git apply (and patch -p1, if available) and
// checks that the results match the new contents byte for byte.
func TestRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	const batches, perBatch = 8, 50
	r := rand.New(rand.NewPCG(1, 2))
	for batch := range batches {
		olds := make([][]byte, perBatch)
		news := make([][]byte, perBatch)
		var patch strings.Builder
		for i := range perBatch {
			olds[i], news[i] = randomEdit(r, randomFile(r))
			patch.WriteString(Unified(fmt.Sprintf("d%d/f%02d.txt", i%3, i), olds[i], news[i]))
		}
		check := func(t *testing.T, dir string) {
			t.Helper()
			for i := range perBatch {
				name := fmt.Sprintf("d%d/f%02d.txt", i%3, i)
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, news[i]) {
					t.Errorf("%s: got %q, want %q\nold %q\ndiff:\n%s",
						name, got, news[i], olds[i], Unified(name, olds[i], news[i]))
				}
			}
		}
		setup := func(t *testing.T) string {
			dir := t.TempDir()
			for i := range perBatch {
				name := filepath.Join(dir, fmt.Sprintf("d%d/f%02d.txt", i%3, i))
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, olds[i], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			return dir
		}
		p := []byte(patch.String())
		t.Run(fmt.Sprintf("git/%d", batch), func(t *testing.T) {
			dir := setup(t)
			run(t, dir, nil, "git", "-c", "user.email=x", "-c", "user.name=x", "init", "-q")
			run(t, dir, p, "git", "apply", "--check")
			run(t, dir, p, "git", "apply")
			check(t, dir)
		})
		if batch%2 == 0 {
			t.Run(fmt.Sprintf("patch/%d", batch), func(t *testing.T) {
				if _, err := exec.LookPath("patch"); err != nil {
					t.Skip("patch not found")
				}
				dir := setup(t)
				run(t, dir, p, "patch", "-p1", "--dry-run", "--quiet")
				run(t, dir, p, "patch", "-p1", "--quiet")
				check(t, dir)
			})
		}
	}
}
