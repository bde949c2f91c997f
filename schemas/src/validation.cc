#include "rqcheck/schemas/validation.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "embedded_schemas.h"
#include "engines.h"
#include "rqcheck/schemas/messages.h"

namespace rqcheck::schemas {

using Json = nlohmann::json;

// RFC 3339 date-time with a mandatory timezone (decision 39); the same text as
// defs.schema.json#/definitions/DateTime/pattern.
constexpr const char* kDateTimePattern =
    "^[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|"
    "02-(0[1-9]|1[0-9]|2[0-9]))[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?"
    "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";
// An absolute URI (RFC 3986: scheme ":" and no characters that may never appear in a URI).
constexpr const char* kUriPattern = "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s<>\"{}|\\\\^`]*$";

namespace {

const Json* resolve_local_ref(const Json& root, const std::string& ref);

// ---- the fast engine ------------------------------------------------------------------------
// valijson copies its context (a vector of strings) at every node, which makes a 1000-item list
// page cost tens of milliseconds. Documents are valid almost always, so a small interpreter of
// the keywords our schemas use gives the verdict; valijson runs only for invalid documents (to
// list every violation) and for schemas using other keywords. Tests compare both engines on every
// fixture and on the official test suite.

// A pattern, matched like valijson does (std::regex_search), with hand-written matchers for the
// hot ones: "^[a-zA-Z0-9]{N}$" (ids) and the date-time pattern.
class Matcher {
 public:
  explicit Matcher(const std::string& pattern) {
    static const std::regex alnum("^\\^\\[a-zA-Z0-9\\]\\{([0-9]+)\\}\\$$");
    std::smatch m;
    if (pattern == kDateTimePattern) {
      kind_ = Kind::kDateTime;
    } else if (std::regex_match(pattern, m, alnum)) {
      kind_ = Kind::kAlnum;
      length_ = std::stoul(m[1].str());
    } else {
      regex_ = std::regex(pattern);  // throws std::regex_error on a bad pattern
    }
  }
  bool operator()(const std::string& s) const {
    switch (kind_) {
      case Kind::kDateTime:
        return is_date_time(s);
      case Kind::kAlnum:
        return s.size() == length_ && std::all_of(s.begin(), s.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
               });
      default:
        return std::regex_search(s, regex_);
    }
  }

  // Exactly kDateTimePattern.
  static bool is_date_time(const std::string& s) {
    auto digit = [&](std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
    auto num2 = [&](std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); };
    if (s.size() < 20) return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
      if (!digit(i)) return false;
    }
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':') {
      return false;
    }
    const int month = num2(5), day = num2(8), hour = num2(11), minute = num2(14), sec = num2(17);
    const int days = month == 2                                                ? 29
                     : (month == 4 || month == 6 || month == 9 || month == 11) ? 30
                                                                               : 31;
    if (month < 1 || month > 12 || day < 1 || day > days) return false;
    if (hour > 23 || minute > 59 || sec > 60) return false;
    std::size_t i = 19;
    if (s[i] == '.') {
      ++i;
      if (!digit(i)) return false;
      while (digit(i)) ++i;
    }
    if (i + 1 == s.size() && (s[i] == 'Z' || s[i] == 'z')) return true;
    if (i + 6 != s.size() || (s[i] != '+' && s[i] != '-') || !digit(i + 1) || !digit(i + 2) ||
        s[i + 3] != ':' || !digit(i + 4) || !digit(i + 5)) {
      return false;
    }
    return num2(i + 1) <= 23 && num2(i + 4) <= 59;
  }

 private:
  enum class Kind { kRegex, kDateTime, kAlnum };
  Kind kind_ = Kind::kRegex;
  std::size_t length_ = 0;
  std::regex regex_;
};

constexpr unsigned kNull = 1, kBoolean = 2, kInteger = 4, kNumber = 8, kString = 16, kArray = 32,
                   kObject = 64;

struct FastNode {
  bool reject_all = false;        // the schema false
  unsigned types = 0;             // 0 = any type
  const FastNode* ref = nullptr;  // $ref (keywords beside it are ignored, draft 7)
  std::vector<std::pair<std::string, const FastNode*>> properties;
  const FastNode* additional = nullptr;  // additionalProperties as a schema
  std::vector<std::string> required;
  const FastNode* items = nullptr;  // items as one schema
  std::optional<std::size_t> min_items, max_items, min_length, max_length;
  std::optional<double> minimum, maximum;
  std::vector<Matcher> patterns;
  std::vector<const FastNode*> all_of, any_of;
  std::optional<std::vector<Json>> enum_values;
  std::optional<Json> const_value;
};

