package parser

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestGolden parses every testdata/*.conf and compares the dump of the
// tree with the file's .golden twin. Run with -update to rewrite the
// golden files from the current output; the inputs are never written.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.conf files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(filepath.Base(file), src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkFile(t, f, src)
			compareGolden(t, strings.TrimSuffix(file, ".conf")+".golden", []byte(dump(f)))
		})
	}
}

// TestGrammarGolden guards the grammar: a change to it shows up as a
// change of testdata/grammar.ebnf.
func TestGrammarGolden(t *testing.T) {
	compareGolden(t, filepath.Join("testdata", "grammar.ebnf"), []byte(grammar.String()+"\n"))
}

func compareGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}
