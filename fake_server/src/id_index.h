// The requests of one queue by id, in id order (the list order, decision 31): a sorted
// linear-probing table over the ids' leading characters, with each request in a node of its own.
//
// Why not a std::map: its nodes lie in the order they were added, not in id order, so every step
// of a lookup or an insert in a queue of a million requests is a cache (and, in a VM, a TLB)
// miss; adding a new request cost ~20 such steps and was most of a batch add's time under the
// queue's lock. Here the ids' first eight characters, read as base-62 digits (ids are uniform
// over the 62-character alphabet), give each id its home slot in a table twice the size of the
// queue: ids are placed at or after their home, in id order, with no gap between home and place.
// A lookup reads one or two cache lines of slots and one node; an insert shifts the few slots of
// its run. Walking in id order is a scan of the table. Nodes never move, so the other indexes of
// a queue (queue order, locks, handled) hold iterators that stay valid until their node is erased.
//
// Growing or shrinking (at half and an eighth full) moves the slots once, in order, without
// reading a node: 16 bytes per slot, ~17 ms at a million requests (into the next table, which
// inserts wrote ahead: see warm_next). Ids that are not uniform (none the fake makes: they are
// SHA-256 digests) would make long runs: slower, never wrong.
#pragma once

#include <errno.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace rqcheck::fake {

template <class Value>
class IdIndex {
 public:
  struct Node {
    const std::string first;  // the id
    Value second;
  };
  using NodePtr = std::unique_ptr<Node>;

  template <class N>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Node;
    using difference_type = std::ptrdiff_t;
    using pointer = N*;
    using reference = N&;
    Iter() = default;
    template <class M, class = std::enable_if_t<std::is_const_v<N> && !std::is_const_v<M>>>
    Iter(const Iter<M>& o) : ix_(o.ix_), slot_(o.slot_), node_(o.node_) {}  // NOLINT: implicit
    N& operator*() const { return *node_; }
    N* operator->() const { return node_; }
    Iter& operator++() {
      *this = ix_->template after<N>(*this);
      return *this;
    }
    Iter operator++(int) {
      Iter t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.node_ == b.node_; }
    friend bool operator!=(const Iter& a, const Iter& b) { return a.node_ != b.node_; }