class FastSchema {
 public:
  // nullptr when the schema uses a keyword this engine does not implement.
  static std::unique_ptr<FastSchema> compile(const Json& root) {
    auto fs = std::unique_ptr<FastSchema>(new FastSchema(root));
    fs->root_ = fs->node(root, 0);
    if (!fs->ok_) return nullptr;
    return fs;
  }
  bool valid(const Json& doc) const { return check(*root_, doc, 0); }

 private:
  explicit FastSchema(const Json& root) : doc_(root) {}

  const FastNode* node(const Json& j, int depth) {
    if (auto it = memo_.find(&j); it != memo_.end()) return it->second;
    nodes_.push_back(std::make_unique<FastNode>());
    FastNode* n = nodes_.back().get();
    memo_[&j] = n;
    if (depth > 64) return fail();
    if (j.is_boolean()) {
      n->reject_all = !j.get<bool>();
      return n;
    }
    if (!j.is_object()) return fail();
    static const std::set<std::string> kAnnotations = {
        "$schema", "$comment",   "title",       "description",     "examples",
        "default", "deprecated", "definitions", "x-rqcheck-format"};
    for (auto& [key, v] : j.items()) {
      if (kAnnotations.count(key) != 0) continue;
      if (key == "$ref") {
        const Json* target =
            v.is_string() ? resolve_local_ref(doc_, v.get<std::string>()) : nullptr;
        if (target == nullptr) return fail();
        n->ref = node(*target, depth + 1);
      } else if (key == "type") {
        for (const Json& t : v.is_array() ? v : Json::array({v})) {
          const std::string name = t.is_string() ? t.get<std::string>() : "";
          const unsigned bit = name == "null"      ? kNull
                               : name == "boolean" ? kBoolean
                               : name == "integer" ? kInteger
                               : name == "number"  ? kNumber
                               : name == "string"  ? kString
                               : name == "array"   ? kArray
                               : name == "object"  ? kObject
                                                   : 0;
          if (bit == 0) return fail();
          n->types |= bit;
        }
      } else if (key == "properties" && v.is_object()) {
        for (auto& [name, sub] : v.items()) n->properties.emplace_back(name, node(sub, depth + 1));
      } else if (key == "additionalProperties") {
        n->additional = node(v, depth + 1);
      } else if (key == "required" && v.is_array()) {
        for (const Json& r : v) {
          if (!r.is_string()) return fail();
          n->required.push_back(r.get<std::string>());
        }
      } else if (key == "items" && (v.is_object() || v.is_boolean())) {
        n->items = node(v, depth + 1);
      } else if ((key == "minItems" || key == "maxItems" || key == "minLength" ||
                  key == "maxLength") &&
                 v.is_number_unsigned()) {
        auto& slot = key == "minItems"    ? n->min_items
                     : key == "maxItems"  ? n->max_items
                     : key == "minLength" ? n->min_length
                                          : n->max_length;
        slot = v.get<std::size_t>();
      } else if ((key == "minimum" || key == "maximum") && v.is_number()) {
        (key == "minimum" ? n->minimum : n->maximum) = v.get<double>();
      } else if (key == "pattern" && v.is_string()) {
        try {
          n->patterns.emplace_back(v.get<std::string>());
        } catch (const std::regex_error&) {
          return fail();
        }
      } else if ((key == "allOf" || key == "anyOf") && v.is_array() && !v.empty()) {
        for (const Json& sub : v)
          (key == "allOf" ? n->all_of : n->any_of).push_back(node(sub, depth + 1));
      } else if (key == "enum" && v.is_array()) {
        n->enum_values = std::vector<Json>(v.begin(), v.end());
      } else if (key == "const") {
        n->const_value = v;
      } else {
        return fail();
      }
    }
    return n;
  }

  const FastNode* fail() {
    ok_ = false;
    return nodes_.back().get();
  }

