// The dashboard (README "The dashboard"): its page and assets, embedded at build time from
// fake_server/ui/ (no external assets), and the JSON endpoints under /__admin/ it reads. The
// page is served without the admin token (it holds no data); the endpoints sit behind it like
// the rest of the admin API. Every list is a page read from the store's typed inspection
// functions, so a view of a 1,000,000-request queue costs O(log n + page).
//
//   if (auto page = ui_asset(http, !token.empty())) return *page;   // GET /, /__admin/ui/...
//   if (auto r = ui_api(ctx, http, parts)) return *r;         // after the token check
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "admin.h"
#include "call.h"

namespace rqcheck::fake {

// GET or HEAD of /, /__admin/ui, /__admin/ui/ (the page), /__admin/ui/<asset> and
// /__admin/ui/session ({"tokenRequired": bool}: whether the page must ask for the admin token);
// nullopt for any other request. Each asset carries a strict Content-Security-Policy (no inline
// script, nothing from another origin).
std::optional<Reply> ui_asset(const HttpRequest& http, bool token_required);

// overview, queues, queues/{id}, queues/{id}/requests, queues/{id}/requests/{requestId},
// key-value-stores, key-value-stores/{id}, key-value-stores/{id}/keys,
// key-value-stores/{id}/records/{key} (the record's bytes, sandboxed; ?download=1), datasets,
// datasets/{id}, datasets/{id}/items, journal/{seq}: `parts` are the path's segments
// ("__admin", ...). nullopt: not one of them.
std::optional<Reply> ui_api(const AdminContext& ctx, const HttpRequest& http,
                            const std::vector<std::string>& parts);

// The dashboard's assets, generated from fake_server/ui/ by fake_server/cmake/EmbedUi.cmake.
namespace ui {
struct Asset {
  const char* name;          // "index.html", "app.js", ...
  const char* content_type;  // from the file's extension
  const char* body;
  std::size_t size;
};
extern const Asset kAssets[];
extern const std::size_t kAssetCount;
}  // namespace ui

}  // namespace rqcheck::fake