   private:
    friend class IdIndex;
    template <class>
    friend class Iter;
    Iter(const IdIndex* ix, std::size_t slot, N* node) : ix_(ix), slot_(slot), node_(node) {}
    const IdIndex* ix_ = nullptr;
    std::size_t slot_ = 0;  // where node_ was; checked before use (the table may have shifted)
    N* node_ = nullptr;     // nullptr: the end
  };
  using iterator = Iter<Node>;
  using const_iterator = Iter<const Node>;

  IdIndex() { rebuild(kMinCapacity); }
  IdIndex(const IdIndex&) = delete;
  IdIndex& operator=(const IdIndex&) = delete;
  ~IdIndex() {
    for (std::size_t i = 0; i < count_; ++i) delete slots_[i].node;
  }

  // A node made before it is inserted: the allocation and the moves need no lock of the queue.
  static NodePtr make_node(std::string id, Value v) {
    return NodePtr(new Node{std::move(id), std::move(v)});
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  iterator begin() { return first_from<Node>(0); }
  iterator end() { return iterator(); }
  const_iterator begin() const { return first_from<const Node>(0); }
  const_iterator end() const { return const_iterator(); }

  iterator lower_bound(std::string_view id) { return first_from<Node>(seek(id, rank_of(id))); }
  iterator find(std::string_view id) {
    std::size_t s = seek(id, rank_of(id));
    if (s < count_ && slots_[s].node && slots_[s].node->first == id)
      return iterator(this, s, slots_[s].node);
    return end();
  }
  iterator upper_bound(std::string_view id) {
    iterator it = lower_bound(id);
    return it != end() && it->first == id ? ++it : it;
  }

  // Starts loading the slots where `id` would be: a batch asks for all its ids at once, so the
  // cache misses overlap instead of coming one after another.
  void prefetch(std::string_view id) const { __builtin_prefetch(slots_.get() + home(rank_of(id))); }

  // Inserts `n` unless its id is there already: then `n` is left with the caller.
  std::pair<iterator, bool> insert(NodePtr&& n) {
    if ((size_ + 1) * 2 > capacity_) rebuild(capacity_ * 2);
    if (size_ * 4 > capacity_ && capacity_ >= kWarmFrom) warm_next();
    const std::uint64_t r = rank_of(n->first);
    const std::size_t s = seek(n->first, r);
    if (s < count_ && slots_[s].node && slots_[s].node->first == n->first)
      return {iterator(this, s, slots_[s].node), false};
    std::size_t e = s;  // the end of the run from s on: its slots move one to the right
    while (e < count_ && slots_[e].node) ++e;
    if (e == count_) spill();
    std::move_backward(slots_.get() + s, slots_.get() + e, slots_.get() + e + 1);
    slots_[s] = Slot{r, n.release()};
    ++size_;
    return {iterator(this, s, slots_[s].node), true};
  }

  void erase(iterator it) {
    std::size_t t = slot_of(it);
    delete slots_[t].node;
    // Backward shift: the run after t moves left while its slots are past their home.
    while (t + 1 < count_ && slots_[t + 1].node && home(slots_[t + 1].rank) <= t) {
      slots_[t] = slots_[t + 1];
      ++t;
    }
    slots_[t] = Slot{0, nullptr};
    --size_;
    if (capacity_ > kMinCapacity && size_ * 8 < capacity_) rebuild(capacity_ / 2);
  }

  // The slots of the table, for tests: a power of two at least twice the size, and the spill.
  std::size_t capacity() const { return capacity_; }
  std::size_t slot_count() const { return count_; }

  // A string's first eight characters as base-62 digits of the id alphabet (0-9, A-Z, a-z):
  // monotonic in byte order over all strings, so the table's order is the ids' order. Past the
  // end of the string, or at a character outside the alphabet, the rest is filled with the
  // lowest digit (or, after 'z', the highest), which keeps the order.
  static std::uint64_t rank_of(std::string_view key) {
    std::uint64_t v = 0;
    unsigned fill = 0;
    bool filling = false;
    for (std::size_t i = 0; i < kRankChars; ++i) {
      unsigned rank = fill;
      if (!filling) {
        unsigned c = i < key.size() ? static_cast<unsigned char>(key[i]) : 0;
        bool exact = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        rank = c < '0'    ? 0
               : c <= '9' ? c - '0'
               : c < 'A'  ? 10
               : c <= 'Z' ? c - 'A' + 10
               : c < 'a'  ? 36
               : c <= 'z' ? c - 'a' + 36
                          : 61;
        if (!exact) {
          filling = true;
          fill = c > 'z' ? 61 : 0;
        }
      }
      v = v * 62 + rank;
    }
    return v;
  }

 private:
  struct Slot {  // trivial: a new table is written once, slot by slot
    std::uint64_t rank;
    Node* node;  // nullptr: empty
  };
  static constexpr std::size_t kRankChars = 8;
  static constexpr std::uint64_t kRankSpace = 62ull * 62 * 62 * 62 * 62 * 62 * 62 * 62;
  static constexpr std::size_t kMinCapacity = 64;

  // Monotonic in the rank, and below capacity_ (ranks are below kRankSpace).
  std::size_t home(std::uint64_t rank) const { return static_cast<std::size_t>(rank / step_); }
  static std::uint64_t step_for(std::size_t capacity) {
    return (kRankSpace + capacity - 1) / capacity;
  }
  // The first slot from `id`'s home on that is empty or holds an id not less than `id`: where
  // `id` is, or would go.
  std::size_t seek(std::string_view id, std::uint64_t r) const {
    std::size_t s = home(r);
    while (
        s < count_ && slots_[s].node &&
        (slots_[s].rank != r ? slots_[s].rank < r : std::string_view(slots_[s].node->first) < id))
      ++s;
    return s;
  }
  template <class N>
  Iter<N> first_from(std::size_t s) const {
    while (s < count_ && !slots_[s].node) ++s;
    return s < count_ ? Iter<N>(this, s, slots_[s].node) : Iter<N>();
  }
  template <class N>
  std::size_t slot_of(const Iter<N>& it) const {
    if (it.slot_ < count_ && slots_[it.slot_].node == it.node_) return it.slot_;
    return seek(it.node_->first, rank_of(it.node_->first));
  }
  template <class N>
  Iter<N> after(const Iter<N>& it) const {
    return first_from<N>(slot_of(it) + 1);
  }
  // Moves every slot to a table of `capacity` home slots, in order: each at its home or right
  // after the one before. Each slot of the new table is written once.
  void rebuild(std::size_t capacity) {
    std::unique_ptr<Slot[]> old = std::move(slots_);
    const std::size_t old_count = count_;
    capacity_ = capacity;
    step_ = step_for(capacity);
    allocated_ = capacity + kSpillRoom;
    if (next_ && next_allocated_ == allocated_) {
      slots_ = std::move(next_);  // written ahead (warm_next)
    } else {
      slots_.reset(new Slot[allocated_]);
    }
    next_.reset();
    next_warm_ = next_mapped_ = 0;
    count_ = 0;
    for (std::size_t i = 0; i < old_count; ++i) {
      if (!old[i].node) continue;
      const std::size_t at = home(old[i].rank);
      while (count_ < at) push_slot(Slot{0, nullptr});
      push_slot(old[i]);
    }
    while (count_ < capacity) push_slot(Slot{0, nullptr});
  }
  // Memory the process never wrote costs most on its first write (4-13 us per 4 KiB page in
  // the CI's VMs, even when mapped ahead): a table of a million requests took 70-100 ms to
  // write at once. So from a quarter full on, each insert writes a few slots of the table the
  // next growth will use, and the growth itself writes memory that is ready (~5 ms). The pages
  // are mapped 64 KiB at a time before they are written (MADV_POPULATE_WRITE: 0.8 us a page
  // against 6 us for a fault per page, measured here; the first write still costs the VM's
  // ~4.4 us); a kernel without it (before 5.14) faults them one by one as before.
  void warm_next() {
    if (!next_) {
      next_allocated_ = 2 * capacity_ + kSpillRoom;
      next_.reset(new Slot[next_allocated_]);
      next_warm_ = next_mapped_ = 0;
    }
    const std::size_t to = std::min(next_allocated_, next_warm_ + kWarmSlots);
    if (to > next_mapped_) map_next();
    std::fill(next_.get() + next_warm_, next_.get() + to, Slot{0, nullptr});
    next_warm_ = to;
  }
  void map_next() {
    constexpr std::uintptr_t kPage = 4096, kChunk = 64 * 1024;
    const auto base = reinterpret_cast<std::uintptr_t>(next_.get());
    const std::uintptr_t end = (base + next_allocated_ * sizeof(Slot)) & ~(kPage - 1);
    const std::uintptr_t from = (base + next_mapped_ * sizeof(Slot) + kPage - 1) & ~(kPage - 1);
    const std::uintptr_t until = std::min(end, from + kChunk);
    if (from < until && populate_works().load(std::memory_order_relaxed)) {
      if (::madvise(reinterpret_cast<void*>(from), until - from, MADV_POPULATE_WRITE) != 0 &&
          errno == EINVAL) {
        populate_works().store(false, std::memory_order_relaxed);
      }
    }
    // The slots up to `until` are mapped (or left to fault: the same result, slower).
    next_mapped_ =
        std::max(next_mapped_ + kWarmSlots,
                 static_cast<std::size_t>((std::max(until, from) - base) / sizeof(Slot)));
  }
  static std::atomic<bool>& populate_works() {
    static std::atomic<bool> works{true};  // false once the kernel said EINVAL
    return works;
  }
  // One more empty slot past the end, for a run that reaches it.
  void spill() { push_slot(Slot{0, nullptr}); }
  void push_slot(Slot s) {
    if (count_ == allocated_) {
      allocated_ += allocated_ / 8 + kSpillRoom;
      std::unique_ptr<Slot[]> grown(new Slot[allocated_]);
      std::copy(slots_.get(), slots_.get() + count_, grown.get());
      slots_ = std::move(grown);
    }
    slots_[count_++] = s;
  }

  static constexpr std::size_t kSpillRoom = 64;
  static constexpr std::size_t kWarmFrom = std::size_t{1} << 14;  // smaller tables: cheap anyway
  static constexpr std::size_t kWarmSlots = 16;  // per insert: the next table (2x) is ready
                                                 // in an eighth of the inserts till growth
  std::unique_ptr<Slot[]> slots_;
  std::size_t count_ = 0;         // slots in use: capacity_ home slots and the spill after them
  std::size_t allocated_ = 0;     // slots allocated
  std::unique_ptr<Slot[]> next_;  // the next growth's table, written ahead up to next_warm_
  std::size_t next_allocated_ = 0, next_warm_ = 0, next_mapped_ = 0;
  std::size_t capacity_ = kMinCapacity;
  std::uint64_t step_ = step_for(kMinCapacity);
  std::size_t size_ = 0;
};

}  // namespace rqcheck::fake
