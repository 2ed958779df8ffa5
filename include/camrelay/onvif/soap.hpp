#pragma once
// SOAP 1.2 envelopes as ONVIF uses them (docs/onvif.md).
#include <string>
#include <string_view>

#include "camrelay/onvif/xml.hpp"

namespace camrelay::onvif {

// Namespace URIs.
inline constexpr std::string_view kSoapEnv = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kDeviceNs = "http://www.onvif.org/ver10/device/wsdl";
inline constexpr std::string_view kMediaNs = "http://www.onvif.org/ver10/media/wsdl";
inline constexpr std::string_view kPtzNs = "http://www.onvif.org/ver20/ptz/wsdl";
inline constexpr std::string_view kSchemaNs = "http://www.onvif.org/ver10/schema";
inline constexpr std::string_view kWsse =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr std::string_view kWsu =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

// A received envelope: its header and the body's first element (the operation).
struct Message {
  Doc doc;
  Node header;     // may be absent
  Node operation;  // the first element of the Body
};

// Throws Error(invalid_argument) for anything that is not a SOAP envelope with a body.
Message parse_message(std::string_view text);

// A complete envelope around `body` (and `header`, both XML text). Declares the prefixes
// used in camrelay's answers: s (envelope), tds (device), trt (media), tptz (PTZ),
// tt (schema), wsse, wsu, wsa (addressing), d (discovery), dn (network video transmitter).
std::string envelope(std::string_view body, std::string_view header = {});

// A SOAP fault: code "s:Sender"/"s:Receiver", subcode like "ter:NotAuthorized".
std::string fault(std::string_view code, std::string_view subcode, std::string_view reason);

// The fault inside a received envelope as "subcode: reason" ("" when it is no fault).
std::string fault_text(const Message& m);

}  // namespace camrelay::onvif
