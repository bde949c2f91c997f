#include "dataset_store.h"

#include <algorithm>
#include <set>
#include <utility>

namespace rqcheck::fake {

namespace {
// The store's own guard that an item is an object text: '{' first and '}' last, past blanks.
bool looks_like_object(std::string_view json) {
  auto first = json.find_first_not_of(" \t\r\n");
  auto last = json.find_last_not_of(" \t\r\n");
  return first != std::string_view::npos && json[first] == '{' && json[last] == '}';
}
}  // namespace

Datasets::Datasets(const Users& users, const Clock& clock, DatasetOptions options,
                   RateLimiter* limiter)
    : options_(std::move(options)),
      users_(users),
      clock_(clock),
      limiter_(limiter),
      dir_(dataset_kind(), users_, clock_, options_.seed) {}

DatasetInfo Datasets::info_locked(const Dataset& d) {
  return DatasetInfo{d.meta, static_cast<std::int64_t>(d.items.size()), d.clean_item_count,
                     d.stats};
}

void Datasets::append_locked(Dataset& d, DatasetItem item) {
  d.stats.storage_bytes += static_cast<std::int64_t>(item.json.size());
  if (item.clean) ++d.clean_item_count;
  d.items.push_back(std::move(item));
}

Status Datasets::check_items(const std::vector<DatasetItem>& items) const {
  const DatasetLimits& lim = options_.limits;
  if (items.size() > lim.max_items_per_push) {
    return errors::invalid_input(
        "Invalid input: at most " + std::to_string(lim.max_items_per_push) +
        " items can be pushed at once (got " + std::to_string(items.size()) + ").");
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& json = items[i].json;
    if (json.size() > lim.max_item_bytes) return errors::request_too_large(json.size());
    if (!looks_like_object(json)) {
      return errors::invalid_input("Invalid input: the item at index " + std::to_string(i) +
                                   " is not a JSON object.");
    }
    total += json.size();
  }
  if (total > lim.max_push_bytes) return errors::request_too_large(total);
  return Ok{};
}

Status Datasets::charge_user(const User* u, TimeMs now) const {
  return limiter_ ? limiter_->charge_user(u, now) : Status(Ok{});
}

Directory<Dataset>::Check Datasets::charge(Operation op, TimeMs now) {
  if (!limiter_) return {};
  return [this, op, now](Dataset& d) { return limiter_->charge(d.rate, op, now); };
}

Result<Datasets::Entered> Datasets::enter(const User* u, std::string_view ref, Access access,
                                          Operation op) {
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(u, now); !st) return st.error();
  auto d = dir_.resolve(u, ref, access);
  if (!d) return d.error();
  Entered e{std::move(*d), {}, now};
  e.lock = std::unique_lock(e.dataset->mu);
  if (limiter_) {
    if (auto st = limiter_->charge(e.dataset->rate, op, now); !st) return st.error();
  }
  if (access == Access::kRead) keep_lazily(e.dataset);
  return Result<Entered>(std::move(e));
}

// --- datasets --------------------------------------------------------------------------------

Result<DatasetsPage> Datasets::list(const User& u, const StorageListQuery& q) const {
  if (auto st = charge_user(&u, clock_.now_ms()); !st) return st.error();
  auto page = dir_.list(u, q);
  if (!page) return page.error();
  auto out = answer_page<DatasetsPage>(*page, &info_locked);
  out.unnamed = page->unnamed;
  return out;
}

Result<DatasetCreated> Datasets::get_or_create(const User& u, std::optional<std::string> name) {
  if (name) {
    if (auto ok = check_storage_name(dir_.kind(), *name); !ok) return ok.error();
  }
  if (auto st = charge_user(&u, clock_.now_ms()); !st) return st.error();
  auto c = dir_.get_or_create(u, std::move(name));
  if (!c) return c.error();
  std::lock_guard dl(c->storage->mu);
  emit_locked(*c->storage);
  return DatasetCreated{info_locked(*c->storage), c->created};
}

Result<DatasetInfo> Datasets::get(const User* u, std::string_view ref) {
  auto e = enter(u, ref, Access::kRead, Operation::kDatasetGet);
  if (!e) return e.error();
  e->dataset->meta.touch(e->now, false);
  return info_locked(*e->dataset);
}

Result<DatasetInfo> Datasets::statistics(const User* u, std::string_view ref) {
  auto e = enter(u, ref, Access::kRead, Operation::kDatasetStatisticsGet);
  if (!e) return e.error();
  e->dataset->meta.touch(e->now, false);
  return info_locked(*e->dataset);
}

Result<DatasetInfo> Datasets::update(const User& u, std::string_view ref,
                                     const StorageUpdate& update) {
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(&u, now); !st) return st.error();
  auto d = dir_.update(u, ref, update, charge(Operation::kDatasetPut, now));
  if (!d) return d.error();
  std::lock_guard dl((*d)->mu);
  emit_locked(**d);
  return info_locked(**d);
}

