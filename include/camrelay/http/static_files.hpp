#pragma once
// Serves files below a root directory. Paths with "..", NUL, backslashes or symlinks
// leading outside the root are refused.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The directories where the web root is looked for when none is configured, in order:
// <exe dir>/../web, <exe dir>/../../web (build trees), <exe dir>/../share/camrelay/web
// (a relocated install), the install prefix's share/camrelay/web and the source tree's web/
// (both fixed at configure time: out-of-tree builds), /usr/share/camrelay/web.
std::vector<std::filesystem::path> web_root_candidates(const std::filesystem::path& exe);
// The configured path, else the first candidate holding index.html. `found` tells whether
// the result has an index.html (the caller warns otherwise: every page would be a 404).
std::filesystem::path find_web_root(const std::string& configured, bool* found = nullptr);

}  // namespace camrelay::http
