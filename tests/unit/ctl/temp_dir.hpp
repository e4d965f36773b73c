// Test helpers shared by the ctl unit tests: a scratch directory removed at scope exit, and
// reading a whole file.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace shunt::ctl::test {

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/shunt-ctl-test.XXXXXX";
        const char* made = ::mkdtemp(tmpl);
        path_ = made != nullptr ? made : "";
    }
    ~TempDir() {
        if (!path_.empty()) std::filesystem::remove_all(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace shunt::ctl::test
