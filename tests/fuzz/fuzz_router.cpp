// Request targets against camrelay's route patterns: percent-decoding, query parsing, path
// matching, and the two checks handlers apply to what the router extracts: camera ids
// (valid_camera_id) and static files (StaticFiles::resolve never leaves its root, whatever
// the path trick: "..", encoded slashes, backslashes, NULs, symlinks).
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "camrelay/http/router.hpp"
#include "camrelay/http/static_files.hpp"
#include "camrelay/util/ids.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace camrelay::http;
namespace fs = std::filesystem;

const Router& router() {
  static const Router r = [] {
    Router x;
    const Handler h = [](const Request&, const Params&) -> boost::asio::awaitable<Response> { co_return Response{}; };
    using V = bhttp::verb;
    for (const char* p : {"/health", "/streams", "/streams/{id}", "/streams/{id}/hls/{name}", "/viewers/{id}",
                          "/api/cameras/{id}/stream/segment/{name}", "/auth/users/{name}", "/", "/viewer",
                          "/{file}", "/{dir}/{file}"}) {
      x.add(V::get, p, Access::user, h);
    }
    for (const char* p : {"/streams/{id}/start", "/streams/{id}/whep", "/auth/login"}) x.add(V::post, p, Access::open, h);
    x.add(V::patch, "/streams/{id}/whep/{vid}", Access::camera, h);
    x.add(V::delete_, "/streams/{id}/whep/{vid}", Access::camera, h);
    return x;
  }();
  return r;
}

// A web root with a file, a subdirectory, and symlinks pointing out of it.
const StaticFiles& files() {
  static const StaticFiles f = [] {
    static const fs::path base = fs::temp_directory_path() / ("camrelay-fuzz-web-" + std::to_string(::getpid()));
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(base, ignored);
    });
    fs::create_directories(base / "web" / "js");
    std::ofstream(base / "secret.txt") << "outside";
    std::ofstream(base / "web" / "index.html") << "<html></html>";
    std::ofstream(base / "web" / "js" / "app.js") << "1";
    std::error_code ec;
    fs::create_symlink(base / "secret.txt", base / "web" / "abs_link", ec);
    fs::create_symlink("../secret.txt", base / "web" / "rel_link", ec);
    return StaticFiles(base / "web");
  }();
  return f;
}

bool inside(const fs::path& root, const fs::path& p) {
  const fs::path r = fs::weakly_canonical(root), q = fs::weakly_canonical(p);
  auto [a, b] = std::mismatch(r.begin(), r.end(), q.begin(), q.end());
  return a == r.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace camrelay;
  if (size < 1) return 0;
  const auto method = (data[0] & 3) == 0 ? bhttp::verb::get : (data[0] & 3) == 1 ? bhttp::verb::post
                      : (data[0] & 3) == 2 ? bhttp::verb::patch : bhttp::verb::delete_;
  const std::string_view target = fuzz::as_text(data + 1, size - 1);
  fuzz::expect_clean("router", [&] {
    const Router::Match m = router().match(method, target);
    if (m.outcome == Router::Outcome::found) {
      if (!m.handler) fuzz::finding("found without a handler");
      for (const auto& [k, v] : m.params.path) {
        if (v.empty() || v.find('\0') != std::string::npos) fuzz::finding("an empty path parameter or one holding NUL");
        if (k == "id" && valid_camera_id(v) &&
            (v.find('/') != std::string::npos || v.find('.') == 0 || v.size() > 64)) {
          fuzz::finding("valid_camera_id accepted a path-like id");
        }
        if (k == "file" || k == "name") {
          const std::string rel = m.params.path.count("dir") ? m.params.path.at("dir") + "/" + v : v;
          if (auto p = files().resolve(rel)) {
            if (!inside(files().root(), *p)) fuzz::finding("a static file resolved outside the web root");
          }
        }
      }
    }
    (void)url_decode(target, true);
    (void)parse_query(target);
  });
  // The whole input as a relative file path, too.
  if (auto p = files().resolve(target)) {
    if (!inside(files().root(), *p)) fuzz::finding("a static file resolved outside the web root");
  }
  return 0;
}
