package expr

import "strings"

// handCases are expressions chosen for what they exercise: each grammar
// state's error list, the scanner's errors, every look-up failure, regex
// and subnet checks.
var handCases = []string{
	// valid
	`true`, `false`, `!true`, `not false`, `true && false || true`,
	`true and false or !false`, `(true)`, `((true))`, `!(true || false)`,
	`%{REQUEST_URI} == '/a'`, `%{request_uri} = "/a"`, `%{HTTP_HOST} != 'x'`,
	`%{QUERY_STRING} =~ /a(b)c/`, `%{QUERY_STRING} !~ m#a#i`, `%{THE_REQUEST} =~ m|GET|`,
	`$0 == ''`, `'$1' == "x$2y"`, `1 -eq 1`, `1 eq 2`, `-1 -lt 2`, `1 lt 2 && 2 le 3 && 3 gt 2 && 4 ge 4 && 5 ne 6`,
	`'a' < 'b'`, `'a' <= 'b'`, `'a' > 'b'`, `'a' >= 'b'`, `'a' -in {'a', 'b'}`, `'a' in {'a'}`,
	`-n %{QUERY_STRING}`, `-z ''`, `-T 'on'`, `-d '/tmp'`, `-e '/'`, `-f '/etc/passwd'`, `-s '/x'`,
	`-L '/x'`, `-h '/x'`, `-x '/x'`, `-F '/x'`, `-U '/x'`, `-A '/x'`,
	`-R '10.0.0.0/8'`, `-R '192.168'`, `-R '::1'`, `-R '2001:db8::/32'`, `-R '10.0.0.0/255.0.0.0'`,
	`%{REMOTE_ADDR} -ipmatch '127.0.0.1'`, `%{REMOTE_ADDR} -IPMATCH '10.'`,
	`'a/b' -fnmatch 'a*'`, `'ab' -strmatch 'a?'`, `'AB' -strcmatch 'a*'`,
	`tolower(%{HTTP_HOST}) == 'x'`, `toupper('a') == 'A'`, `escape('a b') == 'a%20b'`,
	`unescape('a%20b') == 'a b'`, `base64('a') == 'YQ=='`, `unbase64('YQ==') == 'a'`,
	`md5('a') == ''`, `sha1('a') == ''`, `ldap('a') == ''`, `file('/etc/hostname') == ''`,
	`filesize('/etc/hostname') -gt 0`, `osenv('PATH') == ''`, `env('x') == ''`, `req('Host') == ''`,
	`http('Host') == ''`, `resp('X') == ''`, `note('x') == ''`, `reqenv('x') == ''`, `req_novary('x') == ''`,
	`TOLOWER('A') == 'a'`, `%{req:Host} == 'x'`, `%{env:FOO} == ''`, `%{tolower:%{HTTP_HOST}} == 'x'`,
	`%{tolower:a%{HTTP_HOST}b$1} == 'x'`, `'a' . 'b' == 'ab'`, `'a' . %{HTTP_HOST} . $1 . 1 == 'x'`,
	`"a\"b" == 'a"b'`, `'\x41' == 'A'`, `'\101' == 'A'`, `'\n\r\t\b\f' == ''`, `'%' == '%'`, `'}' == '}'`, `'$' == '$x'`,
	`"it's" == 'x'`, `'' == ""`, `%{TIME_YEAR} -gt 2000`, `%{SERVER_SOFTWARE} =~ /Apache/`,
	`%{HTTPS} == 'on'`, `%{IPV6} == 'off'`, `%{HTTP2} == 'off'`, `%{CONN_REMOTE_ADDR} == ''`,
	`%{REQUEST_STATUS} == ''`, `%{CONTEXT_PREFIX} == ''`, `%{API_VERSION} -gt 0`,
	`%{REMOTE_PORT} -gt 0`, `%{LAST_MODIFIED} == ''`, `%{REQUEST_LOG_ID} == ''`,
	`true||false`, `true&&false`, `1==1`, `%{HTTP_HOST}=~/x/`, `m/x/ == 1`, `m_x_ == 1`,
	`%{QUERY_STRING} =~ /a/i`, `%{QUERY_STRING} =~ /a/in`, `1 -in {1,2,3}`,
	`%{X:a\}b} == ''`, `%{env:a%b} == ''`, `%{env:a$b} == ''`, `%{env:$1} == ''`,
	"true\t&&\ttrue",

	// syntax errors
	``, ` `, `(`, `)`, `()`, `(true`, `true)`, `true foo`, `true )`, `true true`, `!`, `not`,
	`true &&`, `true ||`, `&& true`, `true && && true`, `1`, `'a'`, `%{HTTP_HOST}`, `$1`,
	`1 ==`, `1 == == 1`, `1 -eq`, `== 1`, `1 = 1 = 1`, `1 =~`, `1 =~ 'a'`, `1 !~ 1`,
	`1 -in`, `1 -in 1`, `1 -in {`, `1 -in {}`, `1 -in {1`, `1 -in {1,`, `1 -in {1,}`, `1 -in {1 2}`,
	`1 -in {1} == 1`, `1 -in foo`, `1 -in foo(`, `1 -in foo(1`, `1 -in foo()`,
	`tolower`, `tolower(`, `tolower()`, `tolower('a'`, `tolower('a') `, `tolower('a','b') == 1`,
	`%{`, `%{}`, `%{HTTP_HOST`, `%{HTTP_HOST:`, `%{HTTP_HOST:x`, `%{:x}`, `%{1}`, `%{a b}`, `%{a-b}`,
	`%{HTTP_HOST}}`, `'a`, `"a`, `'a' 'b'`, `'a' . `, `. 'a'`, `'a' .. 'b'`,
	`-n`, `-n -n 1`, `-z (1)`, `-T`, `1 -ipmatch`, `-n 1 == 1`, `1 -strmatch 2 -strmatch 3`,
	`{`, `}`, `,`, `:`, `1 , 2`, `1 : 2`, `true : false`, `/x/`, `/x/ == 1`, `m#x#`,
	`1 == /x/`, `1 -lt -2 -lt 3`, `!1`, `!(1)`, `(1) == 1`, `(1 == 1`, `(1 == 1))`,
	`true && (false`, `true and`, `or true`, `true or or`, `1 == 1 1`, `1 == 1 'x'`,
	`1 == 1 %{HTTP_HOST}`, `1 == 1 $1`, `1 == 1 -n`, `1 == 1 (`, `1 == 1 {`, `-`, `- 1`, `1 -`,
	`1 =`, `1 <`, `1 >`, `1 <=`, `1 >=`, `1 !=`, `=`, `!=`, `<`, `1 < < 1`, `'a' =~ /x/ /y/`,

	// scanner errors
	`@`, `1 == 1 @`, `1 == #`, `%{HTTP_HOST} == 'a\8'`, `'\400' == 1`, `'\777' == 1`, `'\1234' == 1`,
	`'\08' == 1`, `'a\'`,
	`%{env:'a'} == 1`, `%{env:"a"} == 1`, `%{env:\q} == 1`, `%{env:a\} == 1`,
	`1 == "\`, `1 == ~`, `1 == ;`, `1 == &`, `1 == |`, `1 == 1 & 2`, `1 ==` + "\r",
	`%{HTTP_HOST} =~ /a`, `%{HTTP_HOST} =~ m#a`, `1 == 'a` + strings.Repeat("x", 8200) + `'`,
	`1 =~ /` + strings.Repeat("x", 8200) + `/`, `'` + strings.Repeat("y", 8191) + `' == 1`,
	`'` + strings.Repeat("y", 8190) + `' == 1`,

	// look-ups
	`%{FOO} == 1`, `%{foo:bar} == 1`, `foo('a') == 1`, `%{SSL_PROTOCOL} == 1`, `SSL('x') == 1`,
	`%{HC_BODY} == 1`, `HC('BODY') == 1`, `1 -in PeerExtList('x')`, `1 -in split('x')`,
	`-Q 1`, `-r '10.0.0.0/8'`, `1 -foo 2`, `1 -ipmatchx 2`, `-n %{FOO} && %{BAR} == 1`,
	`%{FOO} == 1 && foo(1) == 2`, `foo(1) == 1 && %{FOO} == 2`, `%{FOO} == 1 &&`, `%{FOO} ==`,
	`%{FOO} =~ /(/`, `%{FOO} == '\400'`, `-R 10`, `-R %{HTTP_HOST}`, `-R 'a'`, `-R ''`,
	`-R '10.0.0.0/33'`, `-R '10.0.0.0/0'`, `-R '10.0.0.0/'`, `-R '10.0.0.1/255.255.0.0'`,
	`-R '::1/129'`, `-R '::1/255.0.0.0'`, `-R '::ffff:1.2.3.4'`, `-R '1.2.3.4.5'`, `-R '256.1.1.1'`,
	`-R '1.2.3'`, `-R '1.2.3.'`, `-R '1..2'`, `-R '.1'`, `-R '010.1.1.1'`, `-R 'fe80::1%eth0'`,
	`-R '1.2.3.4/ 8'`, `-R '1.2.3.4/+8'`, `-R '1.2.3.4/8 '`, `-R '10' . '.0'`, `-R "10.0.0.0/8"`,
	`1 -ipmatch 2`, `1 -ipmatch 'x'`, `1 -ipmatch '1.2.3.4'`, `-R`, `-R '1'`, `-R '300'`,
	`%{FOO} =~ /(/ && %{BAR} == 1`, `%{BAR} == 1 && 1 =~ /(/`, `tolower(%{FOO}) == 1`,
	`%{tolower:%{FOO}} == 1`, `%{FOO:%{BAR}} == 1`,

	// regexes
	`1 =~ /(/`, `1 =~ /)/`, `1 =~ /[/`, `1 =~ /a{2,1}/`, `1 =~ /\/`, `1 =~ /(?<n>a)(?<n>b)/`,
	`1 =~ /\p{Zz}/`, `1 =~ /a**/`, `1 =~ /(?P<x>a)/`, `1 =~ /\k<x>/`, `1 =~ //`, `1 =~ /a/ii`,
	`1 =~ m!a!`, `1 =~ m,a,`, `1 =~ m;a;`, `1 =~ m:a:`, `1 =~ m_a_`, `1 =~ m?a?`, `1 =~ m|a|`,
	`1 =~ m^a^`, `1 =~ m-a-`, `1 =~ m.a.`, `1 =~ m'a'`, `1 =~ m"a"`, `1 =~ m$a$`, `1 =~ m%a%`,
	`1 =~ ma`, `m == 1`, `mx == 1`, `m_ == 1`, `m_a == 1`,
}

