package engine

import (
	"go/ast"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dave/dst"

	"github.com/gofixconc/gofixconc/internal/rules"
	"github.com/gofixconc/gofixconc/matchers"
	"github.com/gofixconc/gofixconc/rewrites"
)

// Rules that change a file's imports, for the import cases below.
var (
	// Replaces markSync() with sync.OnceFunc(done)(): a qualified name
	// that may need import "sync".
	addSyncFix = rules.Register(&rules.Rule{Name: "test-add-sync", Title: "t", Tier: rules.Safe, Adds: []string{"sync"},
		Match: markCalls("markSync"),
		Rewrite: func(f *rewrites.File, fd matchers.Finding) error {
			s, err := f.Stmt(fd.Fix.Anchor.(ast.Stmt))
			if err != nil {
				return err
			}
			once := &dst.CallExpr{Fun: rewrites.Qualified("sync", "OnceFunc"), Args: []dst.Expr{dst.NewIdent("done")}}
			s.(*dst.ExprStmt).X = &dst.CallExpr{Fun: once}
			return nil
		}})
	// Renames markDrop() to done() and deletes the statement after it,
	// which may hold the last use of an import.
	dropNextFix = rules.Register(&rules.Rule{Name: "test-drop-next", Title: "t", Tier: rules.Safe,
		Match: markCalls("markDrop"),
		Rewrite: func(f *rewrites.File, fd matchers.Finding) error {
			s, err := f.Stmt(fd.Fix.Anchor.(ast.Stmt))
			if err != nil {
				return err
			}
			s.(*dst.ExprStmt).X.(*dst.CallExpr).Fun.(*dst.Ident).Name = "done"
			ln, err := f.Node(fd.Fix.Lists[0])
			if err != nil {
				return err
			}
			b := ln.(*dst.BlockStmt)
			for i, x := range b.List {
				if x == s && i+1 < len(b.List) {
					b.List = append(b.List[:i+1], b.List[i+2:]...)
					return nil
				}
			}
			return nil
		}})
)

