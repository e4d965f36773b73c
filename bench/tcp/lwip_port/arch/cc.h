/* lwIP architecture glue for shunt-tcp-bench on x86-64 Linux (gcc). */
#ifndef SHUNT_BENCH_LWIP_ARCH_CC_H
#define SHUNT_BENCH_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        printf x;             \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x)                            \
    do {                                                   \
        fprintf(stderr, "lwIP assertion failed: %s\n", x); \
        abort();                                           \
    } while (0)
#define LWIP_RAND() ((u32_t)rand())

/* Byte swaps as single instructions rather than lwIP's portable C fallbacks. */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

#endif
