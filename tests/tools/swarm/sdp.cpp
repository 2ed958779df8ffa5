// SDP parsing and writing for the lite receiver (sdp.hpp).
#include "sdp.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <stdexcept>

namespace swarm::sdp {

namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return r;
}

std::string upper(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  return r;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t p = s.find(sep);
    std::string_view tok = s.substr(0, p);
    if (!tok.empty()) out.push_back(tok);
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

template <class T>
bool to_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "k1=v1;k2=v2" → the value of `key` ("" when absent).
std::string fmtp_param(std::string_view params, std::string_view key) {
  for (std::string_view kv : split(params, ';')) {
    while (!kv.empty() && kv.front() == ' ') kv.remove_prefix(1);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos && lower(kv.substr(0, eq)) == lower(key)) return std::string(kv.substr(eq + 1));
  }
  return "";
}

// An m-section (or the session level) as parsed.
struct Block {
  Section s;
  uint16_t port = 0;
  std::string ufrag, pwd, fp_alg, fp, setup;
  std::vector<std::pair<int, std::string>> rtpmap;  // PT, encoding name (lower case)
  std::vector<std::pair<int, std::string>> fmtp;    // PT, parameters
  std::vector<std::pair<std::string, std::string>> fb;  // PT or "*", feedback
  std::vector<Candidate> candidates;
};

// "<pt> <rest>" → (pt, rest); pt -1 for "*" and on errors.
std::pair<int, std::string> pt_and_rest(std::string_view v) {
  size_t sp = v.find(' ');
  std::string_view pt = v.substr(0, sp);
  std::string rest = sp == std::string_view::npos ? "" : std::string(v.substr(sp + 1));
  int n = -1;
  if (!to_num(pt, n)) n = -1;
  return {n, rest};
}

void attribute(Block& b, std::string_view name, std::string_view value) {
  if (name == "ice-ufrag") b.ufrag = value;
  else if (name == "ice-pwd") b.pwd = value;
  else if (name == "setup") b.setup = lower(value);
  else if (name == "mid") b.s.mid = value;
  else if (name == "fingerprint") {
    size_t sp = value.find(' ');
    if (sp != std::string_view::npos) {
      b.fp_alg = lower(value.substr(0, sp));
      b.fp = upper(value.substr(sp + 1));
    }
  } else if (name == "rtpmap") {
    auto [pt, rest] = pt_and_rest(value);
    if (pt >= 0) b.rtpmap.emplace_back(pt, lower(rest.substr(0, rest.find('/'))));
  } else if (name == "fmtp") {
    auto [pt, rest] = pt_and_rest(value);
    if (pt >= 0) b.fmtp.emplace_back(pt, rest);
  } else if (name == "rtcp-fb") {
    size_t sp = value.find(' ');
    if (sp != std::string_view::npos) b.fb.emplace_back(std::string(value.substr(0, sp)), lower(value.substr(sp + 1)));
  } else if (name == "candidate") {
    std::string full = "candidate:" + std::string(value);
    if (auto c = parse_candidate(full); c && c->component == 1 && lower(c->transport) == "udp") {
      b.candidates.push_back(*c);
    }
  }
}

std::string fmtp_of(const Block& b, int pt) {
  for (const auto& [p, params] : b.fmtp) {
    if (p == pt) return params;
  }
  return "";
}

const std::string& pick(const std::string& media_level, const std::string& session_level) {
  return media_level.empty() ? session_level : media_level;
}

std::string ip_kind(const std::string& addr) { return addr.find(':') == std::string::npos ? "IP4" : "IP6"; }

