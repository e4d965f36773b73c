# Variant of packetdrill's gtests/net/tcp/ts_recent/reset_tsval.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# The first data segment is ACKed after shunt's delayed-ACK timeout (40 ms), not at once
# (RFC 1122 §4.2.3.2, RFC 5681 §4.2: a receiver SHOULD delay the ACK of an in-order segment;
# Linux's immediate "quick ACK" after the handshake is its own heuristic). The ACK, and the
# close() and RST one second after it, move by 40 ms, and so do their TSvals (1 ms ticks).
# What the script checks is unchanged: the RST carries a TSval one second after the last.
#
# The RST of close() with unread data is <SEQ=SND.NXT><CTL=RST> without the ACK bit, as RFC
# 9293 §3.10.5 (ABORT, which §3.10.4 and RFC 2525 §2.17 make of such a close) writes it;
# Linux sets ACK too. The variant expects `R` where the script has `R. ... ack 1001`.
20s/^ *+0 > \. 1:1(0) ack 1001 <nop,nop,TS val 200 ecr 201>/+.04 > . 1:1(0) ack 1001 <nop,nop,TS val 240 ecr 201>/
24s/> R\. 1:1(0) ack 1001 <nop,nop,TS val 1200 ecr 201>/> R 1:1(0) <nop,nop,TS val 1240 ecr 201>/
