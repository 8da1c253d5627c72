package directives

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico-proxy/portico/parser"
)

// HCTemplate is one ProxyHCTemplate: named health-check parameters that a
// worker copies with hctemplate=.
type HCTemplate struct {
	Name     string
	Method   string
	Interval time.Duration
	Passes   int
	Fails    int
	URI      string
	Expr     string
	Pos      parser.Pos
}

// HCExpr is one ProxyHCExpr: a named ap_expr condition a health check's
// response must meet.
type HCExpr struct {
	Name string
	Expr string
	Pos  parser.Pos
}

// hcMethods is httpd's proxy_hcmethods table: the hcmethod= values and
// whether httpd implements them.
var hcMethods = []struct {
	name        string
	implemented bool
}{
	{"NONE", true}, {"TCP", true}, {"OPTIONS", true}, {"HEAD", true}, {"GET", true},
	{"CPING", false}, {"PROVIDER", false}, {"OPTIONS11", true}, {"HEAD11", true}, {"GET11", true},
}

const (
	hcURISize       = 256                    // sizeof(proxy_worker_shared.hcuri)
	hcExprSize      = 16                     // sizeof(proxy_worker_shared.hcexpr)
	hcIntervalFloor = time.Millisecond * 100 // AP_WD_TM_SLICE
)

func init() {
	Register("proxy_hcheck_module", "ProxyHCTemplate", buildHCTemplate)
	Register("proxy_hcheck_module", "ProxyHCExpr", buildHCExpr)
	Register("proxy_hcheck_module", "ProxyHCTPsize", buildHCTPSize)
}

// hcTarget is what set_worker_hc_param writes into: a worker or a
// template.
type hcTarget struct {
	method   *string
	interval *time.Duration
	passes   *int
	fails    *int
	uri      *string
	expr     *string
}

// setWorkerHCParam is mod_proxy_hcheck's set_worker_hc_param for a
// worker (t nil) or a template (w nil). The error is httpd's text.
func setWorkerHCParam(c *Cmd, w *Worker, t *HCTemplate, key, val string) error {
	ps := &c.Server().Proxy
	pos := c.Pos
	set := func(apply func(*Worker), tmpl func(*HCTemplate)) {
		if w != nil {
			apply(w)
		} else {
			tmpl(t)
		}
	}
	switch strings.ToLower(key) {
	case "hctemplate":
		for _, tp := range ps.HCTemplates {
			if strings.EqualFold(tp.Name, val) {
				set(func(w *Worker) {
					w.HCMethod.Put(tp.Method, pos)
					w.HCInterval.Put(tp.Interval, pos)
					w.HCPasses.Put(tp.Passes, pos)
					w.HCFails.Put(tp.Fails, pos)
					w.HCURI.Put(truncate(tp.URI, hcURISize-1), pos)
					w.HCExpr.Put(truncate(tp.Expr, hcExprSize-1), pos)
					w.HCTemplate.Put(tp.Name, pos)
				}, func(t *HCTemplate) {
					t.Method, t.Interval, t.Passes, t.Fails, t.URI, t.Expr = tp.Method, tp.Interval, tp.Passes, tp.Fails, tp.URI, tp.Expr
				})
				return nil
			}
		}
		return fmt.Errorf("Unknown ProxyHCTemplate name: %s", val)
	case "hcmethod":
		for _, m := range hcMethods {
			if strings.EqualFold(val, m.name) {
				if !m.implemented {
					return fmt.Errorf("Health check method %s not (yet) implemented", val)
				}
				set(func(w *Worker) { w.HCMethod.Put(m.name, pos) }, func(t *HCTemplate) { t.Method = m.name })
				return nil
			}
		}
		return errors.New("Unknown method")
	case "hcinterval":
		d, err := aprTimeoutParse(val, "s")
		if err != nil {
			return errors.New("Unparse-able hcinterval setting")
		}
		if d < hcIntervalFloor {
			return fmt.Errorf("Interval must be a positive value greater than %dms", hcIntervalFloor/time.Millisecond)
		}
		set(func(w *Worker) { w.HCInterval.Put(d, pos) }, func(t *HCTemplate) { t.Interval = d })
	case "hcpasses":
		n := cAtoi(val)
		if n < 0 {
			return errors.New("Passes must be a positive value")
		}
		set(func(w *Worker) { w.HCPasses.Put(n, pos) }, func(t *HCTemplate) { t.Passes = n })
	case "hcfails":
		n := cAtoi(val)
		if n < 0 {
			return errors.New("Fails must be a positive value")
		}
		set(func(w *Worker) { w.HCFails.Put(n, pos) }, func(t *HCTemplate) { t.Fails = n })
	case "hcuri":
		if len(val) >= hcURISize {
			return fmt.Errorf("Health check uri length must be < %d characters", hcURISize)
		}
		set(func(w *Worker) { w.HCURI.Put(val, pos) }, func(t *HCTemplate) { t.URI = val })
	case "hcexpr":
		if findHCExpr(ps, val) == nil {
			return fmt.Errorf("Unknown health check condition expr: %s", val)
		}
		if len(val) >= hcExprSize {
			return fmt.Errorf("Health check uri length must be < %d characters", hcExprSize)
		}
		set(func(w *Worker) { w.HCExpr.Put(val, pos) }, func(t *HCTemplate) { t.Expr = val })
	default:
		return errors.New("unknown Worker hcheck parameter")
	}
	return nil
}