  static unsigned type_of(const Json& v) {
    switch (v.type()) {
      case Json::value_t::null:
        return kNull;
      case Json::value_t::boolean:
        return kBoolean;
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned:
        return kInteger | kNumber;
      case Json::value_t::number_float:
        return kNumber;
      case Json::value_t::string:
        return kString;
      case Json::value_t::array:
        return kArray;
      case Json::value_t::object:
        return kObject;
      default:
        return 0;
    }
  }

  static std::size_t code_points(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }

  bool check(const FastNode& n, const Json& v, int depth) const {
    if (depth > 256) return false;  // let valijson decide
    if (n.reject_all) return false;
    if (n.ref != nullptr) return check(*n.ref, v, depth + 1);
    const unsigned t = type_of(v);
    if (n.types != 0 && (n.types & t) == 0) return false;
    if (n.enum_values) {
      if (std::find(n.enum_values->begin(), n.enum_values->end(), v) == n.enum_values->end()) {
        return false;
      }
    }
    if (n.const_value && !(*n.const_value == v)) return false;
    if (t & kNumber) {
      const double d = v.get<double>();
      if (n.minimum && d < *n.minimum) return false;
      if (n.maximum && d > *n.maximum) return false;
    } else if (t == kString) {
      const std::string& s = v.get_ref<const std::string&>();
      if (n.min_length || n.max_length) {
        const std::size_t len = code_points(s);
        if ((n.min_length && len < *n.min_length) || (n.max_length && len > *n.max_length)) {
          return false;
        }
      }
      for (const Matcher& m : n.patterns) {
        if (!m(s)) return false;
      }
    } else if (t == kArray) {
      if ((n.min_items && v.size() < *n.min_items) || (n.max_items && v.size() > *n.max_items)) {
        return false;
      }
      if (n.items != nullptr) {
        for (const Json& item : v) {
          if (!check(*n.items, item, depth + 1)) return false;
        }
      }
    } else if (t == kObject) {
      for (const std::string& r : n.required) {
        if (v.find(r) == v.end()) return false;
      }
      if (!n.properties.empty() || n.additional != nullptr) {
        for (auto it = v.begin(); it != v.end(); ++it) {
          const FastNode* sub = n.additional;
          for (const auto& [name, p] : n.properties) {
            if (name == it.key()) {
              sub = p;
              break;
            }
          }
          if (sub != nullptr && !check(*sub, it.value(), depth + 1)) return false;
        }
      }
    }
    for (const FastNode* a : n.all_of) {
      if (!check(*a, v, depth + 1)) return false;
    }
    if (!n.any_of.empty() && std::none_of(n.any_of.begin(), n.any_of.end(), [&](const FastNode* a) {
          return check(*a, v, depth + 1);
        })) {
      return false;
    }
    return true;
  }

  const Json& doc_;
  const FastNode* root_ = nullptr;
  bool ok_ = true;
  std::vector<std::unique_ptr<FastNode>> nodes_;
  std::unordered_map<const Json*, FastNode*> memo_;
};

}  // namespace

struct CompiledSchema::Impl {
  Json doc;  // the schema as compiled (formats rewritten, $refs bundled): explains violations
  valijson::Schema schema;
  std::unique_ptr<FastSchema> fast;  // nullptr: keywords beyond the fast engine
};

namespace {

using Impl = CompiledSchema::Impl;

// valijson 1.0's own format check runs a std::regex built on every call, rejects null for a
// nullable date-time and throws on non-strings. So formats are rewritten into patterns (compiled
// once per thread by valijson's regex cache), which by definition apply to strings only. The
// original format name stays beside the pattern to explain violations.
void rewrite_formats(Json& node) {
  if (!node.is_object()) return;
  if (auto f = node.find("format"); f != node.end() && f->is_string()) {
    const std::string format = f->get<std::string>();
    node.erase(f);
    const char* pattern = format == "date-time" ? kDateTimePattern
                          : format == "uri"     ? kUriPattern
                                                : nullptr;
    if (pattern != nullptr) {
      Json& all = node["allOf"];
      if (!all.is_array()) all = Json::array();
      all.push_back({{"pattern", pattern}, {"x-rqcheck-format", format}});
    }
  }
  for (const char* kw : {"properties", "patternProperties", "definitions", "dependencies"}) {
    if (auto it = node.find(kw); it != node.end() && it->is_object()) {
      for (auto& [key, sub] : it->items()) rewrite_formats(sub);
    }
  }
  for (const char* kw : {"items", "additionalItems", "additionalProperties", "contains",
                         "propertyNames", "not", "if", "then", "else"}) {
    if (auto it = node.find(kw); it != node.end()) {
      if (it->is_array()) {
        for (Json& sub : *it) rewrite_formats(sub);
      } else {
        rewrite_formats(*it);
      }
    }
  }
  for (const char* kw : {"allOf", "anyOf", "oneOf"}) {
    if (auto it = node.find(kw); it != node.end() && it->is_array()) {
      for (Json& sub : *it) rewrite_formats(sub);
    }
  }
}

// "defs.schema.json#/definitions/X" -> "#/definitions/X" once the definitions are bundled in.
void bundle_refs(Json& node) {
  static const std::string kPrefix = std::string(kDefinitionsFile) + "#";
  if (node.is_object()) {
    for (auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        const std::string ref = value.get<std::string>();
        if (ref.compare(0, kPrefix.size(), kPrefix) == 0) value = ref.substr(kPrefix.size() - 1);
      } else {
        bundle_refs(value);
      }
    }
  } else if (node.is_array()) {
    for (Json& v : node) bundle_refs(v);
  }
}