Status Datasets::remove(const User& u, std::string_view ref) {
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(&u, now); !st) return st.error();
  auto check = charge(Operation::kDatasetDelete, now);
  auto d = dir_.erase(u, ref, [&](Dataset& ds) -> Status {
    if (check) {
      if (auto st = check(ds); !st) return st;
    }
    ds.removed = true;  // under its lock: after every change of it appended before
    if (log_) {
      std::vector<persist::Change> out;
      out.push_back(persist::DropStorage{persist::Kind::kDataset, ds.meta.id});
      log_->append(std::move(out));
    }
    return Ok{};
  });
  if (!d) return d.error();
  return Ok{};
}

// --- items -----------------------------------------------------------------------------------

Result<std::string> Datasets::push_items(const User& u, std::string_view ref,
                                         std::vector<DatasetItem> items) {
  if (auto ok = check_items(items); !ok) return ok.error();
  auto e = enter(&u, ref, Access::kWrite, Operation::kDatasetItemsPost);
  if (!e) return e.error();
  Dataset& ds = *e->dataset;
  bool any = !items.empty();
  std::vector<persist::Change> rows;
  if (log_) rows.reserve(items.size());
  for (DatasetItem& item : items) {
    if (log_) {
      rows.push_back(persist::PutItem{persist::ItemRow{
          ds.meta.id, static_cast<std::int64_t>(ds.items.size()), item.json, item.clean}});
    }
    append_locked(ds, std::move(item));
  }
  if (any) ++ds.stats.write_count;
  ds.meta.touch(e->now, any);
  emit_locked(ds, std::move(rows));
  return ds.meta.id;
}

Result<ItemsPage> Datasets::list_items(const User* u, std::string_view ref, const ItemsQuery& q,
                                       Operation op) {
  if (q.offset < 0) {
    return errors::invalid_parameter("Parameter \"offset\" must be a non-negative integer.");
  }
  if (q.limit && *q.limit < 0) {
    return errors::invalid_parameter("Parameter \"limit\" must be a non-negative integer.");
  }
  auto e = enter(u, ref, Access::kRead, op);
  if (!e) return e.error();
  ItemsPage page;
  page.dataset_id = e->dataset->meta.id;
  page.offset = q.offset;
  page.desc = q.desc;
  bool limited = q.limit && *q.limit > 0;
  if (limited) page.limit = *q.limit;
  Dataset& ds = *e->dataset;
  const std::int64_t total = static_cast<std::int64_t>(ds.items.size());
  page.total = total;
  std::int64_t available = std::max<std::int64_t>(0, total - q.offset);
  std::int64_t n = limited ? std::min(available, page.limit) : available;
  if (op == Operation::kDatasetItemsHead) n = 0;  // the headers only
  page.items.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    // Ascending: offset, offset+1, ...; descending: the newest minus offset, then older ones.
    std::int64_t at = q.desc ? total - 1 - q.offset - i : q.offset + i;
    page.items.push_back(ds.items[static_cast<std::size_t>(at)]);
  }
  if (op != Operation::kDatasetItemsHead) ++ds.stats.read_count;
  ds.meta.touch(e->now, false);
  return page;
}

// --- inspection ------------------------------------------------------------------------------

DatasetsScan Datasets::inspect_datasets(
    const std::optional<std::string>& user_id,
    const std::optional<Directory<Dataset>::ScanPosition>& after, std::size_t limit) const {
  return dir_.template scan_infos<DatasetInfo>(user_id, after, limit, &info_locked);
}

Result<DatasetInfo> Datasets::inspect(std::string_view id) const {
  auto d = dir_.find(id);
  if (!d) return errors::record_not_found(dir_.kind().not_found);
  std::lock_guard dl(d->mu);
  return info_locked(*d);
}

Result<InspectedItems> Datasets::inspect_items(std::string_view id, std::int64_t offset,
                                               std::size_t limit,
                                               std::size_t max_item_bytes) const {
  if (offset < 0) {
    return errors::invalid_parameter("Parameter \"offset\" must be a non-negative integer.");
  }
  auto d = dir_.find(id);
  if (!d) return errors::record_not_found(dir_.kind().not_found);
  std::lock_guard dl(d->mu);
  InspectedItems out;
  out.total = static_cast<std::int64_t>(d->items.size());
  out.offset = offset;
  if (offset >= out.total) return out;
  const std::size_t from = static_cast<std::size_t>(offset);
  const std::size_t n = std::min(limit, d->items.size() - from);
  out.items.reserve(n);
  for (std::size_t i = from; i < from + n; ++i) {
    const std::string& json = d->items[i].json;
    InspectedItem item;
    item.size = static_cast<std::int64_t>(json.size());
    std::size_t keep = json.size();
    if (keep > max_item_bytes) {
      item.clipped = true;
      keep = max_item_bytes;
      // Not inside a UTF-8 sequence: back off continuation bytes.
      while (keep > 0 && (static_cast<unsigned char>(json[keep]) & 0xC0) == 0x80) --keep;
    }
    item.json.assign(json, 0, keep);
    out.items.push_back(std::move(item));
  }
  return out;
}

// --- admin -----------------------------------------------------------------------------------

