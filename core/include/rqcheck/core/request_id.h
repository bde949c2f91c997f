// Request ids (spec section 6.1, decision 19): the first 15 characters of
// base64(SHA-256(utf8(uniqueKey))) after removing '+', '/' and '='.
//
//   request_id_for("http://example.com") == "8OamqXBCpPHxyH9"
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace rqcheck {

inline constexpr std::size_t kRequestIdLength = 15;
inline constexpr std::size_t kQueueIdLength = 17;

std::array<std::uint8_t, 32> sha256(std::string_view data);
// The same digest without OpenSSL (its fallback; tests compare the two).
std::array<std::uint8_t, 32> sha256_portable(std::string_view data);
std::string base64(std::string_view bytes);  // standard alphabet, padded
std::string base64url_unpadded(std::string_view bytes);
// Decodes base64 or base64url, padded or not; false on any invalid character.
bool base64_decode(std::string_view text, std::string& out);

std::string request_id_for(std::string_view unique_key);

// ^[a-zA-Z0-9]{17}$: queue, user and run ids.
bool is_apify_id(std::string_view s);
// A plausible request id: 15 characters of [a-zA-Z0-9].
bool is_request_id(std::string_view s);

}  // namespace rqcheck
