// A PCI function for driver tests: BAR 0 is plain memory, DMA memory is memfd (IOVA = virtual
// address, so the test can follow descriptor addresses), and a small device model thread plays
// the parts of the NIC that the bring-up waits for (reset completion, EEPROM reads). Everything
// else the test does itself: it writes received frames and sets done bits.
#pragma once

#include "driver/pci_nic.hpp"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace shunt::test {

struct FakeNicState {
    static constexpr size_t kBarBytes = 128 * 1024;
    alignas(4096) std::array<uint32_t, kBarBytes / 4> regs{};
    std::array<uint16_t, 64> eeprom{};
    std::atomic<bool> eerd_82574{false};  // EERD layout to answer in (read by the model thread)
    std::atomic<bool> model_resets{true};
    std::atomic<int> unmasks{0};
    std::atomic<int> irq_enables{0};
    // Vectors the fake function offers per kind (INTx pin, MSI, MSI-X), like VFIO's irq info.
    unsigned intx_vectors = 1, msi_vectors = 1, msix_vectors = 5;
    IrqKind enabled_kind = IrqKind::intx;
    unsigned enabled_vectors = 0;  // how many vectors the last enable wired

    // The function's side of a stop, in order: "bus master off", "close", and "free NAME" for
    // each DMA region as it goes (RecordingDma), so a test can check what came first.
    bool bus_master = true;
    bool bus_master_clear_fails =
        false;          // disable_bus_master returns an error (and clears nothing)
    bool iommu = true;  // false: the function plays no-IOMMU mode
    bool closed = false;
    std::atomic<bool> release_request{false};  // the kernel's request interrupt fired
    std::mutex events_mu;
    std::vector<std::string> events;
    void record(std::string e) {
        std::lock_guard lock(events_mu);
        events.push_back(std::move(e));
    }
    std::vector<std::string> recorded() {
        std::lock_guard lock(events_mu);
        return events;
    }
    // A removed device: every register reads all ones (the device model stops answering, so
    // nothing changes them back).
    void vanish() {
        model_resets = false;
        for (auto& r : regs) std::atomic_ref<uint32_t>(r).store(0xFFFFFFFFu);
    }
    bool all_ones() {
        for (auto& r : regs) {
            if (std::atomic_ref<uint32_t>(r).load() != 0xFFFFFFFFu) return false;
        }
        return true;
    }

    uint32_t& reg(uint32_t offset) { return regs[offset / 4]; }
    uint32_t read(uint32_t offset) { return std::atomic_ref<uint32_t>(regs[offset / 4]).load(); }
    void write(uint32_t offset, uint32_t v) {
        std::atomic_ref<uint32_t>(regs[offset / 4]).store(v);
    }
};

// Answers CTRL.RST and EERD like the hardware does, from a thread (the driver polls them).
class DeviceModel {
  public:
    explicit DeviceModel(std::shared_ptr<FakeNicState> s) : s_(std::move(s)) {
        thread_ = std::thread([this] { loop(); });
    }
    ~DeviceModel() {
        stop_ = true;
        thread_.join();
    }

