/* plugin.c — registers the elements of the "cnn" plugin.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>

#include "gstcnnclassify.h"
#include "gstcnnoverlay.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (cnnclassify, plugin);

  ok &= GST_ELEMENT_REGISTER (cnnoverlay, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, cnn,
    "CNN image classification on the CPU with ONNX models",
    plugin_init, VERSION, "LGPL", PACKAGE_NAME, GST_PACKAGE_ORIGIN)
