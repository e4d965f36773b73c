# Variant of packetdrill's gtests/net/tcp/ioctl/ioctl-siocinq-fin.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# The first data segment of the connection (one full-sized segment, in order) is ACKed after
# shunt's delayed-ACK timeout (TcpConfig::delayed_ack, 40 ms), not at once. RFC 1122
# §4.2.3.2 and RFC 5681 §4.2: a receiver SHOULD delay the ACK of an in-order segment (by
# less than 0.5 s) and SHOULD ACK at least every second full-sized segment. Linux ACKs the
# first segments at once ("quick ACK" mode after the handshake), a heuristic of its own.
# The expected ACK moves from +0 to +.04; the events after it move with it.
20s/^ *+0 > \. /+.04 > . /
