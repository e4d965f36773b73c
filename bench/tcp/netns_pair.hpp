// Two network namespaces joined by a veth pair, created for one run and deleted by the
// destructor (deleting a namespace deletes its veth end, and the peer end with it).
// Names carry our pid (sbench-<pid>-<n>-srv / -cli) so parallel runs never collide, and a run
// deletes namespaces left by runs whose process no longer exists.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <memory>
#include <string>

namespace shunt::bench {

struct NetnsPairConfig {
    uint16_t mtu = 1500;
    std::string server_addr = "10.77.0.1";
    std::string client_addr = "10.77.0.2";
    // veth's TSO/GSO/GRO: on by default (as a real NIC's would be); off makes the kernel
    // handle every 1500-byte frame, the per-frame cost the in-memory stacks pay.
    bool segmentation_offload = true;
};

class NetnsPair {
  public:
    static Result<std::unique_ptr<NetnsPair>> create(const NetnsPairConfig& config);
    NetnsPair(const NetnsPair&) = delete;
    NetnsPair& operator=(const NetnsPair&) = delete;
    ~NetnsPair();

    const std::string& server_ns() const { return names_[0]; }
    const std::string& client_ns() const { return names_[1]; }
    const NetnsPairConfig& config() const { return config_; }

  private:
    NetnsPair() = default;
    Status setup();

    NetnsPairConfig config_;
    std::string names_[2];
    bool created_[2] = {false, false};
};

// Moves the calling thread into the named namespace (sockets it opens afterwards live there).
Status enter_netns(const std::string& name);
// Pins the calling thread to one CPU.
Status pin_to_cpu(int cpu);
// Deletes sbench-<pid>-* namespaces whose pid is gone (a crashed earlier run).
void remove_stale_namespaces();

}  // namespace shunt::bench
