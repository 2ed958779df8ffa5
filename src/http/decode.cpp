#include "decode.hpp"

#include <algorithm>

#include "camrelay/http/router.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::http {
namespace {
using nlohmann::json;

[[noreturn]] void bad(std::string msg) { throw Error(Errc::invalid_argument, std::move(msg)); }

std::string str_field(const json& j, const char* key, bool required = true) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) bad(std::string("\"") + key + "\" is required");
    return {};
  }
  if (!it->is_string()) bad(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

std::optional<std::vector<std::string>> cameras_field(const json& j) {
  auto it = j.find("cameras");
  if (it == j.end()) return std::nullopt;
  if (!it->is_array() || it->size() > 1000) bad("\"cameras\" must be an array of camera ids");
  std::vector<std::string> out;
  for (const auto& x : *it) {
    if (!x.is_string()) bad("\"cameras\" must be an array of camera ids");
    out.push_back(x.get<std::string>());
  }
  return out;
}

std::optional<auth::Role> role_field(const json& j) {
  auto s = str_field(j, "role", false);
  if (s.empty()) return std::nullopt;
  auto r = auth::parse_role(s);
  if (!r) bad("\"role\" must be admin or viewer");
  return r;
}

std::optional<std::int64_t> int_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) bad(std::string("\"") + key + "\" must be an integer");
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    bad(std::string("\"") + key + "\" is out of range");
  }
  return it->get<std::int64_t>();
}

}  // namespace

json json_object_of(std::string_view b) {
  if (b.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  auto j = json::parse(b, nullptr, false);
  if (j.is_discarded()) bad("request body is not valid JSON");
  if (!j.is_object()) bad("request body must be a JSON object");
  return j;
}

std::string safe_next(const std::string& next) {
  if (next.empty() || next.front() != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) return "/";
  for (char c : next) {
    if (c == '\r' || c == '\n') return "/";
  }
  return next;
}

LoginRequest decode_login(std::string_view body, bool form) {
  LoginRequest r;
  if (form) {
    auto q = parse_query(body);
    r.user = q["username"];
    r.password = q["password"];
    r.next = safe_next(q["next"]);
  } else {
    json j = json_object_of(body);
    r.user = str_field(j, "username");
    r.password = str_field(j, "password");
  }
  if (r.user.size() > 256 || r.password.size() > 1024) bad("username or password too long");
  return r;
}

PasswordChange decode_password_change(const json& body) {
  return {str_field(body, "current_password"), str_field(body, "new_password")};
}

NewUser decode_new_user(const json& body) {
  NewUser u;
  u.name = str_field(body, "name");
  u.password = str_field(body, "password");
  u.role = role_field(body).value_or(auth::Role::viewer);
  u.cameras = cameras_field(body).value_or(std::vector<std::string>{});
  return u;
}

UserPatch decode_user_patch(const json& body) {
  for (const auto& [k, v] : body.items()) {
    if (k != "password" && k != "role" && k != "cameras") bad("unknown field '" + k + "' (password, role, cameras)");
  }
  UserPatch p;
  if (body.contains("password")) p.password = str_field(body, "password");
  p.role = role_field(body);
  p.cameras = cameras_field(body);
  return p;
}

TokenRequest decode_token_request(const json& body) {
  TokenRequest t;
  t.user = str_field(body, "user", false);
  t.label = str_field(body, "label", false);
  t.expires_in_s = int_field(body, "expires_in_s");
  return t;
}

ViewerTokenRequest decode_viewer_token_request(const json& body) {
  ViewerTokenRequest v;
  auto cams = cameras_field(body);
  if (!cams) bad("\"cameras\" is required (camera ids, or [\"*\"])");
  v.cameras = std::move(*cams);
  if (body.contains("ttl_s")) {
    auto ttl = int_field(body, "ttl_s");
    if (!ttl) bad("\"ttl_s\" must be an integer");
    v.ttl_s = *ttl;
  }
  return v;
}

StartRequest decode_start_request(const json& body) {
  auto read_kbps = [&](const char* key) -> std::optional<int> {
    if (!body.contains(key)) return std::nullopt;
    const auto& v = body.at(key);
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 1000000) {
      bad(std::string(key) + ": must be an integer number of kbps in 1..1000000");
    }
    return static_cast<int>(v.get<long long>());
  };
  StartRequest o;
  o.max_kbps = read_kbps("max_bandwidth");
  o.min_kbps = read_kbps("min_bandwidth");
  for (const auto& [k, v] : body.items()) {
    if (k != "max_bandwidth" && k != "min_bandwidth") {
      bad("unknown field '" + k + "' (accepted: max_bandwidth, min_bandwidth)");
    }
  }
  return o;
}

namespace {
constexpr int kMaxRecordS = 7 * 24 * 3600;
int duration_value(const json& v, const char* key) {
  long long n = 0;
  if (v.is_number_integer()) {
    n = v.get<long long>();
  } else if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() <= 9 &&
             v.get<std::string>().find_first_not_of("0123456789") == std::string::npos) {
    n = std::stoll(v.get<std::string>());
  } else {
    bad(std::string(key) + ": must be an integer number of seconds in 1.." + std::to_string(kMaxRecordS));
  }
  if (n < 1 || n > kMaxRecordS) {
    bad(std::string(key) + ": must be an integer number of seconds in 1.." + std::to_string(kMaxRecordS));
  }
  return int(n);
}
}  // namespace

