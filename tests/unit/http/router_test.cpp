// Router, url_decode and parse_query: matching, per-segment percent-decoding, 404 vs 405.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/http/router.hpp"

using namespace camrelay::http;
using ::testing::UnorderedElementsAre;
using V = bhttp::verb;
using Outcome = Router::Outcome;

namespace {

Handler noop() {
  return [](const Request&, const Params&) -> asio::awaitable<Response> { co_return Response{}; };
}

// The router the API uses, in miniature: literals, {param}s and several methods per path.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r.add(V::get, "/health", Access::open, noop());                  // 0
    r.add(V::get, "/streams", Access::open, noop());                 // 1
    r.add(V::get, "/streams/{id}", Access::open, noop());            // 2
    r.add(V::post, "/streams/{id}/start", Access::open, noop());     // 3
    r.add(V::post, "/streams/{id}/stop", Access::open, noop());      // 4
    r.add(V::delete_, "/streams/{id}", Access::open, noop());        // 5
    r.add(V::get, "/a/{x}/b/{y}", Access::open, noop());             // 6
    r.add(V::get, "/", Access::open, noop());                        // 7
  }
  Router r;
};

TEST_F(RouterTest, LiteralRouteMatches) {
  auto m = r.match(V::get, "/health");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 0u);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_TRUE(m.params.path.empty());
  EXPECT_TRUE(m.params.query.empty());
}

TEST_F(RouterTest, RootRouteMatches) {
  auto m = r.match(V::get, "/");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 7u);
}

TEST_F(RouterTest, RedundantSlashesAreIgnored) {
  // split_path skips empty segments, so these all address /streams.
  EXPECT_EQ(r.match(V::get, "/streams/").index, 1u);
  EXPECT_EQ(r.match(V::get, "//streams").outcome, Outcome::found);
  EXPECT_EQ(r.match(V::get, "/streams//demo").index, 2u);
}

TEST_F(RouterTest, ParamRouteCapturesSegment) {
  auto m = r.match(V::get, "/streams/demo");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 2u);
  EXPECT_EQ(m.params.at("id"), "demo");
}

TEST_F(RouterTest, MultipleParams) {
  auto m = r.match(V::get, "/a/one/b/two");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 6u);
  EXPECT_EQ(m.params.at("x"), "one");
  EXPECT_EQ(m.params.at("y"), "two");
}

TEST_F(RouterTest, LiteralSegmentMustMatchExactly) {
  EXPECT_EQ(r.match(V::get, "/a/one/c/two").outcome, Outcome::not_found);
  EXPECT_EQ(r.match(V::get, "/Health").outcome, Outcome::not_found);  // case-sensitive
  EXPECT_EQ(r.match(V::get, "/healthz").outcome, Outcome::not_found);
}

TEST_F(RouterTest, SegmentCountMustMatch) {
  EXPECT_EQ(r.match(V::post, "/streams/demo/start/extra").outcome, Outcome::not_found);
  EXPECT_EQ(r.match(V::get, "/streams/demo/x/y").outcome, Outcome::not_found);
}

TEST_F(RouterTest, ParamIsPercentDecoded) {
  auto m = r.match(V::get, "/streams/my%20cam");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.at("id"), "my cam");
}

TEST_F(RouterTest, PlusInPathIsNotASpace) {
  auto m = r.match(V::get, "/streams/a+b");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.at("id"), "a+b");
}

TEST_F(RouterTest, EncodedSlashStaysInsideSegment) {
  auto m = r.match(V::get, "/streams/a%2Fb");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 2u);
  EXPECT_EQ(m.params.at("id"), "a/b");
  // The same with lower-case hex.
  m = r.match(V::get, "/streams/a%2fb");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.at("id"), "a/b");
  // An encoded slash does not turn one segment into two.
  m = r.match(V::post, "/streams/demo%2Fstart");
  EXPECT_EQ(m.outcome, Outcome::method_not_allowed);  // it is /streams/{id} with id "demo/start"
}

