// The transport's strict request framing (fake_server framing.h): the head parser and the
// chunked decoder. Invariants: reading the bytes in two pieces (split where the first byte says)
// gives the same result as reading them whole; a refusal is a 4xx/5xx of the framing set with a
// type; an accepted head, rebuilt for httplib, parses again to the same request with a plain
// Content-Length.
#include <string>
#include <string_view>

#include "../fuzz_check.h"
#include "framing.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::fake;

struct Outcome {
  Parse parse = Parse::kNeedMore;
  ApiError err;
  RequestHead head;
  std::string body;
  std::size_t used = 0;  // bytes of the message when complete
};

Outcome run(std::string_view in, std::size_t split) {
  Outcome o;
  HeadParser hp;
  std::size_t cut = split < in.size() ? split : in.size();
  o.parse = hp.feed(in.substr(0, cut), o.err);
  if (o.parse == Parse::kNeedMore) o.parse = hp.feed(in, o.err);
  if (o.parse != Parse::kDone) return o;
  o.head = hp.head();
  std::string_view rest = in.substr(o.head.head_bytes);
  if (o.head.too_large) {  // the transport answers 413 without reading the body
    RQ_FUZZ_CHECK(o.head.body == RequestHead::Body::kLength &&
                  o.head.content_length > FramingLimits{}.body);
    o.used = o.head.head_bytes;
    return o;
  }
  if (o.head.body == RequestHead::Body::kLength) {
    if (rest.size() < o.head.content_length) {
      o.parse = Parse::kNeedMore;
      return o;
    }
    o.body.assign(rest.substr(0, o.head.content_length));
    o.used = o.head.head_bytes + o.head.content_length;
  } else if (o.head.body == RequestHead::Body::kChunked) {
    ChunkedDecoder d;
    std::size_t c2 = cut > o.head.head_bytes ? cut - o.head.head_bytes : 0;
    o.parse = d.feed(rest.substr(0, c2 < rest.size() ? c2 : rest.size()), o.body, o.err);
    if (o.parse == Parse::kNeedMore) o.parse = d.feed(rest, o.body, o.err);
    o.used = o.head.head_bytes + d.consumed();
  } else {
    o.used = o.head.head_bytes;
  }
  return o;
}

bool framing_status(int s) {
  return s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t split = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Outcome whole = run(in, in.size());
  Outcome pieces = run(in, split);
  RQ_FUZZ_CHECK(whole.parse == pieces.parse);
  if (whole.parse == Parse::kError) {
    RQ_FUZZ_CHECK_SHOW(framing_status(whole.err.status), whole.err.message);
    RQ_FUZZ_CHECK(!whole.err.type.empty() && !whole.err.message.empty());
    RQ_FUZZ_CHECK_SHOW(whole.err == pieces.err, whole.err.message + " vs " + pieces.err.message);
    return 0;
  }
  if (whole.parse != Parse::kDone) return 0;
  RQ_FUZZ_CHECK(whole.body == pieces.body && whole.used == pieces.used);
  RQ_FUZZ_CHECK(whole.body.size() <= FramingLimits{}.body);
  // What httplib is handed parses again, to the same request line and a plain length.
  std::string again = rebuild_head(whole.head, whole.body.size()) + whole.body;
  Outcome re = run(again, again.size());
  RQ_FUZZ_CHECK_SHOW(re.parse == Parse::kDone, re.err.message + " in " + again);
  RQ_FUZZ_CHECK(re.head.method == whole.head.method && re.head.target == whole.head.target &&
                re.head.version == whole.head.version && re.head.close == whole.head.close);
  RQ_FUZZ_CHECK(re.body == whole.body && re.used == again.size());
  RQ_FUZZ_CHECK(re.head.body == (whole.head.body == RequestHead::Body::kNone
                                     ? RequestHead::Body::kNone
                                     : RequestHead::Body::kLength));
  return 0;
}
