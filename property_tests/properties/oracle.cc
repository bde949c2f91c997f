// The oracle properties: every operation, three clientKeys and the virtual clock in one random
// sequence (commands/oracle.h), every answer and a read-back of the state after every write
// compared with the model.
#include "../commands/oracle.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <cctype>

#include "../properties.h"
#include "../registry.h"

namespace rqcheck::prop {
namespace anchors {
void oracle() {}
}  // namespace anchors

namespace {

using namespace rc::state::gen;
using namespace oracle;
using CmdPtr = std::shared_ptr<const oracle::Cmd>;

template <typename C>
std::pair<std::size_t, rc::Gen<CmdPtr>> w(std::size_t weight, const oracle::State& s) {
  return {weight, execOneOfWithArgs<C>()(s)};
}

void run_oracle(CaseEnv& env, bool exact) {
  Target& target = env.target;
  auto q = target.fresh_queue();
  if (!q) RC_FAIL("creating the case's queue failed: " + oracle::err_text(q.error()));
  oracle::Sut sut{target, target.http(), *q};
  sut.exact = exact;
  sut.virtual_clock = target.virtual_clock();
  sut.t0 = target.clock_now_ms();
  sut.m.set_consistency_lag(model_bound(env.consistency_lag_ms, sut.virtual_clock));
  // Queue names of this case (names are per account): from its first queue's id.
  sut.name_prefix = "rqprop-";
  for (char c : *q)
    sut.name_prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  oracle::State s0;
  s0.virtual_clock = sut.virtual_clock;
  try {
    const auto cmds = *rc::state::gen::commands(s0, [](const oracle::State& s) {
      return rc::gen::weightedOneOf<CmdPtr>(
          {w<Add>(4, s), w<BatchAdd>(3, s), w<Get>(1, s), w<Update>(3, s), w<Delete>(2, s),
           w<BatchDelete>(1, s), w<ListWalk>(2, s), w<Head>(2, s), w<LockHead>(4, s),
           w<Prolong>(2, s), w<DeleteLock>(2, s), w<Unlock>(1, s), w<GetQueue>(1, s),
           w<UpdateQueue>(1, s), w<DeleteQueue>(1, s), w<AdvanceClock>(3, s), w<Refused>(1, s)});
    });
    const std::size_t n = cmds.size();
    RC_TAG(n <= 5    ? "commands 1-5"
           : n <= 15 ? "commands 6-15"
           : n <= 40 ? "commands 16-40"
                     : "commands 41+");
    rc::state::runAll(cmds, s0, sut);
    if (env.consistency_lag_ms > 0) {
      // No loss: once the bound has passed, head and head/lock show every available request
      // and the counters are exact.
      sut.command = "Settle(the consistency bound of " + std::to_string(env.consistency_lag_ms) +
                    " ms waited out)";
      sut.mark = target.transcript_size();
      auto f = settle(SettleIo{target, sut.api, sut.queue, sut.m, sut.virtual_clock, exact,
                               sut.started, env.consistency_lag_ms});
      if (f) oracle::mismatch(sut, f->what, f->expected, f->received);
    }
  } catch (...) {
    env.failed_steps = target.transcript();
    target.drop_queue(sut.queue);
    throw;
  }
  target.drop_queue(sut.queue);
}

}  // namespace

RQ_PROPERTY(oracle,
            {.id = "oracle",
             .title = "every operation, three clients and the virtual clock mixed; each "
                      "answer and a read-back after each write equal the model's",
             .level = "must",
             .guards = {"decision 1",
                        "decision 4",
                        "decision 5",
                        "decision 6",
                        "decision 9",
                        "decision 14",
                        "decision 19",
                        "decision 20",
                        "decision 21",
                        "decision 22",
                        "decision 23",
                        "decision 25",
                        "decision 26",
                        "decision 27",
                        "decision 28",
                        "decision 29",
                        "decision 30",
                        "decision 31",
                        "decision 32",
                        "decision 36",
                        "spec section 2: stored as given (read back after every write)",
                        "spec section 3 row 6, row 11: add and update answers",
                        "spec section 4 (4): PUT changes name",
                        "spec section 4 (5)",
                        "spec section 4 (8): processed items carry their uniqueKey",
                        "spec section 4 (9)",
                        "spec section 4 (11)",
                        "spec section 4 (14): Each item's lockExpiresAt = now + lockSecs",
                        "queueHasLockedRequests says whether any client holds locks",
                        "spec section 4 (16)",
                        "spec section 4 (17)",
                        "spec section 6.2: modifiedAt after every change",
                        "accessedAt changes on any access",
                        "~queue-name: the renamed queue by its name",
                        "wasAlreadyPresent and wasAlreadyHandled of every add and update",
                        "a PUT drops the request's lock",
                        "If any delete operation fails: unprocessed items stay stored",
                        "list page items: id, uniqueKey, url as stored; at most limit items"},
             .breaking_bug = "DeleteLockIgnored"}) {
  run_oracle(env, false);
}

RQ_PROPERTY(oracle_should,
            {.id = "oracle_should",
             .title = "the oracle with the 'should' rules too: exact queue order, "
                      "prolong expiry = now + lockSecs, default head limit, "
                      "nextCursor exactly on full pages, refused bad ids, "
                      "duplicates and clientKeys",
             .level = "should",
             .guards = {"decision 2", "decision 3", "decision 7", "decision 8", "decision 11",
                        "decision 24", "decision 25", "decision 27", "decision 29", "decision 31"},
             .breaking_bug = "RequestIdNotChecked"}) {
  run_oracle(env, true);
}

}  // namespace rqcheck::prop
