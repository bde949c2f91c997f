// The wire layer's dataset items: a push body becomes item texts, and a page of item texts
// becomes the body GET .../items answers. Items are kept as the JSON text of each object,
// minified, with its members in the order they were sent (nlohmann::json sorts keys, so an item
// never goes through a DOM on its way back); shaping (fields, omit, skipHidden, skipEmpty) works
// on that text member by member, so numbers and strings come back exactly as pushed.
//
//   auto items = wire::parse_push_body(R"([{"b":1, "a":2}, {}])");  // {"{\"b\":1,\"a\":2}", "{}"}
//   ItemsView view;  view.fields = {{"a"}};
//   std::size_t n = 0;
//   std::string body = wire::items_body(page.items, view, n);        // [{"a":2},{}]
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "call.h"
#include "dataset_store.h"
#include "rqcheck/core/result.h"

namespace rqcheck::fake::wire {

// POST .../items: one JSON object or an array of objects, where an object may also come as a
// string holding its JSON text (docs/storages.md, "Push body").
// Malformed JSON, another top-level value or an element that is not an object: 400 invalid-input
// naming the index; nothing is returned then. Parsed bounded and without exceptions.
Result<std::vector<DatasetItem>> parse_push_body(std::string_view body);

// An item sent as a string holding the JSON text of an object (the JS client's array of
// strings); 400 invalid-input naming `index` otherwise.
Result<DatasetItem> string_item(const std::string& text, std::size_t index);

// One item from the text of a JSON object (snapshots): validated, minified, its clean flag set.
Result<DatasetItem> item_from_text(std::string_view object_text);

// The body of an items page in the view's format (json: an array; jsonl: one object per line),
// with the BOM when asked. `count` is set to the number of items written (after skipEmpty).
std::string items_body(const std::vector<DatasetItem>& items, const ItemsView& view,
                       std::size_t& count);

// The JSON text `text` (valid JSON) without insignificant whitespace.
std::string minify_json(std::string_view text);

}  // namespace rqcheck::fake::wire
