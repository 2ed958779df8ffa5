// StaticFiles::resolve/serve (path tricks, symlinks out of the root) and mime_type.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <unistd.h>

#include "camrelay/http/static_files.hpp"

using namespace camrelay::http;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

void write_file(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
}

// Layout (all under a fresh temp dir):
//   base/web/index.html, base/web/js/app.js, base/web/css/site.css, base/web/.hidden,
//   base/web/.git/config, base/web/sub/.env, base/web/dir/
//   base/web/evil_file   -> base/secret.txt        (symlink out of the root)
//   base/web/evil_dir    -> base/outside/          (symlink dir out of the root)
//   base/web/evil_sib    -> base/web2/             (sibling sharing the root's name prefix)
//   base/web/evil_abs    -> /etc/passwd
//   base/web/good_link   -> base/web/js/app.js     (symlink staying inside: allowed)
//   base/web/dangling    -> base/web/nowhere
//   base/secret.txt, base/outside/secret.txt, base/web2/secret.txt
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    base = fs::temp_directory_path() /
           ("camrelay_static_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(base);
    root = base / "web";
    write_file(root / "index.html", "<html>camrelay</html>");
    write_file(root / "js" / "app.js", "console.log(1)");
    write_file(root / "css" / "site.css", "body{}");
    write_file(root / "a" / "b" / "c" / "deep.txt", "deep");
    write_file(root / ".hidden", "hidden");
    write_file(root / ".git" / "config", "[core]");
    write_file(root / "sub" / ".env", "SECRET=1");
    write_file(root / "sub" / "ok.txt", "ok");
    fs::create_directories(root / "dir");
    write_file(base / "secret.txt", "TOP SECRET");
    write_file(base / "outside" / "secret.txt", "TOP SECRET");
    write_file(base / "web2" / "secret.txt", "TOP SECRET");
    fs::create_symlink(base / "secret.txt", root / "evil_file");
    fs::create_directory_symlink(base / "outside", root / "evil_dir");
    fs::create_directory_symlink(base / "web2", root / "evil_sib");
    fs::create_symlink("/etc/passwd", root / "evil_abs");
    fs::create_symlink("../secret.txt", root / "evil_rel");
    fs::create_symlink(root / "js" / "app.js", root / "good_link");
    fs::create_symlink("js/app.js", root / "good_rel_link");
    fs::create_symlink(root / "nowhere", root / "dangling");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base, ec);
  }

  fs::path canon(const fs::path& p) { return fs::canonical(p); }

  fs::path base, root;
};

TEST_F(StaticFilesTest, RootIsCanonical) {
  StaticFiles sf(root / "." / "js" / "..");
  EXPECT_EQ(sf.root(), canon(root));
}

TEST_F(StaticFilesTest, ValidFilesResolve) {
  StaticFiles sf(root);
  auto p = sf.resolve("index.html");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, canon(root / "index.html"));
  p = sf.resolve("js/app.js");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, canon(root / "js" / "app.js"));
  p = sf.resolve("a/b/c/deep.txt");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, canon(root / "a" / "b" / "c" / "deep.txt"));
  EXPECT_TRUE(sf.resolve("sub/ok.txt"));
}

TEST_F(StaticFilesTest, RootGivenThroughSymlinkStillWorks) {
  fs::create_directory_symlink(root, base / "web_link");
  StaticFiles sf(base / "web_link");
  auto p = sf.resolve("index.html");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, canon(root / "index.html"));
  EXPECT_FALSE(sf.resolve("evil_file"));
}

TEST_F(StaticFilesTest, SymlinkInsideRootIsAllowed) {
  StaticFiles sf(root);
  auto p = sf.resolve("good_link");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, canon(root / "js" / "app.js"));
  p = sf.resolve("good_rel_link");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, canon(root / "js" / "app.js"));
}

TEST_F(StaticFilesTest, SymlinksLeadingOutsideAreRefused) {
  StaticFiles sf(root);
  EXPECT_FALSE(sf.resolve("evil_file"));
  EXPECT_FALSE(sf.resolve("evil_rel"));
  EXPECT_FALSE(sf.resolve("evil_abs"));
  EXPECT_FALSE(sf.resolve("evil_dir/secret.txt"));
  // base/web2 shares the string prefix "…/web" with the root; still outside.
  EXPECT_FALSE(sf.resolve("evil_sib/secret.txt"));
}

