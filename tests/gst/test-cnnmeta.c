/* test-cnnmeta.c — GstCnnClassificationMeta: add, sort, accessors, copies.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

GST_START_TEST (test_add_and_get)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  GstCnnClassificationMeta *meta;
  const GstCnnClassificationEntry *e;

  fail_unless (gst_buffer_get_cnn_classification_meta (buf) == NULL);

  meta = gst_buffer_add_cnn_classification_meta (buf, "net", 1234);
  fail_unless (meta != NULL);
  fail_unless (gst_buffer_get_cnn_classification_meta (buf) == meta);
  fail_unless (gst_buffer_get_meta (buf, GST_CNN_CLASSIFICATION_META_API_TYPE) ==
      (GstMeta *) meta);
  fail_unless_equals_string (gst_cnn_classification_meta_get_model_name (meta), "net");
  fail_unless_equals_uint64 (gst_cnn_classification_meta_get_inference_time (meta), 1234);
  fail_unless_equals_int (gst_cnn_classification_meta_get_n_entries (meta), 0);
  fail_unless (gst_cnn_classification_meta_get_entry (meta, 0) == NULL);

  /* Out of order on purpose: entries come back sorted, ties in insertion order. */
  gst_cnn_classification_meta_add_entry (meta, 3, "cat", 0.25f);
  gst_cnn_classification_meta_add_entry (meta, 7, "dog", 0.5f);
  gst_cnn_classification_meta_add_entry (meta, 1, NULL, 0.125f);
  gst_cnn_classification_meta_add_entry (meta, 9, "fox", 0.25f);
  gst_cnn_classification_meta_add_entry (meta, 4, "owl", 0.75f);

  fail_unless_equals_int (meta->n_entries, 5);
  {
    const gint ids[] = { 4, 7, 3, 9, 1 };
    const gchar *labels[] = { "owl", "dog", "cat", "fox", "1" };
    guint i;

    for (i = 0; i < 5; i++) {
      e = gst_cnn_classification_meta_get_entry (meta, i);
      fail_unless (e != NULL);
      fail_unless_equals_int (e->class_id, ids[i]);
      fail_unless_equals_string (e->label, labels[i]);
      fail_unless (e == &meta->entries[i]);
    }
  }
  fail_unless (gst_cnn_classification_meta_get_entry (meta, 5) == NULL);

  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_no_tags)
{
  const GstMetaInfo *info = gst_cnn_classification_meta_get_info ();

  /* Untagged metas are the ones videoconvert / videoscale / GstBaseTransform keep. */
  fail_unless (gst_meta_api_type_get_tags (GST_CNN_CLASSIFICATION_META_API_TYPE) == NULL);
  fail_unless (info->api == GST_CNN_CLASSIFICATION_META_API_TYPE);
  fail_unless (gst_meta_get_info ("GstCnnClassificationMeta") == info);
}

GST_END_TEST;

GST_START_TEST (test_copy)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL), *copy, *region;
  GstCnnClassificationMeta *meta, *cmeta;

  meta = gst_buffer_add_cnn_classification_meta (buf, "net", 42);
  /* Unknown until set: which frame the result came from and how long before. */
  fail_unless_equals_uint64 (gst_cnn_classification_meta_get_source_pts (meta),
      GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (gst_cnn_classification_meta_get_age (meta),
      GST_CLOCK_TIME_NONE);
  gst_cnn_classification_meta_set_source (meta, 7 * GST_SECOND, 100 * GST_MSECOND);
  gst_cnn_classification_meta_add_entry (meta, 2, "two", 0.9f);
  gst_cnn_classification_meta_add_entry (meta, 5, "five", 0.1f);

  copy = gst_buffer_copy (buf);
  cmeta = gst_buffer_get_cnn_classification_meta (copy);
  fail_unless (cmeta != NULL);
  fail_unless (cmeta != meta);
  fail_unless_equals_string (cmeta->model_name, "net");
  fail_unless (cmeta->model_name != meta->model_name);
  fail_unless_equals_uint64 (cmeta->inference_time, 42);
  fail_unless_equals_uint64 (gst_cnn_classification_meta_get_source_pts (cmeta),
      7 * GST_SECOND);
  fail_unless_equals_uint64 (gst_cnn_classification_meta_get_age (cmeta), 100 * GST_MSECOND);
  fail_unless_equals_int (cmeta->n_entries, 2);
  fail_unless_equals_int (cmeta->entries[0].class_id, 2);
  fail_unless_equals_string (cmeta->entries[0].label, "two");
  fail_unless (cmeta->entries[0].label != meta->entries[0].label);
  fail_unless_equals_float (cmeta->entries[0].confidence, 0.9f);
  fail_unless_equals_string (cmeta->entries[1].label, "five");

  /* The copy owns its strings: freeing the original leaves it intact. */
  gst_buffer_unref (buf);
  fail_unless_equals_string (cmeta->entries[1].label, "five");

  /* A byte range of a frame is not a picture: the result does not follow it. */
  region = gst_buffer_copy_region (copy, GST_BUFFER_COPY_ALL, 4, 8);
  fail_unless (gst_buffer_get_cnn_classification_meta (region) == NULL);
  gst_buffer_unref (region);

  gst_buffer_unref (copy);
}

