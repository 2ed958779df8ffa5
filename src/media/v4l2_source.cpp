// Local V4L2 camera: v4l2src → (jpegdec for MJPEG cameras) → videoconvert → I420 →
// x264enc (zerolatency, constrained-baseline) → the stream's h264parse.
//
// The device's formats are read with VIDIOC_ENUM_FMT before building: MJPEG is preferred
// when offered (USB cameras deliver 720p30 only that way), else raw. A missing device, a
// busy one, or one that cannot capture is reported with a clear message.
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/encoder.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"
#include "source.hpp"

namespace camrelay::media {
namespace {

struct DeviceFormats {
  bool mjpeg = false;
  bool raw = false;
  bool h264 = false;
};

// Opens the device and lists its capture formats. Throws Error with a readable message.
DeviceFormats probe_device(const std::string& dev) {
  struct stat st {};
  if (::stat(dev.c_str(), &st) != 0) {
    if (errno == ENOENT) throw Error(Errc::not_found, dev + ": no such device");
    throw Error(Errc::unavailable, fmt::format("{}: {}", dev, std::strerror(errno)));
  }
  if (!S_ISCHR(st.st_mode)) throw Error(Errc::invalid_argument, dev + ": not a video device");
  int fd = ::open(dev.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == EBUSY) throw Error(Errc::conflict, dev + ": busy (used by another program)");
    if (e == EACCES) throw Error(Errc::unavailable, dev + ": permission denied (add the user to group 'video')");
    throw Error(Errc::unavailable, fmt::format("{}: {}", dev, std::strerror(e)));
  }
  DeviceFormats f;
  v4l2_capability cap{};
  if (::ioctl(fd, VIDIOC_QUERYCAP, &cap) != 0) {
    ::close(fd);
    throw Error(Errc::invalid_argument, dev + ": not a V4L2 device");
  }
  const unsigned caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
    ::close(fd);
    throw Error(Errc::invalid_argument, dev + ": not a video capture device");
  }
  for (unsigned i = 0; i < 64; ++i) {
    v4l2_fmtdesc d{};
    d.index = i;
    d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (::ioctl(fd, VIDIOC_ENUM_FMT, &d) != 0) break;
    if (d.pixelformat == V4L2_PIX_FMT_MJPEG || d.pixelformat == V4L2_PIX_FMT_JPEG) f.mjpeg = true;
    else if (d.pixelformat == V4L2_PIX_FMT_H264) f.h264 = true;
    else if (!(d.flags & V4L2_FMT_FLAG_COMPRESSED)) f.raw = true;
  }
  ::close(fd);
  if (!f.mjpeg && !f.raw) throw Error(Errc::invalid_argument, dev + ": offers neither raw nor MJPEG video");
  return f;
}

class V4l2Source final : public Source {
 public:
  explicit V4l2Source(config::V4l2Source c) : c_(std::move(c)) {}

  void build(GstBin* pipe, GstElement* sink, GstElement* /*audio_sink: no audio*/) override {
    const DeviceFormats f = probe_device(c_.device);
    mjpeg_ = f.mjpeg;
    auto src = gst::make_element("v4l2src");
    g_object_set(src.get(), "device", c_.device.c_str(), "do-timestamp", TRUE, nullptr);
    auto incaps = gst::make_element("capsfilter");
    gst::set_caps(incaps.get(), fmt::format("{},width={},height={},framerate={}/1",
                                       mjpeg_ ? "image/jpeg" : "video/x-raw", c_.width, c_.height, c_.fps));
    gst::ElementPtr dec;
    if (mjpeg_) dec = gst::make_element("jpegdec");
    auto conv = gst::make_element("videoconvert");
    auto rawcaps = gst::make_element("capsfilter");
    gst::set_caps(rawcaps.get(), "video/x-raw,format=I420");
    auto enc = make_h264_encoder(*config::own_encoding(config::Source(c_)), "encoder");

    GstElement* chain[] = {src.get(), incaps.get(), dec.get(), conv.get(), rawcaps.get(), enc.get()};
    GstElement* prev = nullptr;
    for (GstElement* e : chain) {
      if (!e) continue;
      gst_bin_add(pipe, e);
      if (prev && !gst_element_link(prev, e)) throw Error(Errc::internal, "v4l2 source: cannot link elements");
      prev = e;
    }
    if (!gst_element_link(prev, sink)) throw Error(Errc::internal, "v4l2 source: cannot link to parser");
    src_name_ = GST_OBJECT_NAME(src.get());
  }

  bool honours_keyframe_requests() const override { return true; }

  // Device errors at run time (unplugged, busy, unsupported size) → a clear failure.
  bool handle_error(GstMessage* msg) override {
    if (src_name_.empty() || src_name_ != GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) return false;
    const gst::MessageText e = gst::parse_error(msg);  // domain 0: the element gave no GError
    std::string why;
    if (e.domain == GST_RESOURCE_ERROR && e.code == GST_RESOURCE_ERROR_BUSY) {
      why = c_.device + ": busy (used by another program)";
    } else if (e.domain == GST_RESOURCE_ERROR && e.code == GST_RESOURCE_ERROR_NOT_FOUND) {
      why = c_.device + ": no such device";
    } else if (e.domain == GST_CORE_ERROR && e.code == GST_CORE_ERROR_NEGOTIATION) {
      why = fmt::format("{}: cannot capture {}x{}@{} as {} (list the modes with v4l2-ctl --list-formats-ext)",
                        c_.device, c_.width, c_.height, c_.fps, mjpeg_ ? "MJPEG" : "raw video");
    } else {
      why = fmt::format("{}: {}", c_.device, e.domain ? e.message : "device error");
    }
    if (events_.failed) events_.failed(why);
    return true;
  }

  std::string describe() const override {
    return fmt::format("v4l2 {} {}x{}@{} {} kbps ({} {}, preset {})", c_.device, c_.width, c_.height, c_.fps,
                       c_.bitrate_kbps, c_.encoder, c_.profile, c_.preset);
  }

 private:
  config::V4l2Source c_;
  bool mjpeg_ = false;
  std::string src_name_;
};

}  // namespace

std::unique_ptr<Source> make_v4l2_source(const config::Config&, const config::Camera&,
                                        const config::V4l2Source& c) {
  return std::make_unique<V4l2Source>(c);
}

}  // namespace camrelay::media
