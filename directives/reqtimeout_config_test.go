package directives

import "testing"

func TestRequestReadTimeout(t *testing.T) {
	cfg, _ := mustLoad(t, "reqtimeout", "RequestReadTimeout header=20-40,MinRate=500 body=10\nRequestReadTimeout handshake=5 body=20,minrate=100\n")
	rt := cfg.Main.ReqTimeout
	want := ReadTimeoutStage{Set: true, Timeout: 20, MaxTimeout: 40, MinRate: 500}
	h := rt.Header
	h.Pos = want.Pos
	if h != want || rt.Header.Pos.Line != 3 {
		t.Errorf("header: got %+v", rt.Header)
	}
	if b := rt.Body; b.Timeout != 20 || b.MinRate != 100 || b.MaxTimeout != 0 || b.Pos.Line != 4 {
		t.Errorf("body: got %+v", b)
	}
	if hs := rt.Handshake; !hs.Set || hs.Timeout != 5 {
		t.Errorf("handshake: got %+v", hs)
	}
}

func TestRequestReadTimeoutErrors(t *testing.T) {
	wantErrors(t, "reqtimeout", []struct{ conf, err string }{
		{"RequestReadTimeout header\n", "Invalid RequestReadTimeout parameter. Parameter must be in the form 'key=value'"},
		{"RequestReadTimeout foo=1\n", "RequestReadTimeout: foo=1: Unknown RequestReadTimeout parameter"},
		{"RequestReadTimeout header=abc\n", "RequestReadTimeout: header=abc: Value 'abc' not numerical"},
		{"RequestReadTimeout header=10x\n", "RequestReadTimeout: header=10x: Cannot parse 'x'"},
		{"RequestReadTimeout header=-1\n", "RequestReadTimeout: header=-1: Must set MinRate option if using timeout range"},
		{"RequestReadTimeout header=10,minrate=0\n", "RequestReadTimeout: header=10,minrate=0: Minimum data rate must be larger than 0"},
		{"RequestReadTimeout header=5,minrate=-3\n", "RequestReadTimeout: header=5,minrate=-3: Value must be non-negative"},
		{"RequestReadTimeout header=20-10,minrate=5\n", "RequestReadTimeout: header=20-10,minrate=5: Maximum timeout must be larger than initial timeout"},
		{"RequestReadTimeout header=20-x,minrate=5\n", "RequestReadTimeout: header=20-x,minrate=5: Value 'x' not numerical"},
		{"RequestReadTimeout header=,minrate=5\n", "RequestReadTimeout: header=,minrate=5: Value '' not numerical"},
	})
}
