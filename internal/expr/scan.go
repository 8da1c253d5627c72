package expr

import "strings"

// tok identifies a lexical token. The order matches the symbol order
// httpd's parser uses when it lists expected tokens in error messages.
type tok int

const (
	tEnd tok = iota
	tTrue
	tFalse
	tExprBool
	tExprString
	tError
	tDigit
	tID
	tString
	tRegex
	tRegexI
	tBackref
	tOpUnary
	tOpBinary
	tStrBegin
	tStrEnd
	tVarBegin
	tVarEnd
	tOpEQ
	tOpNE
	tOpLT
	tOpLE
	tOpGT
	tOpGE
	tOpReg
	tOpNRE
	tOpIn
	tOpStrEQ
	tOpStrNE
	tOpStrLT
	tOpStrLE
	tOpStrGT
	tOpStrGE
	tOpConcat
	tOpOr
	tOpAnd
	tOpNot
	tLParen
	tRParen
	tLBrace
	tRBrace
	tComma
	tColon
)

var tokNames = [...]string{
	tEnd: "$end", tTrue: "T_TRUE", tFalse: "T_FALSE",
	tExprBool: "T_EXPR_BOOL", tExprString: "T_EXPR_STRING", tError: "T_ERROR",
	tDigit: "T_DIGIT", tID: "T_ID", tString: "T_STRING", tRegex: "T_REGEX",
	tRegexI: "T_REGEX_I", tBackref: "T_REGEX_BACKREF", tOpUnary: "T_OP_UNARY",
	tOpBinary: "T_OP_BINARY", tStrBegin: "T_STR_BEGIN", tStrEnd: "T_STR_END",
	tVarBegin: "T_VAR_BEGIN", tVarEnd: "T_VAR_END", tOpEQ: "T_OP_EQ",
	tOpNE: "T_OP_NE", tOpLT: "T_OP_LT", tOpLE: "T_OP_LE", tOpGT: "T_OP_GT",
	tOpGE: "T_OP_GE", tOpReg: "T_OP_REG", tOpNRE: "T_OP_NRE", tOpIn: "T_OP_IN",
	tOpStrEQ: "T_OP_STR_EQ", tOpStrNE: "T_OP_STR_NE", tOpStrLT: "T_OP_STR_LT",
	tOpStrLE: "T_OP_STR_LE", tOpStrGT: "T_OP_STR_GT", tOpStrGE: "T_OP_STR_GE",
	tOpConcat: "T_OP_CONCAT", tOpOr: "T_OP_OR", tOpAnd: "T_OP_AND",
	tOpNot: "T_OP_NOT", tLParen: "'('", tRParen: "')'", tLBrace: "'{'",
	tRBrace: "'}'", tComma: "','", tColon: "':'",
}

func (t tok) String() string { return tokNames[t] }

// token is one scanned token with its text (identifier, string part,
// regex source, operator name, digits) or back-reference number.
type token struct {
	t   tok
	s   string
	num int
}

// Scanner start conditions.
const (
	stInitial = iota
	stStr
	stVar
	stVararg
)

// errJammed is reported for input the httpd scanner has no rule for; httpd
// itself exits with this text.
const errJammed = "flex scanner jammed"

// scanner splits an expression into tokens the way httpd's flex scanner
// does, including its start conditions and its error texts.
type scanner struct {
	src    string
	pos    int
	state  int
	stack  []int
	buf    strings.Builder
	del    byte
	strRes bool   // string-result expression: EOF ends a string part
	err2   string // scanner error text (httpd's "error2")
	jammed bool
}

func (s *scanner) push(st int) { s.stack = append(s.stack, s.state); s.state = st }

func (s *scanner) pop() {
	if n := len(s.stack); n > 0 {
		s.state = s.stack[n-1]
		s.stack = s.stack[:n-1]
	} else {
		s.state = stInitial
	}
}

func (s *scanner) fail(msg string) token {
	s.err2 = msg
	return token{t: tError}
}

func (s *scanner) jam() token {
	s.jammed = true
	return s.fail(errJammed)
}

// flush returns the buffered string part and empties the buffer.
func (s *scanner) flush() token {
	v := s.buf.String()
	s.buf.Reset()
	return token{t: tString, s: v}
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIDChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '_'
}

