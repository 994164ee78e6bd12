# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the build information the Go linker embeds in executables, in pure Python (what `go version -m` prints).

The linker writes a ``.go.buildinfo`` block: 16-byte aligned, starting with the 14-byte magic ``\\xff Go buildinf:``,
then the pointer size and a flags byte. Since Go 1.18 (flag bit 2) the Go version and the module information follow
the 32-byte header inline, each as a uvarint length and the bytes. Before, two pointers at offset 16 hold the
addresses of Go string headers ``{data, len}`` that must be resolved through the ELF program headers.

The module information is text, one record per line, fields separated by tabs::

    path    example.com/cmd/app
    mod     example.com/cmd/app   v1.2.3  h1:...
    dep     golang.org/x/sys      v0.30.0 h1:...
    =>      ../sys                (devel)             (replacement of the line above)
    build   -ldflags="-s -w -X main.version=1.2.3"
    build   CGO_ENABLED=1

Only ELF is read (the targets are Linux); anything else is reported as not a Go binary, never raised.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import mmap
import os
import re
import stat
import struct

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
FLAG_BIG_ENDIAN = 0x1
FLAG_VERSION_INLINE = 0x2
MAX_SCAN = 64 << 20  # bytes of a writable segment searched when there is no section table


class NotGoBinary(Exception):
    """The file is readable but holds no Go build information (the message says why)."""


class _Elf(object):
    """Just enough of an ELF reader: section by name, writable PT_LOAD segments, virtual address to offset."""

    def __init__(self, data):
        self.data = data
        if len(data) < 16 or data[:4] != b"\x7fELF":
            raise NotGoBinary("not an ELF executable")
        ei_class, ei_data = data[4], data[5]
        if ei_class not in (1, 2) or ei_data not in (1, 2):
            raise NotGoBinary("ELF with an unknown class or byte order")
        self.is64 = ei_class == 2
        self.endian = "<" if ei_data == 1 else ">"
        if self.is64:
            fmt, size = self.endian + "HHIQQQIHHHHHH", 64
        else:
            fmt, size = self.endian + "HHIIIIIHHHHHH", 52
        if len(data) < size:
            raise NotGoBinary("truncated ELF header")
        (self.e_type, self.e_machine, _ver, _entry, self.e_phoff, self.e_shoff, _flags, _ehsize,
         self.e_phentsize, self.e_phnum, self.e_shentsize, self.e_shnum, self.e_shstrndx) = struct.unpack_from(fmt, data, 16)
        # The whole program header and section header tables must be in the file, each entry at least as large as
        # the structure (debug/elf reads every entry in full and refuses the file otherwise, as `go version -m`
        # does): a c-shared library cut by its last byte loses the end of its last section header only.
        self._check_table("program header", self.e_phoff, self.e_phnum, self.e_phentsize, 56 if self.is64 else 32)
        if self.e_shoff:
            self._check_table("section header", self.e_shoff, self.e_shnum, self.e_shentsize,
                              64 if self.is64 else 40)

    def _check_table(self, what, offset, count, entsize, want):
        if not count:
            return
        if entsize < want:
            raise NotGoBinary("corrupt ELF file (%s entry size %d, want at least %d)" % (what, entsize, want))
        end = offset + count * entsize
        if end > len(self.data):
            raise NotGoBinary("truncated ELF file (the %s table ends at byte %d, past the end of the file at %d)"
                              % (what, end, len(self.data)))

    def _unpack(self, fmt, offset):
        size = struct.calcsize(self.endian + fmt)
        if offset < 0 or offset + size > len(self.data):
            raise NotGoBinary("truncated ELF file (a header points past the end)")
        return struct.unpack_from(self.endian + fmt, self.data, offset)

    def segments(self):
        """(type, flags, offset, vaddr, filesz) of every program header."""
        out = []
        for i in range(self.e_phnum):
            off = self.e_phoff + i * self.e_phentsize
            if self.is64:
                p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz = self._unpack("IIQQQQ", off)
            else:
                p_type, p_offset, p_vaddr, _paddr, p_filesz, _memsz, p_flags = self._unpack("IIIIIII", off)
            out.append((p_type, p_flags, p_offset, p_vaddr, p_filesz))
        return out

    def section_headers(self):
        """(name offset, type, offset, size) of every section header; [] when there is no section table."""
        if not self.e_shoff or not self.e_shnum:
            return []
        headers = []
        for i in range(self.e_shnum):
            off = self.e_shoff + i * self.e_shentsize
            if self.is64:
                name, sh_type, _flags, _addr, sh_offset, sh_size = self._unpack("IIQQQQ", off)
            else:
                name, sh_type, _flags, _addr, sh_offset, sh_size = self._unpack("IIIIII", off)
            headers.append((name, sh_type, sh_offset, sh_size))
        return headers

    def section(self, wanted):
        """(offset, size) of the section named `wanted`, or None (no section table, or no such section)."""
        if not self.e_shoff or not self.e_shnum or self.e_shstrndx >= self.e_shnum:
            return None
        headers = self.section_headers()
        strtab_off, strtab_size = headers[self.e_shstrndx][2], headers[self.e_shstrndx][3]
        if strtab_off + strtab_size > len(self.data):
            raise NotGoBinary("truncated ELF file (the section names are cut off)")
        for name, sh_type, sh_offset, sh_size in headers:
            if name >= strtab_size:
                continue
            start = strtab_off + name
            end = self.data.find(b"\0", start, strtab_off + strtab_size)
            if end < 0:
                continue
            if self.data[start:end] == wanted.encode("ascii") and sh_type != 8:  # 8: SHT_NOBITS
                if sh_offset + sh_size > len(self.data):
                    raise NotGoBinary("truncated ELF file (section %s is cut off)" % wanted)
                return sh_offset, sh_size
        return None

    def read_at_address(self, addr, size):
        for p_type, _flags, p_offset, p_vaddr, p_filesz in self.segments():
            if p_type == 1 and p_vaddr <= addr and addr + size <= p_vaddr + p_filesz:
                off = p_offset + (addr - p_vaddr)
                if off + size > len(self.data):
                    raise NotGoBinary("truncated ELF file (data segment is cut off)")
                return self.data[off:off + size]
        raise NotGoBinary("build information points outside the file's segments")