TEST_F(RouterTest, EncodedDotDotIsJustASegmentValue) {
  auto m = r.match(V::get, "/streams/%2e%2e");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.at("id"), "..");
  m = r.match(V::get, "/streams/..%2F..%2Fetc%2Fpasswd");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.at("id"), "../../etc/passwd");
}

// Regression (tests/fuzz/fuzz_router.cpp found it): a raw NUL in the target reached a path
// parameter, where "%00" was already refused.
TEST_F(RouterTest, RawNulIsABadPath) {
  using namespace std::string_view_literals;
  EXPECT_EQ(r.match(V::get, "/streams/de\0mo"sv).outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "/streams/demo%00"sv).outcome, Outcome::bad_path);
  EXPECT_EQ(url_decode("a\0b"sv), std::nullopt);
}

TEST_F(RouterTest, LiteralSegmentCanBeEncoded) {
  // Decoding happens before comparison.
  auto m = r.match(V::get, "/%68ealth");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 0u);
}

TEST_F(RouterTest, BadEscapesAreBadPath) {
  EXPECT_EQ(r.match(V::get, "/streams/%").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "/streams/%2").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "/streams/%zz").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "/streams/%g0").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "/streams/a%2").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "/%").outcome, Outcome::bad_path);
  // A bad escape in a segment that would not match any route is still bad_path.
  EXPECT_EQ(r.match(V::get, "/nowhere/%x1/deep").outcome, Outcome::bad_path);
}

TEST_F(RouterTest, EncodedNulIsBadPath) {
  EXPECT_EQ(r.match(V::get, "/streams/a%00b").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "/streams/%00").outcome, Outcome::bad_path);
}

TEST_F(RouterTest, TargetMustBeOriginForm) {
  EXPECT_EQ(r.match(V::get, "").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "health").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "*").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "http://host/health").outcome, Outcome::bad_path);
  EXPECT_EQ(r.match(V::get, "?a=1").outcome, Outcome::bad_path);
}

TEST_F(RouterTest, UnknownPathIsNotFound) {
  auto m = r.match(V::get, "/nope");
  EXPECT_EQ(m.outcome, Outcome::not_found);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.allowed.empty());
}

TEST_F(RouterTest, WrongMethodIsMethodNotAllowedWithAllowedList) {
  auto m = r.match(V::post, "/health");
  EXPECT_EQ(m.outcome, Outcome::method_not_allowed);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_THAT(m.allowed, UnorderedElementsAre(V::get));

  m = r.match(V::put, "/streams/demo");
  EXPECT_EQ(m.outcome, Outcome::method_not_allowed);
  EXPECT_THAT(m.allowed, UnorderedElementsAre(V::get, V::delete_));

  m = r.match(V::get, "/streams/demo/start");
  EXPECT_EQ(m.outcome, Outcome::method_not_allowed);
  EXPECT_THAT(m.allowed, UnorderedElementsAre(V::post));
}

TEST_F(RouterTest, AllowedListHasNoDuplicates) {
  Router r2;
  r2.add(V::get, "/x/{a}", Access::open, noop());
  r2.add(V::get, "/x/{b}", Access::open, noop());
  r2.add(V::get, "/x/lit", Access::open, noop());
  auto m = r2.match(V::post, "/x/lit");
  EXPECT_EQ(m.outcome, Outcome::method_not_allowed);
  EXPECT_THAT(m.allowed, UnorderedElementsAre(V::get));
}

TEST_F(RouterTest, SecondMethodOnSamePathIsFound) {
  auto m = r.match(V::delete_, "/streams/demo");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 5u);
  EXPECT_EQ(m.params.at("id"), "demo");
}

TEST(RouterOrder, FirstMatchingRouteWinsInInsertionOrder) {
  Router r;
  r.add(V::get, "/x/{id}", Access::open, noop());
  r.add(V::get, "/x/literal", Access::open, noop());
  auto m = r.match(V::get, "/x/literal");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 0u);
  EXPECT_EQ(m.params.at("id"), "literal");

  Router r2;
  r2.add(V::get, "/x/literal", Access::open, noop());
  r2.add(V::get, "/x/{id}", Access::open, noop());
  m = r2.match(V::get, "/x/literal");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 0u);
  EXPECT_TRUE(m.params.path.empty());
  m = r2.match(V::get, "/x/other");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.index, 1u);
}

