/* shunt.h is valid C (C11): this file is compiled as C and calls a few functions. */
#include <shunt/shunt.h>

#include <errno.h>
#include <stddef.h>

int shunt_c_header_compiles(void) {
    uint32_t ip = 0;
    shunt_config cfg = {0};
    const char* error = NULL;
    if (shunt_parse_ipv4("192.0.2.1", &ip) != 0 || ip != 0xc0000201u) return 1;
    if (shunt_open(&cfg, &error) != NULL || error == NULL) return 2;
    if (shunt_close((shunt_runtime*)NULL, 1) != -EINVAL) return 3;
    return 0;
}
