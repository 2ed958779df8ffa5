#pragma once
// Building responses: JSON bodies, the error envelope, CORS headers.
#include <nlohmann/json.hpp>

#include "camrelay/http/types.hpp"
#include "camrelay/util/error.hpp"

namespace camrelay::http {

// {"error":{"code":"…","message":"…"}} with the given status.
Response error_response(const Request& req, bhttp::status status, std::string_view code,
                        std::string_view message);
Response error_response(const Request& req, const Error& e);
Response json_response(const Request& req, const nlohmann::json& body,
                       bhttp::status status = bhttp::status::ok);
Response text_response(const Request& req, bhttp::status status, std::string body,
                       std::string_view content_type);
// Access-Control-* headers so players on other origins (WHEP, hls.js) work.
void add_cors(Response& res);

// Parses a request body as a JSON object. Empty body → empty object. Throws
// Error(invalid_argument) with a readable message for malformed JSON or a non-object.
nlohmann::json parse_json_body(const Request& req);

}  // namespace camrelay::http