TEST(RouterOrder, HandlerPointerIsTheRegisteredOne) {
  Router r;
  int which = -1;
  r.add(V::get, "/one", Access::open, [&which](const Request&, const Params&) -> asio::awaitable<Response> {
    which = 1;
    co_return Response{};
  });
  auto m = r.match(V::get, "/one");
  ASSERT_EQ(m.outcome, Outcome::found);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_TRUE(static_cast<bool>(*m.handler));
}

TEST(RouterEmpty, EmptyRouterFindsNothing) {
  Router r;
  EXPECT_EQ(r.match(V::get, "/").outcome, Outcome::not_found);
  EXPECT_EQ(r.match(V::get, "/x").outcome, Outcome::not_found);
}

TEST_F(RouterTest, QueryIsSplitOffAndParsed) {
  auto m = r.match(V::get, "/streams/demo?a=1&b=two");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.at("id"), "demo");
  EXPECT_EQ(m.params.query.size(), 2u);
  EXPECT_EQ(m.params.query_or("a"), "1");
  EXPECT_EQ(m.params.query_or("b"), "two");
  EXPECT_EQ(m.params.query_or("missing", "dflt"), "dflt");
}

TEST_F(RouterTest, QueryPlusAndPercent20AreSpaces) {
  auto m = r.match(V::get, "/health?msg=hello+world&other=a%20b&enc=%2B");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.query_or("msg"), "hello world");
  EXPECT_EQ(m.params.query_or("other"), "a b");
  EXPECT_EQ(m.params.query_or("enc"), "+");
}

TEST_F(RouterTest, QueryDoesNotAffectPathMatching) {
  EXPECT_EQ(r.match(V::get, "/health?").outcome, Outcome::found);
  EXPECT_EQ(r.match(V::get, "/health?x=/streams/demo").index, 0u);
  // A '?' that is percent-encoded belongs to the path.
  auto m = r.match(V::get, "/streams/a%3Fb=1");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.at("id"), "a?b=1");
  EXPECT_TRUE(m.params.query.empty());
}

TEST_F(RouterTest, BadQueryDoesNotMakeBadPath) {
  auto m = r.match(V::get, "/health?a=%zz&b=ok");
  ASSERT_EQ(m.outcome, Outcome::found);
  EXPECT_EQ(m.params.query.count("a"), 0u);
  EXPECT_EQ(m.params.query_or("b"), "ok");
}

// ---- url_decode ----------------------------------------------------------------------

TEST(UrlDecode, PlainTextIsUnchanged) {
  EXPECT_EQ(url_decode(""), std::string());
  EXPECT_EQ(url_decode("abc-_.~"), std::string("abc-_.~"));
}

TEST(UrlDecode, DecodesEscapesInBothCases) {
  EXPECT_EQ(url_decode("%41%62%2f%2F"), std::string("Ab//"));
  EXPECT_EQ(url_decode("%7e"), std::string("~"));
  EXPECT_EQ(url_decode("a%20b"), std::string("a b"));
  EXPECT_EQ(url_decode("%25"), std::string("%"));
  EXPECT_EQ(url_decode("%2525"), std::string("%25"));  // decoded only once
}

TEST(UrlDecode, EscapeAtVeryEnd) {
  EXPECT_EQ(url_decode("x%41"), std::string("xA"));
  EXPECT_EQ(url_decode("%41"), std::string("A"));
}

TEST(UrlDecode, HighBytesPassThrough) {
  auto d = url_decode("%C3%A9%ff");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>((*d)[0]), 0xC3);
  EXPECT_EQ(static_cast<unsigned char>((*d)[1]), 0xA9);
  EXPECT_EQ(static_cast<unsigned char>((*d)[2]), 0xFF);
}

TEST(UrlDecode, PlusHandling) {
  EXPECT_EQ(url_decode("a+b"), std::string("a+b"));
  EXPECT_EQ(url_decode("a+b", false), std::string("a+b"));
  EXPECT_EQ(url_decode("a+b", true), std::string("a b"));
  EXPECT_EQ(url_decode("a%2Bb", true), std::string("a+b"));
  EXPECT_EQ(url_decode("++", true), std::string("  "));
}

