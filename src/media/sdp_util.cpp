// Small text-level SDP helpers for WebRTC negotiation.
#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include "camrelay/media/offer.hpp"
#include "camrelay/util/text.hpp"

namespace camrelay::media {
namespace {
std::vector<std::string> split_lines(const std::string& sdp) {
  std::vector<std::string> out;
  std::istringstream in(sdp);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// `s` as a decimal int, `dflt` if it is not one.
int int_or(std::string_view s, int dflt) {
  int v = 0;
  return parse_int(s, v) ? v : dflt;
}

// The value of `key` in an fmtp parameter list ("a=1;b=2"), lower case; "" if absent.
std::string fmtp_param(const std::string& fmtp, const std::string& key) {
  std::istringstream in(fmtp);
  std::string kv;
  while (std::getline(in, kv, ';')) {
    while (!kv.empty() && kv.front() == ' ') kv.erase(kv.begin());
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == key) return kv.substr(eq + 1);
  }
  return {};
}

bool wants_to_receive(const OfferedMedia& m) {
  return (m.port != 0 || m.bundle_only) && (m.direction == "recvonly" || m.direction == "sendrecv");
}

// Preference of an H.264 payload type for our answer: higher is better, -1 unusable.
int h264_score(const OfferedCodec& c) {
  if (c.name != "h264" || fmtp_param(c.fmtp, "packetization-mode") != "1") return -1;
  const std::string p = fmtp_param(c.fmtp, "profile-level-id");
  if (p == "42e01f") return 6;
  if (p == "42001f") return 5;
  if (p.rfind("42", 0) == 0) return 4;
  if (p.rfind("4d", 0) == 0) return 3;
  if (p.empty()) return 2;
  return 1;  // High (64xxxx), Safari's 640c1f, ...
}

// Preference of an H.265 payload type (RFC 7798): Main (profile-id 1, the default when
// absent) first, then Main 10 (2), then any other; -1 unusable.
int h265_score(const OfferedCodec& c) {
  if (c.name != "h265" || (c.clock_rate != 0 && c.clock_rate != 90000)) return -1;
  const std::string p = fmtp_param(c.fmtp, "profile-id");
  if (p.empty() || p == "1") return 3;
  if (p == "2") return 2;
  return 1;
}
}  // namespace

OfferInfo parse_offer(const std::string& sdp) {
  if (sdp.size() > 64 * 1024) throw std::invalid_argument("the offer is larger than 64 KiB");
  const auto lines = split_lines(sdp);
  if (lines.empty() || lines.front() != "v=0") throw std::invalid_argument("the offer is not an SDP (it must start with v=0)");
  OfferInfo o;
  std::vector<std::vector<int>> formats;  // payload types listed on each m= line
  OfferedMedia* cur = nullptr;
  for (const auto& l : lines) {
    if (l.size() < 2 || l[1] != '=') continue;  // tolerate junk lines, as browsers do
    if (l.rfind("m=", 0) == 0) {
      auto f = split_ws(std::string_view(l).substr(2));  // views into l
      if (f.size() < 3) throw std::invalid_argument("malformed m= line: " + l.substr(0, 80));
      OfferedMedia m;
      m.index = static_cast<unsigned>(o.media.size());
      m.kind = to_lower(f[0]);
      m.port = int_or(f[1].substr(0, f[1].find('/')), -1);
      if (m.port < 0 || m.port > 65535) throw std::invalid_argument("malformed port in m= line: " + l.substr(0, 80));
      m.proto = f[2];
      m.ice_ufrag = o.ice_ufrag;
      formats.emplace_back();
      for (std::size_t k = 3; k < f.size(); ++k) formats.back().push_back(int_or(f[k], -1));
      o.media.push_back(std::move(m));
      cur = &o.media.back();
      continue;
    }
    if (l.rfind("a=", 0) != 0) continue;
    const std::string a = l.substr(2);
    const auto colon = a.find(':');
    const std::string name = a.substr(0, colon);
    const std::string value = colon == std::string::npos ? "" : a.substr(colon + 1);
    if (!cur) {
      if (name == "group" && value.rfind("BUNDLE", 0) == 0) {
        auto f = split_ws(value);
        o.bundle_mids.assign(f.begin() + 1, f.end());
      } else if (name == "ice-ufrag") {
        o.ice_ufrag = value;
      }
      continue;
    }
    if (name == "mid") {
      cur->mid = value;
    } else if (name == "sendrecv" || name == "recvonly" || name == "sendonly" || name == "inactive") {
      cur->direction = name;
    } else if (name == "bundle-only") {
      cur->bundle_only = true;
    } else if (name == "ice-ufrag") {
      cur->ice_ufrag = value;
    } else if (name == "rtpmap") {
      // rtpmap:PT NAME/CLOCK[/CHANNELS]
      auto sp = value.find(' ');
      if (sp == std::string::npos) continue;
      OfferedCodec c;
      c.pt = int_or(value.substr(0, sp), -1);
      std::istringstream enc(value.substr(sp + 1));
      std::string part;
      std::vector<std::string> parts;
      while (std::getline(enc, part, '/')) parts.push_back(part);
      if (c.pt < 0 || c.pt > 127 || parts.empty()) continue;
      c.name = to_lower(parts[0]);
      if (parts.size() > 1) c.clock_rate = int_or(parts[1], 0);
      if (parts.size() > 2) c.channels = int_or(parts[2], 0);
      cur->codecs.push_back(std::move(c));
    } else if (name == "fmtp") {
      auto sp = value.find(' ');
      if (sp == std::string::npos) continue;
      const int pt = int_or(value.substr(0, sp), -1);
      for (auto& c : cur->codecs) {
        if (c.pt == pt) c.fmtp = to_lower(value.substr(sp + 1));
      }
    } else if (name == "extmap") {
      // extmap:ID[/direction] URI [attributes]
      auto f = split_ws(value);
      if (f.size() >= 2 && f[1] == kTwccUri) cur->twcc_ext_id = int_or(f[0].substr(0, f[0].find('/')), -1);
    }
  }
  // Static payload types may come without rtpmap (RFC 3551: PCMU 0, PCMA 8).
  for (std::size_t i = 0; i < o.media.size(); ++i) {
    auto& m = o.media[i];
    if (m.kind != "audio") continue;
    for (int pt : formats[i]) {
      if (pt != 0 && pt != 8) continue;
      bool mapped = false;
      for (const auto& c : m.codecs) mapped = mapped || c.pt == pt;
      if (!mapped) m.codecs.push_back(OfferedCodec{pt, pt == 0 ? "pcmu" : "pcma", 8000, 1, ""});
    }
  }
  if (o.media.empty()) throw std::invalid_argument("the offer has no m= line");
  return o;
}

AnswerPlan plan_answer(const OfferInfo& offer, const std::string& webrtc_audio, bool vp8_ok, bool h265_source) {
  AnswerPlan p;
  for (const auto& m : offer.media) {
    if (!h265_source) break;
    if (m.kind != "video" || !wants_to_receive(m)) continue;
    const OfferedCodec* best = nullptr;
    int best_score = -1;
    for (const auto& c : m.codecs) {
      const int s = h265_score(c);
      if (s > best_score) {
        best = &c;
        best_score = s;
      }
    }
    if (!best) continue;
    p.video_index = static_cast<int>(m.index);
    p.video_codec = "h265";
    p.video_pt = best->pt;
    p.video_twcc_id = std::max(0, m.twcc_ext_id);
    break;
  }
  for (const auto& m : offer.media) {
    if (p.video_index >= 0) break;
    if (m.kind != "video" || !wants_to_receive(m)) continue;
    const OfferedCodec* best = nullptr;
    int best_score = -1;
    for (const auto& c : m.codecs) {
      const int s = h264_score(c);
      if (s > best_score) {
        best = &c;
        best_score = s;
      }
    }
    if (!best) continue;
    p.video_index = static_cast<int>(m.index);
    p.video_codec = "h264";
    p.video_pt = best->pt;
    p.video_profile = fmtp_param(best->fmtp, "profile-level-id");
    p.video_twcc_id = std::max(0, m.twcc_ext_id);
    break;
  }
  for (const auto& m : offer.media) {
    if (p.video_index >= 0 || !vp8_ok) break;
    if (m.kind != "video" || !wants_to_receive(m)) continue;
    for (const auto& c : m.codecs) {
      if (c.name != "vp8") continue;
      p.video_index = static_cast<int>(m.index);
      p.video_codec = "vp8";
      p.video_pt = c.pt;
      p.video_twcc_id = std::max(0, m.twcc_ext_id);
      break;
    }
  }
  if (p.video_index < 0) {
    bool any_video = false;
    for (const auto& m : offer.media) any_video = any_video || (m.kind == "video" && wants_to_receive(m));
    p.error = !any_video ? "the offer has no video m-line to receive the camera's video"
              : vp8_ok   ? "the offer has neither H.264 (packetization-mode=1) nor VP8 video (offered: " +
                             offered_video_codecs(offer) + ")"
                         : "the offer has no H.264 video with packetization-mode=1 (offered: " +
                             offered_video_codecs(offer) + ")";
    return p;
  }
  if (webrtc_audio.empty()) {
    p.note = "the camera has no audio";
    return p;
  }
  for (const auto& m : offer.media) {
    if (m.kind != "audio" || !wants_to_receive(m)) continue;
    for (const auto& c : m.codecs) {
      if (c.name == webrtc_audio && (c.name != "opus" || c.clock_rate == 48000)) {
        p.audio_index = static_cast<int>(m.index);
        p.audio_pt = c.pt;
        p.audio_codec = c.name;
        return p;
      }
    }
    p.note = "the browser does not accept " + webrtc_audio + " audio";
    return p;
  }
  p.note = "the offer has no audio m-line that receives";
  return p;
}

std::string offered_video_codecs(const OfferInfo& offer) {
  std::vector<std::string> names;
  for (const auto& m : offer.media) {
    if (m.kind != "video") continue;
    for (const auto& c : m.codecs) {
      if (c.name == "rtx" || c.name == "red" || c.name == "ulpfec" || c.name == "flexfec-03") continue;
      std::string n = c.name;
      for (auto& ch : n) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (c.name == "h264") n += " packetization-mode=" + (fmtp_param(c.fmtp, "packetization-mode").empty() ? std::string("0") : fmtp_param(c.fmtp, "packetization-mode"));
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  }
  if (names.empty()) return "none";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

unsigned transport_mline(const OfferInfo& offer, const std::string& mid, unsigned fallback) {
  if (!offer.bundle_mids.empty()) {
    for (const auto& m : offer.media) {
      if (m.mid == offer.bundle_mids.front()) return m.index;
    }
  }
  for (const auto& m : offer.media) {
    if (!mid.empty() && m.mid == mid) return m.index;
  }
  return fallback;
}

std::vector<std::string> announce_candidates(const std::string& candidate,
                                             const std::vector<std::string>& announced_ips) {
  std::vector<std::string> out{candidate};
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  std::istringstream in(candidate);
  std::vector<std::string> f;
  std::string tok;
  while (in >> tok) f.push_back(tok);
  if (f.size() < 8 || f[6] != "typ" || f[7] != "host") return out;
  for (const auto& ip : announced_ips) {
    if (ip == f[4]) continue;
    std::vector<std::string> g = f;
    g[0] += "9";  // a distinct foundation
    g[4] = ip;
    std::string s;
    for (size_t i = 0; i < g.size(); ++i) s += (i ? " " : "") + g[i];
    out.push_back(s);
  }
  return out;
}

std::string add_candidates_to_sdp(const std::string& sdp,
                                  const std::vector<std::pair<unsigned, std::string>>& cands) {
  std::string out;
  int mline = -1;
  auto flush_section = [&](int idx) {
    if (idx < 0) return;
    for (const auto& [m, c] : cands) {
      if (static_cast<int>(m) != idx) continue;
      std::string line = "a=" + (c.rfind("candidate:", 0) == 0 ? c : "candidate:" + c);
      if (sdp.find(line) == std::string::npos) out += line + "\r\n";
    }
    out += "a=end-of-candidates\r\n";
  };
  for (const auto& l : split_lines(sdp)) {
    if (l.rfind("m=", 0) == 0) {
      flush_section(mline);
      ++mline;
    }
    if (l == "a=end-of-candidates") continue;
    out += l + "\r\n";
  }
  flush_section(mline);
  return out;
}

std::string add_ssrc_to_sdp(const std::string& sdp, unsigned mline, std::uint32_t ssrc,
                            const std::string& stream_id, const std::string& track_id) {
  const auto lines = split_lines(sdp);
  // Leave a section that already announces SSRCs alone.
  int m = -1;
  for (const auto& l : lines) {
    if (l.rfind("m=", 0) == 0) ++m;
    if (m == static_cast<int>(mline) && (l.rfind("a=ssrc:", 0) == 0 || l.rfind("a=msid:", 0) == 0)) return sdp;
  }
  std::string out;
  m = -1;
  auto add = [&](int idx) {
    if (idx != static_cast<int>(mline)) return;
    out += "a=msid:" + stream_id + " " + track_id + "\r\n";
    out += "a=ssrc:" + std::to_string(ssrc) + " cname:" + stream_id + "\r\n";
    out += "a=ssrc:" + std::to_string(ssrc) + " msid:" + stream_id + " " + track_id + "\r\n";
  };
  for (const auto& l : lines) {
    if (l.rfind("m=", 0) == 0) {
      add(m);
      ++m;
    }
    out += l + "\r\n";
  }
  add(m);
  return out;
}

}  // namespace camrelay::media
