#include "camrelay/onvif/xml.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "camrelay/util/error.hpp"

namespace camrelay::onvif {
namespace {

bool named(const xmlNode* n, std::string_view local) {
  return n && n->type == XML_ELEMENT_NODE && n->name && std::string_view(reinterpret_cast<const char*>(n->name)) == local;
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

void silent(void*, const char*, ...) {}

}  // namespace

std::string Node::local_name() const { return n_ && n_->name ? reinterpret_cast<const char*>(n_->name) : ""; }

std::string Node::ns() const {
  return n_ && n_->ns && n_->ns->href ? reinterpret_cast<const char*>(n_->ns->href) : "";
}

Node Node::child(std::string_view local) const {
  if (!n_) return {};
  for (xmlNode* c = n_->children; c; c = c->next) {
    if (named(c, local)) return Node(c);
  }
  return {};
}

Node Node::path(std::initializer_list<std::string_view> locals) const {
  Node n = *this;
  for (auto l : locals) n = n.child(l);
  return n;
}

std::vector<Node> Node::children(std::string_view local) const {
  std::vector<Node> out;
  if (!n_) return out;
  for (xmlNode* c = n_->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && (local.empty() || named(c, local))) out.emplace_back(c);
  }
  return out;
}

Node Node::find(std::string_view local) const {
  if (!n_) return {};
  for (xmlNode* c = n_->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (named(c, local)) return Node(c);
    if (Node below = Node(c).find(local)) return below;
  }
  return {};
}

std::string Node::text() const {
  if (!n_) return {};
  xmlChar* t = xmlNodeGetContent(n_);
  if (!t) return {};
  std::string s(reinterpret_cast<const char*>(t));
  xmlFree(t);
  return trim(std::move(s));
}

std::string Node::attr(std::string_view local) const {
  if (!n_) return {};
  for (xmlAttr* a = n_->properties; a; a = a->next) {
    if (a->name && std::string_view(reinterpret_cast<const char*>(a->name)) == local) {
      xmlChar* v = xmlNodeListGetString(n_->doc, a->children, 1);
      std::string s = v ? reinterpret_cast<const char*>(v) : "";
      if (v) xmlFree(v);
      return s;
    }
  }
  return {};
}

Doc Doc::parse(std::string_view text) {
  if (text.size() > 1024 * 1024) throw Error(Errc::too_large, "XML document over 1 MiB");
  xmlSetGenericErrorFunc(nullptr, silent);
  // No XML_PARSE_NOENT (entities stay unexpanded), no DTD loading, no network.
  xmlDoc* d = xmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
  if (!d) {
    const xmlError* e = xmlGetLastError();
    std::string why = e && e->message ? trim(e->message) : "not well-formed";
    throw Error(Errc::invalid_argument, "XML: " + why);
  }
  Doc out;
  out.doc_ = std::shared_ptr<_xmlDoc>(d, [](xmlDoc* p) { xmlFreeDoc(p); });
  if (!xmlDocGetRootElement(d)) throw Error(Errc::invalid_argument, "XML: no root element");
  // SOAP messages carry no document type declaration (SOAP 1.2 part 1, 5): refusing one
  // keeps entity tricks out altogether.
  if (d->intSubset) throw Error(Errc::invalid_argument, "XML: a document type declaration is not allowed");
  return out;
}

Node Doc::root() const { return doc_ ? Node(xmlDocGetRootElement(doc_.get())) : Node(); }

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace camrelay::onvif