TEST(UrlDecode, TruncatedEscapesFail) {
  EXPECT_EQ(url_decode("%"), std::nullopt);
  EXPECT_EQ(url_decode("%4"), std::nullopt);
  EXPECT_EQ(url_decode("abc%"), std::nullopt);
  EXPECT_EQ(url_decode("abc%4"), std::nullopt);
}

TEST(UrlDecode, NonHexEscapesFail) {
  EXPECT_EQ(url_decode("%G1"), std::nullopt);
  EXPECT_EQ(url_decode("%1G"), std::nullopt);
  EXPECT_EQ(url_decode("%%41"), std::nullopt);
  EXPECT_EQ(url_decode("% 1"), std::nullopt);
  EXPECT_EQ(url_decode("%-1"), std::nullopt);
  EXPECT_EQ(url_decode("%+1", true), std::nullopt);
}

TEST(UrlDecode, DecodedNulFails) {
  EXPECT_EQ(url_decode("%00"), std::nullopt);
  EXPECT_EQ(url_decode("a%00"), std::nullopt);
  EXPECT_EQ(url_decode("%00", true), std::nullopt);
}

// ---- parse_query ---------------------------------------------------------------------

TEST(ParseQuery, Basic) {
  auto q = parse_query("a=1&b=2");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q["a"], "1");
  EXPECT_EQ(q["b"], "2");
}

TEST(ParseQuery, EmptyAndDegenerateInputs) {
  EXPECT_TRUE(parse_query("").empty());
  EXPECT_TRUE(parse_query("&").empty());
  EXPECT_TRUE(parse_query("&&&").empty());
  EXPECT_TRUE(parse_query("=x").empty());  // empty key skipped
}

TEST(ParseQuery, KeyWithoutValueIsEmptyString) {
  auto q = parse_query("flag&x=");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q["flag"], "");
  EXPECT_EQ(q["x"], "");
}

TEST(ParseQuery, ValueMayContainEquals) {
  auto q = parse_query("k=a=b");
  EXPECT_EQ(q["k"], "a=b");
}

TEST(ParseQuery, PlusAndPercent20DecodeToSpace) {
  auto q = parse_query("name=a+b&other=c%20d&k+ey=v");
  EXPECT_EQ(q["name"], "a b");
  EXPECT_EQ(q["other"], "c d");
  EXPECT_EQ(q["k ey"], "v");
}

TEST(ParseQuery, EncodedSeparatorsStayInValues) {
  auto q = parse_query("a=x%26y%3Dz&b=1");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q["a"], "x&y=z");
  EXPECT_EQ(q["b"], "1");
}

TEST(ParseQuery, BadPairsAreSkipped) {
  auto q = parse_query("bad=%zz&ok=1&%zz=2&nul=%00&also=fine");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q["ok"], "1");
  EXPECT_EQ(q["also"], "fine");
}

TEST(ParseQuery, LaterDuplicateWins) {
  auto q = parse_query("a=1&a=2");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q["a"], "2");
}

}  // namespace

namespace camrelay::http {
namespace {
TEST(RouterAccess, MatchCarriesTheRoutesAccessAndRoutesListsThemAll) {
  using V = bhttp::verb;
  Router r;
  auto h = [](const Request&, const Params&) -> asio::awaitable<Response> { co_return Response{}; };
  r.add(V::get, "/health", Access::open, h);
  r.add(V::get, "/streams/{id}", Access::camera, h);
  r.add(V::post, "/streams/{id}/stop", Access::admin, h);
  EXPECT_EQ(r.match(V::get, "/streams/a").access, Access::camera);
  EXPECT_EQ(r.match(V::post, "/streams/a/stop").access, Access::admin);
  EXPECT_EQ(r.match(V::get, "/health").access, Access::open);
  auto all = r.routes();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].pattern, "/streams/{id}");
  EXPECT_EQ(all[2].method, V::post);
  EXPECT_STREQ(to_string(all[2].access), "admin");
}
}  // namespace
}  // namespace camrelay::http