TEST_F(StaticFilesTest, DotDotTricksAreRefused) {
  StaticFiles sf(root);
  for (const char* rel : {"..", "../secret.txt", "../x", "a/../../b", "js/../../secret.txt",
                          "js/../index.html", "a/b/../../../secret.txt", "a/..", "./index.html",
                          ".", "js/./app.js", "..%2Fsecret.txt"}) {
    SCOPED_TRACE(rel);
    EXPECT_FALSE(sf.resolve(rel));
  }
}

TEST_F(StaticFilesTest, AbsolutePathsAreRefused) {
  StaticFiles sf(root);
  EXPECT_FALSE(sf.resolve("/etc/passwd"));
  EXPECT_FALSE(sf.resolve((root / "index.html").string()));
  EXPECT_FALSE(sf.resolve("//etc/passwd"));
}

TEST_F(StaticFilesTest, BackslashesAreRefused) {
  StaticFiles sf(root);
  EXPECT_FALSE(sf.resolve("..\\secret.txt"));
  EXPECT_FALSE(sf.resolve("js\\app.js"));
  EXPECT_FALSE(sf.resolve("\\etc\\passwd"));
}

TEST_F(StaticFilesTest, NulIsRefused) {
  StaticFiles sf(root);
  EXPECT_FALSE(sf.resolve(std::string_view("index.html\0.png", 15)));
  EXPECT_FALSE(sf.resolve(std::string_view("\0", 1)));
  EXPECT_FALSE(sf.resolve(std::string_view("js/\0app.js", 10)));
}

TEST_F(StaticFilesTest, HiddenFilesAreRefused) {
  StaticFiles sf(root);
  EXPECT_FALSE(sf.resolve(".hidden"));
  EXPECT_FALSE(sf.resolve(".git/config"));
  EXPECT_FALSE(sf.resolve("sub/.env"));
}

TEST_F(StaticFilesTest, DirectoriesMissingAndEmptyAreRefused) {
  StaticFiles sf(root);
  EXPECT_FALSE(sf.resolve(""));
  EXPECT_FALSE(sf.resolve("dir"));
  EXPECT_FALSE(sf.resolve("js"));
  EXPECT_FALSE(sf.resolve("js/"));
  EXPECT_FALSE(sf.resolve("missing.html"));
  EXPECT_FALSE(sf.resolve("js/missing.js"));
  EXPECT_FALSE(sf.resolve("index.html/x"));
  EXPECT_FALSE(sf.resolve("dangling"));
}

TEST_F(StaticFilesTest, OverlongPathIsRefused) {
  StaticFiles sf(root);
  std::string name(513, 'a');
  EXPECT_FALSE(sf.resolve(name));
  // Within the limit but missing: also refused (and does not throw).
  EXPECT_FALSE(sf.resolve(std::string(255, 'b')));
  EXPECT_FALSE(sf.resolve(std::string(300, 'c')));  // ENAMETOOLONG component
}

TEST_F(StaticFilesTest, MissingRootResolvesNothing) {
  StaticFiles sf(base / "does_not_exist");
  EXPECT_FALSE(sf.resolve("index.html"));
  EXPECT_FALSE(sf.resolve("../web/index.html"));
}

Request get_req(bhttp::verb v = bhttp::verb::get) {
  Request req{v, "/", 11};
  req.keep_alive(true);
  return req;
}

TEST_F(StaticFilesTest, ServeReturnsFileWithMimeType) {
  StaticFiles sf(root);
  auto res = sf.serve(get_req(), "index.html");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "<html>camrelay</html>");
  EXPECT_EQ(res[bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-cache");
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "*");

  res = sf.serve(get_req(), "js/app.js");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[bhttp::field::content_type], "text/javascript; charset=utf-8");
}

TEST_F(StaticFilesTest, ServeHeadHasNoBodyButLength) {
  StaticFiles sf(root);
  auto res = sf.serve(get_req(bhttp::verb::head), "index.html");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(std::string("<html>camrelay</html>").size()));
}

