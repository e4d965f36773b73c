/* LD_PRELOAD shim that records the struct ethtool_rxnfc the real `ethtool -N` passes with
 * ETHTOOL_SRXCLSRLINS, as hex, to $SHUNT_GOLDEN_OUT. The ioctl itself still runs (and may
 * fail with EOPNOTSUPP on a veth): the argument is what matters. Used only by
 * capture_ethtool_golden.sh to make the golden files; not built by CMake. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void* arg = va_arg(ap, void*);
    va_end(ap);
    static int (*real)(int, unsigned long, ...);
    if (!real) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    if (request == SIOCETHTOOL && arg != NULL) {
        const struct ifreq* ifr = arg;
        unsigned cmd = 0;
        memcpy(&cmd, ifr->ifr_data, sizeof cmd);
        const char* out = getenv("SHUNT_GOLDEN_OUT");
        if (cmd == ETHTOOL_SRXCLSRLINS && out != NULL) {
            FILE* f = fopen(out, "w");
            if (f != NULL) {
                const unsigned char* p = (const unsigned char*)ifr->ifr_data;
                for (size_t i = 0; i < sizeof(struct ethtool_rxnfc); i++) {
                    fprintf(f, "%02x%s", p[i], (i % 16 == 15) ? "\n" : " ");
                }
                fputc('\n', f);
                fclose(f);
            }
        }
    }
    return real(fd, request, arg);
}
