#!/usr/bin/env python3
"""Host-side checks of the driver vm tests (tests/vm/drivers.cmake).

  drv_wire_check.py tx WIRE_PCAP START:COUNT:SIZE...
      Every frame shunt-pktgen sent (sequence numbers START..START+COUNT-1 of SIZE bytes) is in
      QEMU's dump of our NIC's wire, byte for byte, exactly once.
  drv_wire_check.py rx SERIAL_LOG COUNT
      The pcap that shunt-pcap wrote in the guest (base64 on the console between
      SHUNT-DRV-PCAP-BEGIN/END) is a valid pcap that tshark reads and holds the COUNT echo
      requests the kernel peer sent to 10.0.2.99 (ICMP sequence 0..COUNT-1).
  drv_wire_check.py fwd WIRE_A_PCAP WIRE_B_PCAP COUNT
      shunt-fwd's two wires: the echo requests to 10.0.2.99 (sent on hub 0) and to 10.0.3.99
      (sent on hub 1) are each at least COUNT, and every one of them is on the other wire too,
      byte for byte, as many times.

Exit status 0 when the check passes, 1 with one line per problem otherwise.
"""
import base64
import os
import shutil
import struct
import subprocess
import sys

OUR_MAC = bytes.fromhex("525400123456")
PEER_MAC = bytes.fromhex("525400123457")
SRC_IP = bytes([10, 0, 2, 99])
DST_IP = bytes([10, 0, 2, 254])
PEER_IP = bytes([10, 0, 2, 2])


def read_pcap(data):
    """Yields the frames of a libpcap file (either byte order, micro- or nanoseconds)."""
    if len(data) < 24:
        raise ValueError("shorter than a pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"not a pcap file (magic {magic.hex()})")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"link type {linktype}, expected 1 (Ethernet)")
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise ValueError("truncated record")
        yield data[off:off + incl]
        off += incl


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pktgen_frame(seq, size):
    """The frame shunt-pktgen sends for `seq` (tools/pktgen.cpp)."""
    ip_len = size - 14
    udp_len = ip_len - 20
    payload = b"SHUNTSEQ" + struct.pack("!Q", seq)
    payload += bytes(udp_len - 8 - len(payload))
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, seq & 0xFFFF, 0, 64, 17, 0,
                               SRC_IP, DST_IP))
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    udp = bytearray(struct.pack("!HHHH", 4242, 4243, udp_len, 0) + payload)
    pseudo = SRC_IP + DST_IP + struct.pack("!BBH", 0, 17, udp_len)
    c = checksum(pseudo + bytes(udp))
    udp[6:8] = struct.pack("!H", c if c != 0 else 0xFFFF)
    return PEER_MAC + OUR_MAC + b"\x08\x00" + bytes(ip) + bytes(udp)


def check_tx(pcap_path, ranges):
    frames = list(read_pcap(open(pcap_path, "rb").read()))
    seen = {}
    for f in frames:
        seen[f] = seen.get(f, 0) + 1
    problems = []
    total = 0
    for r in ranges:
        start, count, size = (int(x) for x in r.split(":"))
        missing = [s for s in range(start, start + count) if seen.get(pktgen_frame(s, size), 0) == 0]
        twice = [s for s in range(start, start + count) if seen.get(pktgen_frame(s, size), 0) > 1]
        if missing:
            problems.append(f"{len(missing)} of {count} {size}-byte frames from seq {start} are "
                            f"not on the wire byte for byte (first missing: seq {missing[0]})")
        if twice:
            problems.append(f"{len(twice)} frames were on the wire more than once (seq {twice[0]})")
        total += count
    ours = sum(1 for f in frames if f[6:12] == OUR_MAC)
    if ours != total:
        problems.append(f"the wire holds {ours} frames from our MAC, pktgen sent {total}")
    if not problems:
        print(f"drv_wire_check: all {total} pktgen frames on the wire, byte-exact, once each "
              f"({len(frames)} frames in {pcap_path})")
    return problems


