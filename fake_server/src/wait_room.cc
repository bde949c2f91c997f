#include "wait_room.h"

namespace rqcheck::fake {

namespace {
thread_local WaitHooks* tl_hooks = nullptr;
}  // namespace

void set_thread_wait_hooks(WaitHooks* hooks) { tl_hooks = hooks; }

WaitingRoom::WaitingRoom() : hooks_(tl_hooks) {
  if (hooks_) {
    tl_hooks = nullptr;  // a nested wait is the same wait
    hooks_->wait_begins();
  }
}

WaitingRoom::~WaitingRoom() {
  if (hooks_) {
    hooks_->wait_ends();
    tl_hooks = hooks_;
  }
}

}  // namespace rqcheck::fake
