// The normal build's stand-in for libFuzzer: runs every file of the directories named on
// the command line through the target's LLVMFuzzerTestOneInput, once each, so that the
// seed corpus and every crash ever found stay passing (ctest fuzz_replay_<target>).
// A failing property aborts, as it does under libFuzzer; the file's name is printed first.
//
// Usage: <target>_replay [--allow-missing] DIR...   (--allow-missing: for the DIRs after
// it, a missing directory counts as empty: regressions/<target>/ exists once one is found)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  bool allow_missing = false;
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--allow-missing") {
      allow_missing = true;
      continue;
    }
    fs::path dir{arg};
    if (!fs::is_directory(dir)) {
      if (allow_missing)
        continue;
      std::fprintf(stderr, "replay: %s is not a directory\n", dir.c_str());
      return 2;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file())
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
      std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                             bytes.size());
    }
    std::printf("replay: %zu inputs from %s\n", files.size(), dir.c_str());
    total += files.size();
  }
  if (total == 0) {
    std::fprintf(stderr, "replay: no inputs\n");
    return 2;
  }
  return 0;
}
