package directives

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMIMEAndDir(t *testing.T) {
	cfg, _ := mustLoad(t, "mime dir", `TypesConfig conf/mime.types
AddType Text/HTML .HTM shtml
AddCharset UTF-8 .txt
RemoveType .bin
RemoveHandler .cgi
DirectoryIndex index.html
DirectoryIndex index.htm
DirectorySlash Off
FallbackResource /index.php
DirectoryIndexRedirect permanent
<Location /off>
DirectoryIndex disabled
</Location>
<Location /lit>
DirectoryIndex disabled index.html
</Location>
`)
	d := cfg.Main.Dir
	m := d.MIME
	if m.TypesConfig.Val != "conf/mime.types" || m.TypesConfig.Pos.Line != 4 {
		t.Errorf("TypesConfig: got %+v", m.TypesConfig)
	}
	for _, ext := range []string{"htm", "shtml"} {
		if e := m.Extensions[ext]; e == nil || e.Type.Val != "text/html" {
			t.Errorf("AddType %s: got %+v", ext, e)
		}
	}
	if e := m.Extensions["txt"]; e == nil || e.Charset.Val != "utf-8" || e.Type.Set {
		t.Errorf("AddCharset: got %+v", e)
	}
	if e := m.Extensions["bin"]; e == nil || !e.Type.Set || e.Type.Val != "" {
		t.Errorf("RemoveType: got %+v", e)
	}
	if len(m.Removed) != 1 || m.Removed[0].Ext != "cgi" || m.Removed[0].Directive != "RemoveHandler" {
		t.Errorf("RemoveHandler: got %+v", m.Removed)
	}
	ix := d.DirIndex
	if !reflect.DeepEqual(ix.Names.Val, []string{"index.html", "index.htm"}) || ix.Names.Pos.Line != 10 {
		t.Errorf("DirectoryIndex: got %+v", ix.Names)
	}
	if !ix.Slash.Set || ix.Slash.Val || ix.Fallback.Val != "/index.php" || ix.Redirect.Val != 301 {
		t.Errorf("mod_dir: got %+v", ix)
	}
	if off := cfg.Main.Sections[0].Dir.DirIndex.Names; !off.Set || len(off.Val) != 0 {
		t.Errorf("DirectoryIndex disabled: got %+v", off)
	}
	if lit := cfg.Main.Sections[1].Dir.DirIndex.Names; !reflect.DeepEqual(lit.Val, []string{"disabled", "index.html"}) {
		t.Errorf("DirectoryIndex disabled index.html: got %+v", lit)
	}
}

func TestDefaultTypeWarning(t *testing.T) {
	_, diags, _ := loadMods(t, "", "DefaultType text/plain\nDefaultType None\n")
	n := 0
	for _, d := range diags {
		if d.Code == "AH00117" {
			n++
			if d.Module != "core" || d.Pos.Line != 2 {
				t.Errorf("got %+v", d)
			}
		}
	}
	if n != 1 {
		t.Errorf("got %d AH00117 warnings; want 1", n)
	}
}

func TestDirErrors(t *testing.T) {
	wantErrors(t, "dir", []struct{ conf, err string }{
		{"DirectoryIndexRedirect 404\n", "DirectoryIndexRedirect only accepts values between 300 and 399"},
		{"DirectoryIndexRedirect maybe\n", "DirectoryIndexRedirect ON|OFF|permanent|temp|seeother|3xx"},
	})
}

func TestReadMIMETypes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mime.types")
	if err := os.WriteFile(p, []byte("# comment\ntext/html\thtml HTM\n  image/png png\n\napplication/x-empty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMIMETypes(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"html": "text/html", "htm": "text/html", "png": "image/png"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	if _, err := ReadMIMETypes(p + ".missing"); err == nil {
		t.Error("a missing file gave no error")
	}
}
