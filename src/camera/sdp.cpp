#include "camrelay/camera/sdp.hpp"

#include "camrelay/util/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <stdexcept>


namespace camrelay::camera {
namespace {

[[noreturn]] void bad(std::size_t line_no, const std::string& what) {
  throw std::invalid_argument("line " + std::to_string(line_no) + ": " + what);
}

std::string shorten(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 60)) out += (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) ? c : '?';
  if (s.size() > 60) out += "...";
  return out;
}

bool valid_port(int p) { return p >= 0 && p <= 65535; }

// "IN IP4 1.2.3.4" -> address; false if malformed.
bool parse_conn(std::string_view v, std::string& addr) {
  auto f = split_ws(v);
  if (f.size() < 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6")) return false;
  std::string_view a = f[2];
  if (auto slash = a.find('/'); slash != std::string_view::npos && f[1] == "IP4") a = a.substr(0, slash);  // TTL
  addr = std::string(a);
  return !addr.empty();
}

const char* ip_kind(const std::string& addr) { return addr.find(':') != std::string::npos ? "IP6" : "IP4"; }

}  // namespace

const SdpMedia* SessionDescription::find(std::string_view type) const {
  for (const auto& m : media) {
    if (m.type == type) return &m;
  }
  return nullptr;
}

SessionDescription parse_sdp(std::string_view text) {
  if (text.size() > 64 * 1024) throw std::invalid_argument("SDP too large");
  SessionDescription sd;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  bool first = true;
  struct Pending {
    bool rtcp_set = false;
    std::string rtcp_addr;
  };
  std::vector<Pending> pend;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=' || !std::islower(static_cast<unsigned char>(line[0]))) {
      bad(line_no, "not a \"x=value\" line: \"" + shorten(line) + "\"");
    }
    const char type = line[0];
    const std::string_view v = line.substr(2);
    if (first) {
      if (type != 'v' || v != "0") bad(line_no, "an SDP must start with v=0 (got \"" + shorten(line) + "\")");
      first = false;
      continue;
    }
    SdpMedia* cur = sd.media.empty() ? nullptr : &sd.media.back();
    switch (type) {
      case 'o': {
        auto f = split_ws(v);
        if (f.size() < 6) bad(line_no, "bad o= line \"" + shorten(line) + "\"");
        sd.origin_address = std::string(f[5]);
        break;
      }
      case 'c': {
        std::string addr;
        if (!parse_conn(v, addr)) bad(line_no, "bad c= line \"" + shorten(line) + "\"");
        (cur ? cur->address : sd.address) = addr;
        break;
      }
      case 'b': {
        if (cur && v.substr(0, 3) == "AS:") {
          int kbps = 0;
          if (!parse_int(v.substr(3), kbps) || kbps < 0) bad(line_no, "bad b=AS line \"" + shorten(line) + "\"");
          cur->bandwidth_as_kbps = kbps;
        }
        break;
      }
      case 'm': {
        auto f = split_ws(v);
        SdpMedia m;
        if (f.size() < 3) bad(line_no, "bad m= line \"" + shorten(line) + "\"");
        m.type = std::string(f[0]);
        std::string_view port = f[1];
        if (auto slash = port.find('/'); slash != std::string_view::npos) port = port.substr(0, slash);
        if (!parse_int(port, m.port) || !valid_port(m.port)) bad(line_no, "bad port in \"" + shorten(line) + "\"");
        m.proto = std::string(f[2]);
        for (std::size_t i = 3; i < f.size(); ++i) {
          int pt = 0;
          if (m.proto.rfind("RTP/", 0) == 0) {
            if (!parse_int(f[i], pt) || pt < 0 || pt > 127) {
              bad(line_no, "bad payload type \"" + shorten(f[i]) + "\" in \"" + shorten(line) + "\"");
            }
            m.payload_types.push_back(pt);
          }
        }
        sd.media.push_back(std::move(m));
        pend.push_back({});
        break;
      }
      case 'a': {
        if (!cur) break;  // session-level attributes are not needed
        const auto colon = v.find(':');
        const std::string_view name = v.substr(0, colon);
        const std::string_view val = colon == std::string_view::npos ? std::string_view() : v.substr(colon + 1);
        if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive") {
          cur->direction = std::string(name);
        } else if (name == "rtcp") {
          auto f = split_ws(val);
          int port = 0;
          if (f.empty() || !parse_int(f[0], port) || port <= 0 || port > 65535) {
            bad(line_no, "bad a=rtcp line \"" + shorten(line) + "\"");
          }
          cur->rtcp_port = port;
          pend.back().rtcp_set = true;
          if (f.size() >= 4) {
            std::string addr;
            std::string conn = std::string(f[1]) + " " + std::string(f[2]) + " " + std::string(f[3]);
            if (!parse_conn(conn, addr)) bad(line_no, "bad a=rtcp address \"" + shorten(line) + "\"");
            pend.back().rtcp_addr = addr;
          } else if (f.size() != 1) {
            bad(line_no, "bad a=rtcp line \"" + shorten(line) + "\"");
          }
        } else if (name == "rtpmap" || name == "fmtp" || name == "rtcp-fb") {
          const auto sp = val.find(' ');
          int pt = 0;
          const std::string_view pt_s = val.substr(0, sp);
          const std::string_view rest = sp == std::string_view::npos ? std::string_view() : val.substr(sp + 1);
          if (name == "rtcp-fb") {
            if (pt_s != "*" && (!parse_int(pt_s, pt) || pt < 0 || pt > 127)) {
              bad(line_no, "bad a=rtcp-fb line \"" + shorten(line) + "\"");
            }
            cur->rtcp_fb.push_back(std::string(val));
            break;
          }
          if (!parse_int(pt_s, pt) || pt < 0 || pt > 127 || rest.empty()) {
            bad(line_no, "bad a=" + std::string(name) + " line \"" + shorten(line) + "\"");
          }
          (name == "rtpmap" ? cur->rtpmap : cur->fmtp)[pt] = std::string(rest);
        }
        break;
      }
      default:
        break;  // s=, t=, i=, u=, e=, p=, z=, k=, r= : not needed
    }
  }
  if (first) throw std::invalid_argument("empty SDP");
  if (sd.media.empty()) throw std::invalid_argument("no m= line");
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    auto& m = sd.media[i];
    if (m.address.empty()) m.address = sd.address;
    if (!pend[i].rtcp_set) m.rtcp_port = m.port == 0 ? 0 : std::min(m.port + 1, 65535);
    m.rtcp_address = pend[i].rtcp_addr.empty() ? m.address : pend[i].rtcp_addr;
  }
  return sd;
}