std::optional<int> decode_record_request(const json& body) {
  std::optional<int> d;
  for (const auto& [k, v] : body.items()) {
    if (k != "duration_s") bad("unknown field '" + k + "' (accepted: duration_s)");
    if (!v.is_null()) d = duration_value(v, "duration_s");
  }
  return d;
}

std::optional<int> decode_live_start(const json& body, const std::string& query_value) {
  std::optional<int> d;
  for (const auto& [k, v] : body.items()) {
    if (k != "record_duration") bad("unknown field '" + k + "' (accepted: record_duration)");
    if (!v.is_null()) d = duration_value(v, "record_duration");
  }
  if (!d && !query_value.empty()) d = duration_value(json(query_value), "record_duration");
  return d;
}

ByteRange parse_byte_range(std::string_view h, std::uint64_t size) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  h = trim(h);
  if (h.substr(0, 6) != "bytes=") return {};  // another unit: ignored
  std::string_view spec = trim(h.substr(6));
  if (spec.find(',') != std::string_view::npos) return {};  // several ranges: the whole file
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  auto number = [](std::string_view v, std::uint64_t& out) {
    if (v.empty() || v.size() > 19) return false;
    out = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + std::uint64_t(c - '0');
    }
    return true;
  };
  const std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  ByteRange r;
  r.kind = ByteRange::part;
  std::uint64_t x = 0, y = 0;
  if (a.empty()) {  // suffix: the last N bytes
    if (!number(b, y)) return {};
    if (y == 0 || size == 0) return {ByteRange::unsatisfiable};
    r.first = y >= size ? 0 : size - y;
    r.last = size - 1;
    return r;
  }
  if (!number(a, x)) return {};
  if (x >= size) return {ByteRange::unsatisfiable};
  r.first = x;
  if (b.empty()) {
    r.last = size - 1;
  } else {
    if (!number(b, y) || y < x) return {};  // invalid: ignored
    r.last = std::min(y, size - 1);
  }
  return r;
}

std::int64_t parse_time_ms(std::string_view v, const char* field) {
  auto fail = [&]() -> std::int64_t {
    bad(std::string(field) + ": must be unix seconds or an ISO 8601 UTC time such as 2026-11-30T12:00:00Z");
  };
  if (v.empty() || v.size() > 40) return fail();
  if (v.find_first_not_of("0123456789") == std::string_view::npos) {
    if (v.size() > 12) return fail();
    return std::stoll(std::string(v)) * 1000;
  }
  if (auto t = parse_utc_ms(v)) return *t;
  return fail();
}

std::vector<std::string> decode_seed_rtsp_fields(const json& body) {
  std::vector<std::string> names;
  for (const auto& [k, v] : body.items()) {
    if (k != "rtsp_port" && k != "rtsp_path" && k != "rtsp_username" && k != "rtsp_password") {
      bad("unknown field '" + k + "' (accepted, and ignored: rtsp_port, rtsp_path, rtsp_username, rtsp_password)");
    }
    names.push_back(k);
  }
  return names;
}

WebrtcOffer decode_webrtc_offer(const json& body) {
  const std::string type = str_field(body, "type");
  if (type != "offer") bad("\"type\" must be \"offer\" (the server answers browser offers)");
  WebrtcOffer o;
  o.sdp = str_field(body, "sdp");
  if (o.sdp.rfind("v=0", 0) != 0) bad("\"sdp\" is not an SDP offer (must start with v=0)");
  o.camera = str_field(body, "camera", false);
  return o;
}

SdpFrag decode_sdpfrag(std::string_view body) {
  SdpFrag f;
  std::string mid;
  int mline = -1;
  while (!body.empty()) {
    const auto nl = body.find('\n');
    std::string line(body.substr(0, nl));
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const unsigned idx = mline < 0 ? 0u : unsigned(mline);
    if (line.rfind("m=", 0) == 0) {
      ++mline;
      mid.clear();
    } else if (line.rfind("a=mid:", 0) == 0) {
      mid = line.substr(6);
    } else if (line.rfind("a=ice-ufrag:", 0) == 0) {
      f.ufrag = line.substr(12);
    } else if (line.rfind("a=candidate:", 0) == 0) {
      f.cands.push_back({idx, mid, line.substr(2)});
    } else if (line == "a=end-of-candidates") {
      f.cands.push_back({idx, mid, ""});
    }
  }
  return f;
}

model::Quality decode_quality(const std::string* value) {
  if (!value) return model::Quality::main;
  if (auto q = model::parse_quality(*value)) return *q;
  throw Error(Errc::invalid_argument, "quality: must be \"main\" or \"sub\" (got \"" + value->substr(0, 32) + "\")");
}

}  // namespace camrelay::http
