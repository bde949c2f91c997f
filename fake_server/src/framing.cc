#include "framing.h"

#include <algorithm>

#include "rqcheck/core/errors.h"

namespace rqcheck::fake {

namespace {

// tchar (RFC 9110 5.6.2).
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ApiError bad(std::string what) {
  return errors::invalid_request("The HTTP request is malformed: " + std::move(what) + ".");
}

ApiError too_many_fields(std::string what) {
  return ApiError{431, "request-header-fields-too-large",
                  "The request's header fields are too large: " + std::move(what) + "."};
}

// field-line = field-name ":" OWS field-value OWS; the value has no CTL but HTAB.
Parse field_line(std::string_view l, std::size_t max_line, std::string& name, std::string& value,
                 ApiError& err) {
  if (l.size() > max_line) {
    err = too_many_fields("a field line is longer than " + std::to_string(max_line) + " bytes");
    return Parse::kError;
  }
  if (l.front() == ' ' || l.front() == '\t') {
    err = bad("a field line starts with whitespace (obsolete line folding)");
    return Parse::kError;
  }
  auto colon = l.find(':');
  if (colon == std::string_view::npos) {
    err = bad("a field line has no colon");
    return Parse::kError;
  }
  std::string_view n = l.substr(0, colon);
  if (!is_token(n)) {
    err = bad("a field name is not a token (no spaces, separators or control bytes)");
    return Parse::kError;
  }
  std::string_view v = trim_ows(l.substr(colon + 1));
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      err = bad("a field value holds a control byte (NUL, CR, ...)");
      return Parse::kError;
    }
  }
  name.assign(n);
  value.assign(v);
  return Parse::kDone;
}

}  // namespace

bool is_served_method(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE" ||
         m == "OPTIONS";
}

Parse HeadParser::feed(std::string_view in, ApiError& err) {
  for (;;) {
    std::size_t e = in.find('\n', pos_);
    if (e == std::string_view::npos) {
      std::size_t partial = in.size() - pos_;
      if (!have_request_line_ && partial > limits_.request_line) {
        err = ApiError{
            414, "request-uri-too-long",
            "The request line is longer than " + std::to_string(limits_.request_line) + " bytes."};
        return Parse::kError;
      }
      if (have_request_line_ && partial > limits_.field_line) {
        err = too_many_fields("a field line is longer than " + std::to_string(limits_.field_line) +
                              " bytes");
        return Parse::kError;
      }
      if (in.size() > limits_.head) {
        err = too_many_fields("the head is longer than " + std::to_string(limits_.head) + " bytes");
        return Parse::kError;
      }
      return Parse::kNeedMore;
    }
    if (e == pos_ || in[e - 1] != '\r') {
      err = bad("a line ends in a bare LF (lines end in CRLF)");
      return Parse::kError;
    }
    std::string_view l = in.substr(pos_, e - 1 - pos_);
    pos_ = e + 1;
    if (pos_ > limits_.head) {
      err = too_many_fields("the head is longer than " + std::to_string(limits_.head) + " bytes");
      return Parse::kError;
    }
    if (l.find('\r') != std::string_view::npos) {
      err = bad("a line holds a bare CR");
      return Parse::kError;
    }
    Parse p = line(l, err);
    if (p != Parse::kNeedMore) return p;
  }
}

Parse HeadParser::line(std::string_view l, ApiError& err) {
  if (!have_request_line_) {
    if (l.empty()) return Parse::kNeedMore;  // RFC 9112 2.2: an empty line before it is ignored
    if (l.size() > limits_.request_line) {
      err = ApiError{
          414, "request-uri-too-long",
          "The request line is longer than " + std::to_string(limits_.request_line) + " bytes."};
      return Parse::kError;
    }
    auto sp1 = l.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : l.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || l.find(' ', sp2 + 1) != std::string_view::npos) {
      err = bad("the request line is not \"method SP target SP HTTP-version\"");
      return Parse::kError;
    }
    std::string_view method = l.substr(0, sp1), target = l.substr(sp1 + 1, sp2 - sp1 - 1),
                     version = l.substr(sp2 + 1);
    if (!is_token(method)) {
      err = bad("the method is not a token");
      return Parse::kError;
    }
    if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
          auto u = static_cast<unsigned char>(c);
          return u <= 0x20 || u >= 0x7F;
        })) {
      err = bad("the request target is empty or holds a control, space or non-ASCII byte");
      return Parse::kError;
    }
    if (!(version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
          version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9')) {
      err = bad("the HTTP version is not HTTP/<digit>.<digit>");
      return Parse::kError;
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
      err = ApiError{505, "http-version-not-supported",
                     "HTTP version " + std::string(version) + " is not supported (HTTP/1.1 is)."};
      return Parse::kError;
    }
    if (target.front() != '/' && !(target == "*" && method == "OPTIONS")) {
      err = bad("the request target is not an absolute path (origin-form, starting with /)");
      return Parse::kError;
    }
    if (!is_served_method(method)) {
      err = errors::not_implemented("The method " + std::string(method) +
                                    " is not implemented (GET, HEAD, POST, PUT, PATCH, DELETE "
                                    "and OPTIONS are).");
      return Parse::kError;
    }
    head_.method.assign(method);
    head_.target.assign(target);
    head_.version.assign(version);
    have_request_line_ = true;
    return Parse::kNeedMore;
  }
  if (l.empty()) return finish(err);
  if (head_.fields.size() >= limits_.fields) {
    err = too_many_fields("more than " + std::to_string(limits_.fields) + " fields");
    return Parse::kError;
  }
  std::string name, value;
  if (field_line(l, limits_.field_line, name, value, err) != Parse::kDone) return Parse::kError;
  head_.fields.emplace_back(std::move(name), std::move(value));
  return Parse::kNeedMore;
}