// importCases are files of package myapp/p, in a module whose path has no
// dot (as GOROOT/src/cmd's "cmd"), each with the content it must have after
// the fixes.
var importCases = []struct{ name, in, want string }{
	{
		// The module's imports stay in their own group: the new std import
		// goes into the std group, sorted; comments stay.
		"group.go",
		"package p\n\nimport (\n\t\"fmt\" // fmt\n\n\t// module packages\n\t\"myapp/internal/x\"\n)\n\nfunc A() {\n\tfmt.Println()\n\tx.X()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"fmt\" // fmt\n\t\"sync\"\n\n\t// module packages\n\t\"myapp/internal/x\"\n)\n\nfunc A() {\n\tfmt.Println()\n\tx.X()\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		// No std import yet: a new group, first.
		"nostd.go",
		"package p\n\nimport \"myapp/internal/x\"\n\nfunc B() {\n\tx.X()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"sync\"\n\n\t\"myapp/internal/x\"\n)\n\nfunc B() {\n\tx.X()\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		"nostdparen.go",
		"package p\n\nimport (\n\t\"myapp/internal/x\"\n)\n\nfunc B2() {\n\tx.X()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"sync\"\n\n\t\"myapp/internal/x\"\n)\n\nfunc B2() {\n\tx.X()\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		// One path imported twice: every use keeps its own name; the new
		// name is the first import's.
		"dup.go",
		"package p\n\nimport (\n\t\"sync\"\n\ts2 \"sync\"\n)\n\nvar mu sync.Mutex\n\nfunc C() {\n\tvar m s2.Mutex\n\tm.Lock()\n\tmu.Lock()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"sync\"\n\ts2 \"sync\"\n)\n\nvar mu sync.Mutex\n\nfunc C() {\n\tvar m s2.Mutex\n\tm.Lock()\n\tmu.Lock()\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		"dupalias.go",
		"package p\n\nimport (\n\ts3 \"sync\"\n\t\"sync\"\n)\n\nfunc C2() {\n\tvar m sync.Mutex\n\tm.Lock()\n\tvar n s3.Mutex\n\tn.Lock()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\ts3 \"sync\"\n\t\"sync\"\n)\n\nfunc C2() {\n\tvar m sync.Mutex\n\tm.Lock()\n\tvar n s3.Mutex\n\tn.Lock()\n\ts3.OnceFunc(done)()\n}\n",
	},
	{
		// A dot import next to the plain one: bare names stay bare.
		"dupdot.go",
		"package p\n\nimport (\n\t\"sync\"\n\t. \"sync\"\n)\n\nfunc C3() {\n\tvar m Mutex\n\tm.Lock()\n\tvar n sync.Mutex\n\tn.Lock()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"sync\"\n\t. \"sync\"\n)\n\nfunc C3() {\n\tvar m Mutex\n\tm.Lock()\n\tvar n sync.Mutex\n\tn.Lock()\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		// import "fmt" without parentheses gains a second import.
		"single.go",
		"package p\n\nimport \"fmt\"\n\nfunc D() {\n\tfmt.Println()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\n\nfunc D() {\n\tfmt.Println()\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		"none.go",
		"package p\n\nfunc E() {\n\tmarkSync()\n}\n",
		"package p\n\nimport \"sync\"\n\nfunc E() {\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		// A blank import of the path does not name it: the import is added.
		"blank.go",
		"package p\n\nimport _ \"sync\"\n\nfunc F() {\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"sync\"\n\t_ \"sync\"\n)\n\nfunc F() {\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		// The file's own name for the path is used; nothing is added.
		"alias.go",
		"package p\n\nimport gosync \"sync\"\n\nvar gmu gosync.Mutex\n\nfunc G() {\n\tmarkSync()\n}\n",
		"package p\n\nimport gosync \"sync\"\n\nvar gmu gosync.Mutex\n\nfunc G() {\n\tgosync.OnceFunc(done)()\n}\n",
	},
	{
		// The last use of time goes: so does its import, with its comments;
		// the other groups stay as they were.
		"drop.go",
		"package p\n\nimport (\n\t\"fmt\"\n\t// time is for the pause.\n\t\"time\" // pause\n\n\t\"myapp/internal/x\"\n)\n\nfunc I() {\n\tfmt.Println()\n\tx.X()\n\tmarkDrop()\n\ttime.Sleep(0)\n}\n",
		"package p\n\nimport (\n\t\"fmt\"\n\n\t\"myapp/internal/x\"\n)\n\nfunc I() {\n\tfmt.Println()\n\tx.X()\n\tdone()\n}\n",
	},
	{
		// One import goes and another comes, in a module group's file.
		"swap.go",
		"package p\n\nimport (\n\t\"fmt\"\n\t\"time\"\n\n\t\"myapp/internal/x\"\n)\n\nfunc I2() {\n\tfmt.Println()\n\tx.X()\n\tmarkDrop()\n\ttime.Sleep(0)\n}\n\nfunc I3() {\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n\n\t\"myapp/internal/x\"\n)\n\nfunc I2() {\n\tfmt.Println()\n\tx.X()\n\tdone()\n}\n\nfunc I3() {\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		// A dot import goes with its last use.
		"dotdrop.go",
		"package p\n\nimport . \"time\"\n\nfunc K() {\n\tmarkDrop()\n\tSleep(0)\n}\n",
		"package p\n\nfunc K() {\n\tdone()\n}\n",
	},
	{
		// An import block that is not gofmt-clean keeps its bytes; the new
		// line copies its neighbour's indentation.
		"notgofmt.go",
		"package p\n\nimport (\n    \"fmt\"   // two spaces\n\n    \"myapp/internal/x\"\n)\n\nfunc   L( ) {fmt.Println(); x.X()}\n\nfunc M() {\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n    \"fmt\"   // two spaces\n    \"sync\"\n\n    \"myapp/internal/x\"\n)\n\nfunc   L( ) {fmt.Println(); x.X()}\n\nfunc M() {\n\tsync.OnceFunc(done)()\n}\n",
	},
	{
		// Two import declarations: the std one gains the import.
		"twodecls.go",
		"package p\n\nimport \"fmt\"\nimport \"myapp/internal/x\"\n\nfunc N() {\n\tfmt.Println()\n\tx.X()\n\tmarkSync()\n}\n",
		"package p\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\nimport \"myapp/internal/x\"\n\nfunc N() {\n\tfmt.Println()\n\tx.X()\n\tsync.OnceFunc(done)()\n}\n",
	},
}

// TestImportChanges checks, file by file, how the imports a fix adds or
// makes unused reach the file.
func TestImportChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":              "module myapp\n\ngo 1.22\n",
		"internal/x/x.go":     "package x\n\nfunc X() {}\n",
		"p/decl.go":           "package p\n\nfunc markSync() {}\nfunc markDrop() {}\nfunc done()     {}\n",
		"p/untouched_test.go": "package p\n",
	}
	for _, c := range importCases {
		files["p/"+c.name] = c.in
	}
	writeTree(t, dir, files)
	res := runRules(t, dir, rules.Safe, addSyncFix, dropNextFix)
	got := map[string]string{}
	for _, c := range res.Changes {
		got[filepath.Base(c.File)] = string(c.New)
	}
	var probs []string
	for _, p := range res.Problems {
		probs = append(probs, filepath.Base(p.File)+": "+p.Message)
	}
	sort.Strings(probs)
	for _, c := range importCases {
		g, ok := got[c.name]
		if !ok {
			t.Errorf("%s: not changed; problems:\n%s", c.name, strings.Join(probs, "\n"))
			continue
		}
		if g != c.want {
			t.Errorf("%s:\n--- got\n%s--- want\n%s", c.name, g, c.want)
		}
	}
}

