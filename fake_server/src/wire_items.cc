#include "wire_items.h"

#include <algorithm>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::wire {

namespace {

// Scanners over JSON text that parse_json has already accepted: they only find where values
// end, so they never meet malformed input.
bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_ws(std::string_view t, std::size_t i) {
  while (i < t.size() && is_ws(t[i])) ++i;
  return i;
}

// `i` at the opening quote; returns the position after the closing one.
std::size_t skip_string(std::string_view t, std::size_t i) {
  ++i;
  while (i < t.size() && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
  return std::min(i + 1, t.size());
}

// `i` at the first character of a value; returns the position after it.
std::size_t skip_value(std::string_view t, std::size_t i) {
  if (i >= t.size()) return i;
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    while (i < t.size()) {
      char c = t[i];
      if (c == '"') {
        i = skip_string(t, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  while (i < t.size() && t[i] != ',' && t[i] != ']' && t[i] != '}' && !is_ws(t[i])) ++i;
  return i;
}

std::string_view without_bom(std::string_view t) {
  if (t.size() >= 3 && t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);
  return t;
}

// cleanItemCount (docs/storages.md): an item with a field not starting with '#'.
bool has_visible_field(const Json& object) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.key().empty() || it.key()[0] != '#') return true;
  }
  return false;
}

ApiError not_an_object(std::size_t index) {
  return errors::invalid_input(
      "Invalid input: the item at index " + std::to_string(index) +
      " is not a JSON object (nor the JSON text of one); every item must be an object.");
}

struct Member {
  std::string key;         // decoded
  std::string_view value;  // the value's text
  std::string_view whole;  // "key":value as stored
};

// The top-level members of an object text, in order.
void members_of(std::string_view obj, std::vector<Member>& out) {
  out.clear();
  std::size_t i = skip_ws(obj, 0);
  if (i >= obj.size() || obj[i] != '{') return;
  i = skip_ws(obj, i + 1);
  while (i < obj.size() && obj[i] == '"') {
    std::size_t ks = i, ke = skip_string(obj, i);
    std::string_view raw = obj.substr(ks, ke - ks);
    Member m;
    if (raw.find('\\') == std::string_view::npos) {
      m.key = std::string(raw.substr(1, raw.size() - 2));
    } else if (auto k = parse_json(raw); k && k->is_string()) {
      m.key = k->get<std::string>();
    }
    i = skip_ws(obj, ke);
    if (i < obj.size() && obj[i] == ':') ++i;
    i = skip_ws(obj, i);
    std::size_t vs = i, ve = skip_value(obj, i);
    m.value = obj.substr(vs, ve - vs);
    m.whole = obj.substr(ks, ve - ks);
    out.push_back(std::move(m));
    i = skip_ws(obj, ve);
    if (i < obj.size() && obj[i] == ',') i = skip_ws(obj, i + 1);
  }
}

bool is_empty_object(std::string_view obj) {
  std::size_t i = skip_ws(obj, 0);
  if (i >= obj.size() || obj[i] != '{') return false;
  i = skip_ws(obj, i + 1);
  return i < obj.size() && obj[i] == '}';
}

bool is_hidden(const Member& m) { return !m.key.empty() && m.key[0] == '#'; }

// Appends `item` shaped by the view; false when skipEmpty leaves it out.
bool append_shaped(std::string& out, std::string_view item, const ItemsView& v,
                   std::vector<Member>& scratch) {
  if (!v.fields && v.omit.empty() && !v.skip_hidden) {
    if (v.skip_empty && is_empty_object(item)) return false;
    out += item;
    return true;
  }
  members_of(item, scratch);
  if (v.skip_hidden) {
    scratch.erase(std::remove_if(scratch.begin(), scratch.end(), is_hidden), scratch.end());
  }
  if (v.skip_empty && scratch.empty()) return false;
  auto omitted = [&](const Member& m) {
    return std::find(v.omit.begin(), v.omit.end(), m.key) != v.omit.end();
  };
  out += '{';
  bool first = true;
  auto put = [&](const Member& m, const std::string* rename) {
    if (omitted(m)) return;
    if (!first) out += ',';
    first = false;
    if (rename) {
      append_json_string(out, *rename);
      out += ':';
      out += m.value;
    } else {
      out += m.whole;
    }
  };
  if (v.fields) {
    const auto& fields = *v.fields;
    for (std::size_t k = 0; k < fields.size(); ++k) {
      auto m = std::find_if(scratch.begin(), scratch.end(),
                            [&](const Member& x) { return x.key == fields[k]; });
      if (m == scratch.end()) continue;
      put(*m, k < v.output_fields.size() ? &v.output_fields[k] : nullptr);
    }
  } else {
    for (const Member& m : scratch) put(m, nullptr);
  }
  out += '}';
  return true;
}

}  // namespace

// An item sent as a string: the string must be the JSON text of an object.
Result<DatasetItem> string_item(const std::string& text, std::size_t index) {
  auto inner = parse_json(text, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes});
  if (!inner || !inner->is_object()) return not_an_object(index);
  return DatasetItem{minify_json(text), has_visible_field(*inner)};
}

