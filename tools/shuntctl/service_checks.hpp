// `shuntctl doctor`'s checks of the systemd service setup (docs/service.md): the unit, the
// user it runs as, the config files (each checked by shuntd itself) and who owns /dev/vfio.
#pragma once

#include "ioctl_ctl/host_checks.hpp"

#include <string>
#include <vector>

namespace shunt::cli {

struct ServicePaths {
    std::string config_dir = "/etc/shunt";  // NAME.conf for shuntd@NAME.service
    std::vector<std::string> unit_dirs;     // where systemd looks for units
    std::string shuntd;                     // the shuntd that checks the configs
    std::string vfio_dir = "/dev/vfio";
    std::string user = "shunt";
};

// The default paths: $SYSTEMD_UNIT_PATH (colon-separated, as systemd reads it) or systemd's
// own system unit directories; the shuntd installed next to this shuntctl.
ServicePaths default_service_paths();

// Nothing to check (every check ok, saying so) when CONFIG_DIR holds no *.conf: the host does
// not run shuntd as a service.
std::vector<ctl::HostCheck> service_checks(const ServicePaths& paths);

}  // namespace shunt::cli
