// Small text-level SDP helpers for WebRTC negotiation.
#include <cstdio>
#include <map>
#include <sstream>

#include "camrelay/media/webrtc_viewer.hpp"

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

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

int find_h264_payload_type(const std::string& sdp) {
  // Collect H264 payload types in the first video section, with their fmtp.
  std::vector<int> h264;
  std::map<int, std::string> fmtp;
  bool in_video = false;
  for (const auto& l : split_lines(sdp)) {
    if (l.rfind("m=", 0) == 0) {
      if (in_video) break;
      in_video = l.rfind("m=video", 0) == 0;
      continue;
    }
    if (!in_video) continue;
    int pt = -1;
    char name[64] = {0};
    if (std::sscanf(l.c_str(), "a=rtpmap:%d %63[^/]", &pt, name) == 2 && lower(name) == "h264") {
      h264.push_back(pt);
    } else if (std::sscanf(l.c_str(), "a=fmtp:%d", &pt) == 1) {
      auto sp = l.find(' ');
      if (sp != std::string::npos) fmtp[pt] = lower(l.substr(sp + 1));
    }
  }
  int best = -1, best_score = -1;
  for (int pt : h264) {
    const std::string& f = fmtp[pt];
    if (f.find("packetization-mode=1") == std::string::npos) continue;
    int score = 1;
    if (f.find("profile-level-id=42e01f") != std::string::npos) score = 4;
    else if (f.find("profile-level-id=42001f") != std::string::npos) score = 3;
    else if (f.find("profile-level-id=42") != std::string::npos) score = 2;
    if (score > best_score) {
      best = pt;
      best_score = score;
    }
  }
  return best;
}

int find_extmap_id(const std::string& sdp, const std::string& uri) {
  for (const auto& l : split_lines(sdp)) {
    int id = -1;
    char u[256] = {0};
    if (std::sscanf(l.c_str(), "a=extmap:%d%*[^ ] %255s", &id, u) == 2 ||
        std::sscanf(l.c_str(), "a=extmap:%d %255s", &id, u) == 2) {
      if (uri == u) return id;
    }
  }
  return -1;
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

}  // namespace camrelay::media
