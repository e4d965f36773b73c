// libshunt's and the layer's convention (>= 0, or a negated errno) to libc's (-1 with errno).
#pragma once

#include <cerrno>

namespace shunt::posix {

template <typename T>
T to_libc(T r) noexcept {
    if (r < 0) {
        errno = static_cast<int>(-r);
        return -1;
    }
    return r;
}

}  // namespace shunt::posix
