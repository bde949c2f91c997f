#include "rqcheck/conformance/report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

#include "rqcheck/conformance/reproducer.h"
#include "rqcheck/core/json.h"

namespace rqcheck::conformance {

namespace {

std::string escape_xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // XML 1.0 forbids most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += '?';
        else
          out += c;
    }
  }
  return out;
}

std::string op_id(const Check& c) { return std::string(operation_info(c.operation).id); }
std::string op_name(Operation op) { return std::string(operation_info(op).id); }

constexpr std::size_t kReportBodyLimit = 16 * 1024;

std::string cut(const std::string& s, std::size_t n = kReportBodyLimit) {
  return s.size() > n ? s.substr(0, n) + "..." : s;
}

const char* paint(const CheckResult& r, bool color) {
  if (!color) return "";
  std::string_view l = result_label(r);
  if (l == "pass") return "\033[32m";
  if (l == "fail") return "\033[31m";
  if (l == "warn" || l == "skip") return "\033[33m";
  return "\033[35m";
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string where_text(const SchemaFinding& f) {
  std::string s;
  for (const auto& w : f.where) {
    s += (s.empty() ? "" : ", ") + op_name(w.operation) + " " + std::to_string(w.status) + " " +
         (w.path.empty() ? std::string("/") : w.path) + " (" + std::to_string(w.count) + ")";
  }
  return s;
}

std::string checks_text(const SchemaFinding& f, std::size_t max) {
  std::vector<std::string> first(f.checks.begin(),
                                 f.checks.begin() + std::min(max, f.checks.size()));
  std::string s = join(first);
  if (f.checks.size() > max) s += " and " + std::to_string(f.checks.size() - max) + " more";
  return s;
}

Json exchange_json(const client::Exchange& ex) {
  Json h = Json::array();
  for (const auto& [k, v] : ex.request_headers) h.push_back(k + ": " + v);
  Json rh = Json::array();
  for (const auto& [k, v] : ex.response_headers) rh.push_back(k + ": " + v);
  return Json{{"method", ex.method},
              {"url", ex.url},
              {"operation", ex.operation ? op_name(*ex.operation) : ""},
              {"attempt", ex.attempt},
              {"requestHeaders", h},
              {"requestBody", cut(ex.request_body)},
              {"requestBodyBytes", ex.request_body_bytes},
              {"status", ex.status},
              {"responseHeaders", rh},
              {"responseBody", cut(ex.response_body)},
              {"transportError", ex.transport_error},
              {"durationMs", ex.duration.count() / 1000.0},
              {"truncated", ex.bodies_truncated || ex.request_body.size() > kReportBodyLimit ||
                                ex.response_body.size() > kReportBodyLimit}};
}

Json finding_json(const SchemaFinding& f) {
  Json where = Json::array();
  for (const auto& w : f.where) {
    where.push_back({{"operation", op_name(w.operation)},
                     {"status", w.status},
                     {"path", w.path},
                     {"count", w.count}});
  }
  Json calls = Json::array();
  for (const auto& c : f.calls) calls.push_back({{"check", c.check_id}, {"call", c.call}});
  return Json{{"id", f.id},           {"field", f.field},
              {"rule", f.rule},       {"title", finding_title(f)},
              {"example", f.example}, {"responses", f.responses},
              {"seenOn", where},      {"calls", calls},
              {"checks", f.checks}};
}

struct OpRow {
  std::size_t total = 0, pass = 0, fail = 0, warn = 0, skip = 0, error = 0, schema = 0;
};

std::map<std::string, OpRow> by_operation(const RunReport& report) {
  std::map<std::string, OpRow> rows;
  for (const auto& op : request_queue_operations()) rows[std::string(op.id)];
  for (const auto& r : report.results) {
    OpRow& row = rows[op_id(*r.check)];
    ++row.total;
    std::string_view l = result_label(r);
    if (l == "pass") ++row.pass;
    if (l == "fail") ++row.fail;
    if (l == "warn") ++row.warn;
    if (l == "skip") ++row.skip;
    if (l == "error") ++row.error;
  }
  for (const auto& f : report.schema_findings) {
    std::vector<Operation> ops;
    for (const auto& w : f.where) {
      if (std::find(ops.begin(), ops.end(), w.operation) == ops.end()) ops.push_back(w.operation);
    }
    for (Operation op : ops) ++rows[op_name(op)].schema;
  }
  return rows;
}

std::string verdict_text(int code) {
  return code == 0   ? "conformant"
         : code == 1 ? "violations found"
                     : "harness or configuration error";
}

// "84 checks: 80 passed, 2 violations, 1 warning, ..., 1 schema finding"
std::string totals(const RunReport& report) {
  std::ostringstream s;
  s << report.results.size() << " checks: " << report.count(Verdict::kPass) << " passed, "
    << report.violations() << " violations, " << report.warnings() << " warnings, "
    << report.count(Verdict::kSkip) << " skipped, " << report.count(Verdict::kError)
    << " harness errors; " << report.schema_findings.size() << " schema finding"
    << (report.schema_findings.size() == 1 ? "" : "s");
  return s.str();
}

}  // namespace

