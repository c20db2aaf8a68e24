// A deterministic mutation driver for the libFuzzer-style harnesses in native/fuzz/ (each defines
// LLVMFuzzerTestOneInput), for toolchains without libFuzzer: Debian's GCC has ASan and UBSan but
// no -fsanitize=fuzzer. Written by hand because no packaged driver runs a LLVMFuzzerTestOneInput
// under GCC; the same harness files build unchanged with clang -fsanitize=fuzzer.
//
//   harness <corpus-dir> <iterations> [seed]
//
// Runs every corpus file as is, then `iterations` inputs made by stacking 1-4 mutations (bit
// flips, interesting values, inserted, erased, duplicated and spliced ranges) on corpus files,
// from a fixed seed: a run is reproducible, and the sanitizers' report names the input, which is
// also written to <corpus-dir>/../../crashes/<harness>-crash (see DumpInput).
#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <sanitizer/common_interface_defs.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr size_t kMaxInputBytes = 4096;

std::vector<uint8_t> current;
std::string crash_path;

void DumpInput() {
  std::fprintf(stderr, "\nparley-fuzz: failing input (%zu bytes) written to %s\nparley-fuzz: hex ", current.size(),
               crash_path.c_str());
  for (size_t i = 0; i < current.size() && i < 256; ++i) std::fprintf(stderr, "%02x", current[i]);
  std::fprintf(stderr, "\n");
  if (FILE* file = std::fopen(crash_path.c_str(), "wb")) {
    std::fwrite(current.data(), 1, current.size(), file);
    std::fclose(file);
  }
}

std::vector<std::vector<uint8_t>> LoadCorpus(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* handle = opendir(dir.c_str())) {
    while (dirent* entry = readdir(handle)) {
      if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
    }
    closedir(handle);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::vector<uint8_t>> corpus;
  for (const std::string& name : names) {
    FILE* file = std::fopen((dir + "/" + name).c_str(), "rb");
    if (file == nullptr) continue;
    std::vector<uint8_t> bytes;
    uint8_t buffer[4096];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof(buffer), file)) > 0) bytes.insert(bytes.end(), buffer, buffer + got);
    std::fclose(file);
    corpus.push_back(std::move(bytes));
  }
  return corpus;
}

void Mutate(std::vector<uint8_t>& input, const std::vector<std::vector<uint8_t>>& corpus, std::mt19937_64& random) {
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x10, 0x0f, 0xc0};
  auto below = [&random](size_t n) { return n == 0 ? 0 : static_cast<size_t>(random() % n); };
  switch (random() % 8) {
    case 0:
      if (!input.empty()) input[below(input.size())] ^= static_cast<uint8_t>(1u << below(8));
      break;
    case 1:
      if (!input.empty()) input[below(input.size())] = static_cast<uint8_t>(random());
      break;
    case 2:
      if (!input.empty()) input[below(input.size())] = kInteresting[below(sizeof(kInteresting))];
      break;
    case 3: {
      const size_t count = 1 + below(16);
      const size_t at = below(input.size() + 1);
      std::vector<uint8_t> bytes(count);
      for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
      input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin(), bytes.end());
      break;
    }
    case 4:
      if (!input.empty()) {
        const size_t at = below(input.size());
        const size_t count = 1 + below(std::min<size_t>(32, input.size() - at));
        input.erase(input.begin() + static_cast<std::ptrdiff_t>(at), input.begin() + static_cast<std::ptrdiff_t>(at + count));
      }
      break;
    case 5:
      if (!input.empty()) {
        const size_t at = below(input.size());
        const size_t count = 1 + below(std::min<size_t>(64, input.size() - at));
        std::vector<uint8_t> copy(input.begin() + static_cast<std::ptrdiff_t>(at), input.begin() + static_cast<std::ptrdiff_t>(at + count));
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(below(input.size() + 1)), copy.begin(), copy.end());
      }
      break;
    case 6: {
      const std::vector<uint8_t>& other = corpus[below(corpus.size())];
      if (other.empty()) break;
      const size_t from = below(other.size());
      input.resize(std::min(input.size(), below(input.size() + 1)));
      input.insert(input.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
      break;
    }
    case 7:
      // Multi-byte fields (lengths, sequence numbers, timestamps) at their extremes.
      if (input.size() >= 4) {
        const size_t at = below(input.size() - 3);
        const uint32_t value = random() % 2 ? 0xffffffffu - static_cast<uint32_t>(below(4)) : static_cast<uint32_t>(random());
        std::memcpy(input.data() + at, &value, 4);
      }
      break;
  }
  if (input.size() > kMaxInputBytes) input.resize(kMaxInputBytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <corpus-dir> <iterations> [seed] [crash-file]\n", argv[0]);
    return 2;
  }
  const std::vector<std::vector<uint8_t>> corpus = LoadCorpus(argv[1]);
  if (corpus.empty()) {
    std::fprintf(stderr, "parley-fuzz: no seed inputs in %s\n", argv[1]);
    return 2;
  }
  const long iterations = std::strtol(argv[2], nullptr, 10);
  std::mt19937_64 random(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
  crash_path = argc > 4 ? argv[4] : "crash-input";
  __sanitizer_set_death_callback(DumpInput);

  for (const std::vector<uint8_t>& seed : corpus) {
    current = seed;
    LLVMFuzzerTestOneInput(current.data(), current.size());
  }
  for (long i = 0; i < iterations; ++i) {
    current = corpus[random() % corpus.size()];
    const int mutations = 1 + static_cast<int>(random() % 4);
    for (int m = 0; m < mutations; ++m) Mutate(current, corpus, random);
    // A copy of exactly the input's size, so ASan sees a read one past the end.
    std::vector<uint8_t> exact(current);
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
  }
  std::printf("parley-fuzz: %zu seeds and %ld mutated inputs passed\n", corpus.size(), iterations);
  return 0;
}
