// Chain helpers that release buffers (out of line: they are not on every packet's path).
#include "packet/packet_chain.hpp"

#include <algorithm>

namespace shunt {

void chain_trim_front(PacketChain& chain, size_t n) noexcept {
    while (n > 0 && !chain.empty()) {
        PacketBuf* b = chain.front();
        if (b->length() <= n) {
            n -= b->length();
            chain.pop_front();
        } else {
            b->trim_front(n);
            n = 0;
        }
    }
    while (!chain.empty() && chain.front()->length() == 0) chain.pop_front();
}

void chain_trim_to(PacketChain& chain, size_t keep) noexcept {
    PacketChain kept;
    size_t seen = 0;
    while (!chain.empty()) {
        Packet p = chain.pop_front();
        if (seen >= keep) continue;  // released
        const size_t here = std::min<size_t>(p->length(), keep - seen);
        p->trim_back(p->length() - here);
        seen += here;
        if (here > 0) kept.push_back(std::move(p));
    }
    chain = std::move(kept);
}

}  // namespace shunt
