#include "rqcheck/conformance/report.h"

#include <cctype>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

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

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string op_id(const Check& c) { return std::string(operation_info(c.operation).id); }

const char* paint(Verdict s, bool color) {
  if (!color) return "";
  switch (s) {
    case Verdict::kPass:
      return "\033[32m";
    case Verdict::kFail:
      return "\033[31m";
    case Verdict::kSkip:
      return "\033[33m";
    case Verdict::kError:
      return "\033[35m";
  }
  return "";
}

std::string label(const CheckResult& r) {
  if (r.outcome.status == Verdict::kFail && !r.violation) return "WARN";
  switch (r.outcome.status) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kSkip:
      return "SKIP";
    case Verdict::kError:
      return "ERROR";
  }
  return "?";
}

Json exchange_json(const client::Exchange& ex) {
  Json h = Json::array();
  for (const auto& [k, v] : ex.request_headers) h.push_back(k + ": " + v);
  Json rh = Json::array();
  for (const auto& [k, v] : ex.response_headers) rh.push_back(k + ": " + v);
  return Json{{"method", ex.method},
              {"url", ex.url},
              {"operation", ex.operation ? std::string(operation_info(*ex.operation).id) : ""},
              {"requestHeaders", h},
              {"requestBody", ex.request_body},
              {"status", ex.status},
              {"responseHeaders", rh},
              {"responseBody", ex.response_body},
              {"transportError", ex.transport_error},
              {"durationMs", ex.duration.count() / 1000.0},
              {"truncated", ex.bodies_truncated},
              {"curl", curl_command(ex)}};
}

struct OpRow {
  std::size_t total = 0, pass = 0, fail = 0, warn = 0, skip = 0, error = 0;
};

std::map<std::string, OpRow> by_operation(const RunReport& report) {
  std::map<std::string, OpRow> rows;
  for (const auto& op : request_queue_operations()) rows[std::string(op.id)];
  for (const auto& r : report.results) {
    OpRow& row = rows[op_id(*r.check)];
    ++row.total;
    switch (r.outcome.status) {
      case Verdict::kPass:
        ++row.pass;
        break;
      case Verdict::kFail:
        (r.violation ? row.fail : row.warn)++;
        break;
      case Verdict::kSkip:
        ++row.skip;
        break;
      case Verdict::kError:
        ++row.error;
        break;
    }
  }
  return rows;
}

}  // namespace

std::string curl_command(const client::Exchange& ex) {
  std::string cmd = "curl -sS -X " + ex.method + " " + shell_quote(ex.url);
  for (const auto& [k, v] : ex.request_headers) {
    std::string lower;
    for (char c : k) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "authorization") {
      cmd += " -H \"Authorization: Bearer $APIFY_TOKEN\"";
    } else if (lower == "content-type" || lower == "content-encoding" || lower == "accept") {
      if (lower == "content-encoding") continue;  // the body below is the uncompressed one
      cmd += " -H " + shell_quote(k + ": " + v);
    }
  }
  if (!ex.request_body.empty()) {
    if (ex.request_body.size() > 2048 || ex.bodies_truncated) {
      cmd += " --data-binary @body.json  # " + std::to_string(ex.request_body_bytes) +
             "-byte body, see the JSON report";
    } else {
      cmd += " --data-binary " + shell_quote(ex.request_body);
    }
  }
  return cmd;
}

std::string progress_line(const CheckResult& r, std::size_t index, std::size_t total, bool color) {
  std::ostringstream s;
  const Check& c = *r.check;
  s << "[" << std::setw(3) << index << "/" << total << "] " << paint(r.outcome.status, color)
    << std::left << std::setw(5) << label(r) << (color ? "\033[0m" : "") << " " << c.id << " ("
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
  return s.str();
}

