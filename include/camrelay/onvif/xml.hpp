#pragma once
// XML for ONVIF (docs/onvif.md): libxml2 reads what peers send — no network access, no
// entity expansion, no DTD loading — and elements are found by local name, because every
// camera picks its own namespace prefixes. What camrelay sends is built as text with
// escape().
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct _xmlDoc;
struct _xmlNode;

namespace camrelay::onvif {

// An element of a parsed document (valid while its Doc lives). A null Node is "absent":
// every accessor of an absent node returns an absent node or an empty string.
class Node {
 public:
  Node() = default;
  explicit Node(_xmlNode* n) : n_(n) {}
  explicit operator bool() const noexcept { return n_ != nullptr; }

  std::string local_name() const;
  std::string ns() const;  // namespace URI ("" if none)
  // The first child element with this local name.
  Node child(std::string_view local) const;
  // child(a).child(b)… along a path of local names.
  Node path(std::initializer_list<std::string_view> locals) const;
  std::vector<Node> children(std::string_view local = {}) const;  // {} = every element child
  // The first element with this local name below this one, depth first.
  Node find(std::string_view local) const;
  std::string text() const;  // the text content, surrounding whitespace trimmed
  std::string attr(std::string_view local) const;  // "" if absent

 private:
  _xmlNode* n_ = nullptr;
};

class Doc {
 public:
  // Throws Error(invalid_argument) naming the parser's complaint.
  static Doc parse(std::string_view text);
  Node root() const;

 private:
  std::shared_ptr<_xmlDoc> doc_;
};

// Text and attribute values for XML built as text: & < > " ' escaped.
std::string escape(std::string_view s);

}  // namespace camrelay::onvif
