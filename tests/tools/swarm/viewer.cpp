// Sequence-number counting shared by both receivers (viewer.hpp).
#include "viewer.hpp"

namespace swarm {

int64_t extend_seq(int64_t ext_max, uint16_t seq) {
  int64_t ext = (ext_max & ~int64_t(0xffff)) | seq;
  if (ext < ext_max - 0x8000) ext += 0x10000;
  else if (ext > ext_max + 0x8000) ext -= 0x10000;
  return ext;
}

bool SeqCount::add(uint16_t seq, bool marker) {
  bool gap = false;
  int64_t ext = seq;
  if (ext_max < 0) {
    ext_first = ext_max = ext;
  } else {
    ext = extend_seq(ext_max, seq);
    if (ext > ext_max + 1) {
      ++gaps;
      gap = true;
    }
    if (ext > ext_max) ext_max = ext;
  }
  ++packets;
  if (marker) ++frames;
  return gap;
}

}  // namespace swarm