TEST_F(StaticFilesTest, ServeRefusesTricksWithoutLeakingContents) {
  StaticFiles sf(root);
  for (const char* rel : {"missing.html", "../secret.txt", "evil_file", "evil_abs", ".hidden",
                          "evil_dir/secret.txt", "a/../../secret.txt"}) {
    SCOPED_TRACE(rel);
    auto res = sf.serve(get_req(), rel);
    EXPECT_TRUE(res.result_int() == 404 || res.result_int() == 400) << res.result_int();
    EXPECT_EQ(res[bhttp::field::content_type], "application/json");
    EXPECT_THAT(res.body(), HasSubstr("\"error\""));
    EXPECT_THAT(res.body(), ::testing::Not(HasSubstr("TOP SECRET")));
    EXPECT_THAT(res.body(), ::testing::Not(HasSubstr("root:")));
  }
}

// ---- mime_type ----------------------------------------------------------------------

TEST(MimeType, KnownExtensions) {
  EXPECT_EQ(mime_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("a.htm"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("mod.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("x.json"), "application/json");
  EXPECT_EQ(mime_type("x.png"), "image/png");
  EXPECT_EQ(mime_type("x.jpg"), "image/jpeg");
  EXPECT_EQ(mime_type("x.jpeg"), "image/jpeg");
  EXPECT_EQ(mime_type("x.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("favicon.ico"), "image/x-icon");
  EXPECT_EQ(mime_type("notes.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(mime_type("live.m3u8"), "application/vnd.apple.mpegurl");
  EXPECT_EQ(mime_type("seg0.ts"), "video/mp2t");
  EXPECT_EQ(mime_type("clip.mp4"), "video/mp4");
  EXPECT_EQ(mime_type("hls.min.js.map"), "application/json");
  EXPECT_EQ(mime_type("x.wasm"), "application/wasm");
}

TEST(MimeType, UsesLastExtensionOfFullPath) {
  EXPECT_EQ(mime_type("/usr/share/camrelay/web/js/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("archive.html.gz"), "application/octet-stream");
  EXPECT_EQ(mime_type("hls.light.min.js"), "text/javascript; charset=utf-8");
}

TEST(MimeType, UnknownOrMissingExtensionIsOctetStream) {
  EXPECT_EQ(mime_type(""), "application/octet-stream");
  EXPECT_EQ(mime_type("README"), "application/octet-stream");
  EXPECT_EQ(mime_type("file."), "application/octet-stream");
  EXPECT_EQ(mime_type("x.exe"), "application/octet-stream");
  EXPECT_EQ(mime_type("x.html5"), "application/octet-stream");
  EXPECT_EQ(mime_type("x.xhtml"), "application/octet-stream");
  EXPECT_EQ(mime_type("dir.js/README"), "application/octet-stream");
}

}  // namespace

// ---- where the web root is found (out-of-tree builds, installs) ----
TEST(WebRoot, CandidatesCoverBuildTreeInstallAndSourceTree) {
  namespace fs = std::filesystem;
  const auto c = camrelay::http::web_root_candidates("/opt/x/bin/camrelay");
  auto has = [&c](const fs::path& p) {
    for (const auto& x : c) {
      if (x.lexically_normal() == p.lexically_normal()) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/opt/x/web"));
  EXPECT_TRUE(has("/opt/x/share/camrelay/web"));  // a relocated install
  EXPECT_TRUE(has(fs::path(CAMRELAY_SOURCE_DIR) / "web"));  // an out-of-tree build of this tree
  EXPECT_TRUE(has("/usr/share/camrelay/web"));
}

TEST(WebRoot, TheSourceTreeIsFoundFromAnywhereAndAMissingConfiguredRootIsReported) {
  bool found = false;
  const auto root = camrelay::http::find_web_root("", &found);
  EXPECT_TRUE(found) << root;
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "index.html")) << root;
  found = true;
  EXPECT_EQ(camrelay::http::find_web_root("/nonexistent/web", &found), std::filesystem::path("/nonexistent/web"));
  EXPECT_FALSE(found);
}
