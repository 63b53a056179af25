#!/usr/bin/env python3
"""Hostile inputs aimed at memory (issue 14, item 4), written to a folder, and a measurement of ckpt's
peak RSS on each (GNU /usr/bin/time forks a clean child, so ru_maxrss is ckpt's own).

    python3 scripts/hostile_memory_inputs.py OUTDIR [CKPT]      default CKPT: .build/debug/ckpt

Inputs are generated, not committed (the zip with a million entries is 114 MB, the header with a
million tensors 70 MB). Stopgap until these cases join make_hostile_corpus.py and a Swift test
measures them through wait4; the bound is 64 MiB plus the size of the legitimate output.
Standard library only, deterministic.
"""
import os, struct, subprocess, sys, zlib

out = sys.argv[1] if len(sys.argv) > 1 else "hostile-memory"
os.makedirs(out, exist_ok=True)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
def crc(b):
    return zlib.crc32(b) & 0xffffffff
def zip_stored(entries):
    body=[]; cd=[]; off=0
    for name, data in entries:
        n=name.encode()
        local=struct.pack("<IHHHHHIIIHH",0x04034b50,20,0,0,0,0,crc(data),len(data),len(data),len(n),0)+n+data
        body.append(local)
        cd.append(struct.pack("<IHHHHHHIIIHHHHHII",0x02014b50,20,20,0,0,0,0,crc(data),len(data),len(data),len(n),0,0,0,0,0,off)+n)
        off+=len(local)
    body=b"".join(body); cd=b"".join(cd)
    n=len(entries)
    if n <= 0xFFFF:
        return body+cd+struct.pack("<IHHHHIIH",0x06054b50,0,0,n,n,len(cd),len(body),0)
    z64=struct.pack("<IQHHIIQQQQ",0x06064b50,44,45,45,0,0,n,n,len(cd),len(body))
    loc=struct.pack("<IIQI",0x07064b50,0,len(body)+len(cd),1)
    return body+cd+z64+loc+struct.pack("<IHHHHIIH",0x06054b50,0,0,0xFFFF,0xFFFF,0xFFFFFFFF,0xFFFFFFFF,0)
def pth(pickle):
    return zip_stored([("archive/data.pkl", pickle), ("archive/byteorder", b"little"), ("archive/version", b"3\n")])
def w(name, data):
    open(os.path.join(out,name),"wb").write(data)
# pickle: huge memo index (LONG_BINPUT 2^32-1)
w("pickle-memo-index.pth", pth(b"\x80\x02}r\xff\xff\xff\xff."))
# pickle: a million memo entries (each MEMOIZE of a new empty dict)
w("pickle-memo-million.pth", pth(b"\x80\x04" + b"}\x94" * 1_000_000 + b"0" * 0 + b"."))
# pickle: deep nesting, 10^6 levels of one-element tuples
w("pickle-deep-tuples.pth", pth(b"\x80\x02N" + b"\x85" * 1_000_000 + b"."))
# pickle: deep nesting of lists
w("pickle-deep-lists.pth", pth(b"\x80\x02" + b"]" * 1_000_000 + b"a" * 999_999 + b"."))
# pickle: 10^6 MARKs
w("pickle-marks.pth", pth(b"\x80\x02" + b"(" * 1_000_000 + b"."))
# pickle: BINBYTES8 claiming 2^40 bytes; BINUNICODE8; LONG4 claiming 2^31
w("pickle-binbytes8-claim.pth", pth(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"x."))
w("pickle-long4-claim.pth", pth(b"\x80\x02\x8b" + struct.pack("<I", 0x7fffffff) + b"x."))
# pickle: billion-element tensor claimed over a 4-byte storage
tensor = (b"\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n(((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
          b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ\x00\xca\x9a\x3bttQK\x00J\x00\xca\x9a\x3b\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rtrs.")
w("pickle-billion-tensor.pth", zip_stored([("archive/data.pkl", tensor), ("archive/byteorder", b"little"), ("archive/data/0", b"\0"*4), ("archive/version", b"3\n")]))
# pickle: a list claimed with a billion APPENDs is not expressible in few bytes; 10^6 APPENDs of one memo'd object
w("pickle-million-appends.pth", pth(b"\x80\x02]N\x94" + b"0h\x00a"[0:0] + b"h\x00a" * 0 + b"(" + b"h\x00" * 1_000_000 + b"e."))
# zip: a million entries
entries=[("archive/data.pkl", b"\x80\x02}.")]+[("archive/data/%d"%i, b"") for i in range(1_000_000)]
w("zip-million-entries.pth", zip_stored(entries))
# zip: EOCD claims 4,000,000 entries and a 500 MB central directory over a tiny file
small = pth(b"\x80\x02}.")
eocd = small[-22:]
w("zip-lying-count.pth", small[:-22] + struct.pack("<IHHHHIIH",0x06054b50,0,0,65535,65535,65535*46,0,0))
body_end = len(small) - 22
w("zip64-lying-count.pth", small[:-22] + struct.pack("<IQHHIIQQQQ",0x06064b50,44,45,45,0,0,3_900_000,3_900_000,500<<20,0)
  + struct.pack("<IIQI",0x07064b50,0,body_end,1) + struct.pack("<IHHHHIIH",0x06054b50,0,0,0xFFFF,0xFFFF,0xFFFFFFFF,0xFFFFFFFF,0))
w("zip-lying-cd-offset.pth", small[:-22] + struct.pack("<IHHHHIIH",0x06054b50,0,0,3,3,46*3,0xfffffff0,0))
# zstd: frame claiming a 2^31 window (not single segment, no content size), 2^27 window
def zframe(wlog, content):
    wd = ((wlog - 10) << 3)
    blocks=b""
    for i in range(0, len(content), 65536):
        ch=content[i:i+65536]; last=1 if i+65536>=len(content) else 0
        blocks+=struct.pack("<I", last | (len(ch)<<3))[:3]+ch
    return struct.pack("<IB",0xFD2FB528,0x00)+bytes([wd])+blocks
st = open(os.path.join(ROOT, "golden/safetensors/casts.safetensors"),"rb").read()
w("zstd-window-2^31.safetensors.zst", zframe(31, st))
w("zstd-window-2^27.safetensors.zst", zframe(27, st))
w("zstd-window-2^41.safetensors.zst", zframe(41, st))
# JSON header with 10^6 tiny tensors
parts=['"t%07d":{"dtype":"U8","shape":[1],"data_offsets":[%d,%d]}'%(i,i,i+1) for i in range(1_000_000)]
h=("{"+",".join(parts)+"}").encode(); h+=b" "*((8-len(h)%8)%8)
w("header-million-tensors.safetensors", struct.pack("<Q",len(h))+h+bytes(1_000_000))
w("pickle-memo-none-4M.pth", pth(b"\x80\x04N" + b"\x94" * 4_000_000 + b"."))

ckpt = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, ".build/debug/ckpt")
bound = 64 * 1024
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name)
    r = subprocess.run(["/usr/bin/time", "-f", "%M", ckpt, "inspect", path], capture_output=True, text=True)
    rss = int(r.stderr.strip().splitlines()[-1])
    message = next((l for l in r.stderr.splitlines() if l.startswith("ckpt: error:")), "(accepted)")
    print(f"{'ok  ' if rss <= bound else 'OVER'} {rss / 1024:8.1f} MiB  exit {r.returncode}  {name}: {message[:110]}")
