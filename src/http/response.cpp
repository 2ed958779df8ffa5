#include "camrelay/http/response.hpp"

#include "decode.hpp"

#include "camrelay_version.hpp"

namespace camrelay::http {

void add_cors(Response& res) {
  res.set(bhttp::field::access_control_allow_origin, "*");
  res.set(bhttp::field::access_control_allow_methods, "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  res.set(bhttp::field::access_control_allow_headers,
          "Content-Type, Authorization, If-Match, Link");
  res.set(bhttp::field::access_control_expose_headers, "Location, Link, ETag, Accept-Patch");
}

Response text_response(const Request& req, bhttp::status status, std::string body,
                       std::string_view content_type) {
  Response res{status, req.version()};
  res.set(bhttp::field::server, "camrelay/" CAMRELAY_VERSION);
  res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  // No MIME sniffing; no Referer (a viewer-token URL must not leak to other sites).
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  add_cors(res);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(const Request& req, const nlohmann::json& body, bhttp::status status) {
  return text_response(req, status, body.dump(2) + "\n", "application/json");
}

Response error_response(const Request& req, bhttp::status status, std::string_view code,
                        std::string_view message) {
  nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
  return json_response(req, j, status);
}

Response error_response(const Request& req, const Error& e) {
  return error_response(req, static_cast<bhttp::status>(errc_http_status(e.code())),
                        errc_code(e.code()), e.what());
}

nlohmann::json parse_json_body(const Request& req) { return json_object_of(req.body()); }

}  // namespace camrelay::http
