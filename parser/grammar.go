package parser

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar is LL(1) over the lexer's tokens, one per logical line, and
// yields the flat list of lines in order:
//
//	File = (Directive | Open | Close | TooLong)* .
//
// Nesting is left to the builder in parse.go: httpd does not reject a file
// whose sections do not balance as a whole, it reports an error at the
// line where its reader meets the imbalance, and only then.

// grammarFile is a whole file. The tokens are captured in one piece rather
// than one struct per line, which keeps a parse of a large file cheap.
type grammarFile struct {
	Lines []lexer.Token `parser:"@( (Directive | Open | Close | TooLong)* )"`
}

var grammar = participle.MustBuild[grammarFile](
	participle.Lexer(lexDef{}),
	participle.UseLookahead(1),
)
