/* lwIP options for the lwIP contender of shunt-tcp-bench: NO_SYS=1 (one polling loop per
 * process, raw API, no threads), fixed pools sized for 32 connections plus the churn of the
 * connections/s test, TCP tuned as a throughput-minded lwIP user would (MSS 1460, 256 KiB
 * window with scaling, 256 KiB send buffer), checksums left to the "offload" exactly like
 * veth does for the Linux contender, statistics on for the memory measurement, asserts off
 * as in a release build. Every value is listed in docs/PERFORMANCE.md. */
#ifndef SHUNT_BENCH_LWIPOPTS_H
#define SHUNT_BENCH_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_TIMERS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_NOASSERT 1

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 0
#define LWIP_TCP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_SINGLE_NETIF 1
#define IP_REASSEMBLY 0
#define IP_FRAG 0
#define ETHARP_SUPPORT_STATIC_ENTRIES 1 /* the peer's MAC is known: no ARP timing noise */
#define ARP_QUEUEING 0

/* Memory: fixed pools, lwIP's own heap for copied TCP data. */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (8 * 1024 * 1024)
#define MEMP_NUM_PBUF 1024
#define MEMP_NUM_TCP_PCB 512
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 2048
#define PBUF_POOL_SIZE 2048
#define LWIP_SUPPORT_CUSTOM_PBUF 1 /* received frames are wrapped, not copied again */

/* TCP */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_SNDLOWAT (32 * 1024) /* socket-API "writable" mark; the default overflows u16 */
#define TCP_QUEUE_OOSEQ 1
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 255
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_OVERSIZE TCP_MSS
#define LWIP_NETIF_TX_SINGLE_PBUF 0

/* The virtual wire "offloads" checksums, as veth does for Linux. */
#define CHECKSUM_GEN_IP 0
#define CHECKSUM_GEN_TCP 0
#define CHECKSUM_GEN_ICMP 0
#define CHECKSUM_CHECK_IP 0
#define CHECKSUM_CHECK_TCP 0
#define CHECKSUM_CHECK_ICMP 0

/* Statistics: only memory (pools and heap), for bytes per idle connection. */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MEM_STATS 1
#define MEMP_STATS 1
#define LINK_STATS 0
#define ETHARP_STATS 0
#define IP_STATS 0
#define IPFRAG_STATS 0
#define ICMP_STATS 0
#define TCP_STATS 0
#define SYS_STATS 0

#endif