def _find_magic(data, start, size):
    """Offset of the 16-byte aligned magic in data[start:start+size], or -1."""
    end = min(len(data), start + size)
    pos = data.find(MAGIC, start, end)
    while pos >= 0:
        if (pos - start) % 16 == 0:
            return pos
        pos = data.find(MAGIC, pos + 1, end)
    return -1


def _uvarint(data, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise NotGoBinary("truncated build information (varint)")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise NotGoBinary("corrupt build information (varint overflow)")


def _inline_string(data, pos):
    length, pos = _uvarint(data, pos)
    if pos + length > len(data):
        raise NotGoBinary("truncated build information (string of %d bytes cut off)" % length)
    return bytes(data[pos:pos + length]), pos + length


def _pointer_string(elf, header, ptr_size, endian, index):
    fmt = endian + ("Q" if ptr_size == 8 else "I")
    if len(header) < 16 + 2 * ptr_size:
        raise NotGoBinary("truncated build information header")
    (addr,) = struct.unpack_from(fmt, header, 16 + index * ptr_size)
    hdr = elf.read_at_address(addr, 2 * ptr_size)
    data_addr, length = struct.unpack_from(endian + ("QQ" if ptr_size == 8 else "II"), hdr, 0)
    if length == 0:
        return b""
    if length > 1 << 24:
        raise NotGoBinary("corrupt build information (string length %d)" % length)
    return bytes(elf.read_at_address(data_addr, length))


def read_raw(data):
    """(go_version, modinfo_text) from the bytes (or mmap) of an executable; raises NotGoBinary."""
    elf = _Elf(data)
    for p_type, _flags, p_offset, _vaddr, p_filesz in elf.segments():
        if p_type == 1 and p_offset + p_filesz > len(data):
            raise NotGoBinary("truncated ELF file (a loadable segment ends past the end of the file)")
    found = elf.section(".go.buildinfo")
    pos = -1
    if found is not None:
        pos = _find_magic(data, found[0], found[1])
    else:
        # No section table (sstrip'd): search the writable loaded segments, as debug/buildinfo does.
        for p_type, p_flags, p_offset, _vaddr, p_filesz in elf.segments():
            if p_type == 1 and p_flags & 2:
                pos = _find_magic(data, p_offset, min(p_filesz, MAX_SCAN))
                if pos >= 0:
                    break
    if pos < 0:
        if data.find(b"\xff Go buildinf", 0) >= 0 or data.find(b"runtime.goexit", 0, min(len(data), MAX_SCAN)) >= 0:
            raise NotGoBinary("Go build information missing or cut off (truncated or damaged Go binary?)")
        raise NotGoBinary("ELF without Go build information (not built by the Go toolchain)")
    header = data[pos:pos + HEADER_SIZE]
    if len(header) < HEADER_SIZE:
        raise NotGoBinary("truncated build information header")
    ptr_size, flags = header[14], header[15]
    endian = ">" if flags & FLAG_BIG_ENDIAN else "<"
    if flags & FLAG_VERSION_INLINE:
        version, nxt = _inline_string(data, pos + HEADER_SIZE)
        modinfo, _end = _inline_string(data, nxt)
    else:
        if ptr_size not in (4, 8):
            raise NotGoBinary("corrupt build information (pointer size %d)" % ptr_size)
        version = _pointer_string(elf, header, ptr_size, endian, 0)
        modinfo = _pointer_string(elf, header, ptr_size, endian, 1)
    # The module information is framed by two 16-byte sentinels.
    if len(modinfo) >= 33 and modinfo[-17:-16] == b"\n":
        modinfo = modinfo[16:-16]
    else:
        modinfo = b""
    if not version.startswith(b"go") and not version.startswith(b"devel"):
        raise NotGoBinary("corrupt build information (version %r)" % version[:40])
    return version.decode("utf-8", "replace"), modinfo.decode("utf-8", "replace")


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
                   "'": "'", '"': '"'}


