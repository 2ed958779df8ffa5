// Responses (JSON bodies, the error envelope, CORS), parse_json_body and the Errc mapping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "camrelay/http/response.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay_version.hpp"

using namespace camrelay;
using namespace camrelay::http;
using ::testing::HasSubstr;
using json = nlohmann::json;

namespace {

Request make_req(std::string body = {}, unsigned version = 11, bool keep_alive = true) {
  Request req{bhttp::verb::post, "/x", version};
  req.keep_alive(keep_alive);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

void expect_cors(const Response& res) {
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "*");
  EXPECT_THAT(std::string(res[bhttp::field::access_control_allow_methods]), HasSubstr("GET"));
  EXPECT_THAT(std::string(res[bhttp::field::access_control_allow_methods]), HasSubstr("POST"));
  EXPECT_THAT(std::string(res[bhttp::field::access_control_allow_methods]), HasSubstr("OPTIONS"));
  EXPECT_THAT(std::string(res[bhttp::field::access_control_allow_headers]),
              HasSubstr("Content-Type"));
  EXPECT_THAT(std::string(res[bhttp::field::access_control_expose_headers]), HasSubstr("Location"));
}

constexpr Errc kAllErrc[] = {Errc::invalid_argument, Errc::not_found, Errc::method_not_allowed,
                             Errc::conflict,         Errc::too_large, Errc::limit_reached,
                             Errc::unavailable,      Errc::timeout,   Errc::internal};

// ---- Errc mapping ----------------------------------------------------------------------

struct ErrcCase {
  Errc e;
  int status;
  const char* code;
};

class ErrcMapping : public ::testing::TestWithParam<ErrcCase> {};

TEST_P(ErrcMapping, StatusAndCode) {
  const auto& c = GetParam();
  EXPECT_EQ(errc_http_status(c.e), c.status);
  EXPECT_EQ(errc_code(c.e), c.code);
}

INSTANTIATE_TEST_SUITE_P(
    AllErrc, ErrcMapping,
    ::testing::Values(ErrcCase{Errc::invalid_argument, 400, "invalid_argument"},
                      ErrcCase{Errc::not_found, 404, "not_found"},
                      ErrcCase{Errc::method_not_allowed, 405, "method_not_allowed"},
                      ErrcCase{Errc::conflict, 409, "conflict"},
                      ErrcCase{Errc::too_large, 413, "payload_too_large"},
                      ErrcCase{Errc::limit_reached, 503, "limit_reached"},
                      ErrcCase{Errc::unavailable, 503, "unavailable"},
                      ErrcCase{Errc::timeout, 504, "timeout"},
                      ErrcCase{Errc::internal, 500, "internal"}),
    [](const auto& info) { return std::string(errc_code(info.param.e)); });

TEST(ErrcMappingAll, CodesAreDistinct) {
  std::set<std::string_view> codes;
  for (auto e : kAllErrc) codes.insert(errc_code(e));
  EXPECT_EQ(codes.size(), std::size(kAllErrc));
}

TEST(ErrcMappingAll, OutOfRangeValueFallsBackToInternal) {
  auto bogus = static_cast<Errc>(1000);
  EXPECT_EQ(errc_http_status(bogus), 500);
  EXPECT_EQ(errc_code(bogus), "internal");
}

TEST(ErrorType, CarriesCodeAndMessage) {
  Error e(Errc::conflict, "busy");
  EXPECT_EQ(e.code(), Errc::conflict);
  EXPECT_STREQ(e.what(), "busy");
  const std::runtime_error& base = e;
  EXPECT_STREQ(base.what(), "busy");
}

// ---- json_response / text_response ---------------------------------------------------

TEST(JsonResponse, DefaultsTo200WithJsonBody) {
  auto req = make_req();
  auto res = json_response(req, {{"a", 1}, {"b", "two"}});
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  auto j = json::parse(res.body());
  EXPECT_EQ(j["a"], 1);
  EXPECT_EQ(j["b"], "two");
  EXPECT_EQ(res.body().back(), '\n');
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(res.body().size()));
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
  EXPECT_EQ(res[bhttp::field::server], "camrelay/" CAMRELAY_VERSION);
  expect_cors(res);
}

TEST(JsonResponse, CustomStatus) {
  auto req = make_req();
  auto res = json_response(req, json::array({1, 2}), bhttp::status::accepted);
  EXPECT_EQ(res.result(), bhttp::status::accepted);
  EXPECT_EQ(json::parse(res.body()), json::array({1, 2}));
}

TEST(JsonResponse, FollowsRequestVersionAndKeepAlive) {
  auto r11 = make_req({}, 11, true);
  auto res = json_response(r11, json::object());
  EXPECT_EQ(res.version(), 11u);
  EXPECT_TRUE(res.keep_alive());

  auto r11c = make_req({}, 11, false);
  res = json_response(r11c, json::object());
  EXPECT_FALSE(res.keep_alive());

  auto r10 = make_req({}, 10, false);
  res = json_response(r10, json::object());
  EXPECT_EQ(res.version(), 10u);
  EXPECT_FALSE(res.keep_alive());
}

