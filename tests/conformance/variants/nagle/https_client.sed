# Variant of packetdrill's gtests/net/tcp/nagle/https_client.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# 1. The ACK of the server's first data segment comes after shunt's delayed-ACK timeout
#    (40 ms; RFC 1122 §4.2.3.2, RFC 5681 §4.2), not at once (Linux's "quick ACK" heuristic);
#    the events after it move with it.
# 2. PSH: shunt sets it on the segment that empties the send queue (RFC 1122 §4.2.2.2 MUST;
#    RFC 9293 §3.9.1 leaves any other placement to the sender). Of the three segments of the
#    2002-byte write only the last is pushed; Linux pushes the middle one too.
# What the script tests, TCP_NODELAY sending the 54-byte tail at once, is unchanged.
24s/^ *+0 > \. /+.04 > . /
32s/> P\. 1543:2517/> . 1543:2517/
