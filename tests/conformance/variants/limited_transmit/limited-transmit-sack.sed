# Variant of packetdrill's gtests/net/tcp/limited_transmit/limited-transmit-sack.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# PSH: shunt sets it on the segment that empties the send queue (RFC 1122 §4.2.2.2 MUST;
# RFC 9293 §3.9.1 leaves any other placement to the sender). The initial window of a
# 15000-byte write (1:10001) and the 12001:14001 burst leave data queued, so they carry no
# PSH; Linux pushes each TSO burst. What the script tests (RFC 3042 limited transmit) is
# unchanged.
s/> P\. 1:10001(10000)/> . 1:10001(10000)/
s/> P\. 12001:14001(2000)/> . 12001:14001(2000)/
