#include "rqcheck/core/request_id.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

namespace rqcheck {

namespace {
constexpr std::uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void compress(std::uint32_t h[8], const std::uint8_t block[64]) {
  std::uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (std::uint32_t(block[4 * i]) << 24) | (std::uint32_t(block[4 * i + 1]) << 16) |
           (std::uint32_t(block[4 * i + 2]) << 8) | std::uint32_t(block[4 * i + 3]);
  }
  for (int i = 16; i < 64; ++i) {
    std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; ++i) {
    std::uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    std::uint32_t ch = (e & f) ^ (~e & g);
    std::uint32_t t1 = k + s1 + ch + kK[i] + w[i];
    std::uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    std::uint32_t t2 = s0 + maj;
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode64(std::string_view in, bool url, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto ch = [&](std::uint32_t v) {
    char c = kB64[v & 63];
    if (url && c == '+') c = '-';
    if (url && c == '/') c = '_';
    out.push_back(c);
  };
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v =
        (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    ch(v >> 18);
    ch(v >> 12);
    ch(v >> 6);
    ch(v);
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    ch(v >> 18);
    ch(v >> 12);
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
    ch(v >> 18);
    ch(v >> 12);
    ch(v >> 6);
    if (pad) out += "=";
  }
  return out;
}

inline bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  // OpenSSL's digest uses the CPU's SHA extensions where there are any: request ids are derived
  // on every add, so this is on the fake's hot path. The portable code below is the fallback.
  // The algorithm is fetched once (EVP_sha256() makes EVP_Digest look it up in the provider
  // tables on every call, a third of the digest's cost for a 100-byte key) and each thread
  // keeps its context (EVP_Digest allocates one per call: 148 -> 118 ns for an 80-byte key).
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                            EVP_MD_CTX_free);
  std::array<std::uint8_t, 32> fast{};
  unsigned int len = 0;
  if (md && ctx && EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1 &&
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
      EVP_DigestFinal_ex(ctx.get(), fast.data(), &len) == 1 && len == 32) {
    return fast;
  }
  return sha256_portable(data);
}

std::array<std::uint8_t, 32> sha256_portable(std::string_view data) {
  std::uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::size_t n = data.size();
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  std::size_t full = n / 64;
  for (std::size_t i = 0; i < full; ++i) compress(h, p + 64 * i);
  std::uint8_t tail[128] = {};
  std::size_t rest = n - full * 64;
  if (rest) std::memcpy(tail, p + full * 64, rest);
  tail[rest] = 0x80;
  std::size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
  std::uint64_t bits = std::uint64_t(n) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = std::uint8_t(bits >> (8 * i));
  compress(h, tail);
  if (tail_len == 128) compress(h, tail + 64);
  std::array<std::uint8_t, 32> out{};
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = std::uint8_t(h[i] >> 24);
    out[4 * i + 1] = std::uint8_t(h[i] >> 16);
    out[4 * i + 2] = std::uint8_t(h[i] >> 8);
    out[4 * i + 3] = std::uint8_t(h[i]);
  }
  return out;
}

std::string base64(std::string_view bytes) { return encode64(bytes, false, true); }
std::string base64url_unpadded(std::string_view bytes) { return encode64(bytes, true, false); }

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=')
      break;
    else
      return false;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  for (; i < text.size(); ++i) {
    if (text[i] != '=') return false;
  }
  return true;
}

std::string request_id_for(std::string_view unique_key) {
  // base64 of the digest, character by character, '+' and '/' left out, up to 15 characters;
  // no base64 text is built (the 44 characters would be a heap string on every add).
  const auto d = sha256(unique_key);
  char id[kRequestIdLength];
  std::size_t n = 0;
  auto take = [&](std::uint32_t v, int chars) {
    for (int k = 0; k < chars && n < kRequestIdLength; ++k) {
      char c = kB64[(v >> (18 - 6 * k)) & 63];
      if (c != '+' && c != '/') id[n++] = c;
    }
  };
  std::size_t i = 0;
  for (; i + 3 <= d.size() && n < kRequestIdLength; i += 3) {
    take((std::uint32_t(d[i]) << 16) | (std::uint32_t(d[i + 1]) << 8) | d[i + 2], 4);
  }
  // The last two bytes make three characters (the fourth would be the '=' pad).
  if (n < kRequestIdLength) take((std::uint32_t(d[30]) << 16) | (std::uint32_t(d[31]) << 8), 3);
  return std::string(id, n);
}

bool is_apify_id(std::string_view s) {
  if (s.size() != kQueueIdLength) return false;
  for (char c : s) {
    if (!alnum(c)) return false;
  }
  return true;
}

bool is_request_id(std::string_view s) {
  if (s.size() != kRequestIdLength) return false;
  for (char c : s) {
    if (!alnum(c)) return false;
  }
  return true;
}

}  // namespace rqcheck