std::string build_offer(const OfferParams& p) {
  if (p.address.empty()) throw std::invalid_argument("offer: no address");
  if (p.video_port <= 0 || p.video_port > 65535 || p.video_rtcp_port <= 0 || p.video_rtcp_port > 65535) {
    throw std::invalid_argument("offer: bad video ports");
  }
  const char* ip = ip_kind(p.address);
  std::ostringstream o;
  o << "v=0\r\n"
    << "o=camrelay " << p.origin_id << " 1 IN " << ip << " " << p.address << "\r\n"
    << "s=camrelay\r\n"
    << "c=IN " << ip << " " << p.address << "\r\n"
    << "t=0 0\r\n";
  const int pt = p.payload_type;
  o << "m=video " << p.video_port << " RTP/AVPF " << pt << "\r\n";
  if (p.max_kbps > 0) o << "b=AS:" << p.max_kbps << "\r\n";
  o << "a=rtpmap:" << pt << " " << p.codec << "/" << p.clock_rate << "\r\n";
  // H.264: non-interleaved mode (FU-A); H.265 (RFC 7798) needs no format parameter.
  if (p.codec == "H264") o << "a=fmtp:" << pt << " packetization-mode=1\r\n";
  o << "a=rtcp:" << p.video_rtcp_port << " IN " << ip << " " << p.address << "\r\n"
    << "a=rtcp-fb:" << pt << " goog-remb\r\n"
    << "a=rtcp-fb:" << pt << " nack\r\n"
    << "a=rtcp-fb:" << pt << " nack pli\r\n"
    << "a=rtcp-fb:" << pt << " ccm fir\r\n"
    << "a=recvonly\r\n";
  if (p.audio_port > 0) {
    o << "m=audio " << p.audio_port << " RTP/AVP 111 0 8\r\n"
      << "a=rtpmap:111 opus/48000/2\r\n"
      << "a=rtpmap:0 PCMU/8000\r\n"
      << "a=rtpmap:8 PCMA/8000\r\n"
      << "a=rtcp:" << p.audio_rtcp_port << " IN " << ip << " " << p.address << "\r\n"
      << "a=recvonly\r\n";
  }
  return o.str();
}

