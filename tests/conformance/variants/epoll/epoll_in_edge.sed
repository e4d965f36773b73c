# Variant of packetdrill's gtests/net/tcp/epoll/epoll_in_edge.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# The script injects 4000- and 6000-byte segments, which Linux receives whole through GRO
# and ACKs once. On a 1500-byte link they arrive as 1000-byte segments (the script's MSS;
# the plugin's NIC cuts them), and shunt ACKs every second full-sized segment (RFC 5681
# §4.2, RFC 1122 §4.2.3.2), so the ACKs for the first pairs come before the final one.
27a\
   +0 > . 1:1(0) ack 2001
34a\
   +0 > . 1:1(0) ack 6001\
   +0 > . 1:1(0) ack 8001
