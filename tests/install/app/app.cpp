// Built against the installed kit only: opens a runtime on a NIC that cannot exist and prints
// the one-sentence error; parses an address through the C API. Exit 0 when both behave.
#include <shunt/shunt.hpp>

#include <cstdio>
#include <string>

int main() {
    shunt::RuntimeConfig cfg;
    cfg.nic = "nosuch:0";
    cfg.ip = "10.0.0.1/24";
    std::string error;
    auto rt = shunt::Runtime::open(cfg, error);
    uint32_t ip = 0;
    if (rt || error.empty() || shunt_parse_ipv4("10.77.0.2", &ip) != 0 || ip != 0x0a4d0002u) {
        std::puts("FAIL");
        return 1;
    }
    std::printf("ok: %s\n", error.c_str());
    return 0;
}
