// The state and stats files' write rules: a random temp name created with
// O_CREAT|O_EXCL|O_NOFOLLOW (a file or symlink planted at a predictable name is never written
// through), an explicit mode whatever the umask (0600 undo logs, 0644 stats), then rename;
// and the state directory's check (real directory, owned by root or this user, not writable
// by group or others).
#include "ioctl_ctl/undo_log.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace shunt::ctl {
namespace {

namespace fs = std::filesystem;

using test::slurp;
using test::TempDir;

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

class Umask {
  public:
    explicit Umask(mode_t m) : old_(::umask(m)) {}
    ~Umask() { ::umask(old_); }

  private:
    mode_t old_;
};

TEST(TempFile, NamesAreRandomAndNextToTheFile) {
    std::set<std::string> names;
    for (int i = 0; i < 50; ++i) {
        auto n = random_temp_name("/run/shunt/kernel-stack/eth1.undo");
        ASSERT_TRUE(n.ok()) << n.error().message;
        ASSERT_EQ(n->size(), std::string("/run/shunt/kernel-stack/eth1.undo.tmp.").size() + 16);
        EXPECT_TRUE(n->starts_with("/run/shunt/kernel-stack/eth1.undo.tmp.")) << *n;
        names.insert(*n);
    }
    EXPECT_EQ(names.size(), 50u);
}

// The old writer opened PATH.tmp.PID with O_CREAT|O_TRUNC and no O_NOFOLLOW: a symlink
// planted there sent the undo log (as root) into any file.
TEST(TempFile, PlantedSymlinkAtTheOldPredictableNameIsNotFollowed) {
    TempDir dir;
    const std::string victim = dir.path() + "/victim";
    std::ofstream(victim) << "precious\n";
    const std::string path = dir.path() + "/log";
    fs::create_symlink(victim, path + ".tmp." + std::to_string(::getpid()));
    ASSERT_TRUE(write_file_atomic(path, "log\n").ok());
    EXPECT_EQ(slurp(victim), "precious\n");
    EXPECT_EQ(slurp(path), "log\n");
}

TEST(TempFile, ModeIsExplicitWhateverTheUmask) {
    TempDir dir;
    {
        Umask u(0);
        ASSERT_TRUE(write_file_atomic(dir.path() + "/a", "x").ok());
        EXPECT_EQ(mode_of(dir.path() + "/a"), 0600u);
        AtomicWrite stats;
        stats.mode = 0644;
        stats.durable = false;
        stats.check_dir = false;
        ASSERT_TRUE(write_file_atomic(dir.path() + "/stats.json", "{}", stats).ok());
        EXPECT_EQ(mode_of(dir.path() + "/stats.json"), 0644u);
    }
    {
        Umask u(0077);
        AtomicWrite stats;
        stats.mode = 0644;
        stats.check_dir = false;
        ASSERT_TRUE(write_file_atomic(dir.path() + "/stats.json", "{}", stats).ok());
        EXPECT_EQ(mode_of(dir.path() + "/stats.json"), 0644u);
    }
    {
        // New state directories are 0755 even under a permissive umask.
        Umask u(0);
        ASSERT_TRUE(write_file_atomic(dir.path() + "/state/kernel-stack/eth1.undo", "x").ok());
        EXPECT_EQ(mode_of(dir.path() + "/state"), 0755u);
        EXPECT_EQ(mode_of(dir.path() + "/state/kernel-stack"), 0755u);
    }
}

TEST(StateDirCheck, RefusesWritableByOthersForeignOwnerAndSymlink) {
    TempDir dir;
    const std::string state = dir.path() + "/state";
    ASSERT_TRUE(make_dirs(state).ok());
    EXPECT_TRUE(check_state_dir(state).ok());

    ASSERT_EQ(::chmod(state.c_str(), 0777), 0);
    auto s = check_state_dir(state);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("writable by group or others (mode 0777)"), std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find("chmod go-w"), std::string::npos);
    // Writing a log there is refused too, and nothing is written.
    EXPECT_FALSE(write_file_atomic(state + "/x.undo", "x").ok());
    EXPECT_FALSE(fs::exists(state + "/x.undo"));
    EXPECT_FALSE(StateLock::acquire(state).ok());
    ASSERT_EQ(::chmod(state.c_str(), 0775), 0);
    EXPECT_FALSE(check_state_dir(state).ok());
    ASSERT_EQ(::chmod(state.c_str(), 0755), 0);

    const std::string link = dir.path() + "/link";
    fs::create_directory_symlink(state, link);
    s = check_state_dir(link);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("symbolic link"), std::string::npos) << s.error().message;

    if (::geteuid() == 0) {
        ASSERT_EQ(::chown(state.c_str(), 12345, 12345), 0);
        s = check_state_dir(state);
        ASSERT_FALSE(s.ok());
        EXPECT_NE(s.error().message.find("owned by uid 12345"), std::string::npos)
            << s.error().message;
    }
}

TEST(StateDirCheck, ListingLogsInAnUntrustedDirectoryIsAnError) {
    TempDir dir;
    ASSERT_TRUE(make_dirs(dir.path() + "/kernel-stack").ok());
    ASSERT_EQ(::chmod((dir.path() + "/kernel-stack").c_str(), 0777), 0);
    std::vector<std::string> errors;
    EXPECT_TRUE(list_undo_logs(dir.path(), "kernel-stack", &errors).empty());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("writable by group or others"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace shunt::ctl
