#pragma once
// The media layers (gst, media, camera) are below the service: only media, camera, service
// and app include their headers. camrelay_gst and camrelay_camera define CAMRELAY_MEDIA_LAYER
// for whoever links them, and camrelay_service links them PRIVATE, so the HTTP layer — which
// links the service only — stops here instead of reaching around the service
// (docs/architecture.md, "Modules and link graph").
#ifndef CAMRELAY_MEDIA_LAYER
#error "camrelay/gst, camrelay/media and camrelay/camera are private to the layers below the service: use the service's API (camrelay/service/*.hpp) instead"
#endif
