#include "camrelay/http/static_files.hpp"


#include <unistd.h>

#include "camrelay/http/response.hpp"
#include "camrelay/util/files.hpp"

namespace camrelay::http {
namespace fs = std::filesystem;

std::string_view mime_type(std::string_view path) {
  auto ext = path.substr(std::min(path.rfind('.'), path.size()));
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".png", "image/png"},                 {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},               {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},              {".txt", "text/plain; charset=utf-8"},
      {".m3u8", "application/vnd.apple.mpegurl"}, {".ts", "video/mp2t"},
      {".mp4", "video/mp4"},                 {".map", "application/json"},
      {".wasm", "application/wasm"}};
  for (const auto& [e, t] : kTypes) {
    if (ext == e) return t;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path root) {
  std::error_code ec;
  root_ = fs::weakly_canonical(root, ec);
  if (ec) root_ = root;
}

std::optional<fs::path> StaticFiles::resolve(std::string_view rel) const {
  if (rel.empty() || rel.size() > 512) return std::nullopt;
  if (rel.find('\0') != std::string_view::npos || rel.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  fs::path p(rel);
  if (p.is_absolute()) return std::nullopt;
  for (const auto& part : p) {
    if (part == ".." || part == ".") return std::nullopt;
    if (!part.empty() && part.native().front() == '.') return std::nullopt;  // hidden files
  }
  std::error_code ec;
  fs::path full = fs::weakly_canonical(root_ / p, ec);
  if (ec) return std::nullopt;
  // The canonical path (symlinks resolved) must still be inside the root.
  auto [r, f] = std::mismatch(root_.begin(), root_.end(), full.begin(), full.end());
  if (r != root_.end()) return std::nullopt;
  if (!fs::is_regular_file(full, ec)) return std::nullopt;
  return full;
}

Response StaticFiles::serve(const Request& req, std::string_view rel) const {
  auto file = resolve(rel);
  if (!file) return error_response(req, bhttp::status::not_found, "not_found", "no such file");
  auto body = read_whole_file(*file);
  if (!body) return error_response(req, bhttp::status::not_found, "not_found", "no such file");
  Response res = text_response(req, bhttp::status::ok, std::move(*body), mime_type(file->native()));
  res.set(bhttp::field::cache_control, "no-cache");
  if (res[bhttp::field::content_type].starts_with("text/html")) {
    // Scripts, styles and connections only from camrelay itself (an injected inline script
    // does not run); media and workers also from blob: (hls.js feeds MediaSource through
    // blob: URLs); pages are not framed by other sites (clickjacking of the buttons).
    res.set("Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; object-src 'none'; base-uri 'self'");
    res.set("X-Frame-Options", "DENY");
  }
  if (req.method() == bhttp::verb::head) {
    res.body().clear();
    res.content_length(fs::file_size(*file));
  }
  return res;
}

std::vector<fs::path> web_root_candidates(const fs::path& exe) {
  std::vector<fs::path> out;
  if (!exe.empty()) {
    const auto dir = exe.parent_path();
    out = {dir / "../web", dir / "../../web", dir / "../share/camrelay/web"};
  }
#ifdef CAMRELAY_INSTALL_WEB_DIR
  out.emplace_back(CAMRELAY_INSTALL_WEB_DIR);
#endif
#ifdef CAMRELAY_SOURCE_WEB_DIR
  out.emplace_back(CAMRELAY_SOURCE_WEB_DIR);
#endif
  out.emplace_back("/usr/share/camrelay/web");
  return out;
}

fs::path find_web_root(const std::string& configured, bool* found) {
  std::error_code ec;
  if (!configured.empty()) {
    if (found) *found = fs::is_regular_file(fs::path(configured) / "index.html", ec);
    return configured;
  }
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const auto candidates = web_root_candidates(ec ? fs::path() : exe);
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c / "index.html", ec)) {
      if (found) *found = true;
      return fs::weakly_canonical(c, ec);
    }
  }
  if (found) *found = false;
  return candidates.front();
}

}  // namespace camrelay::http