void write_console_summary(std::ostream& out, const RunReport& report, bool color) {
  out << "\nConformance of " << report.base_url << " (run prefix " << report.prefix << ")\n";
  if (!report.harness_error.empty()) {
    out << "HARNESS ERROR: " << report.harness_error << "\n";
    return;
  }
  out << std::left << std::setw(38) << "operation" << std::right << std::setw(7) << "checks"
      << std::setw(6) << "pass" << std::setw(6) << "fail" << std::setw(6) << "warn" << std::setw(6)
      << "skip" << std::setw(7) << "error"
      << "\n";
  for (const auto& [op, row] : by_operation(report)) {
    if (row.total == 0) continue;
    bool red = row.fail + row.error > 0;
    out << (color && red ? "\033[31m" : "") << std::left << std::setw(38) << op << std::right
        << std::setw(7) << row.total << std::setw(6) << row.pass << std::setw(6) << row.fail
        << std::setw(6) << row.warn << std::setw(6) << row.skip << std::setw(7) << row.error
        << (color && red ? "\033[0m" : "") << "\n";
  }
  out << "\n"
      << report.results.size() << " checks: " << report.count(Verdict::kPass) << " passed, "
      << report.violations() << " violations, " << report.warnings() << " warnings, "
      << report.count(Verdict::kSkip) << " skipped, " << report.count(Verdict::kError)
      << " harness errors; " << report.requests << " requests in " << report.duration.count()
      << " ms\n";
  if (report.interrupted) out << "INTERRUPTED: the remaining checks were not run\n";
  for (const auto& e : report.cleanup_errors)
    out << "cleanup: could not delete queue " << e << "\n";
  int code = report.exit_code();
  out << (code == 0   ? "RESULT: conformant"
          : code == 1 ? "RESULT: violations found"
                      : "RESULT: harness or configuration error")
      << " (exit " << code << ")\n";
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
                           {"status", status_name(r.outcome.status)},
                           {"violation", r.violation},
                           {"expected", r.outcome.expected},
                           {"received", r.outcome.received},
                           {"reason", r.outcome.reason},
                           {"observed", r.outcome.observed},
                           {"durationMs", r.duration.count()},
                           {"evidence", ev}});
  }
  Json summary = {
      {"checks", report.results.size()},         {"passed", report.count(Verdict::kPass)},
      {"failed", report.count(Verdict::kFail)},  {"violations", report.violations()},
      {"warnings", report.warnings()},           {"skipped", report.count(Verdict::kSkip)},
      {"errors", report.count(Verdict::kError)}, {"exitCode", report.exit_code()}};
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
              {"results", results}};
  return dump_json(doc) + "\n";
}