std::shared_ptr<const Impl> compile_doc(Json doc, std::string* error) {
  rewrite_formats(doc);
  auto impl = std::make_shared<Impl>();
  impl->doc = std::move(doc);
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(impl->doc);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    if (error != nullptr) *error = e.what();
    return nullptr;
  }
  impl->fast = FastSchema::compile(impl->doc);
  return impl;
}

// ---- explaining violations ----------------------------------------------------------------

std::string escape_token(const std::string& t) {
  std::string out;
  for (char c : t) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string to_pointer(const std::vector<std::string>& tokens) {
  std::string p;
  for (const std::string& t : tokens) p += "/" + escape_token(t);
  return p;
}

bool parse_index(const std::string& t, std::size_t& index) {
  if (t.empty() || t.size() > 18 || !std::all_of(t.begin(), t.end(), ::isdigit)) return false;
  index = std::stoull(t);
  return true;
}

const Json* value_at(const Json& doc, const std::vector<std::string>& tokens) {
  const Json* cur = &doc;
  for (const std::string& t : tokens) {
    if (cur->is_object()) {
      auto it = cur->find(t);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      std::size_t i = 0;
      if (!parse_index(t, i) || i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}

const Json* resolve_local_ref(const Json& root, const std::string& ref) {
  if (ref.empty() || ref[0] != '#') return nullptr;
  if (ref.size() == 1) return &root;
  const Json* cur = &root;
  std::size_t pos = 2;  // after "#/"
  while (pos <= ref.size()) {
    std::size_t end = ref.find('/', pos);
    if (end == std::string::npos) end = ref.size();
    std::string tok = ref.substr(pos, end - pos);
    for (std::size_t k = 0; (k = tok.find('~', k)) != std::string::npos; ++k) {
      if (k + 1 < tok.size()) tok.replace(k, 2, tok[k + 1] == '1' ? "/" : "~");
    }
    std::size_t i = 0;
    if (cur->is_object() && cur->contains(tok)) {
      cur = &(*cur)[tok];
    } else if (cur->is_array() && parse_index(tok, i) && i < cur->size()) {
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
    pos = end + 1;
  }
  return cur;
}

// The subschemas that apply to the instance at `tokens` (following $ref, properties, items and
// the combinators). An approximation good enough to name what a violated keyword asked for.
void collect(const Json& root, const Json& node, const std::vector<std::string>& tokens,
             std::size_t i, std::vector<const Json*>& out, int depth) {
  if (depth > 64 || !node.is_object()) return;
  if (auto r = node.find("$ref"); r != node.end() && r->is_string()) {
    if (const Json* target = resolve_local_ref(root, r->get<std::string>())) {
      collect(root, *target, tokens, i, out, depth + 1);
    }
    return;  // draft 7: keywords beside $ref are ignored
  }
  for (const char* kw : {"allOf", "anyOf", "oneOf"}) {
    if (auto it = node.find(kw); it != node.end() && it->is_array()) {
      for (const Json& sub : *it) collect(root, sub, tokens, i, out, depth + 1);
    }
  }
  for (const char* kw : {"then", "else"}) {
    if (auto it = node.find(kw); it != node.end()) collect(root, *it, tokens, i, out, depth + 1);
  }
  if (i == tokens.size()) {
    out.push_back(&node);
    return;
  }
  const std::string& t = tokens[i];
  bool matched = false;
  if (auto p = node.find("properties"); p != node.end() && p->is_object() && p->contains(t)) {
    collect(root, (*p)[t], tokens, i + 1, out, depth + 1);
    matched = true;
  }
  if (!matched) {
    if (auto a = node.find("additionalProperties"); a != node.end()) {
      collect(root, *a, tokens, i + 1, out, depth + 1);
    }
  }
  if (auto it = node.find("items"); it != node.end()) {
    std::size_t index = 0;
    if (it->is_object()) {
      collect(root, *it, tokens, i + 1, out, depth + 1);
    } else if (it->is_array() && parse_index(t, index) && index < it->size()) {
      collect(root, (*it)[index], tokens, i + 1, out, depth + 1);
    }
  }
}

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "nothing";
  }
}

bool type_allows(const Json& type, const std::string& actual) {
  auto one = [&](const Json& t) {
    if (!t.is_string()) return false;
    const std::string s = t.get<std::string>();
    return s == actual || (s == "number" && actual == "integer");
  };
  if (type.is_array()) return std::any_of(type.begin(), type.end(), one);
  return one(type);
}

std::string show(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

bool regex_matches(const std::string& pattern, const std::string& s) {
  thread_local std::unordered_map<std::string, std::regex> cache;
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    try {
      it = cache.emplace(pattern, std::regex(pattern)).first;
    } catch (const std::regex_error&) {
      return true;
    }
  }
  return std::regex_search(s, it->second);
}

// valijson prints bounds with std::to_string(double): "25.000000" -> "25".
std::string tidy_numbers(std::string s) {
  static const std::regex zeros("([0-9]+)\\.0+\\b");
  s = std::regex_replace(s, zeros, "$1");
  static const std::regex trailing("([0-9]+\\.[0-9]*?)0+\\b");
  return std::regex_replace(s, trailing, "$1");
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Descriptions that only say that a child failed; the child's own error says why.
bool is_wrapper(const std::string& d) {
  return starts_with(d, "Failed to validate against schema associated with property name") ||
         starts_with(d, "Failed to validate item #") ||
         starts_with(d, "Failed to validate against child schema") ||
         starts_with(d, "Failed to validate against additional properties schema") ||
         starts_with(d, "Failed to validate against schema associated with pattern") ||
         starts_with(d, "Cannot validate item #");
}

std::string humanize(const Json& schema, const Json& doc, const std::vector<std::string>& tokens,
                     const std::string& desc) {
  const Json* value = value_at(doc, tokens);
  std::vector<const Json*> subs;
  collect(schema, schema, tokens, 0, subs, 0);

  if (starts_with(desc, "Missing required property '")) {
    std::string name = desc.substr(27);
    if (auto q = name.rfind('\''); q != std::string::npos) name.resize(q);
    return "missing required property \"" + name + "\"";
  }
  if (value == nullptr) return desc;
  if (desc == "Value type not permitted by 'type' constraint.") {
    const std::string actual = type_name(*value);
    for (const Json* s : subs) {
      auto t = s->find("type");
      if (t != s->end() && !type_allows(*t, actual)) {
        std::string expected = t->is_array() ? std::string() : t->get<std::string>();
        if (t->is_array()) {
          for (const Json& x : *t) {
            expected += (expected.empty() ? "" : " or ") + x.get<std::string>();
          }
        }
        return "expected " + expected + ", got " + actual +
               (value->is_null() ? std::string() : " " + show(*value));
      }
    }
    return "wrong type: " + actual + " " + show(*value);
  }
  if (desc == "Failed to match regex specified by 'pattern' constraint." && value->is_string()) {
    const std::string s = value->get<std::string>();
    std::string plain;
    for (const Json* sub : subs) {
      auto p = sub->find("pattern");
      if (p == sub->end() || !p->is_string() || regex_matches(p->get<std::string>(), s)) continue;
      if (auto f = sub->find("x-rqcheck-format"); f != sub->end()) {
        if (*f == "date-time") {
          return show(*value) +
                 " is not an RFC 3339 date-time with a timezone (e.g. 2019-06-16T10:23:31.607Z)";
        }
        return show(*value) + " is not a valid " + f->get<std::string>();
      }
      if (plain.empty()) plain = p->get<std::string>();
    }
    if (!plain.empty()) return show(*value) + " does not match the pattern " + plain;
    return show(*value) + " does not match the required pattern";
  }
  if (desc == "Failed to match against any enum values.") {
    for (const Json* sub : subs) {
      auto e = sub->find("enum");
      if (e == sub->end() || !e->is_array()) continue;
      std::string list;
      for (const Json& x : *e) list += (list.empty() ? "" : ", ") + show(x);
      return show(*value) + " is not one of: " + list;
    }
  }
  if (desc == "Failed to validate against any schemas allowed by anyOf constraint.") {
    for (const Json* sub : subs) {
      auto a = sub->find("anyOf");
      if (a == sub->end() || !a->is_array()) continue;
      std::string names;
      bool all_required = true;
      for (const Json& alt : *a) {
        auto r = alt.find("required");
        if (alt.size() != 1 || r == alt.end()) {
          all_required = false;
          break;
        }
        for (const Json& n : *r) names += (names.empty() ? "" : " or ") + show(n);
      }
      if (all_required) return "needs at least one of the properties " + names;
    }
    return "matches none of the alternatives of anyOf";
  }
  std::string d = tidy_numbers(desc);
  if (!d.empty()) d[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(d[0])));
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (value->is_number()) return d + " (got " + show(*value) + ")";
  if (value->is_array()) return d + " (got " + std::to_string(value->size()) + " items)";
  if (value->is_string()) return d + " (got " + show(*value) + ")";
  return d;
}

ValidationResult explain(const Json& schema, const Json& doc,
                         valijson::ValidationResults& results) {
  struct Raw {
    std::vector<std::string> tokens;
    std::string desc;
  };
  std::vector<Raw> raw;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    Raw r;
    for (std::size_t i = 1; i < e.context.size(); ++i) {  // context[0] is "<root>"
      const std::string& c = e.context[i];
      r.tokens.push_back(
          c.size() >= 2 && c.front() == '[' && c.back() == ']' ? c.substr(1, c.size() - 2) : c);
    }
    r.desc = e.description;
    raw.push_back(std::move(r));
  }
  const bool only_wrappers =
      std::all_of(raw.begin(), raw.end(), [](const Raw& r) { return is_wrapper(r.desc); });
  ValidationResult out;
  std::set<std::pair<std::string, std::string>> seen;
  for (const Raw& r : raw) {
    if (!only_wrappers && is_wrapper(r.desc)) continue;
    Violation v{to_pointer(r.tokens), humanize(schema, doc, r.tokens, r.desc)};
    if (seen.emplace(v.pointer, v.reason).second) out.violations.push_back(std::move(v));
  }
  // "needs at least one of id or uniqueKey" already says what the missing-property errors of
  // the anyOf alternatives say.
  std::vector<Violation> kept;
  for (const Violation& v : out.violations) {
    bool covered = false;
    if (starts_with(v.reason, "missing required property ")) {
      const std::string name = v.reason.substr(26);
      for (const Violation& w : out.violations) {
        if (w.pointer == v.pointer && starts_with(w.reason, "needs at least one of") &&
            w.reason.find(name) != std::string::npos) {
          covered = true;
        }
      }
    }
    if (!covered) kept.push_back(v);
  }
  out.violations = std::move(kept);
  return out;
}

ValidationResult run(const Impl& impl, const Json& doc) {
  // valijson's Validator caches compiled regexes and is not thread-safe: one per thread. The
  // compiled schemas are shared read-only.
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  ValidationResult out;
  if (impl.fast != nullptr && impl.fast->valid(doc)) return out;
  try {
    valijson::adapters::NlohmannJsonAdapter target(doc);
    if (impl.fast == nullptr && validator.validate(impl.schema, target, nullptr)) return out;
    valijson::ValidationResults results;
    if (validator.validate(impl.schema, target, &results)) return out;
    out = explain(impl.doc, doc, results);
  } catch (const std::exception& ex) {
    out.violations.push_back({"", std::string("the validator failed: ") + ex.what()});
  }
  if (out.violations.empty()) out.violations.push_back({"", "does not match its schema"});
  return out;
}

ValidationResult single(std::string pointer, std::string reason) {
  ValidationResult r;
  r.violations.push_back({std::move(pointer), std::move(reason)});
  return r;
}

struct Registry {
  std::map<std::string, std::shared_ptr<const Impl>, std::less<>> compiled;
  std::map<std::string, std::string, std::less<>> errors;  // message -> why it did not compile
};

Registry build_registry() {
  Registry reg;
  constexpr std::string_view kSuffix = ".schema.json";
  Json definitions = Json::object();
  for (std::size_t i = 0; i < detail::kEmbeddedFileCount; ++i) {
    if (detail::kEmbeddedFiles[i].name != kDefinitionsFile) continue;
    Json defs = Json::parse(detail::kEmbeddedFiles[i].text, nullptr, false);
    if (defs.is_object() && defs.contains("definitions")) definitions = defs["definitions"];
  }
  for (std::size_t i = 0; i < detail::kEmbeddedFileCount; ++i) {
    const detail::EmbeddedFile& f = detail::kEmbeddedFiles[i];
    if (f.name == kDefinitionsFile) continue;
    std::string name(f.name.substr(0, f.name.size() - kSuffix.size()));
    Json doc = Json::parse(f.text, nullptr, false);
    if (!doc.is_object()) {
      reg.errors[name] = "not a JSON object";
      continue;
    }
    bundle_refs(doc);
    Json& defs = doc["definitions"];
    if (!defs.is_object()) defs = Json::object();
    for (auto& [key, value] : definitions.items()) {
      if (!defs.contains(key)) defs[key] = value;
    }
    std::string error;
    if (auto impl = compile_doc(std::move(doc), &error)) {
      reg.compiled.emplace(std::move(name), std::move(impl));
    } else {
      reg.errors.emplace(std::move(name), error);
    }
  }
  return reg;
}

const Registry& registry() {
  static const Registry reg = build_registry();  // thread-safe one-time initialization
  return reg;
}

bool no_body(const Json& body) { return body.is_null() || body.is_discarded(); }

}  // namespace

std::string ValidationResult::summary() const {
  std::string s;
  for (const Violation& v : violations) {
    if (!s.empty()) s += "; ";
    s += (v.pointer.empty() ? "/" : v.pointer) + ": " + v.reason;
  }
  return s;
}

ValidationResult validate(std::string_view message, const Json& doc) {
  const Registry& reg = registry();
  if (auto it = reg.compiled.find(message); it != reg.compiled.end()) return run(*it->second, doc);
  if (auto it = reg.errors.find(message); it != reg.errors.end()) {
    return single("", "the schema of " + std::string(message) + " did not compile: " + it->second);
  }
  return single("", "unknown message \"" + std::string(message) + "\"");
}

ValidationResult validate_request(Operation op, const Json& body) {
  if (auto m = request_message(op)) return validate(*m, body);
  if (no_body(body)) return {};
  return single("", std::string(operation_info(op).id) + " takes no request body");
}

ValidationResult validate_response(Operation op, int status, const Json& body) {
  if (auto m = response_message(op, status)) return validate(*m, body);
  const std::vector<int> ok = success_statuses(op);
  if (std::find(ok.begin(), ok.end(), status) != ok.end()) {
    if (no_body(body)) return {};
    return single("", "status " + std::to_string(status) + " of " +
                          std::string(operation_info(op).id) + " has no body");
  }
  return single("", "status " + std::to_string(status) + " is not documented for " +
                        std::string(operation_info(op).id));
}

std::optional<CompiledSchema> CompiledSchema::compile(const Json& schema, std::string* error) {
  if (auto impl = compile_doc(schema, error)) return CompiledSchema(std::move(impl));
  return std::nullopt;
}

ValidationResult CompiledSchema::validate(const Json& doc) const { return run(*impl_, doc); }

namespace detail {

std::optional<bool> EngineAccess::fast_verdict(const CompiledSchema& s, const Json& doc) {
  if (s.impl_->fast == nullptr) return std::nullopt;
  return s.impl_->fast->valid(doc);
}

bool EngineAccess::reference_verdict(const CompiledSchema& s, const Json& doc) {
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::NlohmannJsonAdapter target(doc);
  return validator.validate(s.impl_->schema, target, nullptr);
}

std::optional<CompiledSchema> EngineAccess::message_schema(std::string_view message) {
  const Registry& reg = registry();
  auto it = reg.compiled.find(message);
  if (it == reg.compiled.end()) return std::nullopt;
  return CompiledSchema(it->second);
}

}  // namespace detail

}  // namespace rqcheck::schemas
