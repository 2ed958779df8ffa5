#pragma once
// Serves files below a root directory. Paths with "..", NUL, backslashes or symlinks
// leading outside the root are refused.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "camrelay/http/types.hpp"

namespace camrelay::http {

std::string_view mime_type(std::string_view path);

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);
  const std::filesystem::path& root() const { return root_; }
  // `rel` is an already percent-decoded relative path ("viewer.html", "js/app.js").
  // Returns the resolved file inside the root, or nullopt.
  std::optional<std::filesystem::path> resolve(std::string_view rel) const;
  // 200 with the file, 404 JSON error, or 400 for a path trick.
  Response serve(const Request& req, std::string_view rel) const;

 private:
  std::filesystem::path root_;
};

// Finds the web root: configured path, else <exe dir>/../web, <exe dir>/../../web,
// /usr/share/camrelay/web.
std::filesystem::path find_web_root(const std::string& configured);

}  // namespace camrelay::http
