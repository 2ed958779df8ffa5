#pragma once
// Request bodies → typed values, before any handler logic: pure functions that throw
// camrelay::Error(invalid_argument) with a message naming the field, and nothing else
// (tests/fuzz/fuzz_requests.cpp feeds them arbitrary bytes).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "camrelay/auth/principal.hpp"
#include "camrelay/model/quality.hpp"

namespace camrelay::http {

// An empty body is {}; otherwise it must be a JSON object.
nlohmann::json json_object_of(std::string_view body);

// POST /auth/login: JSON {"username","password"} or an HTML form (also "next": a same-site
// path to go to afterwards, "/" when it is anything else).
struct LoginRequest {
  std::string user;
  std::string password;
  std::string next;  // form only
};
LoginRequest decode_login(std::string_view body, bool form);
// Only same-site relative paths: never an open redirect.
std::string safe_next(const std::string& next);

struct PasswordChange {
  std::string current;
  std::string next;
};
PasswordChange decode_password_change(const nlohmann::json& body);

struct NewUser {
  std::string name;
  std::string password;
  auth::Role role = auth::Role::viewer;
  std::vector<std::string> cameras;
};
NewUser decode_new_user(const nlohmann::json& body);

// PATCH /auth/users/{name}: only the fields present change.
struct UserPatch {
  std::optional<std::string> password;
  std::optional<auth::Role> role;
  std::optional<std::vector<std::string>> cameras;
};
UserPatch decode_user_patch(const nlohmann::json& body);

struct TokenRequest {
  std::string user;   // "" = the caller
  std::string label;
  std::optional<std::int64_t> expires_in_s;
};
TokenRequest decode_token_request(const nlohmann::json& body);

struct ViewerTokenRequest {
  std::vector<std::string> cameras;  // camera ids or {"*"}
  std::int64_t ttl_s = 3600;
};
ViewerTokenRequest decode_viewer_token_request(const nlohmann::json& body);

// POST /streams/{id}/start (seed 001): optional bandwidth limits in kbps.
struct StartRequest {
  std::optional<int> min_kbps;
  std::optional<int> max_kbps;
};
StartRequest decode_start_request(const nlohmann::json& body);

// POST /streams/{id}/record/start: optional {"duration_s": N} (1..604800).
std::optional<int> decode_record_request(const nlohmann::json& body);
// POST /live/start (seed 004): optional "record_duration" (seconds) in the JSON body or the
// query string: the camera records for that long.
std::optional<int> decode_live_start(const nlohmann::json& body, const std::string& query_value);

// A Range header (RFC 9110 14.2) against a file of `size` bytes. One range only: a request
// for several gets the whole file (allowed: a server may ignore Range).
struct ByteRange {
  enum Kind { whole, part, unsatisfiable } kind = whole;
  std::uint64_t first = 0, last = 0;  // inclusive, when kind == part
};
ByteRange parse_byte_range(std::string_view header, std::uint64_t size);

// A point in time in a query (GET /recordings?from=&to=): unix seconds, or ISO 8601 UTC
// (2026-11-30T12:00:00Z, optionally with fractions). Returns unix ms; throws
// Error(invalid_argument) naming `field`.
std::int64_t parse_time_ms(std::string_view value, const char* field);

// POST /api/cameras/{id}/stream/start (seed 003): RTSP settings the seed sent here, which
// camrelay takes from the configuration instead; returns the names given (reported as
// ignored).
std::vector<std::string> decode_seed_rtsp_fields(const nlohmann::json& body);

// POST /api/webrtc/offer (seed 002): the browser's RTCSessionDescription as JSON,
// {"type":"offer","sdp":"v=0..."}, and optionally the camera ("camera"; "" = the first).
struct WebrtcOffer {
  std::string sdp;
  std::string camera;
};
WebrtcOffer decode_webrtc_offer(const nlohmann::json& body);

// A WHEP PATCH body (RFC 8840 trickle-ice-sdpfrag): the ICE ufrag it names and its
// candidates, each with the mid of its m-section; a=end-of-candidates is an empty candidate.
struct SdpFrag {
  std::string ufrag;
  struct Cand {
    unsigned mline;  // m-section index in the fragment (used when it has no mid)
    std::string mid;
    std::string candidate;
  };
  std::vector<Cand> cands;
};
SdpFrag decode_sdpfrag(std::string_view body);

// ?quality= (WHEP, HLS, MJPEG) or a join message's "quality": "main" (also when absent:
// nullptr) or "sub" (the camera's sub stream); anything else → invalid_argument naming quality.
model::Quality decode_quality(const std::string* value);

}  // namespace camrelay::http