GST_END_TEST;

GST_START_TEST (test_many_entries)
{
  GstBuffer *buf = gst_buffer_new ();
  GstCnnClassificationMeta *meta;
  guint i;

  meta = gst_buffer_add_cnn_classification_meta (buf, NULL, GST_CLOCK_TIME_NONE);
  fail_unless (meta->model_name == NULL);
  for (i = 0; i < 1000; i++)
    gst_cnn_classification_meta_add_entry (meta, i, NULL, (gfloat) ((i * 37) % 1000));
  fail_unless_equals_int (meta->n_entries, 1000);
  for (i = 1; i < 1000; i++)
    fail_unless (meta->entries[i - 1].confidence >= meta->entries[i].confidence);
  fail_unless_equals_float (meta->entries[0].confidence, 999.0f);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* Region results: one meta per region and model; the whole-frame getter skips them. */
GST_START_TEST (test_regions)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL), *copy;
  GstCnnClassificationMeta *r1, *r2, *frame, *r1b;

  r1 = gst_buffer_add_cnn_classification_meta_full (buf, "age", 10, 1);
  r2 = gst_buffer_add_cnn_classification_meta_full (buf, "age", 20, 2);
  fail_unless (gst_buffer_get_cnn_classification_meta (buf) == NULL);
  frame = gst_buffer_add_cnn_classification_meta (buf, "scene", 30);
  r1b = gst_buffer_add_cnn_classification_meta_full (buf, "gender", 40, 1);
  gst_cnn_classification_meta_add_entry (r1b, 0, "f", 0.75f);

  fail_unless_equals_int (gst_cnn_classification_meta_get_roi_id (frame), -1);
  fail_unless_equals_int (gst_cnn_classification_meta_get_roi_id (r2), 2);
  fail_unless (gst_buffer_get_cnn_classification_meta (buf) == frame);
  fail_unless (gst_buffer_get_cnn_classification_meta_for_region (buf, -1, NULL) == frame);
  fail_unless (gst_buffer_get_cnn_classification_meta_for_region (buf, 1, "age") == r1);
  fail_unless (gst_buffer_get_cnn_classification_meta_for_region (buf, 1, "gender") ==
      r1b);
  fail_unless (gst_buffer_get_cnn_classification_meta_for_region (buf, 2, NULL) == r2);
  fail_unless (gst_buffer_get_cnn_classification_meta_for_region (buf, 2, "gender") ==
      NULL);
  fail_unless (gst_buffer_get_cnn_classification_meta_for_region (buf, 3, NULL) == NULL);

  fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (buf), 4);
  fail_unless (gst_buffer_get_nth_cnn_classification_meta (buf, 4) == NULL);
  {
    guint i, seen = 0;

    for (i = 0; i < 4; i++) {
      GstCnnClassificationMeta *m = gst_buffer_get_nth_cnn_classification_meta (buf, i);

      seen |= (m == r1) << 0 | (m == r2) << 1 | (m == frame) << 2 | (m == r1b) << 3;
    }
    fail_unless_equals_int (seen, 0xf);
  }

  /* Copies keep the region ids. */
  copy = gst_buffer_copy (buf);
  fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (copy), 4);
  r1b = gst_buffer_get_cnn_classification_meta_for_region (copy, 1, "gender");
  fail_unless (r1b != NULL);
  fail_unless_equals_string (gst_cnn_classification_meta_get_entry (r1b, 0)->label, "f");
  fail_unless (gst_buffer_get_cnn_classification_meta (copy) != NULL);
  gst_buffer_unref (copy);
  gst_buffer_unref (buf);
}

GST_END_TEST;

static Suite *
cnnmeta_suite (void)
{
  Suite *s = suite_create ("cnnmeta");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_add_and_get);
  tcase_add_test (tc, test_no_tags);
  tcase_add_test (tc, test_copy);
  tcase_add_test (tc, test_many_entries);
  tcase_add_test (tc, test_regions);
  return s;
}

GST_CHECK_MAIN (cnnmeta);