def go_unquote(text):
    """strconv.Unquote for the double-quoted strings `go version -m` uses in build settings."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError("not a quoted string: %r" % text)
    body, out, i = text[1:-1], [], 0
    raw = bytearray()

    def flush():
        if raw:
            out.append(raw.decode("utf-8", "replace"))
            del raw[:]

    while i < len(body):
        char = body[i]
        if char != "\\":
            flush()
            out.append(char)
            i += 1
            continue
        esc = body[i + 1] if i + 1 < len(body) else ""
        if esc in _SIMPLE_ESCAPES:
            flush()
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
        elif esc == "x":
            raw.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif esc in "01234567" and esc:
            raw.append(int(body[i + 1:i + 4], 8))
            i += 4
        elif esc in ("u", "U"):
            width = 4 if esc == "u" else 8
            flush()
            out.append(chr(int(body[i + 2:i + 2 + width], 16)))
            i += 2 + width
        else:
            raise ValueError("bad escape in %r" % text)
    flush()
    return "".join(out)


def parse_modinfo(text):
    """debug.ParseBuildInfo: {path, main, deps, settings, lines} from the module information text."""
    info = {"path": None, "main": None, "deps": [], "settings": [], "lines": []}
    last = None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        info["lines"].append(line)  # blank lines too: `go version -m` prints them
        if not line:
            continue
        fields = line.split("\t")
        kind = fields[0]
        if kind == "path" and len(fields) >= 2:
            info["path"] = fields[1]
        elif kind in ("mod", "dep") and len(fields) >= 3:
            module = {"path": fields[1], "version": fields[2], "sum": fields[3] if len(fields) > 3 else ""}
            if kind == "mod":
                info["main"] = module
            else:
                info["deps"].append(module)
            last = module
        elif kind == "=>" and len(fields) >= 3 and last is not None:
            last["replace"] = {"path": fields[1], "version": fields[2], "sum": fields[3] if len(fields) > 3 else ""}
        elif kind == "build" and len(fields) >= 2:
            key, _sep, value = "\t".join(fields[1:]).partition("=")
            if value.startswith('"'):
                try:
                    value = go_unquote(value)
                except (ValueError, IndexError):
                    pass
            info["settings"].append({"key": key, "value": value})
    return info


_VERSION_RE = re.compile(r"^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?")


def version_key(version):
    """Sort key of a Go release (`go1.26.6`, `1.22`, `go1.23rc1`); None when it is not a release (devel)."""
    if version is None:
        return None
    version = version.strip().split()[0] if version.strip() else ""
    if not version.startswith("go"):
        version = "go" + version
    match = _VERSION_RE.match(version)
    if not match:
        return None
    major, minor, patch, pre, pre_n = match.groups()
    stage = {"beta": 0, "rc": 1}.get(pre, 2)
    return (int(major), int(minor or 0), int(patch or 0), stage, int(pre_n or 0))


def summarize(version, info):
    """The fields a fleet report wants, from the version and the parsed module information."""
    settings = dict((s["key"], s["value"]) for s in info["settings"])
    return {
        "go_version": version,
        "package": info["path"],
        "main_module": info["main"],
        "deps": info["deps"],
        "settings": settings,
        "cgo_enabled": settings.get("CGO_ENABLED"),
        "goos": settings.get("GOOS"),
        "goarch": settings.get("GOARCH"),
        "goamd64": settings.get("GOAMD64"),
        "goarm64": settings.get("GOARM64"),
        "ldflags": settings.get("-ldflags"),
        "trimpath": settings.get("-trimpath") == "true",
        "vcs": {
            "system": settings.get("vcs"),
            "revision": settings.get("vcs.revision"),
            "time": settings.get("vcs.time"),
            "modified": settings.get("vcs.modified"),
        },
        "modinfo_lines": info["lines"],
    }


def file_sha256(path):
    """The SHA-256 (hex) of a file, read in 1 MiB chunks (go_build, govulncheck)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


