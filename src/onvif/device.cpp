#include "camrelay/onvif/device.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <cmath>
#include <ctime>

namespace camrelay::onvif {
namespace {

std::string e(std::string_view s) { return escape(s); }

Answer ok(std::string body) { return {200, envelope(body)}; }

Answer sender_fault(std::string_view subcode, std::string_view reason) {
  return {400, fault("s:Sender", subcode, reason)};
}

const MediaProfile* find_profile(const DeviceView& v, const std::string& token) {
  for (const auto& p : v.profiles) {
    if (p.token == token) return &p;
  }
  return nullptr;
}

std::string date_time(std::int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format(
      "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
      "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>"
      "<tt:UTCDateTime><tt:Time><tt:Hour>{}</tt:Hour><tt:Minute>{}</tt:Minute><tt:Second>{}</tt:Second></tt:Time>"
      "<tt:Date><tt:Year>{}</tt:Year><tt:Month>{}</tt:Month><tt:Day>{}</tt:Day></tt:Date></tt:UTCDateTime>"
      "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>",
      tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string device_url(const DeviceView& v) { return v.base_url + "/onvif/device_service"; }
std::string media_url(const DeviceView& v) { return v.base_url + "/onvif/media_service"; }

std::string capabilities(const DeviceView& v) {
  return "<tds:GetCapabilitiesResponse><tds:Capabilities>"
         "<tt:Device><tt:XAddr>" + e(device_url(v)) + "</tt:XAddr>"
         "<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>"
         "<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>"
         "<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>"
         "<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>"
         "<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>"
         "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>"
         "<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>"
         "<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>"
         "<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>"
         "<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security>"
         "</tt:Device>"
         "<tt:Media><tt:XAddr>" + e(media_url(v)) + "</tt:XAddr>"
         "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
         "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
         "</tds:Capabilities></tds:GetCapabilitiesResponse>";
}

std::string services(const DeviceView& v, bool with_capabilities) {
  std::string dev_caps, media_caps;
  if (with_capabilities) {
    dev_caps = "<tds:Capabilities><tds:Capabilities><tds:Network IPFilter=\"false\" ZeroConfiguration=\"false\""
               " IPVersion6=\"false\" DynDNS=\"false\"/><tds:Security UsernameToken=\"true\" HttpDigest=\"false\"/>"
               "<tds:System DiscoveryResolve=\"false\" DiscoveryBye=\"false\" RemoteDiscovery=\"false\""
               " SystemBackup=\"false\" SystemLogging=\"false\" FirmwareUpgrade=\"false\"/></tds:Capabilities>"
               "</tds:Capabilities>";
    media_caps = "<tds:Capabilities><trt:Capabilities SnapshotUri=\"true\" Rotation=\"false\">"
                 "<trt:ProfileCapabilities MaximumNumberOfProfiles=\"" + std::to_string(v.profiles.size()) +
                 "\"/><trt:StreamingCapabilities RTPMulticast=\"false\" RTP_TCP=\"true\" RTP_RTSP_TCP=\"true\"/>"
                 "</trt:Capabilities></tds:Capabilities>";
  }
  auto one = [](std::string_view ns, const std::string& addr, const std::string& caps) {
    return "<tds:Service><tds:Namespace>" + std::string(ns) + "</tds:Namespace><tds:XAddr>" + e(addr) +
           "</tds:XAddr>" + caps + "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>";
  };
  return "<tds:GetServicesResponse>" + one(kDeviceNs, device_url(v), dev_caps) + one(kMediaNs, media_url(v), media_caps) +
         "</tds:GetServicesResponse>";
}

std::string device_information(const DeviceIdentity& id) {
  return "<tds:GetDeviceInformationResponse><tds:Manufacturer>" + e(id.manufacturer) +
         "</tds:Manufacturer><tds:Model>" + e(id.model) + "</tds:Model><tds:FirmwareVersion>" + e(id.firmware) +
         "</tds:FirmwareVersion><tds:SerialNumber>" + e(id.serial) + "</tds:SerialNumber><tds:HardwareId>" +
         e(id.hardware_id) + "</tds:HardwareId></tds:GetDeviceInformationResponse>";
}

std::string scopes_list(const DeviceView& v) {
  std::string s;
  for (const char* x : {"onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/type/video_encoder"}) {
    s += "<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>" + std::string(x) + "</tt:ScopeItem></tds:Scopes>";
  }
  s += "<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>onvif://www.onvif.org/hardware/" +
       e(v.identity.model) + "</tt:ScopeItem></tds:Scopes>";
  s += "<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>onvif://www.onvif.org/name/" +
       e(v.identity.manufacturer) + "</tt:ScopeItem></tds:Scopes>";
  return "<tds:GetScopesResponse>" + s + "</tds:GetScopesResponse>";
}

std::string source_token(const MediaProfile& p) { return "src_" + p.token; }

std::string resolution(const MediaProfile& p) {
  if (p.width <= 0 || p.height <= 0) return {};
  return fmt::format("<tt:Resolution><tt:Width>{}</tt:Width><tt:Height>{}</tt:Height></tt:Resolution>", p.width,
                     p.height);
}

int whole_fps(const MediaProfile& p) { return p.fps > 0 ? static_cast<int>(std::lround(p.fps)) : 0; }

std::string profile_xml(const char* element, const MediaProfile& p) {
  const std::string src = source_token(p);
  std::string bounds = p.width > 0 && p.height > 0
                           ? fmt::format("<tt:Bounds x=\"0\" y=\"0\" width=\"{}\" height=\"{}\"/>", p.width, p.height)
                           : std::string("<tt:Bounds x=\"0\" y=\"0\" width=\"0\" height=\"0\"/>");
  std::string rate = whole_fps(p) > 0
                         ? fmt::format("<tt:RateControl><tt:FrameRateLimit>{}</tt:FrameRateLimit>"
                                       "<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>0</tt:BitrateLimit>"
                                       "</tt:RateControl>",
                                       whole_fps(p))
                         : std::string();
  return std::string("<") + element + " token=\"" + e(p.token) + "\" fixed=\"true\"><tt:Name>" + e(p.name) +
         "</tt:Name><tt:VideoSourceConfiguration token=\"" + e(src) + "\"><tt:Name>" + e(src) +
         "</tt:Name><tt:UseCount>1</tt:UseCount><tt:SourceToken>" + e(src) + "</tt:SourceToken>" + bounds +
         "</tt:VideoSourceConfiguration><tt:VideoEncoderConfiguration token=\"enc_" + e(p.token) +
         "\"><tt:Name>enc_" + e(p.token) + "</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>" + e(p.encoding) + "</tt:Encoding>" +
         resolution(p) + "<tt:Quality>0</tt:Quality>" + rate +
         (p.encoding == "H264" ? "<tt:H264><tt:GovLength>0</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>"
                               : "") +
         "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></" + element + ">";
}

std::string video_sources(const DeviceView& v) {
  std::string s = "<trt:GetVideoSourcesResponse>";
  for (const auto& p : v.profiles) {
    s += "<trt:VideoSources token=\"" + e(source_token(p)) + "\"><tt:Framerate>" + std::to_string(whole_fps(p)) +
         "</tt:Framerate>" + resolution(p) + "</trt:VideoSources>";
  }
  return s + "</trt:GetVideoSourcesResponse>";
}

std::string media_uri(const char* response, const std::string& uri) {
  return std::string("<trt:") + response + "><trt:MediaUri><tt:Uri>" + e(uri) +
         "</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
         "</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:" + response + ">";
}

Answer device_answer(const std::string& op, const Message& m, const DeviceView& v) {
  if (op == "GetSystemDateAndTime") return ok(date_time(v.now));
  if (op == "GetDeviceInformation") return ok(device_information(v.identity));
  if (op == "GetCapabilities") return ok(capabilities(v));
  if (op == "GetServices") return ok(services(v, m.operation.child("IncludeCapability").text() == "true"));
  if (op == "GetScopes") return ok(scopes_list(v));
  if (op == "GetHostname") {
    return ok("<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>" +
              e(v.identity.model) + "</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>");
  }
  if (op == "GetServiceCapabilities") {
    return ok("<tds:GetServiceCapabilitiesResponse><tds:Capabilities><tds:Security UsernameToken=\"true\""
              " HttpDigest=\"false\"/></tds:Capabilities></tds:GetServiceCapabilitiesResponse>");
  }
  return sender_fault("ter:ActionNotSupported", "the device service has no operation " + op);
}

Answer media_answer(const std::string& op, const Message& m, const DeviceView& v) {
  if (op == "GetProfiles") {
    std::string s = "<trt:GetProfilesResponse>";
    for (const auto& p : v.profiles) s += profile_xml("trt:Profiles", p);
    return ok(s + "</trt:GetProfilesResponse>");
  }
  if (op == "GetVideoSources") return ok(video_sources(v));
  if (op == "GetServiceCapabilities") {
    return ok("<trt:GetServiceCapabilitiesResponse><trt:Capabilities SnapshotUri=\"true\"><trt:ProfileCapabilities"
              " MaximumNumberOfProfiles=\"" + std::to_string(v.profiles.size()) +
              "\"/><trt:StreamingCapabilities RTPMulticast=\"false\" RTP_TCP=\"true\" RTP_RTSP_TCP=\"true\"/>"
              "</trt:Capabilities></trt:GetServiceCapabilitiesResponse>");
  }
  if (op == "GetProfile" || op == "GetStreamUri" || op == "GetSnapshotUri") {
    const std::string token = m.operation.child("ProfileToken").text();
    const MediaProfile* p = find_profile(v, token);
    if (!p) return sender_fault("ter:NoProfile", "no profile with the token \"" + token + "\"");
    if (op == "GetProfile") return ok("<trt:GetProfileResponse>" + profile_xml("trt:Profile", *p) + "</trt:GetProfileResponse>");
    if (op == "GetSnapshotUri") return ok(media_uri("GetSnapshotUriResponse", p->snapshot_uri));
    // Only RTSP over TCP or UDP unicast is served (the RTSP re-serve); HTTP tunnelling and
    // multicast are refused the way cameras refuse them.
    const std::string protocol = m.operation.path({"StreamSetup", "Transport", "Protocol"}).text();
    const std::string stream = m.operation.path({"StreamSetup", "Stream"}).text();
    if (stream == "RTP-Multicast") return sender_fault("ter:InvalidArgVal", "multicast streaming is not offered");
    if (!protocol.empty() && protocol != "RTSP" && protocol != "UDP" && protocol != "TCP") {
      return sender_fault("ter:InvalidArgVal", "transport " + protocol + " is not offered (RTSP only)");
    }
    return ok(media_uri("GetStreamUriResponse", p->rtsp_uri));
  }
  return sender_fault("ter:ActionNotSupported", "the media service has no operation " + op);
}

}  // namespace

std::string uuid_from(std::string_view seed) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), md);
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);  // version 5
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);
  return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12],
                     md[13], md[14], md[15]);
}

