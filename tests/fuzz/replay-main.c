/* replay-main.c — runs the fuzz target on files and directories given on the command line,
 * without libFuzzer, so regressions replay under gcc's -fsanitize=address,undefined too.
 *
 *     fuzz-model-replay tests/fuzz/regressions/ some-crash-file
 *
 * A sanitizer report or an abort in the target ends the process with a non-zero status.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
replay_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  unsigned char *data = NULL;
  long size;
  int status = 1;

  if (f == NULL) {
    perror (path);
    return 1;
  }
  if (fseek (f, 0, SEEK_END) != 0 || (size = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) != 0)
    goto done;
  /* A separate allocation of exactly `size` bytes, so ASan catches reads past the end. */
  if ((data = malloc (size > 0 ? (size_t) size : 1)) == NULL)
    goto done;
  if (size > 0 && fread (data, 1, (size_t) size, f) != (size_t) size)
    goto done;
  fprintf (stderr, "replay: %s (%ld bytes)\n", path, size);
  LLVMFuzzerTestOneInput (data, (size_t) size);
  status = 0;

done:
  if (status != 0)
    fprintf (stderr, "replay: cannot read %s\n", path);
  free (data);
  fclose (f);
  return status;
}

static int
replay_path (const char *path)
{
  struct stat st;
  struct dirent **entries = NULL;
  int n, failures = 0;

  if (stat (path, &st) != 0) {
    perror (path);
    return 1;
  }
  if (!S_ISDIR (st.st_mode))
    return replay_file (path);

  /* Sorted, so a replay is reproducible. */
  n = scandir (path, &entries, NULL, alphasort);
  if (n < 0) {
    perror (path);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    const char *name = entries[i]->d_name;
    if (name[0] != '.') {
      size_t len = strlen (path) + strlen (name) + 2;
      char *child = malloc (len);
      if (child == NULL) {
        failures++;
      } else {
        snprintf (child, len, "%s/%s", path, name);
        if (stat (child, &st) == 0 && S_ISREG (st.st_mode))
          failures += replay_file (child);
        free (child);
      }
    }
    free (entries[i]);
  }
  free (entries);
  return failures;
}

int
main (int argc, char **argv)
{
  int failures = 0;

  if (argc < 2) {
    fprintf (stderr, "Usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    failures += replay_path (argv[i]);
  return failures != 0;
}
