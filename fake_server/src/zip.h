// A ZIP archive of stored (uncompressed) files, for GET /v2/key-value-stores/{storeId}/records
// ("Each record is stored as a separate file in the archive, with the filename equal to the
// record key"). PKWARE APPNOTE 6.3: local headers, the data, the central directory and its end
// record; method 0 (stored), CRC-32, names flagged UTF-8. No ZIP64: an archive of more than
// 65535 files or 4 GiB is refused.
//
//   auto zip = zip_stored({{"OUTPUT", "{\"a\":1}"}}, clock.now_ms());
//   if (!zip) return zip.error();   // 400 when it would need ZIP64
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"

namespace rqcheck::fake {

struct ZipFile {
  std::string_view name, data;
};

// The archive; every file gets `modified` (UTC) as its date and time.
Result<std::string> zip_stored(const std::vector<ZipFile>& files, TimeMs modified);

// CRC-32 (ISO-HDLC, as zlib's crc32).
std::uint32_t crc32(std::string_view data);

}  // namespace rqcheck::fake
