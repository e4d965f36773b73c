# Variant of packetdrill's gtests/net/tcp/slow_start/slow-start-ack-per-1pkt.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# PSH: shunt sets it on the segment that empties the send queue (RFC 1122 §4.2.2.2 MUST;
# RFC 9293 §3.9.1 leaves any other placement to the sender), here the one that ends the
# 30000-byte write at 30001. Linux pushes every TSO burst of the slow start. The variant
# expects no PSH on the bursts before the last; the slow-start growth it tests (RFC 5681
# §3.1, one ACK per segment or per two) is unchanged.
/> P\. [0-9]*:30001(/!s/> P\. /> . /