AnswerInfo parse_answer(std::string_view sdp, int payload_type, std::string_view codec, int clock_rate) {
  const SessionDescription sd = parse_sdp(sdp);
  const SdpMedia* v = sd.find("video");
  if (!v) throw std::invalid_argument("no m=video line");
  if (v->port == 0) throw std::invalid_argument("the camera rejected the video stream (m=video 0)");
  if (v->direction == "recvonly" || v->direction == "inactive") {
    throw std::invalid_argument("the camera will not send video (a=" + v->direction + ")");
  }
  if (std::find(v->payload_types.begin(), v->payload_types.end(), payload_type) == v->payload_types.end()) {
    throw std::invalid_argument("m=video does not contain the offered payload type " + std::to_string(payload_type));
  }
  if (auto it = v->rtpmap.find(payload_type); it != v->rtpmap.end()) {
    const std::string want = to_lower(std::string(codec) + "/" + std::to_string(clock_rate));
    if (to_lower(it->second).rfind(want, 0) != 0) {
      throw std::invalid_argument("payload type " + std::to_string(payload_type) + " is \"" + shorten(it->second) +
                                  "\", expected " + std::string(codec) + "/" + std::to_string(clock_rate));
    }
  }
  if (v->address.empty()) throw std::invalid_argument("no c= line for the video stream");
  AnswerInfo a;
  a.payload_type = payload_type;
  a.video = {v->address, v->port, v->rtcp_address, v->rtcp_port};
  if (const SdpMedia* au = sd.find("audio"); au && au->port != 0) {
    a.audio = RtpEndpoint{au->address, au->port, au->rtcp_address, au->rtcp_port};
    // What we offer (build_offer): 111 opus/48000/2, 0 PCMU/8000, 8 PCMA/8000.
    for (int pt : au->payload_types) {
      if (pt != 111 && pt != 0 && pt != 8) continue;
      AudioAnswer f;
      f.payload_type = pt;
      std::string name = pt == 0 ? "PCMU" : pt == 8 ? "PCMA" : "";
      int rate = pt == 111 ? 0 : 8000, channels = 1;
      if (auto it = au->rtpmap.find(pt); it != au->rtpmap.end()) {
        // "opus/48000/2"
        const std::string& m = it->second;
        const auto s1 = m.find('/');
        name = m.substr(0, s1);
        if (s1 != std::string::npos) {
          const auto s2 = m.find('/', s1 + 1);
          if (!parse_int(std::string_view(m).substr(s1 + 1, s2 == std::string::npos ? std::string::npos : s2 - s1 - 1),
                      rate)) {
            rate = 0;
          }
          if (s2 != std::string::npos && !parse_int(std::string_view(m).substr(s2 + 1), channels)) channels = 1;
        }
      }
      for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      const int want = name == "OPUS" ? 48000 : 8000;
      if ((name != "OPUS" && name != "PCMU" && name != "PCMA") || rate != want) {
        a.audio_error = "audio payload type " + std::to_string(pt) + " is \"" +
                        shorten(au->rtpmap.count(pt) ? au->rtpmap.at(pt) : name) +
                        "\", expected opus/48000, PCMU/8000 or PCMA/8000";
        continue;
      }
      f.codec = name;
      f.clock_rate = rate;
      f.channels = channels > 0 ? channels : 1;
      a.audio_format = f;
      a.audio_error.clear();
      break;
    }
    if (!a.audio_format && a.audio_error.empty()) {
      a.audio_error = "m=audio has none of the offered payload types 111, 0, 8";
    }
  }
  return a;
}

std::string build_answer(const AnswerParams& p, const SessionDescription& offer) {
  const char* ip = ip_kind(p.address);
  std::ostringstream o;
  o << "v=0\r\n"
    << "o=camera " << p.origin_id << " 1 IN " << ip << " " << p.address << "\r\n"
    << "s=camera\r\n"
    << "c=IN " << ip << " " << p.address << "\r\n"
    << "t=0 0\r\n";
  bool video_done = false, audio_done = false;
  for (const auto& m : offer.media) {
    if (m.type == "video" && !video_done) {
      video_done = true;
      const int pt = p.payload_type;
      o << "m=video " << p.video_port << " " << (m.proto.empty() ? "RTP/AVPF" : m.proto) << " " << pt << "\r\n"
        << "a=rtpmap:" << pt << " H264/90000\r\n"
        << "a=fmtp:" << pt << " packetization-mode=1;profile-level-id=" << p.profile_level_id << "\r\n"
        << "a=rtcp:" << p.rtcp_port << "\r\n";
      for (const auto& fb : m.rtcp_fb) o << "a=rtcp-fb:" << fb << "\r\n";
      o << "a=sendonly\r\n";
    } else if (m.type == "audio" && !audio_done && p.audio_port > 0 && m.port != 0 &&
               std::find(m.payload_types.begin(), m.payload_types.end(), p.audio_payload_type) !=
                   m.payload_types.end()) {
      audio_done = true;
      const int pt = p.audio_payload_type;
      o << "m=audio " << p.audio_port << " " << (m.proto.empty() ? "RTP/AVP" : m.proto) << " " << pt << "\r\n"
        << "a=rtpmap:" << pt << " opus/48000/2\r\n"
        << "a=rtcp:" << p.audio_rtcp_port << "\r\n"
        << "a=sendonly\r\n";
    } else {
      o << "m=" << m.type << " 0 " << (m.proto.empty() ? "RTP/AVP" : m.proto);
      for (int pt : m.payload_types) o << " " << pt;
      if (m.payload_types.empty()) o << " 0";
      o << "\r\n";
    }
  }
  return o.str();
}

}  // namespace camrelay::camera
