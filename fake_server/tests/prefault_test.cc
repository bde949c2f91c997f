// cmake/prefault_sysalloc.cc, linked into this test as into rq-fake: memory tcmalloc takes from
// the system is resident before the program touches it (one populate per chunk instead of one
// page fault per 4 KiB, see the file's comment), up to 16 MiB at a time.
#include <gperftools/malloc_extension.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

namespace {

// The share of the pages of [p, p + n) that are resident (nullopt: mincore failed).
std::optional<double> resident_share(void* p, std::size_t n) {
  const std::size_t page = static_cast<std::size_t>(::getpagesize());
  auto start = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  auto end = reinterpret_cast<std::uintptr_t>(p) + n;
  std::vector<unsigned char> vec((end - start + page - 1) / page);
  if (::mincore(reinterpret_cast<void*>(start), end - start, vec.data()) != 0) return std::nullopt;
  std::size_t in = 0;
  for (unsigned char v : vec) in += v & 1;
  return static_cast<double>(in) / static_cast<double>(vec.size());
}

// The resident share of a block of `size` bytes just malloc'ed, before anything touches it
// (nullopt: no block, or mincore failed).
std::optional<double> fresh_block_resident_share(std::size_t size) {
  void* p = std::malloc(size);
  if (!p) return std::nullopt;
  std::optional<double> share = resident_share(p, size);
  std::free(p);
  return share;
}

TEST(PrefaultSysAlloc, AHeapGrowthArrivesResident) {
  // More than the heap holds free: tcmalloc grows by at least this much, through the system
  // allocator, and does not touch a large block it hands out.
  std::optional<double> share = fresh_block_resident_share(std::size_t{8} << 20);
  ASSERT_TRUE(share.has_value());
  EXPECT_GT(*share, 0.99);
}

TEST(PrefaultSysAlloc, OneHugeBlockIsLeftToFaultAsItIsWritten) {
  // Above 16 MiB a block is one big allocation (the id index's next table): mapping it at once
  // would stall the call that asks for it.
  std::optional<double> share = fresh_block_resident_share(std::size_t{64} << 20);
  ASSERT_TRUE(share.has_value());
  EXPECT_LT(*share, 0.01);
}

TEST(PrefaultSysAlloc, ChunksAreAlignedAndWhole) {
  SysAllocator* a = MallocExtension::instance()->GetSystemAllocator();
  ASSERT_NE(a, nullptr);
  for (std::size_t alignment : {std::size_t{4096}, std::size_t{8192}, std::size_t{1} << 21}) {
    std::size_t actual = 0;
    const std::size_t want = (std::size_t{3} << 20) + 100;  // not a multiple of the alignment
    void* p = a->Alloc(want, &actual, alignment);
    ASSERT_NE(p, nullptr) << alignment;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignment, 0u) << alignment;
    EXPECT_GE(actual, want) << alignment;
    EXPECT_EQ(actual % alignment, 0u) << alignment;
    EXPECT_GT(resident_share(p, actual).value_or(-1), 0.99) << alignment;
    static_cast<char*>(p)[actual - 1] = 1;  // the whole chunk is writable
    ::munmap(p, actual);  // tcmalloc never returns chunks; the test gives its own back
  }
}

}  // namespace
