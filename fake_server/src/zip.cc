#include "zip.h"

#include <array>
#include <ctime>

#include "rqcheck/core/errors.h"

namespace rqcheck::fake {

namespace {

const std::array<std::uint32_t, 256>& crc_table() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

void put16(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

// MS-DOS date and time of `t` (UTC; the format has no zone), 1980-01-01 at the earliest.
void dos_time(TimeMs t, std::uint32_t& time, std::uint32_t& date) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  if (tm.tm_year < 80) {
    time = 0;
    date = (1 << 5) | 1;  // 1980-01-01
    return;
  }
  time = static_cast<std::uint32_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  date = static_cast<std::uint32_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

constexpr std::uint32_t kVersion = 20;        // 2.0: what stored files need
constexpr std::uint32_t kUtf8Names = 0x0800;  // general purpose bit 11

}  // namespace

std::uint32_t crc32(std::string_view data) {
  const auto& table = crc_table();
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

Result<std::string> zip_stored(const std::vector<ZipFile>& files, TimeMs modified) {
  std::uint64_t total = 22;
  for (const ZipFile& f : files) total += 30 + 46 + 2 * f.name.size() + f.data.size();
  if (files.size() > 0xffff || total > 0xffffffffu) {
    return errors::invalid_parameter(
        "The records do not fit a ZIP archive without ZIP64 (at most 65535 records and 4 GiB); "
        "rq-fake writes no ZIP64: download fewer records with \"prefix\".");
  }
  std::uint32_t time = 0, date = 0;
  dos_time(modified, time, date);
  std::string out;
  out.reserve(static_cast<std::size_t>(total));
  std::vector<std::uint32_t> crcs, offsets;
  crcs.reserve(files.size());
  offsets.reserve(files.size());
  for (const ZipFile& f : files) {
    std::uint32_t crc = crc32(f.data);
    crcs.push_back(crc);
    offsets.push_back(static_cast<std::uint32_t>(out.size()));
    put32(out, 0x04034b50);  // local file header
    put16(out, kVersion);
    put16(out, kUtf8Names);
    put16(out, 0);  // stored
    put16(out, time);
    put16(out, date);
    put32(out, crc);
    put32(out, static_cast<std::uint32_t>(f.data.size()));  // compressed size
    put32(out, static_cast<std::uint32_t>(f.data.size()));  // uncompressed size
    put16(out, static_cast<std::uint32_t>(f.name.size()));
    put16(out, 0);  // extra field
    out += f.name;
    out += f.data;
  }
  const auto directory = static_cast<std::uint32_t>(out.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const ZipFile& f = files[i];
    put32(out, 0x02014b50);  // central directory header
    put16(out, kVersion);    // made by (MS-DOS attributes)
    put16(out, kVersion);
    put16(out, kUtf8Names);
    put16(out, 0);
    put16(out, time);
    put16(out, date);
    put32(out, crcs[i]);
    put32(out, static_cast<std::uint32_t>(f.data.size()));
    put32(out, static_cast<std::uint32_t>(f.data.size()));
    put16(out, static_cast<std::uint32_t>(f.name.size()));
    put16(out, 0);  // extra field
    put16(out, 0);  // comment
    put16(out, 0);  // disk
    put16(out, 0);  // internal attributes
    put32(out, 0);  // external attributes
    put32(out, offsets[i]);
    out += f.name;
  }
  const auto directory_size = static_cast<std::uint32_t>(out.size()) - directory;
  put32(out, 0x06054b50);  // end of central directory
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint32_t>(files.size()));
  put16(out, static_cast<std::uint32_t>(files.size()));
  put32(out, directory_size);
  put32(out, directory);
  put16(out, 0);  // comment
  return out;
}

}  // namespace rqcheck::fake