std::string progress_line(const CheckResult& r, std::size_t index, std::size_t total, bool color) {
  std::ostringstream s;
  const Check& c = *r.check;
  s << "[" << std::setw(3) << index << "/" << total << "] " << paint(r, color) << std::left
    << std::setw(5) << upper(result_label(r)) << (color ? "\033[0m" : "") << " " << c.id << " ("
    << level_name(c.level) << ", " << r.duration.count() << " ms)";
  const Outcome& o = r.outcome;
  if (o.status == Verdict::kFail) {
    s << "\n        expected: " << o.expected << "\n        received: " << o.received;
    if (!o.evidence.empty()) s << "\n        last call: " << client::describe(o.evidence.back());
  } else if (o.status == Verdict::kSkip || o.status == Verdict::kError) {
    s << "\n        " << o.reason;
  } else if (!o.observed.empty()) {
    s << "  observed: " << o.observed;
  }
  if (!r.schema_findings.empty()) {
    s << (o.status == Verdict::kPass && o.observed.empty() ? "  " : "\n        ")
      << "schema findings in its responses: " << join(r.schema_findings) << " (listed once below)";
  }
  return s.str();
}

void write_console_summary(std::ostream& out, const RunReport& report, bool color) {
  out << "\nConformance of " << report.base_url << " (run prefix " << report.prefix << ")\n";
  if (!report.harness_error.empty()) {
    out << "HARNESS ERROR: " << report.harness_error << "\n"
        << "RESULT: " << verdict_text(report.exit_code()) << " (exit " << report.exit_code()
        << ")\n";
    return;
  }
  out << std::left << std::setw(38) << "operation" << std::right << std::setw(7) << "checks"
      << std::setw(6) << "pass" << std::setw(6) << "fail" << std::setw(6) << "warn" << std::setw(6)
      << "skip" << std::setw(7) << "error" << std::setw(8) << "schema"
      << "\n";
  for (const auto& [op, row] : by_operation(report)) {
    if (row.total == 0 && row.schema == 0) continue;
    bool red = row.fail + row.error + row.schema > 0;
    out << (color && red ? "\033[31m" : "") << std::left << std::setw(38) << op << std::right
        << std::setw(7) << row.total << std::setw(6) << row.pass << std::setw(6) << row.fail
        << std::setw(6) << row.warn << std::setw(6) << row.skip << std::setw(7) << row.error
        << std::setw(8) << row.schema << (color && red ? "\033[0m" : "") << "\n";
  }
  if (!report.schema_findings.empty()) {
    out << "\nSchema findings (every response is validated; each root cause once, not as a "
           "failure of the checks that read it):\n";
    for (const auto& f : report.schema_findings) {
      out << "  " << f.id << "  " << finding_title(f) << "  (" << f.responses << " response"
          << (f.responses == 1 ? "" : "s") << ")\n"
          << "      seen on: " << where_text(f) << "\n"
          << "      example: " << f.example << "\n";
      if (!f.calls.empty()) {
        out << "      first:   " << f.calls.front().call << " in " << f.calls.front().check_id
            << "\n";
      }
      out << "      in the responses of " << f.checks.size() << " check"
          << (f.checks.size() == 1 ? "" : "s") << ": " << checks_text(f, 6) << "\n";
    }
  }
  out << "\n"
      << totals(report) << "; " << report.requests << " requests in " << report.duration.count()
      << " ms\n";
  if (report.interrupted) out << "INTERRUPTED: the remaining checks were not run\n";
  for (const auto& e : report.cleanup_errors)
    out << "cleanup: could not delete queue " << e << "\n";
  int code = report.exit_code();
  out << "RESULT: " << verdict_text(code) << " (exit " << code << ")\n";
}

