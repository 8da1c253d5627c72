module github.com/portico-proxy/portico

go 1.26.8

require (
	github.com/alecthomas/participle/v2 v2.1.4
	github.com/coder/websocket v1.8.14
	github.com/dlclark/regexp2 v1.12.0
	github.com/rs/zerolog v1.35.1
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