SHT_SYMTAB = 2


def has_symbol_table(path):
    """Whether the ELF file at `path` has a symbol table (a SHT_SYMTAB section), which `strip`, `-ldflags=-s` and
    sstrip remove. debug/elf's Symbols() fails with ErrNoSymbols without one, and tools that map addresses back
    to functions (govulncheck's binary mode) then lose their symbol-level precision. Raises NotGoBinary when the
    file is not ELF, OSError when it cannot be read."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            raise NotGoBinary("empty file")
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return any(sh_type == SHT_SYMTAB for _name, sh_type, _off, _size in _Elf(mapped).section_headers())
        finally:
            mapped.close()


def read_file(path):
    """Summary of one executable; raises NotGoBinary (not Go, truncated) or OSError (unreadable)."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise NotGoBinary("empty file")
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            version, text = read_raw(mapped)
        finally:
            mapped.close()
    return summarize(version, parse_modinfo(text))


def candidates(paths, recurse, follow, errors):
    """Regular files under `paths`, each real file once, in path order (a directory's files sorted by name).

    A directory is scanned for regular files, its subdirectories only with `recurse`; symbolic links to files in a
    directory are read only with `follow` (a path given by name is always read). Paths that cannot be read are
    appended to `errors` as {path, msg}."""
    seen = set()
    for top in paths:
        try:
            st = os.stat(top)
        except OSError as exc:
            errors.append({"path": top, "msg": exc.strerror or str(exc)})
            continue
        if not stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                yield top
            continue
        for root, dirs, files in os.walk(top, followlinks=False, onerror=lambda e: errors.append(
                {"path": e.filename, "msg": e.strerror or str(e)})):
            dirs.sort()
            if not recurse:
                del dirs[:]
            for name in sorted(files):
                path = os.path.join(root, name)
                try:
                    lst = os.lstat(path)
                    if stat.S_ISLNK(lst.st_mode):
                        if not follow:
                            continue
                        lst = os.stat(path)
                except OSError as exc:
                    errors.append({"path": path, "msg": exc.strerror or str(exc)})
                    continue
                if not stat.S_ISREG(lst.st_mode):
                    continue
                key = (lst.st_dev, lst.st_ino)
                if key in seen:
                    continue
                seen.add(key)
                yield path
