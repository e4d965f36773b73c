// PciSysfs on a fake sysfs tree laid out as the kernel lays it out (device directories under
// devices/, bus/pci/devices/ADDR and the group's devices/ADDR linking to them, driver and
// iommu_group links), and the IOMMU-group viability rule case by case.
#include "pci/sysfs.hpp"
#include "pci/sysfs_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace shunt::pci {
namespace {

namespace fs = std::filesystem;

class FakeSysfs {
  public:
    FakeSysfs() {
        std::string tmpl = (fs::temp_directory_path() / "shunt-pci-sysfs-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        root_ = tmpl;
        fs::create_directories(root_ / "bus/pci/devices");
        fs::create_directories(root_ / "bus/pci/drivers");
        fs::create_directories(root_ / "kernel/iommu_groups");
    }
    ~FakeSysfs() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    FakeSysfs(const FakeSysfs&) = delete;
    FakeSysfs& operator=(const FakeSysfs&) = delete;

    std::string root() const { return root_.string(); }

    // A device NAME (a PCI address, or another bus's name for a non-PCI group member) with
    // DRIVER ("" = none) in GROUP (-1 = no group). PCI devices get vendor/device/class.
    void add(const std::string& name, const std::string& driver, int group,
             const std::string& cls = "0x020000") {
        const fs::path dev = root_ / "devices" / name;
        fs::create_directories(dev);
        if (PciAddress::parse(name)) {
            fs::create_directory_symlink(dev, root_ / "bus/pci/devices" / name);
            write(dev / "vendor", "0x8086\n");
            write(dev / "device", "0x10d3\n");
            write(dev / "class", cls + "\n");
            write(dev / "driver_override", "(null)\n");
        }
        if (!driver.empty()) {
            const fs::path drv = root_ / "bus/pci/drivers" / driver;
            fs::create_directories(drv);
            fs::create_directory_symlink(drv, dev / "driver");
        }
        if (group >= 0) {
            const fs::path g = root_ / "kernel/iommu_groups" / std::to_string(group);
            fs::create_directories(g / "devices");
            fs::create_directory_symlink(g, dev / "iommu_group");
            fs::create_directory_symlink(dev, g / "devices" / name);
        }
    }
    void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
    fs::path path(const std::string& rel) const { return root_ / rel; }

  private:
    fs::path root_;
};

PciAddress addr(const char* s) {
    return PciAddress::parse(s).value();
}

TEST(PciSysfs, ReadsIdsDriverOverrideAndGroup) {
    FakeSysfs fake;
    fake.add("0000:00:03.0", "e1000e", 4);
    fake.add("0000:00:02.0", "vfio-pci", 3);
    fake.add("0000:00:1f.0", "", -1, "0x060100");
    fake.write(fake.path("devices/0000:00:02.0/driver_override"), "vfio-pci\n");
    const PciSysfs sys(fake.root());

    EXPECT_EQ(sys.devices(),
              (std::vector<PciAddress>{addr("00:02.0"), addr("00:03.0"), addr("00:1f.0")}));
    EXPECT_TRUE(sys.exists(addr("00:03.0")));
    EXPECT_FALSE(sys.exists(addr("00:04.0")));
    EXPECT_EQ(sys.device_dir(addr("00:03.0")), fake.root() + "/bus/pci/devices/0000:00:03.0");
    const PciIds ids = sys.ids(addr("00:03.0"));
    EXPECT_EQ(ids.vendor_id, 0x8086);
    EXPECT_EQ(ids.device_id, 0x10d3);
    EXPECT_EQ(ids.class_code, 0x020000u);
    EXPECT_TRUE(ids.is_network());
    EXPECT_FALSE(sys.ids(addr("00:1f.0")).is_network());
    EXPECT_EQ(sys.ids(addr("00:04.0")).vendor_id, 0);  // absent: zeros, no error

    EXPECT_EQ(sys.driver(addr("00:03.0")), "e1000e");
    EXPECT_EQ(sys.driver(addr("00:1f.0")), "");
    EXPECT_EQ(sys.driver_override(addr("00:02.0")), "vfio-pci");
    EXPECT_EQ(sys.driver_override(addr("00:03.0")), "");  // "(null)"
    EXPECT_TRUE(sys.driver_loaded("vfio-pci"));
    EXPECT_FALSE(sys.driver_loaded("ixgbe"));
    EXPECT_FALSE(sys.driver_loaded(""));

    EXPECT_EQ(sys.iommu_group(addr("00:03.0")), 4);
    EXPECT_EQ(sys.iommu_group(addr("00:1f.0")), std::nullopt);
    EXPECT_EQ(sys.group_members(4), std::vector<PciAddress>{addr("00:03.0")});
    EXPECT_TRUE(sys.group_members(99).empty());
}

TEST(PciSysfs, NoiommuGroupIsNamedSo) {
    FakeSysfs fake;
    fake.add("0000:00:02.0", "vfio-pci", 0);
    fake.add("0000:00:03.0", "vfio-pci", 1);
    fake.write(fake.path("kernel/iommu_groups/0/name"), "vfio-noiommu\n");
    const PciSysfs sys(fake.root());
    EXPECT_TRUE(sys.group_is_noiommu(0));
    EXPECT_FALSE(sys.group_is_noiommu(1));  // no name attribute: an IOMMU's group
}

// One group, 0000:03:00.0 asked about, its neighbour bound to DRIVER.
GroupCheck check_with_neighbour(const std::string& driver, const std::string& cls = "0x020000") {
    FakeSysfs fake;
    fake.add("0000:03:00.0", "vfio-pci", 7);
    fake.add("0000:03:00.1", driver, 7, cls);
    return PciSysfs(fake.root()).check_group(addr("0000:03:00.0"));
}

TEST(GroupViability, AllOnVfioPciIsViable) {
    FakeSysfs fake;
    fake.add("0000:03:00.0", "vfio-pci", 7);
    fake.add("0000:03:00.1", "vfio-pci", 7);
    fake.add("0000:03:00.2", "vfio-pci", 7);
    const GroupCheck c = PciSysfs(fake.root()).check_group(addr("0000:03:00.0"));
    EXPECT_EQ(c.group, 7);
    EXPECT_TRUE(c.blockers.empty());
    EXPECT_TRUE(c.viable());
    EXPECT_EQ(c.problem(), "");
}

TEST(GroupViability, UnboundNeighbourIsViable) {
    EXPECT_TRUE(check_with_neighbour("").viable());
}

TEST(GroupViability, PciStubNeighbourIsViable) {
    EXPECT_TRUE(check_with_neighbour("pci-stub").viable());
}

TEST(GroupViability, VfioPciVariantDriverIsViable) {
    EXPECT_TRUE(check_with_neighbour("mlx5_vfio_pci").viable());
    EXPECT_TRUE(check_with_neighbour("hisi_acc_vfio_pci").viable());
}

TEST(GroupViability, BridgeUnboundOrUnderPcieportIsViable) {
    EXPECT_TRUE(check_with_neighbour("pcieport", "0x060400").viable());
    EXPECT_TRUE(check_with_neighbour("", "0x060400").viable());
}

TEST(GroupViability, BridgeUnderAnotherDriverBlocks) {
    // Since 5.19 a bridge is no exception by its header type: shpchp claims the group's DMA.
    const GroupCheck c = check_with_neighbour("shpchp", "0x060400");
    EXPECT_FALSE(c.viable());
    ASSERT_EQ(c.blockers.size(), 1u);
    EXPECT_EQ(c.blockers[0].driver, "shpchp");
}

TEST(GroupViability, KernelDriverNeighbourBlocks) {
    const GroupCheck c = check_with_neighbour("ixgbe");
    EXPECT_FALSE(c.viable());
    ASSERT_EQ(c.blockers.size(), 1u);
    EXPECT_EQ(c.blockers[0].device, "0000:03:00.1");
    EXPECT_EQ(c.blockers[0].driver, "ixgbe");
    EXPECT_EQ(c.problem(),
              "IOMMU group 7 is not viable: 0000:03:00.1 is bound to ixgbe; bind it to "
              "vfio-pci too or unbind it");
}

TEST(GroupViability, EveryBlockerIsNamed) {
    FakeSysfs fake;
    fake.add("0000:03:00.0", "e1000e", 5);  // the device itself: its own driver is not asked
    fake.add("0000:03:00.1", "ixgbe", 5);
    fake.add("0000:03:00.2", "pci-stub", 5);
    fake.add("0000:03:00.3", "ixgbe", 5);
    fake.add("platform-thing.0", "some_platform_drv", 5);  // not PCI, still in the group
    const GroupCheck c = PciSysfs(fake.root()).check_group(addr("0000:03:00.0"));
    EXPECT_FALSE(c.viable());
    ASSERT_EQ(c.blockers.size(), 3u);
    EXPECT_EQ(c.problem(),
              "IOMMU group 5 is not viable: 0000:03:00.1 is bound to ixgbe, 0000:03:00.3 is "
              "bound to ixgbe, platform-thing.0 is bound to some_platform_drv; bind them to "
              "vfio-pci too or unbind them");
    EXPECT_EQ(PciSysfs(fake.root()).group_members(5).size(), 4u);  // PCI members only
}

TEST(GroupViability, OwnDriverAloneIsViable) {
    FakeSysfs fake;
    fake.add("0000:03:00.0", "e1000e", 2);
    EXPECT_TRUE(PciSysfs(fake.root()).check_group(addr("0000:03:00.0")).viable());
}

TEST(GroupViability, NoGroupIsNotViable) {
    FakeSysfs fake;
    fake.add("0000:03:00.0", "e1000e", -1);
    const GroupCheck c = PciSysfs(fake.root()).check_group(addr("0000:03:00.0"));
    EXPECT_EQ(c.group, std::nullopt);
    EXPECT_FALSE(c.viable());
    EXPECT_EQ(c.problem().rfind("0000:03:00.0 has no IOMMU group: the IOMMU is off", 0), 0u)
        << c.problem();
}

TEST(GroupViability, TheRuleByDriverName) {
    for (const char* ok : {"", "vfio-pci", "pci-stub", "pcieport", "mlx5_vfio_pci"}) {
        EXPECT_TRUE(driver_allows_vfio_group(ok)) << ok;
    }
    for (const char* blocks : {"e1000e", "ixgbe", "shpchp", "nvme", "vfio", "xvfio-pci"}) {
        EXPECT_FALSE(driver_allows_vfio_group(blocks)) << blocks;
    }
}

}  // namespace
}  // namespace shunt::pci

namespace shunt::pci {
namespace {

// A file that never ends (/dev/zero stands for a wrong path or a FIFO) and one just over the
// bound are refused with the path in the message; one at the bound is read whole.
TEST(SysfsFile, ReadTextIsBounded) {
    auto endless = read_text("/dev/zero");
    ASSERT_FALSE(endless);
    EXPECT_NE(endless.error().message.find("/dev/zero: longer than 65536 bytes"), std::string::npos)
        << endless.error().message;

    const auto path =
        std::filesystem::temp_directory_path() / ("shunt-read-text-" + std::to_string(::getpid()));
    {
        std::ofstream f(path);
        f << std::string(100, 'x');
    }
    auto small = read_text(path.string(), 100);
    ASSERT_TRUE(small);
    EXPECT_EQ(small.value().size(), 100u);
    EXPECT_FALSE(read_text(path.string(), 99));
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace shunt::pci