  private:
    void loop() {
        while (!stop_) {
            std::atomic_ref<uint32_t> ctrl(s_->reg(0x0000));
            if (s_->model_resets && (ctrl.load() & (1u << 26)) != 0) ctrl.fetch_and(~(1u << 26));
            std::atomic_ref<uint32_t> eerd(s_->reg(0x0014));
            const uint32_t v = eerd.load();
            const uint32_t done = s_->eerd_82574 ? 1u << 1 : 1u << 4;
            if ((v & 1u) != 0 && (v & done) == 0) {
                const uint32_t word = s_->eerd_82574 ? (v >> 2) & 0x3FFF : (v >> 8) & 0xFF;
                const uint16_t data = word < s_->eeprom.size() ? s_->eeprom[word] : 0xFFFF;
                eerd.store((v & ~1u) | done | uint32_t{data} << 16);
            }
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }

    std::shared_ptr<FakeNicState> s_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// DMA memory like MemfdProvider's (IOVA = virtual address) whose regions record "free NAME"
// in the fake's event list just before they are unmapped.
class RecordingDma final : public MemoryProvider {
  public:
    explicit RecordingDma(std::shared_ptr<FakeNicState> s) : s_(std::move(s)) {}
    Result<std::unique_ptr<MemoryRegion>> allocate(size_t bytes, const std::string& name) override {
        const size_t page = 4096;
        bytes = (bytes + page - 1) / page * page;
        UniqueFd fd(::memfd_create(name.c_str(), MFD_CLOEXEC));
        if (!fd.valid() || ::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) {
            return make_error("memfd {}: {}", name, std::strerror(errno));
        }
        void* addr =
            ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd.get(), 0);
        if (addr == MAP_FAILED) return make_error("mmap {}: {}", name, std::strerror(errno));
        std::vector<uint64_t> iova(bytes / page);
        for (size_t i = 0; i < iova.size(); ++i)
            iova[i] = reinterpret_cast<uint64_t>(addr) + i * page;
        return std::unique_ptr<MemoryRegion>(
            new Region(addr, bytes, page, std::move(iova), std::move(fd), s_, name));
    }

  private:
    class Region final : public MemoryRegion {
      public:
        Region(void* addr, size_t size, size_t page, std::vector<uint64_t> iova, UniqueFd fd,
               std::shared_ptr<FakeNicState> s, std::string name)
            : MemoryRegion(addr, size, page, std::move(iova), std::move(fd)),
              s_(std::move(s)),
              name_(std::move(name)) {}
        ~Region() override { s_->record("free " + name_); }

      private:
        std::shared_ptr<FakeNicState> s_;
        std::string name_;
    };
    std::shared_ptr<FakeNicState> s_;
};

class FakePciFunction final : public PciFunction {
  public:
    explicit FakePciFunction(std::shared_ptr<FakeNicState> s) : s_(std::move(s)), dma_(s_) {}
    ~FakePciFunction() override { disable_interrupt(); }

    std::string address() const override { return "0000:00:02.0"; }
    Mmio bar0() override {
        return Mmio(reinterpret_cast<uint8_t*>(s_->regs.data()), FakeNicState::kBarBytes);
    }
    MemoryProvider& dma() override { return dma_; }
    bool iommu() const override { return s_->iommu; }
    unsigned irq_vectors(IrqKind kind) const override {
        switch (kind) {
            case IrqKind::msix:
                return s_->msix_vectors;
            case IrqKind::msi:
                return s_->msi_vectors;
            case IrqKind::intx:
                break;
        }
        return s_->intx_vectors;
    }
    Result<PciInterrupt> enable_interrupt(IrqKind kind) override {
        auto fds = enable_vectors(kind, 1);
        if (!fds) return fds.error();
        return PciInterrupt{fds->front(), kind};
    }
    Result<std::vector<int>> enable_vectors(IrqKind kind, unsigned count) override {
        disable_interrupt();
        if (count == 0 || count > irq_vectors(kind)) {
            return make_error("{} vectors requested, {} offered", count, irq_vectors(kind));
        }
        ++s_->irq_enables;
        s_->enabled_kind = kind;
        s_->enabled_vectors = count;
        for (unsigned i = 0; i < count; ++i)
            efds_.push_back(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        return efds_;
    }
    void disable_interrupt() noexcept override {
        for (int fd : efds_) ::close(fd);
        efds_.clear();
    }
    void unmask_intx() noexcept override { ++s_->unmasks; }
    Status disable_bus_master() override {
        if (s_->bus_master_clear_fails) return make_error("config write at 0x4: I/O error");
        s_->bus_master = false;
        s_->record("bus master off");
        return {};
    }
    void close() noexcept override {
        if (s_->closed) return;
        disable_interrupt();
        s_->closed = true;
        s_->record("close");
    }
    bool release_requested() noexcept override { return s_->release_request; }

  private:
    std::shared_ptr<FakeNicState> s_;
    RecordingDma dma_;
    std::vector<int> efds_;
};

}  // namespace shunt::test
