// How many requests the fake computes at once, and how a request that waits steps aside.
//
//   WaitingRoom waiting;                    // anywhere inside a request, around a wait:
//   std::this_thread::sleep_for(latency);   // another worker may serve meanwhile
//
// The transport's workers (transport.h) serve a request each. 64 busy connections served by 64
// threads on 2 cores spend the cores switching between them and answer in whatever order the
// scheduler picks, so only `TransportOptions::running` workers compute at once; the others'
// requests wait in the order they arrived. A request that waits in the middle (a fault's latency,
// a client slow to read its answer, a commit becoming durable) is not computing: inside a
// WaitingRoom it stops counting, so another worker may start. Leaving it never blocks, so a wait
// can hold up no other request and no lock order can deadlock on a turn.
#pragma once

namespace rqcheck::fake {

// What the worker pool learns of a wait (the transport implements it).
class WaitHooks {
 public:
  virtual void wait_begins() = 0;
  virtual void wait_ends() = 0;

 protected:
  ~WaitHooks() = default;
};

// The calling thread's pool: set by the transport's workers, null elsewhere.
void set_thread_wait_hooks(WaitHooks* hooks);

// Tells the calling thread's pool, if any, that this thread waits while it exists.
class WaitingRoom {
 public:
  WaitingRoom();
  ~WaitingRoom();
  WaitingRoom(const WaitingRoom&) = delete;
  WaitingRoom& operator=(const WaitingRoom&) = delete;

 private:
  WaitHooks* hooks_;
};

}  // namespace rqcheck::fake
