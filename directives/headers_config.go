package directives

// HeaderAction is one Header or RequestHeader directive.
type HeaderAction struct{}