std::string device_uuid(const std::string& data_dir, int http_port) {
  return uuid_from("camrelay:" + data_dir + ":" + std::to_string(http_port));
}

bool is_open_operation(const Message& m) { return m.operation.local_name() == "GetSystemDateAndTime"; }

Answer answer(const Message& m, Service service, const DeviceView& v) {
  const std::string op = m.operation.local_name();
  // Clients often send every call to the device address: the operation's namespace decides.
  const std::string ns = m.operation.ns();
  if (ns == kMediaNs) return media_answer(op, m, v);
  if (ns == kDeviceNs) return device_answer(op, m, v);
  return service == Service::media ? media_answer(op, m, v) : device_answer(op, m, v);
}

Answer not_authorized() {
  // ONVIF Core 5.12.2: a failed WS-Security check is HTTP 400 with ter:NotAuthorized (401
  // is for HTTP digest, which would make clients look for a WWW-Authenticate challenge).
  return {400, fault("s:Sender", "ter:NotAuthorized", "Sender not authorized (WS-Security UsernameToken missing or wrong)")};
}

std::string probe_matches(const DeviceIdentity& id, std::string_view relates_to, std::string_view xaddrs,
                          std::string_view message_id, std::string_view scopes) {
  const std::string header =
      "<wsa:MessageID>" + e(message_id) + "</wsa:MessageID><wsa:RelatesTo>" + e(relates_to) +
      "</wsa:RelatesTo><wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>";
  const std::string body =
      "<d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>urn:uuid:" + e(id.serial) +
      "</wsa:Address></wsa:EndpointReference><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes>" +
      e(scopes) + "</d:Scopes><d:XAddrs>" + e(xaddrs) +
      "</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches>";
  return envelope(body, header);
}

}  // namespace camrelay::onvif
