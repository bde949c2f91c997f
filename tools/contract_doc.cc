// rq-contract-doc: writes docs/contract.md from the registries that cite the contract: the
// decisions of core (contract.h), the obligations (obligations.cc: every sentence of the seeds
// and the spec a server can break), the conformance checks, the properties, the fake's named
// bugs and the fake's tests (fake_server/tests/DECISIONS.md). A ctest compares its output with
// the committed file; with --check-gaps it fails (exit 1) when an obligation nothing tests gives
// no reason, or an obligation that something tests still claims it cannot be tested, or a bug of
// the second set names no obligation (each obligation lists the second-set bugs that break it).
//
//   rq-contract-doc --decisions-map fake_server/tests/DECISIONS.md > docs/contract.md
//   rq-contract-doc --decisions-map fake_server/tests/DECISIONS.md --check-gaps
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "obligations.h"
#include "registry.h"
#include "rqcheck/conformance/check.h"
#include "rqcheck/core/contract.h"
#include "rqcheck/fake_server/server.h"

namespace {

using namespace rqcheck;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// Decision number -> the test names of the fake that pin it (the table of DECISIONS.md).
std::map<int, std::vector<std::string>> read_map(const std::string& path, bool& ok) {
  std::map<int, std::vector<std::string>> out;
  std::ifstream in(path);
  ok = static_cast<bool>(in);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 4 || line[0] != '|' || line[2] < '0' || line[2] > '9') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line.substr(1));
    std::string col;
    while (std::getline(ss, col, '|')) cols.push_back(trim(col));
    if (cols.size() < 3) continue;
    int n = std::atoi(cols[0].c_str());
    std::stringstream tests(cols[2]);
    std::string t;
    while (std::getline(tests, t, ';')) {
      t = trim(t.substr(0, t.find('(')));
      if (!t.empty()) out[n].push_back(t);
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// What tests one obligation, from the registries.
struct Testers {
  std::vector<std::string> checks, properties;
  std::string schemas;
  bool any() const { return !checks.empty() || !properties.empty() || !schemas.empty(); }
};

Testers testers_of(const contract::Obligation& ob) {
  Testers t;
  for (const conformance::Check& c : conformance::all_checks()) {
    if (contract::cites(ob, c.source)) {
      t.checks.push_back("`" + c.id + "` (" + std::string(conformance::level_name(c.level)) + ")");
    }
  }
  for (const prop::Property& p : prop::all_properties()) {
    for (const auto& g : p.guards) {
      if (contract::cites(ob, g)) {
        t.properties.push_back("property `" + p.id + "` (" + p.level + ")");
        break;
      }
    }
  }
  if (!ob.schemas.empty()) t.schemas = std::string(ob.schemas);
  return t;
}

// The second-set bugs (written from the obligations, issue 12) that name `ob` in their breaks.
const std::vector<fake::BugDescription>& catalogue() {
  static const std::vector<fake::BugDescription> all = fake::bug_catalogue();
  return all;
}

std::vector<std::string> second_set_bugs_of(const contract::Obligation& ob) {
  std::vector<std::string> out;
  for (const auto& b : catalogue()) {
    if (b.set == "second" && contract::names(ob, b.breaks)) out.push_back("`" + b.name + "`");
  }
  return out;
}

// Second-set bugs whose breaks name no obligation (a typo in an id, or a bug of no rule).
std::vector<std::string> second_set_bugs_naming_nothing() {
  std::vector<std::string> out;
  for (const auto& b : catalogue()) {
    if (b.set != "second") continue;
    bool any = false;
    for (const auto& ob : contract::obligations()) any = any || contract::names(ob, b.breaks);
    if (!any) out.push_back("`" + b.name + "`");
  }
  return out;
}

std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

void write_obligations(std::ostream& o) {
  o << "## Obligations\n\n"
       "Every sentence of the seed pages (`/work/shared/seeds/`) and of the spec "
       "(`request-queue-api.md` sections 1-6) that a server can break, and every decision of "
       "section 9, with what tests it. The list is data (`tools/obligations.cc`; the decisions "
       "come from core's table); what tests each one is found in the registries: the checks "
       "whose `source` cites it, the properties whose `guards` cite it, and the schema files "
       "that encode it (rq-conformance validates every answer of every check against them). "
       "Section 7 (the official clients) and section 8 (seed vs spec differences) bind clients, "
       "not servers; their server-side consequences are the decisions. The last column names "
       "the bugs of the fake's second set (`fake_server/src/bugs/subtle_*.cc`, written from "
       "these obligations and not from the checks) that break each one; the suite's catch rate "
       "on them is in the README.\n\n"
       "| obligation | source | what the server must do | related decision | tested by | "
       "second-set bugs |\n"
       "|---|---|---|---|---|---|\n";
  std::vector<const contract::Obligation*> untestable, open, untested, unbroken;
  for (const auto& ob : contract::obligations()) {
    std::vector<std::string> bugs = second_set_bugs_of(ob);
    if (bugs.empty() && ob.untestable.empty()) unbroken.push_back(&ob);
    Testers t = testers_of(ob);
    std::vector<std::string> all = t.checks;
    all.insert(all.end(), t.properties.begin(), t.properties.end());
    if (!t.schemas.empty()) all.push_back("schemas: " + t.schemas);
    std::string by = join(all);
    if (all.empty()) {
      by = !ob.untestable.empty() ? "cannot be tested from outside (see Gaps)"
           : !ob.open.empty()     ? "**nothing yet: an open gap** (see Gaps)"
                                  : "**nothing: a gap**";
    }
    o << "| `" << ob.id << "` | " << cell(ob.source) << " | " << cell(ob.text) << " | "
      << (ob.decision ? std::to_string(ob.decision) : std::string("")) << " | " << by << " | "
      << join(bugs) << " |\n";
    if (!t.any() && !ob.untestable.empty()) untestable.push_back(&ob);
    if (!t.any() && ob.untestable.empty() && !ob.open.empty()) open.push_back(&ob);
    if (!t.any() && ob.untestable.empty() && ob.open.empty()) untested.push_back(&ob);
  }
  o << "\n## Gaps\n\n"
       "Obligations nothing tests. A gap without a reason, or a reason or open note left on an "
       "obligation that is tested, fails the ctest ContractDoc.GapsExplained.\n\n"
       "Cannot be tested from outside:\n\n";
  for (const auto* ob : untestable) o << "- `" << ob->id << "`: " << ob->untestable << "\n";
  if (untestable.empty()) o << "- none\n";
  o << "\nOpen (testable from outside, not tested yet; what would test it):\n\n";
  for (const auto* ob : open) o << "- `" << ob->id << "`: " << ob->open << "\n";
  if (open.empty()) o << "- none\n";
  o << "\nGaps without a reason: ";
  std::vector<std::string> ids;
  for (const auto* ob : untested) ids.push_back("`" + std::string(ob->id) + "`");
  o << (ids.empty() ? std::string("none") : join(ids)) << ".\n";
  o << "\n## The independent bug set\n\n"
       "Testable obligations that no second-set bug breaks (fails ContractDoc.GapsExplained): ";
  ids.clear();
  for (const auto* ob : unbroken) ids.push_back("`" + std::string(ob->id) + "`");
  o << (ids.empty() ? std::string("none") : std::to_string(ids.size()) + ": " + join(ids))
    << ".\n\nSecond-set bugs that name no obligation (fails ContractDoc.GapsExplained): ";
  std::vector<std::string> nameless = second_set_bugs_naming_nothing();
  o << (nameless.empty() ? std::string("none") : join(nameless)) << ".\n";
}

int gaps_main() {
  int bad = 0;
  for (const auto& ob : contract::obligations()) {
    Testers t = testers_of(ob);
    if (!t.any() && ob.untestable.empty() && ob.open.empty()) {
      std::cerr << "gap: " << ob.id << " (" << ob.source << ": " << ob.text
                << ") is tested by nothing and says neither why it cannot be tested nor what "
                   "would test it\n";
      ++bad;
    }
    if (t.any() && (!ob.untestable.empty() || !ob.open.empty())) {
      std::cerr << "stale gap: " << ob.id << " is listed as a gap, but " << join(t.checks)
                << (t.checks.empty() ? "" : " ") << join(t.properties)
                << " test it: drop its untestable/open text in tools/obligations.cc\n";
      ++bad;
    }
    if (!ob.untestable.empty() && !ob.open.empty()) {
      std::cerr << ob.id << ": both untestable and open\n";
      ++bad;
    }
    // Issue 12: the suite is measured on bugs written from the obligations, at least one each.
    if (ob.untestable.empty() && second_set_bugs_of(ob).empty()) {
      std::cerr << "no second-set bug breaks " << ob.id << " (" << ob.text
                << "): write one in fake_server/src/bugs/subtle_*.cc, its breaks text starting "
                   "with this id\n";
      ++bad;
    }
  }
  for (const auto& name : second_set_bugs_naming_nothing()) {
    std::cerr << "second-set bug " << name
              << " names no obligation: start its breaks text with the ids of docs/contract.md "
                 "it breaks (\"decision N\" for a decision)\n";
    ++bad;
  }
  std::set<std::string> ids;
  for (const auto& ob : contract::obligations()) {
    if (!ids.insert(std::string(ob.id)).second) {
      std::cerr << "duplicate obligation id " << ob.id << "\n";
      ++bad;
    }
  }
  std::cerr << contract::obligations().size() << " obligations, " << bad << " problems\n";
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string map_path;
  bool check_gaps = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--decisions-map" && i + 1 < argc) {
      map_path = argv[++i];
    } else if (a == "--check-gaps") {
      check_gaps = true;
    } else {
      std::cerr << "usage: rq-contract-doc --decisions-map fake_server/tests/DECISIONS.md "
                   "[--check-gaps]\n";
      return 2;
    }
  }
  bool map_ok = false;
  auto tests = read_map(map_path, map_ok);
  if (!map_ok) {
    std::cerr << "rq-contract-doc: cannot read " << map_path << "\n";
    return 2;
  }
  std::map<int, std::vector<const conformance::Check*>> checks;
  for (const conformance::Check& c : conformance::all_checks()) {
    for (int n : cited_decisions(c.source)) checks[n].push_back(&c);
  }
  std::map<int, std::vector<fake::BugDescription>> bugs;
  for (const auto& b : fake::bug_catalogue()) {
    for (int n : cited_decisions(b.breaks)) bugs[n].push_back(b);
  }
  std::map<int, std::vector<const prop::Property*>> props;
  for (const prop::Property& p : prop::all_properties()) {
    std::string guards = join(p.guards, "; ");
    for (int n : cited_decisions(guards)) props[n].push_back(&p);
  }
  if (check_gaps) return gaps_main();
  std::ostream& o = std::cout;
  o << "# The contract: decisions and what guards them\n\n"
       "<!-- Generated by rq-contract-doc from core/src/contract.cc, the check registry "
       "(conformance/checks/), the named bugs (fake_server/src/bugs/) and "
       "fake_server/tests/DECISIONS.md. Do not edit: a ctest (ContractDoc.InSync) fails when it "
       "drifts; regenerate with `build/bin/rq-contract-doc --decisions-map "
       "fake_server/tests/DECISIONS.md > docs/contract.md`. -->\n\n"
       "The sources (the Apify docs, the OpenAPI description, the official clients) leave some "
       "points open or disagree. These are the project's decisions, one row each. Every check "
       "of `rq-conformance` carries a level:\n\n"
       "- **must**: written in the docs or the spec; a target that breaks it fails the run.\n"
       "- **should**: platform behaviour the official clients rely on, not written as a rule; a "
       "warning, a failure under `--strict`.\n"
       "- **tolerate**: the sources disagree or say nothing; every listed answer passes, and the "
       "check reports which one the target gave.\n\n"
       "`rq-fake` answers the first alternative of every row and can switch to the others "
       "(`--behave`). Under each decision: the schemas that encode it, the checks that test it "
       "(with their level), the named bugs of the fake that break it (each must make one of "
       "those checks fail: the conformance self-test proves it) and the fake's own tests that "
       "pin its behaviour.\n\n";
  std::vector<int> no_check, no_bug, no_test;
  for (const Decision& d : decisions()) {
    o << "## Decision " << d.number << ": " << d.topic << "\n\n";
    o << "- **rq-fake:** " << d.fake_does << "\n";
    o << "- **Level:** " << d.level << "\n";
    o << "- **Schemas:** " << (d.schemas.empty() ? std::string("none") : std::string(d.schemas))
      << "\n";
    std::vector<std::string> cs;
    for (const auto* c : checks[d.number]) {
      cs.push_back("`" + c->id + "` (" + std::string(conformance::level_name(c->level)) + ")");
    }
    o << "- **Checks:** " << (cs.empty() ? "none" : join(cs)) << "\n";
    std::vector<std::string> bs;
    for (const auto& b : bugs[d.number]) bs.push_back("`" + b.name + "` (" + b.seam + ")");
    std::vector<std::string> ps;
    for (const auto* p : props[d.number]) ps.push_back("`" + p->id + "` (" + p->level + ")");
    o << "- **Properties:** " << (ps.empty() ? "none" : join(ps)) << "\n";
    o << "- **Named bugs:** " << (bs.empty() ? "none" : join(bs)) << "\n";
    std::vector<std::string> ts;
    for (const auto& t : tests[d.number]) ts.push_back("`" + t + "`");
    o << "- **Fake tests:** " << (ts.empty() ? "none" : join(ts)) << "\n\n";
    if (cs.empty()) no_check.push_back(d.number);
    if (bs.empty()) no_bug.push_back(d.number);
    if (ts.empty()) no_test.push_back(d.number);
  }
  auto list = [](const std::vector<int>& v) {
    std::string s;
    for (int n : v) s += (s.empty() ? "" : ", ") + std::to_string(n);
    return s.empty() ? std::string("none") : s;
  };
  o << "## Coverage\n\n"
    << "- Decisions without a check: " << list(no_check) << "\n"
    << "- Decisions without a named bug: " << list(no_bug) << "\n"
    << "- Decisions without a fake test: " << list(no_test) << "\n\n";
  write_obligations(o);
  return 0;
}
