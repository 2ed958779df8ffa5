// Built by the ctest test `layering.http_cannot_include_media`, which expects this file NOT
// to compile: the HTTP layer links the service only, and the media headers refuse to be
// included without CAMRELAY_MEDIA_LAYER (include/camrelay/gst/layer.hpp).
#include "camrelay/media/stream.hpp"

int camrelay_layering_probe() { return 0; }
