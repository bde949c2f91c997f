// Linked into the tools that use tcmalloc (rqcheck_fast_malloc in RqcheckWarnings.cmake): the
// memory tcmalloc takes from the system arrives already mapped, up to 16 MiB at a time. A
// process that grows (a queue taking 100k requests a second, the 1M-request fill) otherwise pays
// one page fault per 4 KiB it touches first, and in a virtual machine that is the dearest thing
// it does: 13 us per fault on the CI machines, against 1.4 us per page when mmap populates a
// whole chunk at once. The faults also land where the memory is first used, which in the fake is
// inside a queue's lock.
//
// tcmalloc asks for at least 1 MiB at a time, so populating costs at most a few milliseconds per
// call and never maps memory the heap did not ask for. When the mapping fails, tcmalloc's own
// allocator answers as before.
#include <gperftools/malloc_extension.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace {

// Larger blocks are single big allocations (the id index's next table, see id_index.h, writes
// its own ahead, a few slots per insert): populating one would stall the call that asks for it
// (17 ms for 128 MiB).
constexpr std::size_t kPopulateMax = std::size_t{16} << 20;

class PrefaultingAllocator final : public SysAllocator {
 public:
  explicit PrefaultingAllocator(SysAllocator* fallback) : fallback_(fallback) {}

  void* Alloc(std::size_t size, std::size_t* actual_size, std::size_t alignment) override {
    const std::size_t page = static_cast<std::size_t>(::getpagesize());
    if (alignment < page) alignment = page;
    // Sizes and alignments are powers of two from tcmalloc; anything else goes to its own code.
    if ((alignment & (alignment - 1)) != 0 || size == 0 || size > (SIZE_MAX >> 2))
      return fallback_ ? fallback_->Alloc(size, actual_size, alignment) : nullptr;
    size = (size + alignment - 1) & ~(alignment - 1);
    const std::size_t extra = alignment - page;  // room to align within the mapping
    const int populate = size <= kPopulateMax ? MAP_POPULATE : 0;
    void* raw = ::mmap(nullptr, size + extra, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
    if (raw == MAP_FAILED)
      return fallback_ ? fallback_->Alloc(size, actual_size, alignment) : nullptr;
    auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::size_t adjust = (alignment - (start & (alignment - 1))) & (alignment - 1);
    if (adjust > 0) ::munmap(raw, adjust);
    if (adjust < extra) ::munmap(reinterpret_cast<void*>(start + adjust + size), extra - adjust);
    if (actual_size) *actual_size = size;
    return reinterpret_cast<void*>(start + adjust);
  }

 private:
  SysAllocator* fallback_;
};

// Installed before main: the allocator lives for the whole process (tcmalloc never frees it).
const bool kInstalled = [] {
  MallocExtension* ext = MallocExtension::instance();
  static PrefaultingAllocator allocator(ext->GetSystemAllocator());
  ext->SetSystemAllocator(&allocator);
  return true;
}();

}  // namespace