// seeds are valid expressions; every prefix of each is a case, which
// walks the parser through most of its states.
var seeds = []string{
	`!(%{REQUEST_URI} =~ m#^/a(b)#i) && -n %{QUERY_STRING} || 'x' -in {'a', $1}`,
	`tolower(%{HTTP_HOST} . "x%{env:y}$2") -strmatch '*.example.*' and not false`,
	`%{REMOTE_ADDR} -ipmatch '10.0.0.0/8' or 1 -lt 2`,
	`(true || false) && ('a' != "b" && -z '')`,
}

var parseCases = func() []parseCase {
	var out []parseCase
	seen := map[string]bool{}
	add := func(s, mods string) {
		if k := s + "\x00" + mods; !seen[k] {
			seen[k] = true
			out = append(out, parseCase{s, mods})
		}
	}
	for _, s := range handCases {
		add(s, "")
	}
	for _, s := range seeds {
		for i := 1; i < len(s); i++ {
			add(s[:i], "")
		}
		add(s+" )", "")
		add(s+" 1", "")
	}
	for _, s := range []string{
		`%{SSL_PROTOCOL} == 1`, `%{ssl_protocol} == 1`, `SSL('SSL_CIPHER') == 1`, `ssl('x') == 1`,
		`1 -in PeerExtList('x')`, `1 -in peerextlist('x')`, `%{SSL:x} == 1`, `%{HC_BODY} == 1`,
	} {
		add(s, "ssl")
	}
	for _, s := range []string{
		`%{HC_BODY} == 1`, `%{hc_body} == 1`, `HC('BODY') == 1`, `hc('x') == 1`, `%{SSL_PROTOCOL} == 1`,
		`%{HC:BODY} == 1`,
	} {
		add(s, "hcheck")
	}
	return out
}()
