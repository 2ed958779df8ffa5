#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// The layout of a composed camera (config::CompositeSource): where each input's tile goes.
// Pure arithmetic, unit-tested; the source itself is composite_source.cpp.
#include <vector>

#include "camrelay/config/config.hpp"

namespace camrelay::media {

struct Tile {
  int x = 0, y = 0, width = 0, height = 0;
  int border = 0;  // a white frame this wide around the tile (the PIP inset)
};

// One tile per input, in the order of `inputs`: "pip" → the main picture over the whole
// frame, then the inset (scale × the frame, even sizes, in its corner with a margin);
// "grid" → N×N cells row by row (the frame divided evenly, even sizes).
std::vector<Tile> composite_tiles(const config::CompositeSource& c);

}  // namespace camrelay::media