// The media section of our offer or answer.
void write_video(std::ostringstream& o, const Local& l, const std::string& setup, const std::string& mid, int h264_pt,
                 const std::string& fmtp, int rtx_pt, const std::vector<std::string>& feedback) {
  const Candidate* def = l.candidates.empty() ? nullptr : &l.candidates.front();
  o << "m=video " << (def ? def->port : 9) << " UDP/TLS/RTP/SAVPF " << h264_pt;
  if (rtx_pt >= 0) o << " " << rtx_pt;
  o << "\r\n";
  o << "c=IN " << (def ? ip_kind(def->address) + " " + def->address : "IP4 0.0.0.0") << "\r\n";
  o << "a=ice-ufrag:" << l.ice_ufrag << "\r\n";
  o << "a=ice-pwd:" << l.ice_pwd << "\r\n";
  o << "a=fingerprint:sha-256 " << l.fingerprint << "\r\n";
  o << "a=setup:" << setup << "\r\n";
  if (!mid.empty()) o << "a=mid:" << mid << "\r\n";
  o << "a=recvonly\r\n";
  o << "a=rtcp-mux\r\n";
  o << "a=rtpmap:" << h264_pt << " H264/90000\r\n";
  for (const auto& f : feedback) o << "a=rtcp-fb:" << h264_pt << " " << f << "\r\n";
  if (!fmtp.empty()) o << "a=fmtp:" << h264_pt << " " << fmtp << "\r\n";
  if (rtx_pt >= 0) {
    o << "a=rtpmap:" << rtx_pt << " rtx/90000\r\n";
    o << "a=fmtp:" << rtx_pt << " apt=" << h264_pt << "\r\n";
  }
  for (const auto& c : l.candidates) o << "a=" << format_candidate(c) << "\r\n";
  o << "a=end-of-candidates\r\n";
}

void write_session(std::ostringstream& o, const Local& l, const std::string& bundle_mid) {
  o << "v=0\r\n";
  o << "o=- " << l.session_id << " 2 IN IP4 127.0.0.1\r\n";
  o << "s=-\r\n";
  o << "t=0 0\r\n";
  if (!bundle_mid.empty()) o << "a=group:BUNDLE " << bundle_mid << "\r\n";
}

// The feedback a browser's receiver asks for (REMB and transport-cc left out: no bandwidth
// estimation here).
const std::vector<std::string> kFeedback = {"nack", "nack pli", "ccm fir"};

}  // namespace