// findHCExpr looks a ProxyHCExpr up by name, without case (httpd keeps
// them in an apr_table).
func findHCExpr(ps *ProxyServer, name string) *HCExpr {
	for _, e := range ps.HCExprs {
		if strings.EqualFold(e.Name, name) {
			return e
		}
	}
	return nil
}

// buildHCTemplate is ProxyHCTemplate name key=value ….
func buildHCTemplate(c *Cmd) error {
	if err := c.CheckContext(NotInHtaccess); err != nil {
		return err
	}
	name, rest := parser.GetWord(c.Raw)
	if name == "" {
		return errors.New("Missing template name for " + c.Spec.Name)
	}
	t := &HCTemplate{Name: name, Method: "TCP", Interval: 30 * time.Second, Passes: 1, Fails: 1, Pos: c.Pos}
	for rest != "" {
		var word string
		word, rest = parser.GetWord(rest)
		key, val, ok := strings.Cut(word, "=")
		if !ok {
			return errors.New("Invalid ProxyHCTemplate parameter. Parameter must be in the form 'key=value'")
		}
		if err := setWorkerHCParam(c, nil, t, key, val); err != nil {
			return fmt.Errorf("ProxyHCTemplate: %s %s=%s; %s", err, key, val, name)
		}
	}
	ps := &c.Server().Proxy
	ps.HCTemplates = append(ps.HCTemplates, t)
	return nil
}

// buildHCExpr is ProxyHCExpr name {expr}.
func buildHCExpr(c *Cmd) error {
	if err := c.CheckContext(NotInHtaccess); err != nil {
		return err
	}
	name, rest := parser.GetWord(c.Raw)
	if name == "" {
		return errors.New("Missing expression name for " + c.Spec.Name)
	}
	if len(name) > workerSchemeSize-1 {
		return fmt.Errorf("Expression name limited to %d characters", workerSchemeSize-1)
	}
	expr, rest := parser.GetWord2(rest)
	if expr == "" {
		return errors.New("Missing expression for " + c.Spec.Name)
	}
	if _, err := parseExpr(c, expr); err != nil {
		return fmt.Errorf("Could not parse expression \"%s\": %s", expr, err)
	}
	ps := &c.Server().Proxy
	e := &HCExpr{Name: name, Expr: expr, Pos: c.Pos}
	if old := findHCExpr(ps, name); old != nil {
		*old = *e
	} else {
		ps.HCExprs = append(ps.HCExprs, e)
	}
	if extra, _ := parser.GetWord(rest); extra != "" {
		return errors.New("error: extra parameter(s)")
	}
	return nil
}

// buildHCTPSize is ProxyHCTPsize n.
func buildHCTPSize(c *Cmd) error {
	if err := c.CheckContext(GlobalOnly); err != nil {
		return err
	}
	n := cAtoi(c.Args[0])
	if n < 0 {
		return errors.New("Invalid ProxyHCTPsize parameter. Parameter must be >= 0")
	}
	c.Server().Proxy.HCTPSize.Put(n, c.Pos)
	return nil
}
