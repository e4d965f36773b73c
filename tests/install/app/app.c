/* Built with `cc app.c $(pkg-config --cflags --libs shunt)`: the C API from the installed kit. */
#include <shunt/shunt.h>

#include <stdio.h>

int main(void) {
    shunt_config cfg = {0};
    const char* error = NULL;
    uint32_t ip = 0;
    cfg.nic = "nosuch:0";
    cfg.ip = "10.0.0.1/24";
    if (shunt_open(&cfg, &error) != NULL || error == NULL ||
        shunt_parse_ipv4("10.0.0.1", &ip) != 0) {
        puts("FAIL");
        return 1;
    }
    printf("ok: %s\n", error);
    return 0;
}
