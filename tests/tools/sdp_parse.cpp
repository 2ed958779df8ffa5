// Parses an SDP from stdin with GStreamer's SDP parser (gst_sdp_message_new_from_text) and
// prints what it read as JSON, so tests can check answers with a parser that is not ours:
//   {"version":"0","media":[{"media":"video","port":9,"proto":"UDP/TLS/RTP/SAVPF",
//     "formats":["108"],"mid":"0","direction":"sendonly","rtpmap":{"108":"H264/90000"},
//     "ssrcs":1,"candidates":3}]}
// Exit 1 (and a message on stderr) if the text does not parse or has no v= line / m= line.
#include <gst/sdp/sdp.h>

#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

namespace {
std::string esc(const char* s) {
  std::string out;
  for (const char* p = s ? s : ""; *p; ++p) {
    if (*p == '"' || *p == '\\') out += '\\';
    if (static_cast<unsigned char>(*p) >= 0x20) out += *p;
  }
  return out;
}
}  // namespace

int main() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  GstSDPMessage* msg = nullptr;
  if (gst_sdp_message_new_from_text(text.c_str(), &msg) != GST_SDP_OK || !msg) {
    std::cerr << "sdp_parse: GStreamer could not parse the SDP\n";
    return 1;
  }
  const char* version = gst_sdp_message_get_version(msg);
  if (!version || gst_sdp_message_medias_len(msg) == 0) {
    std::cerr << "sdp_parse: no v= line or no m= line\n";
    gst_sdp_message_free(msg);
    return 1;
  }
  std::ostringstream o;
  o << "{\"version\":\"" << esc(version) << "\",\"media\":[";
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); ++i) {
    const GstSDPMedia* m = gst_sdp_message_get_media(msg, i);
    o << (i ? "," : "") << "{\"media\":\"" << esc(gst_sdp_media_get_media(m)) << "\",\"port\":"
      << gst_sdp_media_get_port(m) << ",\"proto\":\"" << esc(gst_sdp_media_get_proto(m)) << "\",\"formats\":[";
    for (guint f = 0; f < gst_sdp_media_formats_len(m); ++f) {
      o << (f ? "," : "") << "\"" << esc(gst_sdp_media_get_format(m, f)) << "\"";
    }
    o << "],\"mid\":\"" << esc(gst_sdp_media_get_attribute_val(m, "mid")) << "\",\"direction\":\"";
    const char* dir = "sendrecv";
    for (const char* d : {"sendonly", "recvonly", "inactive", "sendrecv"}) {
      if (gst_sdp_media_get_attribute_val(m, d)) {
        dir = d;
        break;
      }
    }
    o << dir << "\",\"rtpmap\":{";
    bool first = true;
    int ssrcs = 0, candidates = 0;
    for (guint a = 0; a < gst_sdp_media_attributes_len(m); ++a) {
      const GstSDPAttribute* at = gst_sdp_media_get_attribute(m, a);
      const std::string key = at->key ? at->key : "";
      const std::string val = at->value ? at->value : "";
      if (key == "rtpmap") {
        auto sp = val.find(' ');
        if (sp == std::string::npos) continue;
        o << (first ? "" : ",") << "\"" << esc(val.substr(0, sp).c_str()) << "\":\"" << esc(val.substr(sp + 1).c_str()) << "\"";
        first = false;
      } else if (key == "ssrc" && val.find(" cname:") != std::string::npos) {
        ++ssrcs;
      } else if (key == "candidate") {
        ++candidates;
      }
    }
    o << "},\"ssrcs\":" << ssrcs << ",\"candidates\":" << candidates << "}";
  }
  o << "]}";
  std::cout << o.str() << "\n";
  gst_sdp_message_free(msg);
  return 0;
}
