#include "rqcheck/conformance/schema_findings.h"

#include <algorithm>
#include <cctype>

#include "rqcheck/core/json.h"
#include "rqcheck/schemas/validation.h"

namespace rqcheck::conformance {

std::string generalise_pointer(std::string_view pointer) {
  std::string out;
  std::size_t i = 0;
  while (i < pointer.size()) {
    std::size_t next = pointer.find('/', i + 1);
    if (next == std::string_view::npos) next = pointer.size();
    std::string_view token = pointer.substr(i, next - i);  // "/abc"
    bool index = token.size() > 1 && std::all_of(token.begin() + 1, token.end(), [](char c) {
                   return std::isdigit(static_cast<unsigned char>(c));
                 });
    out += index ? std::string("/*") : std::string(token);
    i = next;
  }
  return out;
}

std::string rule_of(std::string_view reason) {
  std::string r(reason);
  // "<value> is not ...", "<value> does not match ...": the value comes first.
  for (const char* phrase : {" is not an RFC 3339 date-time", " is not a valid ",
                             " does not match the ", " is not one of: "}) {
    std::size_t p = r.find(phrase);
    if (p != std::string::npos) return r.substr(p + 1);
  }
  // "expected integer, got string \"x\"" -> "expected integer, got string".
  if (r.rfind("expected ", 0) == 0) {
    std::size_t got = r.find(", got ");
    if (got != std::string::npos) {
      std::size_t end = r.find(' ', got + 6);
      return end == std::string::npos ? r : r.substr(0, end);
    }
  }
  if (r.rfind("wrong type: ", 0) == 0) {
    std::size_t end = r.find(' ', 12);
    return end == std::string::npos ? r : r.substr(0, end);
  }
  // "... (got 26 items)", "... (got -1)".
  std::size_t got = r.rfind(" (got ");
  if (got != std::string::npos && !r.empty() && r.back() == ')') return r.substr(0, got);
  return r;
}

namespace {
std::string field_of(const std::string& path, const std::string& rule) {
  const std::string missing = "missing required property \"";
  if (rule.rfind(missing, 0) == 0 && rule.size() > missing.size() + 1) {
    return rule.substr(missing.size(), rule.size() - missing.size() - 1);
  }
  std::size_t end = path.size();
  while (end > 0) {
    std::size_t slash = path.rfind('/', end - 1);
    std::string token = path.substr(slash + 1, end - slash - 1);
    if (token != "*") return token;
    if (slash == 0 || slash == std::string::npos) break;
    end = slash;
  }
  return {};
}
}  // namespace

std::string finding_title(const SchemaFinding& f) {
  if (f.field.empty()) return "the body: " + f.rule;
  if (f.rule.find("\"" + f.field + "\"") != std::string::npos) return f.rule;
  return f.field + ": " + f.rule;
}

std::vector<SchemaIssue> schema_issues(const client::Exchange& ex) {
  std::vector<SchemaIssue> out;
  if (!ex.operation || !ex.has_response()) return out;
  Json body;  // null = no body
  if (!ex.response_body.empty()) {
    auto parsed = parse_json(ex.response_body);
    if (!parsed) {
      out.push_back(
          {*ex.operation, ex.status, "", "the body is not JSON", "the body is not JSON", ""});
      return out;
    }
    body = std::move(*parsed);
  }
  auto r = schemas::validate_response(*ex.operation, ex.status, body);
  for (const auto& v : r.violations) {
    std::string path = generalise_pointer(v.pointer), rule = rule_of(v.reason);
    std::string field = field_of(path, rule);
    out.push_back(
        {*ex.operation, ex.status, std::move(path), std::move(rule), v.reason, std::move(field)});
  }
  return out;
}

std::vector<std::string> SchemaFindings::record(const std::string& check_id,
                                                const client::Exchange& exchange) {
  std::vector<SchemaIssue> issues = schema_issues(exchange);
  std::vector<std::string> ids;
  if (issues.empty()) return ids;
  std::string call = client::describe(exchange);
  std::vector<std::pair<std::size_t, std::size_t>> places;
  std::lock_guard lock(mu_);
  for (const SchemaIssue& issue : issues) {
    auto key = std::make_pair(issue.field, issue.rule);
    auto it = index_.find(key);
    if (it == index_.end()) {
      SchemaFinding f;
      f.id = "S" + std::to_string(findings_.size() + 1);
      f.field = issue.field;
      f.rule = issue.rule;
      f.example = issue.reason;
      findings_.push_back(std::move(f));
      it = index_.emplace(key, findings_.size() - 1).first;
    }
    SchemaFinding& f = findings_[it->second];
    auto where = std::find_if(f.where.begin(), f.where.end(), [&](const SchemaFinding::Where& w) {
      return w.operation == issue.operation && w.status == issue.status && w.path == issue.path;
    });
    if (where == f.where.end()) {
      f.where.push_back({issue.operation, issue.status, issue.path, 0});
      where = f.where.end() - 1;
    }
    // Counted once per response: each place, and the finding.
    auto place = std::make_pair(it->second, static_cast<std::size_t>(where - f.where.begin()));
    if (std::find(places.begin(), places.end(), place) == places.end()) {
      places.push_back(place);
      ++where->count;
    }
    if (std::find(ids.begin(), ids.end(), f.id) != ids.end()) continue;
    ids.push_back(f.id);
    ++f.responses;
    if (f.calls.size() < SchemaFinding::kMaxCalls) f.calls.push_back({check_id, call});
    if (std::find(f.checks.begin(), f.checks.end(), check_id) == f.checks.end()) {
      f.checks.push_back(check_id);
    }
  }
  return ids;
}

std::vector<SchemaFinding> SchemaFindings::snapshot() const {
  std::lock_guard lock(mu_);
  return findings_;
}

bool SchemaFindings::empty() const {
  std::lock_guard lock(mu_);
  return findings_.empty();
}

}  // namespace rqcheck::conformance