std::string junit_report(const RunReport& report) {
  std::map<std::string, std::vector<const CheckResult*>> suites;
  for (const auto& r : report.results) suites[op_id(*r.check)].push_back(&r);
  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s << "<testsuites name=\"rq-conformance\" tests=\"" << report.results.size() << "\" failures=\""
    << report.count(Verdict::kFail) << "\" errors=\"" << report.count(Verdict::kError)
    << "\" skipped=\"" << report.count(Verdict::kSkip) << "\" time=\""
    << report.duration.count() / 1000.0 << "\">\n";
  if (!report.harness_error.empty()) {
    s << "  <testsuite name=\"harness\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
      << "    <testcase classname=\"harness\" name=\"preflight\"><error message=\""
      << escape_xml(report.harness_error) << "\"/></testcase>\n  </testsuite>\n";
  }
  for (const auto& [op, rs] : suites) {
    std::size_t f = 0, e = 0, sk = 0;
    for (auto* r : rs) {
      f += r->outcome.status == Verdict::kFail;
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
        << "\"/><property name=\"source\" value=\"" << escape_xml(c.source)
        << "\"/></properties>\n";
      const Outcome& o = r->outcome;
      if (o.status == Verdict::kFail) {
        std::string body = "Expected: " + o.expected + "\nReceived: " + o.received + "\n";
        for (const auto& ex : o.evidence)
          body += "\n" + client::describe(ex) + "\n  " + curl_command(ex);
        s << "      <failure type=\"" << (r->violation ? "violation" : "warning") << "\" message=\""
          << escape_xml(c.title) << "\">" << escape_xml(body) << "</failure>\n";
      } else if (o.status == Verdict::kError) {
        s << "      <error message=\"" << escape_xml(o.reason) << "\"/>\n";
      } else if (o.status == Verdict::kSkip) {
        s << "      <skipped message=\"" << escape_xml(o.reason) << "\"/>\n";
      } else if (!o.observed.empty()) {
        s << "      <system-out>observed: " << escape_xml(o.observed) << "</system-out>\n";
      }
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
    << (code == 0   ? "Conformant"
        : code == 1 ? "Violations found"
                    : "Harness or configuration error")
    << "</b> (exit " << code << "): " << report.count(Verdict::kPass) << " passed, "
    << report.violations() << " violations, " << report.warnings() << " warnings, "
    << report.count(Verdict::kSkip) << " skipped, " << report.count(Verdict::kError)
    << " harness errors.</p>\n";
  if (!report.harness_error.empty()) {
    s << "<p class=\"error\">" << escape_xml(report.harness_error) << "</p>\n";
  }
  // Operations by checks.
  std::map<std::string, std::vector<const CheckResult*>> by_op;
  for (const auto& r : report.results) by_op[op_id(*r.check)].push_back(&r);
  auto css = [](const CheckResult& r) -> std::string {
    if (r.outcome.status == Verdict::kFail) return r.violation ? "fail" : "warn";
    return std::string(status_name(r.outcome.status));
  };
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
  s << "</table>\n<h2>Checks</h2>\n<table><tr><th>check</th><th>level</th><th>result</th>"
       "<th>details</th></tr>\n";
  for (const auto& r : report.results) {
    const Check& c = *r.check;
    const Outcome& o = r.outcome;
    s << "<tr id=\"" << escape_xml(c.id) << "\" class=\"" << css(r) << "\"><td><b>"
      << escape_xml(c.id) << "</b><br>" << escape_xml(c.title) << "<br><small>"
      << escape_xml(op_id(c)) << " &mdash; " << escape_xml(c.source) << "</small></td><td>"
      << level_name(c.level) << "</td><td>" << label(r) << "</td><td>";
    if (o.status == Verdict::kFail) {
      s << "<b>Expected</b> " << escape_xml(o.expected) << "<br><b>Received</b> <pre>"
        << escape_xml(o.received) << "</pre>";
      for (const auto& ex : o.evidence) {
        s << "<details><summary>" << escape_xml(client::describe(ex)) << "</summary><pre>"
          << escape_xml(curl_command(ex)) << "</pre><pre>"
          << escape_xml(ex.method + " " + ex.target);
        for (const auto& [k, v] : ex.request_headers) s << "\n" << escape_xml(k + ": " + v);
        if (!ex.request_body.empty()) s << "\n\n" << escape_xml(ex.request_body.substr(0, 4096));
        s << "</pre><pre>HTTP " << ex.status;
        for (const auto& [k, v] : ex.response_headers) s << "\n" << escape_xml(k + ": " + v);
        if (!ex.response_body.empty()) s << "\n\n" << escape_xml(ex.response_body.substr(0, 4096));
        s << "</pre></details>";
      }
    } else if (o.status == Verdict::kSkip || o.status == Verdict::kError) {
      s << escape_xml(o.reason);
    } else if (!o.observed.empty()) {
      s << "observed: " << escape_xml(o.observed);
    }
    s << "</td></tr>\n";
  }
  s << "</table>\n</body></html>\n";
  return s.str();
}

std::string catalogue(const std::string& format) {
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
                       {"breakingBug", c.breaking_bug}});
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
         "breaking bug switched on (`rq-fake --bug NAME`); the self-test proves it.\n\n";
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
          << "- **breaking bug:** `" << c.breaking_bug << "`\n";
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