TEST(JsonResponse, NonAsciiIsValidUtf8Json) {
  auto req = make_req();
  auto res = json_response(req, {{"name", "caméra \"quoted\"\n"}});
  auto j = json::parse(res.body());
  EXPECT_EQ(j["name"], "caméra \"quoted\"\n");
}

TEST(TextResponse, SetsContentTypeAndBody) {
  auto req = make_req();
  auto res = text_response(req, bhttp::status::conflict, "hello", "text/plain");
  EXPECT_EQ(res.result_int(), 409);
  EXPECT_EQ(res.body(), "hello");
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain");
  EXPECT_EQ(res[bhttp::field::content_length], "5");
  expect_cors(res);
}

TEST(AddCors, SetsAllHeadersOnABareResponse) {
  Response res{bhttp::status::ok, 11};
  add_cors(res);
  expect_cors(res);
  add_cors(res);  // idempotent: set, not insert
  EXPECT_EQ(res.count(bhttp::field::access_control_allow_origin), 1u);
}

// ---- error_response ------------------------------------------------------------------

TEST(ErrorResponse, Envelope) {
  auto req = make_req();
  auto res = error_response(req, bhttp::status::not_found, "not_found", "no such camera");
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  auto j = json::parse(res.body());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 1u);
  ASSERT_TRUE(j.contains("error"));
  EXPECT_EQ(j["error"].size(), 2u);
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["message"], "no such camera");
  expect_cors(res);
}

TEST(ErrorResponse, MessageIsEscapedNotInjected) {
  auto req = make_req();
  auto res = error_response(req, bhttp::status::bad_request, "bad_request",
                            "bad \"quote\" and </script> and \\ backslash");
  auto j = json::parse(res.body());
  EXPECT_EQ(j["error"]["message"], "bad \"quote\" and </script> and \\ backslash");
}

TEST(ErrorResponse, FromErrorForEveryErrc) {
  auto req = make_req();
  for (auto e : kAllErrc) {
    SCOPED_TRACE(std::string(errc_code(e)));
    auto res = error_response(req, Error(e, "msg for " + std::string(errc_code(e))));
    EXPECT_EQ(res.result_int(), errc_http_status(e));
    EXPECT_EQ(res[bhttp::field::content_type], "application/json");
    auto j = json::parse(res.body());
    EXPECT_EQ(j["error"]["code"], errc_code(e));
    EXPECT_EQ(j["error"]["message"], "msg for " + std::string(errc_code(e)));
    expect_cors(res);
  }
}

// ---- parse_json_body -----------------------------------------------------------------

TEST(ParseJsonBody, EmptyOrWhitespaceIsEmptyObject) {
  for (const char* b : {"", " ", "\r\n", " \t \n "}) {
    SCOPED_TRACE(std::string("body='") + b + "'");
    auto j = parse_json_body(make_req(b));
    EXPECT_TRUE(j.is_object());
    EXPECT_TRUE(j.empty());
  }
}

TEST(ParseJsonBody, ObjectIsReturned) {
  auto j = parse_json_body(make_req(R"({"max_bandwidth": 3000, "nested": {"x": [1,2]}})"));
  EXPECT_EQ(j["max_bandwidth"], 3000);
  EXPECT_EQ(j["nested"]["x"][1], 2);
  EXPECT_TRUE(parse_json_body(make_req("{}")).empty());
  EXPECT_TRUE(parse_json_body(make_req("  {}  \n")).is_object());
}

Errc parse_error_code(const std::string& body, std::string* msg = nullptr) {
  try {
    parse_json_body(make_req(body));
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.code();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-camrelay exception: " << e.what();
    return Errc::internal;
  }
  ADD_FAILURE() << "accepted body: " << body;
  return Errc::internal;
}

TEST(ParseJsonBody, MalformedIsInvalidArgument) {
  for (const char* b : {"{", "{\"a\":}", "not json", "{'a':1}", "{\"a\":1,}", "{} {}",
                        "{\"a\":1}garbage", "\x01\x02"}) {
    SCOPED_TRACE(b);
    std::string msg;
    EXPECT_EQ(parse_error_code(b, &msg), Errc::invalid_argument);
    EXPECT_THAT(msg, HasSubstr("not valid JSON"));
  }
}

TEST(ParseJsonBody, NonObjectIsInvalidArgument) {
  for (const char* b : {"[]", "[1,2]", "1", "\"str\"", "null", "true", "3.5"}) {
    SCOPED_TRACE(b);
    std::string msg;
    EXPECT_EQ(parse_error_code(b, &msg), Errc::invalid_argument);
    EXPECT_THAT(msg, HasSubstr("must be a JSON object"));
  }
}

TEST(ParseJsonBody, ErrorMapsTo400Envelope) {
  auto req = make_req("[");
  try {
    parse_json_body(req);
    FAIL() << "accepted '['";
  } catch (const Error& e) {
    auto res = error_response(req, e);
    EXPECT_EQ(res.result_int(), 400);
    EXPECT_EQ(json::parse(res.body())["error"]["code"], "invalid_argument");
  }
}

}  // namespace
