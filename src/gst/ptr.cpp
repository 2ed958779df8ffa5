#include "camrelay/gst/ptr.hpp"

#include "camrelay/gst/callback.hpp"
#include "camrelay/util/error.hpp"

namespace camrelay::gst {

ElementPtr make_element(const char* factory, const char* name) {
  ElementPtr e = try_make_element(factory, name);
  if (!e) {
    throw Error(Errc::internal, std::string("GStreamer element '") + factory +
                                    "' is missing (install the gstreamer1.0-plugins-* packages; "
                                    "see scripts/deps.sh)");
  }
  return e;
}

ElementPtr try_make_element(const char* factory, const char* name) {
  return ElementPtr::ref_sink(gst_element_factory_make(factory, name));
}

GstPad* add_ghost_pad(GstElement* bin, const char* name, GstPad* target) {
  GstPad* ghost = target ? gst_ghost_pad_new(name, target) : nullptr;
  if (!ghost) return nullptr;
  auto held = Ptr<GstPad>::ref_sink(ghost);
  if (!gst_element_add_pad(bin, ghost)) return nullptr;  // `held` drops it
  return ghost;
}

CapsPtr caps_from_string(const std::string& caps) { return CapsPtr::adopt(gst_caps_from_string(caps.c_str())); }

void set_caps(GstElement* element, const std::string& caps) {
  CapsPtr c = caps_from_string(caps);
  if (!c) throw Error(Errc::internal, "bad caps: " + caps);
  g_object_set(element, "caps", c.get(), nullptr);
}

std::string take_string(gchar* s) {
  CharPtr owned(s);
  return s ? std::string(s) : std::string();
}

PadPtr static_pad(GstElement* element, const char* name) {
  return PadPtr::adopt(gst_element_get_static_pad(element, name));
}

namespace {
MessageText parse(GstMessage* msg, void (*fn)(GstMessage*, GError**, gchar**)) {
  GError* err = nullptr;
  gchar* dbg = nullptr;
  fn(msg, &err, &dbg);
  ErrorPtr e(err);
  MessageText t;
  t.debug = take_string(dbg);
  t.message = e && e->message ? e->message : "unknown error";
  if (e) {
    t.domain = e->domain;
    t.code = e->code;
  }
  return t;
}
}  // namespace

MessageText parse_error(GstMessage* msg) { return parse(msg, &gst_message_parse_error); }
MessageText parse_warning(GstMessage* msg) { return parse(msg, &gst_message_parse_warning); }

RequestPad RequestPad::request(GstElement* element, const char* templ, const char* name, GstCaps* caps) {
  RequestPad r;
  GstPadTemplate* t = gst_element_get_pad_template(element, templ);  // borrowed
  if (!t) return r;
  r.pad_ = PadPtr::adopt(gst_element_request_pad(element, t, name, caps));
  if (r.pad_) r.element_ = ElementPtr::ref(element);
  return r;
}

void remove_and_stop_async(GstBin* bin, ElementPtr child) {
  if (!child) return;
  gst_element_set_locked_state(child.get(), TRUE);
  gst_bin_remove(bin, child.get());  // unlinks it
  // call_async holds its own reference on the element until the call has run.
  gst_element_call_async(
      child.get(), [](GstElement* e, gpointer) { gst_element_set_state(e, GST_STATE_NULL); }, nullptr, nullptr);
}

}  // namespace camrelay::gst