std::string json_report(const RunReport& report) {
  Json results = Json::array();
  for (const auto& r : report.results) {
    const Check& c = *r.check;
    Json ev = Json::array();
    if (r.outcome.status == Verdict::kFail || r.outcome.status == Verdict::kError) {
      for (const auto& ex : r.outcome.evidence) ev.push_back(exchange_json(ex));
    }
    results.push_back(Json{{"id", c.id},
                           {"title", c.title},
                           {"operation", op_id(c)},
                           {"level", level_name(c.level)},
                           {"source", c.source},
                           {"file", c.file + ":" + std::to_string(c.line)},
                           {"status", status_name(r.outcome.status)},
                           {"result", result_label(r)},
                           {"violation", r.violation},
                           {"expected", r.outcome.expected},
                           {"received", r.outcome.received},
                           {"reason", r.outcome.reason},
                           {"observed", r.outcome.observed},
                           {"schemaFindings", r.schema_findings},
                           {"reproducer", reproducer_path(r)},
                           {"durationMs", r.duration.count()},
                           {"evidenceOmitted", r.outcome.evidence_omitted},
                           {"evidence", ev}});
  }
  Json findings = Json::array();
  for (const auto& f : report.schema_findings) findings.push_back(finding_json(f));
  Json summary = {
      {"checks", report.results.size()},         {"passed", report.count(Verdict::kPass)},
      {"failed", report.count(Verdict::kFail)},  {"violations", report.violations()},
      {"warnings", report.warnings()},           {"skipped", report.count(Verdict::kSkip)},
      {"errors", report.count(Verdict::kError)}, {"schemaFindings", report.schema_findings.size()},
      {"exitCode", report.exit_code()},          {"result", verdict_text(report.exit_code())}};
  Json doc = {{"tool", "rq-conformance"},
              {"baseUrl", report.base_url},
              {"runPrefix", report.prefix},
              {"strict", report.strict},
              {"startedAt", report.started_at},
              {"durationMs", report.duration.count()},
              {"requests", report.requests},
              {"interrupted", report.interrupted},
              {"harnessError", report.harness_error},
              {"cleanupErrors", report.cleanup_errors},
              {"summary", summary},
              {"schemaFindings", findings},
              {"results", results}};
  return dump_json(doc) + "\n";
}

