#include "tools/journal_stream.hpp"

#include "base/log.hpp"

#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace shunt::tools {

bool stderr_is_journal() {
    const char* v = std::getenv("JOURNAL_STREAM");
    if (v == nullptr) return false;
    uintmax_t dev = 0;
    uintmax_t ino = 0;
    if (std::sscanf(v, "%" SCNuMAX ":%" SCNuMAX, &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(2, &st) != 0) return false;
    return static_cast<uintmax_t>(st.st_dev) == dev && static_cast<uintmax_t>(st.st_ino) == ino;
}

void log_to_journal_if_there() {
    if (stderr_is_journal()) log::priority_prefix() = true;
}

}  // namespace shunt::tools
