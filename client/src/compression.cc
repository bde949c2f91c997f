#include "rqcheck/client/compression.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <cstdint>
#include <vector>

namespace rqcheck::client {

namespace {
ApiError fail(std::string message) { return ApiError{0, "compression-error", std::move(message)}; }

// windowBits 15 + 16 selects the gzip wrapper, 15 the zlib wrapper (HTTP "deflate").
int window_bits(BodyEncoding e) { return e == BodyEncoding::kGzip ? 15 + 16 : 15; }

Result<std::string> zlib_compress(std::string_view data, BodyEncoding e) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits(e), 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    return fail("deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&zs, uLong(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return fail("deflate did not finish");
  out.resize(produced);
  return out;
}

Result<std::string> zlib_decompress(std::string_view data, BodyEncoding e, std::size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits(e)) != Z_OK) return fail("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return fail("invalid " + std::string(content_encoding_name(e)) + " data");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return fail("decompressed data exceeds the limit");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return fail("truncated " + std::string(content_encoding_name(e)) + " data");
    }
  }
  inflateEnd(&zs);
  return out;
}

Result<std::string> brotli_compress(std::string_view data) {
  std::size_t size = BrotliEncoderMaxCompressedSize(data.size());
  if (size == 0) size = data.size() + 1024;
  std::string out(size, '\0');
  if (!BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT,
                             data.size(), reinterpret_cast<const std::uint8_t*>(data.data()), &size,
                             reinterpret_cast<std::uint8_t*>(out.data())))
    return fail("BrotliEncoderCompress failed");
  out.resize(size);
  return out;
}

Result<std::string> brotli_decompress(std::string_view data, std::size_t max_bytes) {
  BrotliDecoderState* st = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (!st) return fail("BrotliDecoderCreateInstance failed");
  std::size_t avail_in = data.size();
  const std::uint8_t* next_in = reinterpret_cast<const std::uint8_t*>(data.data());
  std::string out;
  std::uint8_t buf[16384];
  BrotliDecoderResult rc = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
  while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
    std::size_t avail_out = sizeof buf;
    std::uint8_t* next_out = buf;
    rc = BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
    if (out.size() > max_bytes) rc = BROTLI_DECODER_RESULT_ERROR;
  }
  BrotliDecoderDestroyInstance(st);
  if (rc != BROTLI_DECODER_RESULT_SUCCESS) return fail("invalid or truncated br data");
  return out;
}
}  // namespace

Result<std::string> compress(std::string_view data, BodyEncoding encoding) {
  switch (encoding) {
    case BodyEncoding::kNone:
      return std::string(data);
    case BodyEncoding::kGzip:
    case BodyEncoding::kDeflate:
      return zlib_compress(data, encoding);
    case BodyEncoding::kBrotli:
      return brotli_compress(data);
  }
  return fail("unknown encoding");
}

Result<std::string> decompress(std::string_view data, BodyEncoding encoding,
                               std::size_t max_bytes) {
  switch (encoding) {
    case BodyEncoding::kNone:
      return std::string(data);
    case BodyEncoding::kGzip:
    case BodyEncoding::kDeflate:
      return zlib_decompress(data, encoding, max_bytes);
    case BodyEncoding::kBrotli:
      return brotli_decompress(data, max_bytes);
  }
  return fail("unknown encoding");
}

}  // namespace rqcheck::client
