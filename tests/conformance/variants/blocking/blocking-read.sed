# Variant of packetdrill's gtests/net/tcp/blocking/blocking-read.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# A read() that frees at least one MSS of receive buffer makes shunt send a window update
# at once (RFC 9293 §3.8.6.2.2 receiver SWS avoidance: the right edge moves when it can move
# by min(RCV.BUFF/2, MSS); RFC 1122 §4.2.3.3). Linux sends one only when the window would at
# least double (its tcp_cleanup_rbuf), which with these small reads never happens. The
# variant expects the update ACK after each 2000-byte read: same time, same ACK number.
19a\
   +0 > . 1:1(0) ack 2001
23a\
   +0 > . 1:1(0) ack 4001