def check_rx(serial_path, count):
    text = open(serial_path, "rb").read().decode("utf-8", "replace").replace("\r", "")
    begin, end = "SHUNT-DRV-PCAP-BEGIN\n", "SHUNT-DRV-PCAP-END"
    if begin not in text or end not in text:
        return [f"no pcap between the SHUNT-DRV-PCAP markers in {serial_path}"]
    b64 = text.split(begin, 1)[1].split(end, 1)[0]
    data = base64.b64decode("".join(b64.split()))
    pcap_path = os.path.join(os.path.dirname(serial_path), "rx.pcap")
    with open(pcap_path, "wb") as out:
        out.write(data)
    problems = []
    try:
        frames = list(read_pcap(data))
    except ValueError as e:
        return [f"{pcap_path}: {e}"]
    seqs = set()
    for f in frames:
        if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 1:
            continue
        ihl = (f[14] & 0x0F) * 4
        icmp = f[14 + ihl:]
        if (f[0:6] == OUR_MAC and f[26:30] == PEER_IP and f[30:34] == bytes([10, 0, 2, 99])
                and icmp[0] == 8 and checksum(icmp) == 0 and checksum(f[14:14 + ihl]) == 0):
            seqs.add(struct.unpack("!H", icmp[6:8])[0])
    missing = [s for s in range(count) if s not in seqs]
    if missing:
        problems.append(f"{len(missing)} of the {count} echo requests are not in the capture "
                        f"(first missing: icmp_seq {missing[0]}); {len(frames)} frames captured")
    tshark = shutil.which("tshark")
    if tshark:
        r = subprocess.run([tshark, "-r", pcap_path, "-Y", "icmp.type == 8", "-T", "fields",
                            "-e", "icmp.seq"], capture_output=True, text=True)
        n = len([l for l in r.stdout.splitlines() if l.strip()])
        if r.returncode != 0 or n < count:
            problems.append(f"tshark read {n} echo requests from {pcap_path} (exit "
                            f"{r.returncode}: {r.stderr.strip()[:200]})")
    if not problems:
        print(f"drv_wire_check: shunt-pcap's capture holds all {count} echo requests "
              f"({len(frames)} frames, {pcap_path}{', read by tshark' if tshark else ''})")
    return problems


def echo_requests_to(frames, dst_ip):
    """The IPv4 ICMP echo requests to dst_ip among frames, as a multiset of their bytes."""
    found = {}
    for f in frames:
        if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 1 or f[30:34] != dst_ip:
            continue
        ihl = (f[14] & 0x0F) * 4
        if f[14 + ihl] == 8:
            found[f] = found.get(f, 0) + 1
    return found


def check_fwd(pcap_a, pcap_b, count):
    try:
        wires = {pcap_a: list(read_pcap(open(pcap_a, "rb").read())),
                 pcap_b: list(read_pcap(open(pcap_b, "rb").read()))}
    except (OSError, ValueError) as e:
        return [str(e)]
    problems = []
    for dst, origin in ((bytes([10, 0, 2, 99]), pcap_a), (bytes([10, 0, 3, 99]), pcap_b)):
        other = pcap_b if origin == pcap_a else pcap_a
        sent = echo_requests_to(wires[origin], dst)
        seen = echo_requests_to(wires[other], dst)
        ip = ".".join(str(b) for b in dst)
        n = sum(sent.values())
        if n < count:
            problems.append(f"{origin}: {n} echo requests to {ip}, expected at least {count}")
        lost = sum(max(0, c - seen.get(f, 0)) for f, c in sent.items())
        extra = sum(max(0, c - sent.get(f, 0)) for f, c in seen.items())
        if lost or extra:
            problems.append(f"requests to {ip}: {lost} of {n} on {origin} are not on {other} "
                            f"byte for byte, {extra} there were never sent")
        else:
            print(f"drv_wire_check: all {n} echo requests to {ip} crossed shunt-fwd byte-exact")
    return problems


def main(argv):
    if len(argv) < 3 or argv[1] not in ("tx", "rx", "fwd"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    if argv[1] == "tx":
        problems = check_tx(argv[2], argv[3:])
    elif argv[1] == "fwd":
        problems = check_fwd(argv[2], argv[3], int(argv[4]))
    else:
        problems = check_rx(argv[2], int(argv[3]))
    for p in problems:
        print(f"drv_wire_check: FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
