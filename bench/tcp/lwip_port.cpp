#include "bench/tcp/lwip_port.hpp"

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include <array>
#include <cstring>
#include <ctime>
#include <vector>

// NO_SYS=1 asks the port for a millisecond clock and nothing else.
extern "C" u32_t sys_now(void) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<u32_t>(static_cast<uint64_t>(ts.tv_sec) * 1000 +
                              static_cast<uint64_t>(ts.tv_nsec) / 1'000'000);
}

namespace shunt::bench {

namespace {

bool g_started = false;
uint64_t g_link_drops = 0;  // frames lwIP sent that the wire could not take

// A received frame handed to lwIP without a copy: a custom pbuf points into the sender's
// packet buffer, which goes back over the wire when lwIP frees the pbuf. lwIP already paid
// the wire's one copy per frame in link_output.
struct RxPbuf {
    pbuf_custom custom;
    PacketBuf* buf;
    RxPbuf* next_free;
};

// The pbuf headers for borrowed frames: one per buffer the peer could have sent.
struct RxPbufPool {
    MemWireNic* nic = nullptr;
    std::vector<RxPbuf> slots = std::vector<RxPbuf>(kMaxPoolBuffers);
    RxPbuf* free = nullptr;
    RxPbufPool() {
        for (auto& s : slots) {
            s.next_free = free;
            free = &s;
        }
    }
}* g_rx_pbufs = nullptr;

void free_rx_pbuf(pbuf* p) {
    auto* rx = reinterpret_cast<RxPbuf*>(p);
    g_rx_pbufs->nic->give_back(rx->buf);
    rx->next_free = g_rx_pbufs->free;
    g_rx_pbufs->free = rx;
}

// lwIP hands over a pbuf chain; the frame is copied into one packet buffer (the usual lwIP
// port: pbufs are not DMA memory) and queued on the wire.
err_t link_output(netif* n, pbuf* p) {
    auto* nic = static_cast<MemWireNic*>(n->state);
    PacketBuf* b = nic->tx_pool(0).alloc();
    if (b == nullptr) {
        nic->reclaim();
        b = nic->tx_pool(0).alloc();
        if (b == nullptr) {
            ++g_link_drops;
            return ERR_MEM;
        }
    }
    uint8_t* dst = b->append(p->tot_len);
    if (dst == nullptr) {
        b->unref();
        return ERR_BUF;
    }
    pbuf_copy_partial(p, dst, p->tot_len, 0);
    b->set_flags(tx_flags::ip_csum | tx_flags::l4_csum);  // "offloaded", as lwIP skips them
    if (nic->tx_batch(0, {&b, 1}) == 0) {
        b->unref();
        ++g_link_drops;
        return ERR_MEM;
    }
    return ERR_OK;
}

err_t init_netif(netif* n) {
    auto* nic = static_cast<MemWireNic*>(n->state);
    n->name[0] = 'm';
    n->name[1] = 'w';
    n->output = etharp_output;
    n->linkoutput = link_output;
    n->mtu = nic->mtu();
    n->hwaddr_len = ETH_HWADDR_LEN;
    const MacAddr mac = nic->mac();
    std::memcpy(n->hwaddr, mac.bytes.data(), ETH_HWADDR_LEN);
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

ip4_addr_t to_lwip(uint32_t host_order) {
    ip4_addr_t a;
    a.addr = lwip_htonl(host_order);
    return a;
}

}  // namespace

LwipHost::LwipHost(MemWireNic& nic) : nic_(nic), netif_(std::make_unique<netif>()) {}

LwipHost::~LwipHost() {
    netif_remove(netif_.get());
}

Result<std::unique_ptr<LwipHost>> LwipHost::start(MemWireNic& nic, const LwipHostConfig& c) {
    if (g_started) return make_error("lwIP: one stack per process (it keeps global state)");
    g_started = true;
    lwip_init();
    g_rx_pbufs = new RxPbufPool();  // lives as long as the process (as lwIP's state does)
    g_rx_pbufs->nic = &nic;
    std::unique_ptr<LwipHost> host(new LwipHost(nic));
    ip4_addr_t ip = to_lwip(c.ip), mask = to_lwip(0xffffff00u), gw = to_lwip(0);
    if (netif_add(host->netif_.get(), &ip, &mask, &gw, &nic, init_netif, ethernet_input) ==
        nullptr) {
        return make_error("lwIP: netif_add failed");
    }
    netif_set_default(host->netif_.get());
    netif_set_up(host->netif_.get());
    netif_set_link_up(host->netif_.get());
    ip4_addr_t peer = to_lwip(c.peer_ip);
    eth_addr peer_mac{};
    std::memcpy(peer_mac.addr, c.peer_mac.bytes.data(), ETH_HWADDR_LEN);
    if (etharp_add_static_entry(&peer, &peer_mac) != ERR_OK) {
        return make_error("lwIP: static ARP entry for the peer failed");
    }
    return host;
}

void LwipHost::poll() {
    std::array<PacketBuf*, 32> bufs{};
    const size_t n = nic_.rx_borrow(bufs);
    for (size_t i = 0; i < n; ++i) {
        PacketBuf* b = bufs[i];
        RxPbuf* rx = g_rx_pbufs->free;  // never empty: one slot per buffer the peer owns
        g_rx_pbufs->free = rx->next_free;
        rx->custom.custom_free_function = free_rx_pbuf;
        rx->buf = b;
        pbuf* p = pbuf_alloced_custom(PBUF_RAW, b->length(), PBUF_REF, &rx->custom, b->data(),
                                      b->length());
        if (netif_->input(p, netif_.get()) != ERR_OK) pbuf_free(p);
    }
    sys_check_timeouts();
}

LwipFootprint LwipHost::footprint() {
    LwipFootprint f;
    for (size_t i = 0; i < MEMP_MAX; ++i) {
        const memp_desc* d = memp_pools[i];
        f.pool_bytes += uint64_t{d->stats->used} * d->size;
    }
    f.heap_bytes = lwip_stats.mem.used;
    f.tcp_pcbs = memp_pools[MEMP_TCP_PCB]->stats->used;
    return f;
}

uint64_t LwipHost::link_drops() {
    return g_link_drops;
}

size_t LwipHost::tcp_pcb_element_bytes() {
    return memp_pools[MEMP_TCP_PCB]->size;
}

}  // namespace shunt::bench
