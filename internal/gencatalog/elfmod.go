package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Layout of httpd 2.4's module and command_rec structures on a 64-bit
// little-endian target (x86-64): all pointers are 8 bytes, ints 4.
const (
	moduleSize        = 112
	modOffVersion     = 0
	modOffName        = 16
	modOffMagic       = 40
	modOffCreateDir   = 56
	modOffCmds        = 88
	cmdSize           = 40
	cmdOffName        = 0
	cmdOffReqOverride = 24
	cmdOffArgsHow     = 28
	cmdOffErrmsg      = 32

	// moduleMagicCookie is MODULE_MAGIC_COOKIE, "AP24" as an unsigned long.
	moduleMagicCookie = 0x41503234
	// moduleMagicMajor is the MODULE_MAGIC_NUMBER_MAJOR of every 2.4 release.
	moduleMagicMajor = 20120211
)

// binCommand is one command_rec read from a compiled module.
type binCommand struct {
	Name     string
	Override uint32
	ArgsHow  uint32
	Help     string
	HelpNull bool // errmsg is a NULL pointer
}

// binModule is one module structure read from a compiled file.
type binModule struct {
	ID        string // exported symbol, e.g. "proxy_module"
	Source    string // base name of the module's name field, e.g. "mod_proxy.c"
	File      string // base name of the ELF file it was read from
	PerDirCfg bool   // create_dir_config is set
	Commands  []binCommand
}

// elfImage gives access to an ELF file's memory image as the dynamic
// loader would see it: section contents plus the pointers that are filled
// in by relocations.
type elfImage struct {
	f      *elf.File
	relocs map[uint64]uint64 // address -> pointer value, for relative relocations
	bound  map[uint64]bool   // address -> filled by a symbol relocation (non-NULL)
}

func openImage(file string) (*elfImage, error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, err
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Machine != elf.EM_X86_64 {
		f.Close()
		return nil, fmt.Errorf("%s: only x86-64 ELF files are supported", file)
	}
	img := &elfImage{f: f, relocs: map[uint64]uint64{}, bound: map[uint64]bool{}}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_RELA {
			continue
		}
		data, err := s.Data()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %s: %v", file, s.Name, err)
		}
		for i := 0; i+24 <= len(data); i += 24 {
			off := binary.LittleEndian.Uint64(data[i:])
			info := binary.LittleEndian.Uint64(data[i+8:])
			add := binary.LittleEndian.Uint64(data[i+16:])
			switch elf.R_X86_64(info & 0xffffffff) {
			case elf.R_X86_64_RELATIVE:
				img.relocs[off] = add
			case elf.R_X86_64_64, elf.R_X86_64_GLOB_DAT, elf.R_X86_64_JMP_SLOT:
				img.bound[off] = true
			}
		}
	}
	return img, nil
}

func (img *elfImage) Close() error { return img.f.Close() }

// read returns n bytes of the image at virtual address addr.
func (img *elfImage) read(addr uint64, n int) ([]byte, error) {
	for _, s := range img.f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || addr < s.Addr || addr+uint64(n) > s.Addr+s.Size {
			continue
		}
		if s.Type == elf.SHT_NOBITS {
			return make([]byte, n), nil
		}
		buf := make([]byte, n)
		if _, err := s.ReadAt(buf, int64(addr-s.Addr)); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return nil, fmt.Errorf("address %#x is not in any loaded section", addr)
}

func (img *elfImage) u32(addr uint64) (uint32, error) {
	b, err := img.read(addr, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// ptr returns the pointer stored at addr after relocation; ok is false for
// a pointer bound to a symbol, whose value is known only at run time.
func (img *elfImage) ptr(addr uint64) (v uint64, bound bool, err error) {
	if v, ok := img.relocs[addr]; ok {
		return v, false, nil
	}
	if img.bound[addr] {
		return 0, true, nil
	}
	b, err := img.read(addr, 8)
	if err != nil {
		return 0, false, err
	}
	return binary.LittleEndian.Uint64(b), false, nil
}

// cstring reads the NUL-terminated string at addr.
func (img *elfImage) cstring(addr uint64) (string, error) {
	var out []byte
	for {
		b, err := img.read(addr, 1)
		if err != nil {
			return "", err
		}
		if b[0] == 0 {
			return string(out), nil
		}
		out = append(out, b[0])
		addr++
		if len(out) > 1<<16 {
			return "", fmt.Errorf("unterminated string at %#x", addr)
		}
	}
}

// strPtr reads a char* field: the string, or null for a NULL pointer.
func (img *elfImage) strPtr(addr uint64) (s string, null bool, err error) {
	p, bound, err := img.ptr(addr)
	if err != nil {
		return "", false, err
	}
	if bound {
		return "", false, fmt.Errorf("string pointer at %#x refers to an external symbol", addr)
	}
	if p == 0 {
		return "", true, nil
	}
	s, err = img.cstring(p)
	return s, false, err
}

// modules reads every httpd module structure the file exports: dynamic
// symbols named *_module whose size and magic numbers are those of a 2.4
// module.
func (img *elfImage) modules(file string) ([]binModule, error) {
	syms, err := img.f.DynamicSymbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	var mods []binModule
	for _, sym := range syms {
		if elf.ST_TYPE(sym.Info) != elf.STT_OBJECT || sym.Section == elf.SHN_UNDEF ||
			sym.Size != moduleSize || !strings.HasSuffix(sym.Name, "_module") {
			continue
		}
		ver, err := img.u32(sym.Value + modOffVersion)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", file, sym.Name, err)
		}
		b, err := img.read(sym.Value+modOffMagic, 8)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", file, sym.Name, err)
		}
		if ver != moduleMagicMajor || binary.LittleEndian.Uint64(b) != moduleMagicCookie {
			continue
		}
		m, err := img.module(sym.Name, sym.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", file, sym.Name, err)
		}
		m.File = path.Base(file)
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].ID < mods[j].ID })
	return mods, nil
}

func (img *elfImage) module(id string, at uint64) (binModule, error) {
	m := binModule{ID: id}
	name, null, err := img.strPtr(at + modOffName)
	if err != nil || null {
		return m, fmt.Errorf("module name: %v (null=%v)", err, null)
	}
	// httpd keeps only the base name of __FILE__ (ap_add_module).
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	m.Source = name
	cd, bound, err := img.ptr(at + modOffCreateDir)
	if err != nil {
		return m, err
	}
	m.PerDirCfg = bound || cd != 0
	cmds, bound, err := img.ptr(at + modOffCmds)
	if err != nil {
		return m, err
	}
	if bound {
		return m, fmt.Errorf("command table is an external symbol")
	}
	for p := cmds; p != 0; p += cmdSize {
		cname, null, err := img.strPtr(p + cmdOffName)
		if err != nil {
			return m, fmt.Errorf("command at %#x: %v", p, err)
		}
		if null {
			break
		}
		c := binCommand{Name: cname}
		if c.Override, err = img.u32(p + cmdOffReqOverride); err != nil {
			return m, err
		}
		if c.ArgsHow, err = img.u32(p + cmdOffArgsHow); err != nil {
			return m, err
		}
		if c.Help, c.HelpNull, err = img.strPtr(p + cmdOffErrmsg); err != nil {
			return m, fmt.Errorf("%s: help: %v", cname, err)
		}
		if bytes.IndexByte([]byte(cname), 0) >= 0 || cname == "" {
			return m, fmt.Errorf("bad command name at %#x", p)
		}
		m.Commands = append(m.Commands, c)
	}
	return m, nil
}