std::string junit_report(const RunReport& report) {
  std::map<std::string, std::vector<const CheckResult*>> suites;
  for (const auto& r : report.results) suites[op_id(*r.check)].push_back(&r);
  const bool harness = !report.harness_error.empty() || report.interrupted;
  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s << "<testsuites name=\"rq-conformance\" tests=\""
    << report.results.size() + report.schema_findings.size() + (harness ? 1 : 0) << "\" failures=\""
    << report.violations() + report.schema_findings.size() << "\" errors=\""
    << report.count(Verdict::kError) + (harness ? 1 : 0) << "\" skipped=\""
    << report.count(Verdict::kSkip) << "\" time=\"" << report.duration.count() / 1000.0 << "\">\n";
  if (harness) {
    std::string what = !report.harness_error.empty()
                           ? report.harness_error
                           : std::string("interrupted: the remaining checks were not run");
    s << "  <testsuite name=\"harness\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
      << "    <testcase classname=\"harness\" name=\""
      << (report.harness_error.empty() ? "interrupted" : "preflight") << "\"><error message=\""
      << escape_xml(what) << "\"/></testcase>\n  </testsuite>\n";
  }
  if (!report.schema_findings.empty()) {
    s << "  <testsuite name=\"schema\" tests=\"" << report.schema_findings.size()
      << "\" failures=\"" << report.schema_findings.size() << "\" errors=\"0\" skipped=\"0\">\n";
    for (const auto& f : report.schema_findings) {
      std::string body = "Seen on: " + where_text(f) + "\nExample: " + f.example +
                         "\nIn the responses of: " + join(f.checks) + "\nCalls:";
      for (const auto& c : f.calls) body += "\n  " + c.call + " (" + c.check_id + ")";
      s << "    <testcase classname=\"schema\" name=\"" << escape_xml(f.id + " " + finding_title(f))
        << "\">\n      <failure type=\"violation\" message=\""
        << escape_xml(finding_title(f) + " in " + std::to_string(f.responses) + " responses")
        << "\">" << escape_xml(body) << "</failure>\n    </testcase>\n";
    }
    s << "  </testsuite>\n";
  }
  for (const auto& [op, rs] : suites) {
    std::size_t f = 0, e = 0, sk = 0;
    for (auto* r : rs) {
      f += r->violation;
      e += r->outcome.status == Verdict::kError;
      sk += r->outcome.status == Verdict::kSkip;
    }
    s << "  <testsuite name=\"" << escape_xml(op) << "\" tests=\"" << rs.size() << "\" failures=\""
      << f << "\" errors=\"" << e << "\" skipped=\"" << sk << "\">\n";
    for (auto* r : rs) {
      const Check& c = *r->check;
      s << "    <testcase classname=\"" << escape_xml(op) << "\" name=\"" << escape_xml(c.id)
        << "\" time=\"" << r->duration.count() / 1000.0 << "\">\n";
      s << "      <properties><property name=\"level\" value=\"" << level_name(c.level)
        << "\"/><property name=\"result\" value=\"" << result_label(*r)
        << "\"/><property name=\"source\" value=\"" << escape_xml(c.source)
        << "\"/></properties>\n";
      const Outcome& o = r->outcome;
      std::string out;
      if (o.status == Verdict::kFail) {
        std::string body = "Expected: " + o.expected + "\nReceived: " + o.received + "\n";
        if (std::string repro = reproducer_path(*r); !repro.empty()) {
          body += "Reproduce: bash " + repro + " (in the report dir)\n";
        }
        const std::size_t n = o.evidence.size();
        for (std::size_t i = 0; i < n; ++i) {
          if (i == 40 && n > 60) {
            body += "\n(" + std::to_string(n - 60) + " more calls)";
            i = n - 20;
          }
          body += "\n" + client::describe(o.evidence[i]);
        }
        if (r->violation) {
          s << "      <failure type=\"violation\" message=\"" << escape_xml(c.title) << "\">"
            << escape_xml(body) << "</failure>\n";
        } else {
          out = "WARNING (should-level; a failure only under --strict): " + c.title + "\n" + body;
        }
      } else if (o.status == Verdict::kError) {
        s << "      <error message=\"" << escape_xml(o.reason) << "\"/>\n";
      } else if (o.status == Verdict::kSkip) {
        s << "      <skipped message=\"" << escape_xml(o.reason) << "\"/>\n";
      } else if (!o.observed.empty()) {
        out = "observed: " + o.observed;
      }
      if (!r->schema_findings.empty()) {
        out += (out.empty() ? "" : "\n") + std::string("schema findings in its responses: ") +
               join(r->schema_findings) + " (testsuite schema)";
      }
      if (!out.empty()) s << "      <system-out>" << escape_xml(out) << "</system-out>\n";
      s << "    </testcase>\n";
    }
    s << "  </testsuite>\n";
  }
  s << "</testsuites>\n";
  return s.str();
}