std::vector<DatasetData> Datasets::snapshot() const {
  std::vector<DatasetData> out;
  for (const auto& d : dir_.all()) {
    std::lock_guard dl(d->mu);
    out.push_back(DatasetData{d->meta, d->stats, {d->items.begin(), d->items.end()}});
  }
  return out;
}

Status Datasets::restore(std::vector<DatasetData> datasets) {
  if (auto st = check_restore(datasets); !st) return st.error();
  dir_.clear();
  for (DatasetData& d : datasets) {
    auto s = std::make_shared<Dataset>();
    s->meta = std::move(d.meta);
    for (DatasetItem& item : d.items) append_locked(*s, std::move(item));
    std::int64_t bytes = s->stats.storage_bytes;
    s->stats = d.stats;
    s->stats.storage_bytes = bytes;
    if (auto ok = dir_.restore(std::move(s)); !ok) return ok.error();  // checked above
  }
  return Ok{};
}

Status Datasets::check_restore(const std::vector<DatasetData>& datasets) const {
  std::set<std::string> ids;
  std::set<std::pair<std::string, std::string>> names;
  for (const DatasetData& d : datasets) {
    if (!is_apify_id(d.meta.id) || !ids.insert(d.meta.id).second || d.meta.user_id.empty()) {
      return errors::invalid_input(
          "Invalid input: every dataset needs a unique 17-character id and a userId (got \"" +
          d.meta.id + "\").");
    }
    if (d.meta.name) {
      if (auto ok = check_storage_name(dir_.kind(), *d.meta.name); !ok) return ok.error();
      if (!names.insert({d.meta.user_id, *d.meta.name}).second) {
        return errors::name_not_unique(*d.meta.name, "dataset");
      }
    }
    for (std::size_t i = 0; i < d.items.size(); ++i) {
      const std::string& json = d.items[i].json;
      if (json.size() > options_.limits.max_item_bytes)
        return errors::request_too_large(json.size());
      if (!looks_like_object(json)) {
        return errors::invalid_input("Invalid input: item " + std::to_string(i) + " of dataset \"" +
                                     d.meta.id + "\" is not a JSON object.");
      }
    }
  }
  return Ok{};
}

void Datasets::clear() {
  for (const auto& d : dir_.all()) {
    std::lock_guard dl(d->mu);
    d->removed = true;
  }
  dir_.clear();
}

// --- persistence -----------------------------------------------------------------------------

namespace {

persist::StorageRow dataset_row(const Dataset& d) {
  return persist::StorageRow{
      persist::Kind::kDataset, d.meta, {d.stats.read_count, d.stats.write_count}, std::nullopt};
}

}  // namespace

void Datasets::emit_locked(const Dataset& d, std::vector<persist::Change> changes) {
  if (!log_ || d.removed) return;
  changes.push_back(persist::PutStorage{dataset_row(d)});
  log_->append(std::move(changes));
}

void Datasets::keep_lazily(const std::shared_ptr<Dataset>& d) {
  if (!log_ || d->lazy_queued) return;
  d->lazy_queued = true;
  std::lock_guard l(lazy_mu_);
  lazy_.push_back(d);
}

void Datasets::flush_lazy() {
  std::vector<std::weak_ptr<Dataset>> datasets;
  {
    std::lock_guard l(lazy_mu_);
    datasets.swap(lazy_);
  }
  for (auto& w : datasets) {
    auto d = w.lock();
    if (!d) continue;
    std::lock_guard dl(d->mu);
    d->lazy_queued = false;
    emit_locked(*d);
  }
}

void Datasets::persist_all() {
  if (!log_) return;
  for (const auto& d : dir_.all()) {
    std::lock_guard dl(d->mu);
    std::vector<persist::Change> out;
    out.reserve(d->items.size() + 1);
    std::int64_t i = 0;
    for (const DatasetItem& item : d->items) {
      out.push_back(persist::PutItem{persist::ItemRow{d->meta.id, i++, item.json, item.clean}});
    }
    out.push_back(persist::PutStorage{dataset_row(*d)});
    log_->append(std::move(out));
  }
}

Status Datasets::load_dataset(persist::StorageRow row) {
  if (row.counters.size() != 2) {
    return errors::invalid_input("dataset \"" + row.meta.id + "\" has " +
                                 std::to_string(row.counters.size()) + " counters, not 2");
  }
  auto d = std::make_shared<Dataset>();
  d->meta = std::move(row.meta);
  d->stats.read_count = row.counters[0];
  d->stats.write_count = row.counters[1];
  return dir_.restore(std::move(d));
}

Status Datasets::load_item(persist::ItemRow row) {
  auto d = dir_.find(row.dataset_id);
  if (!d) return errors::invalid_input("an item of an unknown dataset");
  std::lock_guard dl(d->mu);
  if (row.index != static_cast<std::int64_t>(d->items.size())) {
    return errors::invalid_input("dataset \"" + row.dataset_id + "\" misses item " +
                                 std::to_string(d->items.size()));
  }
  append_locked(*d, DatasetItem{std::move(row.json), row.clean});
  return Ok{};
}

std::size_t Datasets::count() const { return dir_.count(); }

}  // namespace rqcheck::fake