std::optional<Candidate> parse_candidate(std::string_view attr) {
  constexpr std::string_view kPrefix = "candidate:";
  if (attr.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::vector<std::string_view> t = split(attr.substr(kPrefix.size()), ' ');
  if (t.size() < 8 || t[6] != "typ") return std::nullopt;
  Candidate c;
  c.foundation = t[0];
  c.transport = t[2];
  c.address = t[4];
  c.type = t[7];
  if (!to_num(t[1], c.component) || !to_num(t[3], c.priority) || !to_num(t[5], c.port)) return std::nullopt;
  return c;
}

std::string format_candidate(const Candidate& c) {
  std::ostringstream o;
  o << "candidate:" << c.foundation << " " << c.component << " " << c.transport << " " << c.priority << " "
    << c.address << " " << c.port << " typ " << c.type;
  return o.str();
}

Remote parse_remote(const std::string& text) {
  Block session;
  std::vector<Block> blocks;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() < 2 || line[1] != '=') continue;
    std::string_view v = std::string_view(line).substr(2);
    if (line[0] == 'm') {
      std::vector<std::string_view> t = split(v, ' ');
      if (t.size() < 3) throw std::runtime_error("SDP: bad m= line '" + line + "'");
      Block b;
      b.s.media = t[0];
      if (!to_num(t[1].substr(0, t[1].find('/')), b.port)) throw std::runtime_error("SDP: bad port in '" + line + "'");
      b.s.proto = t[2];
      for (size_t i = 3; i < t.size(); ++i) b.s.formats += (i > 3 ? " " : "") + std::string(t[i]);
      blocks.push_back(std::move(b));
    } else if (line[0] == 'a') {
      size_t colon = v.find(':');
      std::string_view name = v.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view() : v.substr(colon + 1);
      attribute(blocks.empty() ? session : blocks.back(), name, value);
    }
  }

  Remote r;
  for (const Block& b : blocks) r.sections.push_back(b.s);
  for (size_t i = 0; i < blocks.size() && r.h264_pt < 0; ++i) {
    const Block& b = blocks[i];
    if (b.s.media != "video" || b.port == 0) continue;
    // H.264 with packetization-mode 1 first, any H.264 otherwise.
    for (int want_mode1 = 1; want_mode1 >= 0 && r.h264_pt < 0; --want_mode1) {
      for (const auto& [pt, name] : b.rtpmap) {
        if (name != "h264") continue;
        if (want_mode1 && fmtp_param(fmtp_of(b, pt), "packetization-mode") != "1") continue;
        r.h264_pt = pt;
        break;
      }
    }
    if (r.h264_pt < 0) continue;
    r.video = i;
    r.h264_fmtp = fmtp_of(b, r.h264_pt);
    for (const auto& [pt, name] : b.rtpmap) {
      if (name == "rtx" && fmtp_param(fmtp_of(b, pt), "apt") == std::to_string(r.h264_pt)) {
        r.rtx_pt = pt;
        break;
      }
    }
    for (const auto& [pt, fb] : b.fb) {
      const bool ours = pt == "*" || pt == std::to_string(r.h264_pt);
      if (ours && std::find(r.feedback.begin(), r.feedback.end(), fb) == r.feedback.end()) r.feedback.push_back(fb);
    }
    r.ice_ufrag = pick(b.ufrag, session.ufrag);
    r.ice_pwd = pick(b.pwd, session.pwd);
    r.fingerprint_alg = pick(b.fp_alg, session.fp_alg);
    r.fingerprint = pick(b.fp, session.fp);
    r.setup = pick(b.setup, session.setup);
    r.candidates = b.candidates;
  }
  if (r.h264_pt < 0) throw std::runtime_error("SDP: no video section with H.264");
  if (r.ice_ufrag.empty() || r.ice_pwd.empty()) throw std::runtime_error("SDP: no ICE credentials (ice-ufrag/ice-pwd)");
  if (r.fingerprint.empty()) throw std::runtime_error("SDP: no DTLS fingerprint");
  return r;
}

std::string answer_setup(const std::string& offer_setup) { return offer_setup == "active" ? "passive" : "active"; }

std::string build_offer(const Local& l) {
  std::ostringstream o;
  write_session(o, l, "0");
  write_video(o, l, "actpass", "0", kOfferH264Pt, kOfferH264Fmtp, kOfferRtxPt, kFeedback);
  return o.str();
}

std::string build_answer(const Local& l, const Remote& offer) {
  std::vector<std::string> feedback;
  for (const auto& f : kFeedback) {
    if (std::find(offer.feedback.begin(), offer.feedback.end(), f) != offer.feedback.end()) feedback.push_back(f);
  }
  const std::string& mid = offer.sections.at(offer.video).mid;
  std::ostringstream o;
  write_session(o, l, mid);
  for (size_t i = 0; i < offer.sections.size(); ++i) {
    if (i == offer.video) {
      write_video(o, l, answer_setup(offer.setup), mid, offer.h264_pt,
                  offer.h264_fmtp.empty() ? std::string(kOfferH264Fmtp) : offer.h264_fmtp, offer.rtx_pt, feedback);
      continue;
    }
    const Section& s = offer.sections[i];
    o << "m=" << s.media << " 0 " << s.proto << (s.formats.empty() ? "" : " " + s.formats) << "\r\n";
    o << "c=IN IP4 0.0.0.0\r\n";
    if (!s.mid.empty()) o << "a=mid:" << s.mid << "\r\n";
    o << "a=inactive\r\n";
  }
  return o.str();
}

}  // namespace swarm::sdp
