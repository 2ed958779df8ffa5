#include "camrelay/onvif/soap.hpp"

#include "camrelay/util/error.hpp"

namespace camrelay::onvif {

Message parse_message(std::string_view text) {
  Message m{Doc::parse(text), {}, {}};
  Node env = m.doc.root();
  if (env.local_name() != "Envelope") throw Error(Errc::invalid_argument, "SOAP: the root element is not an Envelope");
  m.header = env.child("Header");
  Node body = env.child("Body");
  if (!body) throw Error(Errc::invalid_argument, "SOAP: the envelope has no Body");
  auto ops = body.children();
  if (ops.empty()) throw Error(Errc::invalid_argument, "SOAP: the Body is empty");
  m.operation = ops.front();
  return m;
}

std::string envelope(std::string_view body, std::string_view header) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
      " xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\""
      " xmlns:trt=\"http://www.onvif.org/ver10/media/wsdl\""
      " xmlns:tptz=\"http://www.onvif.org/ver20/ptz/wsdl\""
      " xmlns:tt=\"http://www.onvif.org/ver10/schema\""
      " xmlns:ter=\"http://www.onvif.org/ver10/error\""
      " xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\""
      " xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\""
      " xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
      " xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\""
      " xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">";
  if (!header.empty()) {
    s += "<s:Header>";
    s += header;
    s += "</s:Header>";
  }
  s += "<s:Body>";
  s += body;
  s += "</s:Body></s:Envelope>\n";
  return s;
}

std::string fault(std::string_view code, std::string_view subcode, std::string_view reason) {
  std::string body = "<s:Fault><s:Code><s:Value>" + escape(code) + "</s:Value>";
  if (!subcode.empty()) body += "<s:Subcode><s:Value>" + escape(subcode) + "</s:Value></s:Subcode>";
  body += "</s:Code><s:Reason><s:Text xml:lang=\"en\">" + escape(reason) + "</s:Text></s:Reason></s:Fault>";
  return envelope(body);
}

std::string fault_text(const Message& m) {
  if (m.operation.local_name() != "Fault") return {};
  // SOAP 1.2: Code/Subcode/Value and Reason/Text; SOAP 1.1 cameras: faultcode, faultstring.
  std::string sub = m.operation.path({"Code", "Subcode", "Value"}).text();
  if (sub.empty()) sub = m.operation.path({"Code", "Value"}).text();
  if (sub.empty()) sub = m.operation.child("faultcode").text();
  std::string reason = m.operation.path({"Reason", "Text"}).text();
  if (reason.empty()) reason = m.operation.child("faultstring").text();
  return sub + ": " + (reason.empty() ? "(no reason given)" : reason);
}

}  // namespace camrelay::onvif
