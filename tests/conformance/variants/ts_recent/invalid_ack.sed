# Variant of packetdrill's gtests/net/tcp/ts_recent/invalid_ack.pkt (GPLv2), applied by
# run_packetdrill.sh at run time; the script itself is not copied into shunt.
#
# 1. The FIN whose ACK acknowledges data never sent is answered: RFC 9293 §3.10.7.4 (fifth,
#    ESTABLISHED): "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an
#    ACK, drop the segment, and return" (rate-limited, RFC 5961 §7). Linux drops it silently.
#    The ACK echoes TS.Recent 200: the dropped segment's TSval 200000 is not recorded, which
#    is what the script tests.
# 2. The data segment after it is ACKed after the delayed-ACK timeout (40 ms; RFC 1122
#    §4.2.3.2, RFC 5681 §4.2), so that ACK and its TSval move by 40 ms.
20a\
   +0 > . 1:1(0) ack 1 <nop,nop,TS val 200 ecr 200>
24s/^ *+0 > \. 1:1(0) ack 1001 <nop,nop,TS val 200 ecr 201>/+.04 > . 1:1(0) ack 1001 <nop,nop,TS val 240 ecr 201>/