Parse HeadParser::finish(ApiError& err) {
  const std::string* cl = nullptr;
  const std::string* te = nullptr;
  int hosts = 0;
  bool keep_alive = false;
  for (const auto& [name, value] : head_.fields) {
    if (iequals(name, "Content-Length")) {
      if (cl) {
        err = bad("more than one Content-Length field");
        return Parse::kError;
      }
      cl = &value;
    } else if (iequals(name, "Transfer-Encoding")) {
      if (te) {
        err = bad("more than one Transfer-Encoding field");
        return Parse::kError;
      }
      te = &value;
    } else if (iequals(name, "Host")) {
      ++hosts;
    } else if (iequals(name, "Connection")) {
      std::string_view v = value;
      while (!v.empty()) {
        auto comma = v.find(',');
        std::string_view tok = trim_ows(v.substr(0, comma));
        if (iequals(tok, "close")) head_.close = true;
        if (iequals(tok, "keep-alive")) keep_alive = true;
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
      }
    } else if (iequals(name, "Expect") && iequals(value, "100-continue")) {
      head_.expect_continue = true;
    }
  }
  if (hosts > 1) {
    err = bad("more than one Host field");
    return Parse::kError;
  }
  if (head_.version == "HTTP/1.0" && !keep_alive) head_.close = true;
  if (cl && te) {
    err = bad("both Content-Length and Transfer-Encoding");
    return Parse::kError;
  }
  if (te) {
    if (!iequals(*te, "chunked")) {
      err = errors::not_implemented("The transfer coding \"" + *te +
                                    "\" is not implemented (only \"chunked\" is).");
      return Parse::kError;
    }
    head_.body = RequestHead::Body::kChunked;
  } else if (cl) {
    const std::string& v = *cl;
    if (v.empty() ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      err = bad("Content-Length is not a decimal number (1*DIGIT)");
      return Parse::kError;
    }
    if (v.size() > 1 && v.front() == '0') {
      err = bad("Content-Length has a leading zero");
      return Parse::kError;
    }
    std::size_t n = 0;
    if (v.size() > 15) {
      n = static_cast<std::size_t>(-1);
    } else {
      for (char c : v) n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    head_.too_large = n > limits_.body;
    head_.content_length = n;
    head_.body = RequestHead::Body::kLength;
  }
  head_.head_bytes = pos_;
  return Parse::kDone;
}

Parse ChunkedDecoder::feed(std::string_view in, std::string& body, ApiError& err) {
  for (;;) {
    switch (state_) {
      case State::kSize: {
        std::size_t e = in.find('\n', pos_);
        if (e == std::string_view::npos) {
          if (in.size() - pos_ > 1024) {
            err = bad("a chunk-size line is longer than 1024 bytes");
            return Parse::kError;
          }
          return Parse::kNeedMore;
        }
        if (e == pos_ || in[e - 1] != '\r') {
          err = bad("a chunk-size line ends in a bare LF");
          return Parse::kError;
        }
        std::string_view l = in.substr(pos_, e - 1 - pos_);
        std::size_t digits = 0, size = 0;
        while (digits < l.size()) {
          char c = l[digits];
          int d = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
          if (d < 0) break;
          if (++digits > 15) {
            err = bad("a chunk size has more than 15 hex digits");
            return Parse::kError;
          }
          size = size * 16 + static_cast<std::size_t>(d);
        }
        if (digits == 0) {
          err = bad("a chunk size is not hexadecimal (1*HEXDIG)");
          return Parse::kError;
        }
        std::string_view rest = l.substr(digits);
        std::size_t ws = 0;
        while (ws < rest.size() && (rest[ws] == ' ' || rest[ws] == '\t')) ++ws;
        if (!rest.empty() && (ws == rest.size() || rest[ws] != ';')) {
          err = bad("a chunk size is followed by something other than a chunk extension");
          return Parse::kError;
        }
        for (char ch : rest) {
          auto c = static_cast<unsigned char>(ch);
          if ((c < 0x20 && c != '\t') || c == 0x7F) {
            err = bad("a chunk extension holds a control byte");
            return Parse::kError;
          }
        }
        if (size > limits_.body || body.size() + size > limits_.body) {
          err = errors::request_too_large(body.size() + size);
          return Parse::kError;
        }
        pos_ = e + 1;
        left_ = size;
        state_ = size == 0 ? State::kTrailer : State::kData;
        break;
      }
      case State::kData: {
        std::size_t n = std::min(left_, in.size() - pos_);
        body.append(in.data() + pos_, n);
        pos_ += n;
        left_ -= n;
        if (left_ > 0) return Parse::kNeedMore;
        state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd:
        if (in.size() - pos_ < 2) {
          if (in.size() > pos_ && in[pos_] != '\r') {
            err = bad("a chunk's data is longer than its size (no CRLF after it)");
            return Parse::kError;
          }
          return Parse::kNeedMore;
        }
        if (in[pos_] != '\r' || in[pos_ + 1] != '\n') {
          err = bad("a chunk's data is longer than its size (no CRLF after it)");
          return Parse::kError;
        }
        pos_ += 2;
        state_ = State::kSize;
        break;
      case State::kTrailer: {
        std::size_t e = in.find('\n', pos_);
        if (e == std::string_view::npos) {
          if (in.size() - pos_ > limits_.field_line) {
            err = too_many_fields("a trailer line is longer than " +
                                  std::to_string(limits_.field_line) + " bytes");
            return Parse::kError;
          }
          return Parse::kNeedMore;
        }
        if (e == pos_ || in[e - 1] != '\r') {
          err = bad("a trailer line ends in a bare LF");
          return Parse::kError;
        }
        std::string_view l = in.substr(pos_, e - 1 - pos_);
        pos_ = e + 1;
        if (l.empty()) {
          state_ = State::kDone;
          return Parse::kDone;
        }
        if (l.find('\r') != std::string_view::npos) {
          err = bad("a trailer line holds a bare CR");
          return Parse::kError;
        }
        if (++trailers_ > limits_.fields) {
          err = too_many_fields("more than " + std::to_string(limits_.fields) + " trailer fields");
          return Parse::kError;
        }
        std::string name, value;
        if (field_line(l, limits_.field_line, name, value, err) != Parse::kDone) {
          return Parse::kError;
        }
        break;
      }
      case State::kDone:
        return Parse::kDone;
    }
  }
}

std::string rebuild_head(const RequestHead& h, std::size_t body_bytes) {
  std::string out;
  out.reserve(h.head_bytes + 32);
  out += h.method;
  out += ' ';
  out += h.target;
  out += ' ';
  out += h.version;
  out += "\r\n";
  for (const auto& [name, value] : h.fields) {
    if (iequals(name, "Transfer-Encoding") || iequals(name, "Content-Length") ||
        iequals(name, "Expect")) {
      continue;
    }
    out += name;
    out += ':';  // no space: the rebuilt head is never longer than the one received
    out += value;
    out += "\r\n";
  }
  if (h.body != RequestHead::Body::kNone) {
    out += "Content-Length:";
    out += std::to_string(body_bytes);
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string error_response(const ApiError& e, bool close, int retry_after_secs) {
  const char* reason = "Error";
  switch (e.status) {
    case 400:
      reason = "Bad Request";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 413:
      reason = "Payload Too Large";
      break;
    case 414:
      reason = "URI Too Long";
      break;
    case 431:
      reason = "Request Header Fields Too Large";
      break;
    case 501:
      reason = "Not Implemented";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 505:
      reason = "HTTP Version Not Supported";
      break;
    default:
      break;
  }
  std::string body = error_body(e);
  std::string out = "HTTP/1.1 " + std::to_string(e.status) + " " + reason +
                    "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  if (retry_after_secs > 0) out += "Retry-After: " + std::to_string(retry_after_secs) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace rqcheck::fake