std::string html_report(const RunReport& report) {
  std::ostringstream s;
  int code = report.exit_code();
  s << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    << "<title>rq-conformance: " << escape_xml(report.base_url) << "</title>\n<style>\n"
    << "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
       "text-align:left;vertical-align:top}.pass{background:#d7f5d7}.fail{background:#f8d0d0}"
       ".warn{background:#fbeec0}.skip{background:#eee;color:#666}.error{background:#e8d0f0}"
       "pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap;max-height:30em}"
       "details{margin:.5em 0 1em}.cell{display:inline-block;min-width:1.3em;text-align:center;"
       "margin:1px;border-radius:3px;text-decoration:none;color:#222;padding:1px 4px}"
       "h1 small{font-weight:normal;color:#666}\n</style></head><body>\n";
  s << "<h1>Request-queue API conformance <small>" << escape_xml(report.base_url)
    << "</small></h1>\n";
  s << "<p>Run prefix <code>" << escape_xml(report.prefix) << "</code>, started "
    << escape_xml(report.started_at) << ", " << report.duration.count() << " ms, "
    << report.requests << " requests" << (report.strict ? ", strict" : "") << ". <b>"
    << escape_xml(verdict_text(code)) << "</b> (exit " << code
    << "): " << escape_xml(totals(report)) << ".</p>\n";
  if (!report.harness_error.empty()) {
    s << "<p class=\"error\">" << escape_xml(report.harness_error) << "</p>\n";
  }
  if (report.interrupted) {
    s << "<p class=\"error\">Interrupted: the remaining checks were not run.</p>\n";
  }
  std::map<std::string, std::vector<const CheckResult*>> by_op;
  for (const auto& r : report.results) by_op[op_id(*r.check)].push_back(&r);
  auto css = [](const CheckResult& r) { return std::string(result_label(r)); };
  s << "<h2>Operations</h2>\n<table><tr><th>operation</th><th>checks</th></tr>\n";
  for (const auto& op : request_queue_operations()) {
    auto it = by_op.find(std::string(op.id));
    s << "<tr><td><code>" << op.method << " " << escape_xml(op.path) << "</code><br><small>"
      << op.id << "</small></td><td>";
    if (it == by_op.end())
      s << "<span class=\"skip\">no check selected</span>";
    else
      for (auto* r : it->second) {
        s << "<a class=\"cell " << css(*r) << "\" href=\"#" << escape_xml(r->check->id)
          << "\" title=\"" << escape_xml(r->check->id + ": " + r->check->title) << "\">"
          << escape_xml(r->check->id.substr(r->check->id.find('.', 3) + 1)) << "</a> ";
      }
    s << "</td></tr>\n";
  }
  s << "</table>\n";
  if (!report.schema_findings.empty()) {
    s << "<h2>Schema findings</h2>\n<p>Every response is validated against the schema of its "
         "operation and status. Each root cause is listed once; the checks whose responses "
         "showed it are judged on their own assertions.</p>\n"
         "<table><tr><th>finding</th><th>responses</th><th>seen on</th><th>calls</th></tr>\n";
    for (const auto& f : report.schema_findings) {
      s << "<tr id=\"" << escape_xml(f.id) << "\" class=\"fail\"><td><b>" << escape_xml(f.id)
        << "</b> <code>" << escape_xml(finding_title(f)) << "</code><br><small>e.g. "
        << escape_xml(f.example) << "</small></td><td>" << f.responses << "</td><td>"
        << escape_xml(where_text(f)) << "</td><td>";
      for (const auto& c : f.calls) {
        s << escape_xml(c.call) << " <small>(<a href=\"#" << escape_xml(c.check_id) << "\">"
          << escape_xml(c.check_id) << "</a>)</small><br>";
      }
      s << "<small>in the responses of " << f.checks.size() << " checks</small></td></tr>\n";
    }
    s << "</table>\n";
  }
  s << "<h2>Checks</h2>\n<table><tr><th>check</th><th>level</th><th>result</th>"
       "<th>details</th></tr>\n";
  for (const auto& r : report.results) {
    const Check& c = *r.check;
    const Outcome& o = r.outcome;
    s << "<tr id=\"" << escape_xml(c.id) << "\" class=\"" << css(r) << "\"><td><b>"
      << escape_xml(c.id) << "</b><br>" << escape_xml(c.title) << "<br><small>"
      << escape_xml(op_id(c)) << " &mdash; " << escape_xml(c.source) << "</small></td><td>"
      << level_name(c.level) << "</td><td>" << upper(result_label(r)) << "</td><td>";
    if (o.status == Verdict::kFail) {
      s << "<b>Expected</b> " << escape_xml(o.expected) << "<br><b>Received</b> <pre>"
        << escape_xml(o.received) << "</pre>";
      if (std::string path = reproducer_path(r); !path.empty()) {
        s << "<details><summary>Reproduce: <code>bash " << escape_xml(path)
          << "</code> (in the report dir; exit 1 when it reproduces)</summary><pre>"
          << escape_xml(reproducer(r, report).script) << "</pre></details>";
      }
      if (o.evidence_omitted > 0) {
        s << "<p><small>" << o.evidence_omitted << " calls in the middle are not kept.</small></p>";
      }
      // The first 40 and the last 20 calls (the reproducer has them all).
      const std::size_t n = o.evidence.size();
      for (std::size_t i = 0; i < n; ++i) {
        if (i == 40 && n > 60) {
          s << "<p><small>" << n - 60 << " more calls (in report.json)</small></p>";
          i = n - 20;
        }
        const client::Exchange& ex = o.evidence[i];
        s << "<details><summary>" << escape_xml(client::describe(ex)) << "</summary><pre>"
          << escape_xml(ex.method + " " + ex.target);
        for (const auto& [k, v] : ex.request_headers) s << "\n" << escape_xml(k + ": " + v);
        if (!ex.request_body.empty()) s << "\n\n" << escape_xml(cut(ex.request_body, 4096));
        s << "</pre><pre>HTTP " << ex.status;
        for (const auto& [k, v] : ex.response_headers) s << "\n" << escape_xml(k + ": " + v);
        if (!ex.response_body.empty()) s << "\n\n" << escape_xml(cut(ex.response_body, 4096));
        s << "</pre></details>";
      }
    } else if (o.status == Verdict::kSkip || o.status == Verdict::kError) {
      s << escape_xml(o.reason);
    } else if (!o.observed.empty()) {
      s << "observed: " << escape_xml(o.observed);
    }
    if (!r.schema_findings.empty()) {
      s << "<br><small>schema findings in its responses:";
      for (const auto& id : r.schema_findings) {
        s << " <a href=\"#" << escape_xml(id) << "\">" << escape_xml(id) << "</a>";
      }
      s << "</small>";
    }
    s << "</td></tr>\n";
  }
  s << "</table>\n</body></html>\n";
  return s.str();
}