std::string minify_json(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (std::size_t i = 0; i < t.size();) {
    char c = t[i];
    if (c == '"') {
      std::size_t end = skip_string(t, i);
      out.append(t.substr(i, end - i));
      i = end;
    } else {
      if (!is_ws(c)) out += c;
      ++i;
    }
  }
  return out;
}

Result<std::vector<DatasetItem>> parse_push_body(std::string_view body) {
  body = without_bom(body);
  if (skip_ws(body, 0) == body.size()) {
    return errors::invalid_input(
        "Invalid input: the request body is empty; push one JSON object or an array of objects.");
  }
  auto doc = parse_json(body, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes});
  if (!doc) return doc.error();
  std::vector<DatasetItem> items;
  if (doc->is_object()) {
    items.push_back(DatasetItem{minify_json(body), has_visible_field(*doc)});
    return items;
  }
  if (doc->is_string()) {
    auto inner = string_item(doc->get_ref<const std::string&>(), 0);
    if (!inner) return inner.error();
    items.push_back(std::move(*inner));
    return items;
  }
  if (!doc->is_array()) {
    return errors::invalid_input(
        "Invalid input: the body must be a JSON object or an array of JSON objects.");
  }
  items.reserve(doc->size());
  std::size_t i = skip_ws(body, 0) + 1;  // after '['
  for (std::size_t k = 0; k < doc->size(); ++k) {
    i = skip_ws(body, i);
    std::size_t end = skip_value(body, i);
    const Json& element = (*doc)[k];
    if (element.is_object()) {
      items.push_back(
          DatasetItem{minify_json(body.substr(i, end - i)), has_visible_field(element)});
    } else if (element.is_string()) {
      // An item may come as the JSON text of an object (the JS client sends an array of strings
      // as they are; the platform stores what they hold).
      auto inner = string_item(element.get_ref<const std::string&>(), k);
      if (!inner) return inner.error();
      items.push_back(std::move(*inner));
    } else {
      return not_an_object(k);
    }
    i = skip_ws(body, end);
    if (i < body.size() && body[i] == ',') ++i;
  }
  return items;
}

Result<DatasetItem> item_from_text(std::string_view text) {
  text = without_bom(text);
  auto doc = parse_json(text, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes});
  if (!doc) return doc.error();
  if (!doc->is_object()) return not_an_object(0);
  return DatasetItem{minify_json(text), has_visible_field(*doc)};
}

std::string items_body(const std::vector<DatasetItem>& items, const ItemsView& view,
                       std::size_t& count) {
  std::size_t bytes = 8;
  for (const DatasetItem& it : items) bytes += it.json.size() + 1;
  std::string out;
  out.reserve(bytes);
  if (view.bom) out += "\xEF\xBB\xBF";
  const bool lines = view.format == ItemsFormat::kJsonl;
  if (!lines) out += '[';
  count = 0;
  std::vector<Member> scratch;
  for (const DatasetItem& it : items) {
    std::size_t mark = out.size();
    if (!lines && count > 0) out += ',';
    if (!append_shaped(out, it.json, view, scratch)) {
      out.resize(mark);
      continue;
    }
    if (lines) out += '\n';
    ++count;
  }
  if (!lines) out += ']';
  return out;
}

}  // namespace rqcheck::fake::wire