// idLen is the length of the identifier starting at i (0 if none).
func (s *scanner) idLen(i int) int {
	if i >= len(s.src) || !isAlpha(s.src[i]) {
		return 0
	}
	j := i + 1
	for j < len(s.src) && isIDChar(s.src[j]) {
		j++
	}
	return j - i
}

func (s *scanner) next() token {
	switch s.state {
	case stStr, stVararg:
		return s.scanStr()
	case stVar:
		return s.scanVar()
	}
	return s.scanInitial()
}

func (s *scanner) scanVar() token {
	if s.pos >= len(s.src) {
		return s.fail("Unterminated string or variable")
	}
	c := s.src[s.pos]
	if n := s.idLen(s.pos); n > 0 {
		s.pos += n
		return token{t: tID, s: s.src[s.pos-n : s.pos]}
	}
	s.pos++
	switch c {
	case '}':
		s.pop()
		return token{t: tVarEnd}
	case ':':
		s.state = stVararg
		return token{t: tColon}
	case '\n':
		return s.fail("Unterminated string or variable")
	}
	return s.fail("Invalid character in variable name '" + string([]byte{c}) + "'")
}

func (s *scanner) scanStr() token {
	for {
		if s.pos >= len(s.src) {
			if s.state == stVararg || !s.strRes {
				return s.fail("Unterminated string or variable")
			}
			s.state = stInitial
			return s.flush()
		}
		c := s.src[s.pos]
		switch {
		case c == '"' || c == '\'':
			if s.state == stVararg {
				return s.jam()
			}
			if c != s.del {
				s.pos++
				if !s.add(c) {
					return s.fail(errStrLong)
				}
				continue
			}
			if s.buf.Len() > 0 {
				return s.flush()
			}
			s.pos++
			s.state = stInitial
			return token{t: tStrEnd}
		case c == '\n':
			return s.fail("Unterminated string or variable")
		case c == '\\':
			if t, ok := s.escape(); !ok {
				return t
			}
		case c == '$' && s.pos+1 < len(s.src) && isDigit(s.src[s.pos+1]):
			if s.buf.Len() > 0 {
				return s.flush()
			}
			s.pos += 2
			return token{t: tBackref, num: int(s.src[s.pos-1] - '0')}
		case c == '%' && s.pos+1 < len(s.src) && s.src[s.pos+1] == '{':
			if s.buf.Len() > 0 {
				return s.flush()
			}
			s.pos += 2
			s.push(stVar)
			return token{t: tVarBegin}
		case c == '}' && s.state == stVararg:
			if s.buf.Len() > 0 {
				return s.flush()
			}
			s.pos++
			s.pop()
			return token{t: tVarEnd}
		default:
			s.pos++
			if !s.add(c) {
				return s.fail(errStrLong)
			}
		}
	}
}

// maxString is httpd's MAX_STRING_LEN, the size of its string and regex
// buffers.
const maxString = 8192

const errStrLong = "String too long"

// add appends c to the current string part; false when the part has
// filled httpd's buffer.
func (s *scanner) add(c byte) bool {
	s.buf.WriteByte(c)
	return s.buf.Len() < maxString
}

// escape handles a backslash sequence inside a string; ok is false when
// it produced an error token.
func (s *scanner) escape() (token, bool) {
	i := s.pos + 1
	if i >= len(s.src) {
		return s.jam(), false
	}
	digits, octal := 0, 0
	for i+digits < len(s.src) && isDigit(s.src[i+digits]) {
		digits++
	}
	for octal < 3 && i+octal < len(s.src) && s.src[i+octal] >= '0' && s.src[i+octal] <= '7' {
		octal++
	}
	if digits > 0 {
		if digits > octal {
			return s.fail("Bad escape sequence"), false
		}
		v := 0
		for _, d := range s.src[i : i+octal] {
			v = v*8 + int(d-'0')
		}
		if v > 0xff {
			return s.fail("Escape sequence out of bound"), false
		}
		s.pos = i + octal
		if !s.add(byte(v)) {
			return s.fail(errStrLong), false
		}
		return token{}, true
	}
	c := s.src[i]
	switch c {
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'b':
		c = '\b'
	case 'f':
		c = '\f'
	}
	s.pos = i + 1
	if !s.add(c) {
		return s.fail(errStrLong), false
	}
	return token{}, true
}

const regexDelims = "/#$%^,;:_?|-!.'\""