std::string catalogue(const std::string& format, const SampleFailures& samples) {
  std::ostringstream s;
  const auto& checks = all_checks();
  if (format == "json") {
    Json a = Json::array();
    for (const auto& c : checks) {
      a.push_back(Json{{"id", c.id},
                       {"title", c.title},
                       {"operation", op_id(c)},
                       {"level", level_name(c.level)},
                       {"source", c.source},
                       {"catches", c.catches},
                       {"breakingBug", c.breaking_bug},
                       {"file", c.file},
                       {"line", c.line}});
    }
    return dump_json(a) + "\n";
  }
  if (format == "markdown") {
    std::map<std::string, int> ops;
    std::map<std::string, int> levels;
    for (const auto& c : checks) {
      ++ops[op_id(c)];
      ++levels[std::string(level_name(c.level))];
    }
    s << "# Conformance checks\n\n"
      << "<!-- Generated by `rq-conformance --list --format markdown`; do not edit. -->\n\n"
      << checks.size() << " checks (";
    bool first = true;
    for (const auto& [l, n] : levels) {
      s << (first ? "" : ", ") << n << " " << l;
      first = false;
    }
    s << "). Levels follow `spec/request-queue-api.md` section 9: **must** fails the run, "
         "**should** warns (fails under `--strict`), **tolerate** accepts every listed answer and "
         "reports which one the target gave. Every check fails against the fake server with its "
         "breaking bug switched on (`rq-fake --bug NAME`); the self-test proves it, and the "
         "sample failure of each check below is what that run printed (ids, timestamps and "
         "ports replaced by placeholders).\n\n"
         "Besides the checks, every response of a run is validated against the JSON Schema of "
         "its operation and status (`schemas/`): each distinct violation (JSON path and rule) is "
         "one *schema finding*, reported once with the operations, statuses and calls it was "
         "seen on. A finding is a must-level violation of its own; it does not fail the checks "
         "whose responses showed it.\n\n";
    s << "| operation | checks |\n|---|---|\n";
    for (const auto& op : request_queue_operations()) {
      s << "| `" << op.id << "` | " << ops[std::string(op.id)] << " |\n";
    }
    for (const auto& op : request_queue_operations()) {
      bool header = false;
      for (const auto& c : checks) {
        if (c.operation != op.op) continue;
        if (!header) {
          s << "\n## `" << op.id << "` (" << op.method << " `" << op.path << "`)\n";
          header = true;
        }
        s << "\n### `" << c.id << "`\n\n"
          << c.title << "\n\n"
          << "- **level:** " << level_name(c.level) << "\n"
          << "- **source:** " << c.source << "\n"
          << "- **catches:** " << c.catches << "\n"
          << "- **breaking bug:** `" << c.breaking_bug << "`\n"
          << "- **defined in:** [`" << c.file << ":" << c.line << "`](../" << c.file << "#L"
          << c.line << ")\n";
        auto sample = samples.find(c.id);
        if (sample != samples.end()) {
          s << "- **sample failure** (`--bug " << c.breaking_bug << "`):\n\n  ```\n";
          std::istringstream lines(sample->second);
          std::string line;
          while (std::getline(lines, line)) s << "  " << line << "\n";
          s << "  ```\n";
        }
      }
    }
    return s.str();
  }
  for (const auto& c : checks) {
    s << std::left << std::setw(44) << c.id << std::setw(9) << level_name(c.level) << std::setw(40)
      << op_id(c) << c.title << "\n";
  }
  return s.str();
}

}  // namespace rqcheck::conformance
