// The state-machine properties: random command sequences (commands/commands.h) against a fresh
// queue per case, each command's answer compared with the model's (model/queue_model.h).
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include "../commands/commands.h"
#include "../properties.h"
#include "../registry.h"

namespace rqcheck::prop {
namespace anchors {
void state_machines() {}
}  // namespace anchors

namespace {

using namespace rc::state::gen;

// One case: a fresh queue, a generated command sequence run against it; on failure the
// transcript is kept for the replay script. In the lag-tolerant mode the case ends by waiting
// the bound out and checking that nothing was lost (settle, commands/consistency.h).
template <typename GenFunc>
void run_machine(CaseEnv& env, const Checks& checks, bool exact_order, GenFunc&& gen) {
  Target& target = env.target;
  auto q = target.fresh_queue();
  require_ok(q, "creating the case's queue");
  Sut sut{target, target.http(), *q, checks};
  sut.m.set_consistency_lag(model_bound(env.consistency_lag_ms, target.virtual_clock()));
  sut.t0 = target.clock_now_ms();
  State s0;
  s0.virtual_clock = target.virtual_clock();
  s0.exact_order = exact_order;
  try {
    const auto cmds = *rc::state::gen::commands(s0, gen);
    // The length distribution (RapidCheck prints it with the result; rq-properties --verbose).
    const std::size_t n = cmds.size();
    RC_TAG(n <= 5    ? "commands 1-5"
           : n <= 15 ? "commands 6-15"
           : n <= 40 ? "commands 16-40"
                     : "commands 41+");
    rc::state::runAll(cmds, s0, sut);
    if (env.consistency_lag_ms > 0) {
      auto f = settle(SettleIo{target, sut.api, sut.queue, sut.m, target.virtual_clock(),
                               exact_order, sut.started, env.consistency_lag_ms});
      if (f) RC_FAIL(f->what + "\n  expected: " + f->expected + "\n  received: " + f->received);
    }
  } catch (...) {
    env.failed_steps = target.transcript();
    target.drop_queue(*q);
    throw;
  }
  target.drop_queue(*q);
}

using CmdPtr = std::shared_ptr<const Cmd>;

template <typename C>
std::pair<std::size_t, rc::Gen<CmdPtr>> w(std::size_t weight, const State& s) {
  return {weight, execOneOfWithArgs<C>()(s)};
}

}  // namespace

RQ_PROPERTY(dedup, {.id = "dedup",
                    .title = "ids stable per uniqueKey; wasAlreadyPresent/Handled as the model "
                             "says; stored requests = distinct keys",
                    .level = "must",
                    .guards = {"decision 19 (ids stable per uniqueKey)", "decision 20",
                               "decision 21", "decision 4", "decision 22",
                               "wasAlreadyPresent and wasAlreadyHandled of every add and update"},
                    .breaking_bug = "DedupByUrl"}) {
  run_machine(env, Checks{}, false, [](const State& s) {
    return rc::gen::weightedOneOf<CmdPtr>(
        {w<AddRequest>(5, s), w<BatchAdd>(3, s), w<UpdateRequest>(2, s), w<GetRequest>(2, s),
         w<DeleteRequest>(1, s), w<BatchDelete>(1, s), w<ListWalk>(1, s)});
  });
}

RQ_PROPERTY(pagination, {.id = "pagination",
                         .title = "a list walk returns every matching request exactly once and "
                                  "ends, also with adds and deletes between pages",
                         .level = "must",
                         .guards = {"decision 31", "decision 32"},
                         .breaking_bug = "CursorSkipsItem"}) {
  run_machine(env, Checks{}, false, [](const State& s) {
    return rc::gen::weightedOneOf<CmdPtr>({w<AddRequest>(3, s), w<BatchAdd>(4, s),
                                           w<UpdateRequest>(1, s), w<LockHead>(1, s),
                                           w<DeleteRequest>(1, s), w<AdvanceClock>(1, s),
                                           w<ListWalk>(4, s), w<ListWalkWithChurn>(2, s)});
  });
}

RQ_PROPERTY(counters, {.id = "counters",
                       .title = "total = handled + pending after every step, each equal to the "
                                "model's",
                       .level = "must",
                       .guards = {"decision 36", "decision 21"},
                       .breaking_bug = "CounterNotUpdated"}) {
  Checks checks;
  checks.counters = true;
  run_machine(env, checks, false, [](const State& s) {
    return rc::gen::weightedOneOf<CmdPtr>(
        {w<AddRequest>(4, s), w<BatchAdd>(3, s), w<UpdateRequest>(3, s), w<DeleteRequest>(2, s),
         w<BatchDelete>(1, s), w<LockHead>(1, s), w<GetQueue>(1, s)});
  });
}

// Locks and order share their commands; order also asserts the exact queue order.
template <typename Env>
void lock_machine(Env& env, bool exact) {
  Checks checks;
  checks.exact_order = exact;
  run_machine(env, checks, exact, [](const State& s) {
    return rc::gen::weightedOneOf<CmdPtr>(
        {w<AddRequest>(3, s), w<BatchAdd>(2, s), w<UpdateRequest>(1, s), w<LockHead>(4, s),
         w<ProlongLock>(2, s), w<DeleteLock>(2, s), w<Unlock>(1, s), w<AdvanceClock>(2, s),
         w<Head>(2, s), w<GetRequest>(1, s)});
  });
}

RQ_PROPERTY(locks, {.id = "locks",
                    .title = "no request held by two clients; expired locks return to the head; "
                             "only the owner prolongs or deletes a lock",
                    .level = "must",
                    .guards = {"decision 26", "decision 27", "decision 28", "decision 29"},
                    .breaking_bug = "LockNotExclusive"}) {
  lock_machine(env, false);
}

RQ_PROPERTY(order, {.id = "order",
                    .title = "head and head/lock follow the queue order (forefront newest "
                             "first, then FIFO; expired locks by expiry time)",
                    .level = "should",
                    .guards = {"decision 24", "decision 25", "decision 29"},
                    .breaking_bug = "HeadOrderReversed"}) {
  lock_machine(env, true);
}

}  // namespace rqcheck::prop