var keywords = map[string]tok{
	"and": tOpAnd, "or": tOpOr, "not": tOpNot, "lt": tOpLT, "le": tOpLE,
	"gt": tOpGT, "ge": tOpGE, "ne": tOpNE, "eq": tOpEQ, "in": tOpIn,
	"true": tTrue, "false": tFalse,
}

var dashOps = map[string]tok{
	"in": tOpIn, "eq": tOpEQ, "ne": tOpNE, "ge": tOpGE, "le": tOpLE,
	"gt": tOpGT, "lt": tOpLT,
}

func (s *scanner) scanInitial() token {
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t' || s.src[s.pos] == '\n') {
		s.pos++
	}
	if s.pos >= len(s.src) {
		return token{t: tEnd}
	}
	c := s.src[s.pos]
	var c1 byte
	if s.pos+1 < len(s.src) {
		c1 = s.src[s.pos+1]
	}
	switch {
	case c == '"' || c == '\'':
		s.pos++
		s.del = c
		s.buf.Reset()
		s.state = stStr
		return token{t: tStrBegin}
	case c == '%' && c1 == '{':
		s.pos += 2
		s.push(stVar)
		return token{t: tVarBegin}
	case c == '$' && isDigit(c1):
		s.pos += 2
		return token{t: tBackref, num: int(c1 - '0')}
	case c == '/':
		s.pos++
		return s.scanRegex('/')
	case c == 'm' && c1 != 0 && strings.IndexByte(regexDelims, c1) >= 0 && s.idLen(s.pos) <= 2:
		s.pos += 2
		return s.scanRegex(c1)
	case c == '-' && (isAlpha(c1) || c1 == '_'):
		j := s.pos + 2
		for j < len(s.src) && isIDChar(s.src[j]) {
			j++
		}
		name := s.src[s.pos+1 : j]
		s.pos = j
		if len(name) == 1 {
			return token{t: tOpUnary, s: name}
		}
		if t, ok := dashOps[name]; ok {
			return token{t: t}
		}
		return token{t: tOpBinary, s: name}
	case isDigit(c) || c == '-' && isDigit(c1):
		j := s.pos + 1
		for j < len(s.src) && isDigit(s.src[j]) {
			j++
		}
		d := s.src[s.pos:j]
		s.pos = j
		return token{t: tDigit, s: d}
	case isAlpha(c):
		n := s.idLen(s.pos)
		id := s.src[s.pos : s.pos+n]
		s.pos += n
		if t, ok := keywords[id]; ok {
			return token{t: t}
		}
		return token{t: tID, s: id}
	}
	two := s.src[s.pos:min(s.pos+2, len(s.src))]
	switch two {
	case "==":
		s.pos += 2
		return token{t: tOpStrEQ}
	case "!=", "<=", ">=", "=~", "!~", "&&", "||":
		s.pos += 2
		return token{t: map[string]tok{"!=": tOpStrNE, "<=": tOpStrLE, ">=": tOpStrGE,
			"=~": tOpReg, "!~": tOpNRE, "&&": tOpAnd, "||": tOpOr}[two]}
	}
	s.pos++
	switch c {
	case '=':
		return token{t: tOpStrEQ}
	case '<':
		return token{t: tOpStrLT}
	case '>':
		return token{t: tOpStrGT}
	case '!':
		return token{t: tOpNot}
	case '.':
		return token{t: tOpConcat}
	case '(':
		return token{t: tLParen}
	case ')':
		return token{t: tRParen}
	case '{':
		return token{t: tLBrace}
	case '}':
		return token{t: tRBrace}
	case ',':
		return token{t: tComma}
	case ':':
		return token{t: tColon}
	}
	return s.fail("Parse error near '" + string([]byte{c}) + "'")
}

// scanRegex reads a regex body up to del and its optional "i" flag. Input
// ending inside the body yields end of input, as in httpd.
func (s *scanner) scanRegex(del byte) token {
	end := strings.IndexByte(s.src[s.pos:], del)
	if end >= maxString || end < 0 && len(s.src)-s.pos >= maxString {
		s.pos += maxString
		return s.fail("Regexp too long")
	}
	if end < 0 {
		s.pos = len(s.src)
		return token{t: tEnd}
	}
	body := s.src[s.pos : s.pos+end]
	s.pos += end + 1
	if s.pos < len(s.src) && s.src[s.pos] == 'i' {
		s.pos++
		return token{t: tRegexI, s: body}
	}
	return token{t: tRegex, s: body}
}