// editImports on its own: the cases the rules do not reach yet.
func TestEditImports(t *testing.T) {
	t.Parallel()
	sync_, time_ := fileImport{path: "sync"}, fileImport{path: "time"}
	cases := []struct {
		name          string
		in            string
		adds, removes []fileImport
		want          string // "" for an error
	}{
		{"group left empty between two", "package p\n\nimport (\n\t\"fmt\"\n\n\t\"time\"\n\n\t\"example.com/x\"\n)\n",
			nil, []fileImport{time_}, "package p\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/x\"\n)\n"},
		{"first group left empty", "package p\n\nimport (\n\t\"time\"\n\n\t\"example.com/x\"\n\t\"example.com/y\"\n)\n",
			nil, []fileImport{time_}, "package p\n\nimport (\n\t\"example.com/x\"\n\t\"example.com/y\"\n)\n"},
		{"declaration with its doc goes", "package p\n\n// Doc.\nimport \"time\"\n\nimport \"fmt\"\n\nvar _ = fmt.Sprint\n",
			nil, []fileImport{time_}, "package p\n\nimport \"fmt\"\n\nvar _ = fmt.Sprint\n"},
		{"last declaration at the end of the file", "package p\n\nimport \"time\"\n",
			nil, []fileImport{time_}, "package p\n"},
		{"one left keeps a doc comment", "package p\n\nimport (\n\t// Why.\n\t\"fmt\"\n\t\"time\"\n)\n",
			nil, []fileImport{time_}, "package p\n\nimport (\n\t// Why.\n\t\"fmt\"\n)\n"},
		{"one left keeps its line comment", "package p\n\nimport (\n\t\"fmt\" // why\n\t\"time\"\n)\n",
			nil, []fileImport{time_}, "package p\n\nimport \"fmt\" // why\n"},
		{"alias kept", "package p\n\nimport (\n\tstdsync \"sync\"\n\t\"time\"\n)\n",
			nil, []fileImport{time_}, "package p\n\nimport stdsync \"sync\"\n"},
		{"a non-std import joins its closest group", "package p\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/a/x\"\n\n\t\"other.org/z\"\n)\n",
			[]fileImport{{path: "example.com/a/b"}}, nil, "package p\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/a/b\"\n\t\"example.com/a/x\"\n\n\t\"other.org/z\"\n)\n"},
		{"a non-std import with no group: a new one, last", "package p\n\nimport (\n\t\"fmt\"\n)\n",
			[]fileImport{{path: "example.com/a"}}, nil, "package p\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/a\"\n)\n"},
		{"several into a file without imports", "package p // c\n\nfunc F() {}\n",
			[]fileImport{time_, sync_}, nil, "package p // c\n\nimport (\n\t\"sync\"\n\t\"time\"\n)\n\nfunc F() {}\n"},
		{"aliased addition", "package p\n\nimport \"fmt\"\n",
			[]fileImport{{path: "sync", name: "sync1"}}, nil, "package p\n\nimport (\n\t\"fmt\"\n\tsync1 \"sync\"\n)\n"},
		{"two imports on a line: not edited", "package p\n\nimport (\"fmt\"; \"time\")\n",
			nil, []fileImport{time_}, ""},
	}
	for _, c := range cases {
		got, err := editImports([]byte(c.in), c.adds, c.removes, "example.com")
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%s: no error; got\n%s", c.name, got)
		case c.want != "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && string(got) != c.want:
			t.Errorf("%s:\n--- got\n%s--- want\n%s", c.name, got, c.want)
		}
		if c.want != "" && !gofmtStable([]byte(c.want)) {
			t.Errorf("%s: the expected output is not gofmt-stable", c.name)
		}
	}
}

func TestIsStdPath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		path, mod string
		want      bool
	}{
		{"sync", "myapp", true},
		{"net/http", "", true},
		{"myapp/internal/x", "myapp", false},
		{"myapp", "myapp", false},
		{"cmd/go/internal/base", "cmd", false},
		{"golang.org/x/mod/module", "cmd", false},
		{"example.com/x", "example.com", false},
		{"C", "", false},
	} {
		if got := isStdPath(c.path, c.mod); got != c.want {
			t.Errorf("isStdPath(%q, %q) = %v", c.path, c.mod, got)
		}
	}
}
