#!/usr/bin/env python3
"""Writes a layer tarball entry by entry, hostile ones included (GNU tar refuses to make most
of them). Usage: mktar.py OUT.tar ENTRY...  with ENTRY one of
  f:NAME:TEXT  d:NAME  l:NAME:TARGET (symlink)  h:NAME:TARGET (hardlink)  c:NAME:MAJ:MIN
  s:NAME:TEXT (mode 4755)  big:NAME:SIZE (a header that claims SIZE bytes, no data)
  wh:DIR/NAME (whiteout .wh.NAME)  opq:DIR (DIR/.wh..wh..opq)"""
import io, sys, tarfile

def main():
    out = sys.argv[1]
    buf = io.BytesIO()
    t = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    tail = b""
    for spec in sys.argv[2:]:
        kind, _, rest = spec.partition(":")
        if kind in ("f", "s"):
            name, _, text = rest.partition(":")
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o4755 if kind == "s" else 0o644
            t.addfile(info, io.BytesIO(data))
        elif kind == "d":
            info = tarfile.TarInfo(rest); info.type = tarfile.DIRTYPE; info.mode = 0o755
            t.addfile(info)
        elif kind in ("l", "h"):
            name, _, target = rest.partition(":")
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE if kind == "l" else tarfile.LNKTYPE
            info.linkname = target
            t.addfile(info)
        elif kind == "c":
            name, major, minor = rest.split(":")
            info = tarfile.TarInfo(name); info.type = tarfile.CHRTYPE
            info.devmajor, info.devminor = int(major), int(minor)
            t.addfile(info)
        elif kind == "wh":
            d, _, n = rest.rpartition("/")
            info = tarfile.TarInfo((d + "/" if d else "") + ".wh." + n)
            t.addfile(info, io.BytesIO(b""))
        elif kind == "opq":
            info = tarfile.TarInfo(rest + "/.wh..wh..opq")
            t.addfile(info, io.BytesIO(b""))
        elif kind == "big":
            name, _, size = rest.partition(":")
            info = tarfile.TarInfo(name); info.size = int(size)
            tail = info.tobuf(tarfile.PAX_FORMAT) + b"x" * 4096
            break
        else:
            sys.exit("mktar.py: unknown entry " + spec)
    end = t.offset
    t.close()
    data = buf.getvalue()
    if tail:  # the header goes where the end-of-archive blocks were
        data = data[:end] + tail
    open(out, "wb").write(data)

main()
