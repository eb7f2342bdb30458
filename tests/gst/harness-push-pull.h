/* harness-push-pull.h — one frame through a GstHarness, for the element tests.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef HARNESS_PUSH_PULL_H
#define HARNESS_PUSH_PULL_H

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

/* Sets caps from @info, pushes @buf (taken) and returns what comes out. */
static inline GstBuffer *
push_pull (GstHarness * h, const GstVideoInfo * info, GstBuffer * buf)
{
  GstBuffer *out;

  gst_harness_set_src_caps (h, gst_video_info_to_caps (info));
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  return out;
}

#endif /* HARNESS_PUSH_PULL_H */
