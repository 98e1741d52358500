/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs: a WASI command built with wasi-libc that exercises files and
 * directories in its preopens and tries to escape them.  Expected layout
 * (made by the test driver; "outside" is a sibling of "sandbox" on the host):
 *   /sandbox (read-write)  data.txt = "hello", subdir/, link_in -> data.txt,
 *                          link_out -> ../outside/secret.txt,
 *                          link_abs -> <absolute host path of outside/secret.txt>,
 *                          link_dir_out -> ..
 *   /ro (read-only)        ro.txt = "read only"
 * Prints one line per failed check and a summary "fs: N passed, N failed";
 * the exit code is the number of failures.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond)                                                                                          \
  do {                                                                                                       \
    if (cond) {                                                                                              \
      passed++;                                                                                              \
    } else {                                                                                                 \
      failed++;                                                                                              \
      printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, #cond, errno, strerror(errno));                   \
    }                                                                                                        \
  } while (0)

/* The call fails with exactly `e`. */
#define FAILS_WITH(call, e)                                                                                  \
  do {                                                                                                       \
    errno = 0;                                                                                               \
    long r_ = (long)(call);                                                                                  \
    if (r_ == -1 && errno == (e)) {                                                                          \
      passed++;                                                                                              \
    } else {                                                                                                 \
      failed++;                                                                                              \
      printf("FAIL line %d: %s gave %ld errno %d (%s), expected errno %d\n", __LINE__, #call, r_, errno,     \
             strerror(errno), (e));                                                                          \
      if (r_ >= 0 && strstr(#call, "open")) close((int)r_);                                                  \
    }                                                                                                        \
  } while (0)

static char *slurp(const char *path) {
  static char buf[256];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return NULL;
  buf[n] = 0;
  return buf;
}

static int spit(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void files(void) {
  char *s = slurp("/sandbox/data.txt");
  CHECK(s && !strcmp(s, "hello"));
  CHECK(spit("/sandbox/new.txt", "0123456789") == 0);
  s = slurp("/sandbox/new.txt");
  CHECK(s && !strcmp(s, "0123456789"));

  int fd = open("/sandbox/new.txt", O_RDWR);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == 10 && S_ISREG(st.st_mode));
  CHECK(lseek(fd, 4, SEEK_SET) == 4);
  char b[8] = {0};
  CHECK(read(fd, b, 3) == 3 && !memcmp(b, "456", 3));
  CHECK(lseek(fd, 0, SEEK_CUR) == 7);
  CHECK(lseek(fd, -2, SEEK_END) == 8);
  CHECK(pwrite(fd, "AB", 2, 1) == 2);
  CHECK(pread(fd, b, 4, 0) == 4 && !memcmp(b, "0AB3", 4));
  CHECK(lseek(fd, 0, SEEK_CUR) == 8); /* pread/pwrite leave the position alone */
  CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
  CHECK(close(fd) == 0);
  FAILS_WITH(close(fd), EBADF);

  fd = open("/sandbox/new.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && write(fd, "zz", 2) == 2);
  close(fd);
  s = slurp("/sandbox/new.txt");
  CHECK(s && !strcmp(s, "0AB34zz"));

  FAILS_WITH(open("/sandbox/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  FAILS_WITH(open("/sandbox/missing.txt", O_RDONLY), ENOENT);
  FAILS_WITH(open("/sandbox/data.txt/x", O_RDONLY), ENOTDIR);
  FAILS_WITH(open("/sandbox/subdir", O_WRONLY), EISDIR);
  CHECK(stat("/sandbox/new.txt", &st) == 0 && st.st_size == 7);
  CHECK(access("/sandbox/new.txt", F_OK) == 0);
}

static int has_entry(const char *dir, const char *name) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int found = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (!strcmp(e->d_name, name)) found = 1;
  closedir(d);
  return found;
}

static void dirs(void) {
  CHECK(mkdir("/sandbox/made", 0755) == 0);
  FAILS_WITH(mkdir("/sandbox/made", 0755), EEXIST);
  CHECK(spit("/sandbox/made/f", "x") == 0);
  CHECK(has_entry("/sandbox", "made") == 1);
  CHECK(has_entry("/sandbox", "data.txt") == 1);
  CHECK(has_entry("/sandbox/made", "f") == 1);
  FAILS_WITH(rmdir("/sandbox/made"), ENOTEMPTY);
  CHECK(rename("/sandbox/made/f", "/sandbox/made/g") == 0);
  CHECK(has_entry("/sandbox/made", "g") == 1 && has_entry("/sandbox/made", "f") == 0);
  CHECK(unlink("/sandbox/made/g") == 0);
  FAILS_WITH(unlink("/sandbox/made/g"), ENOENT);
  FAILS_WITH(unlink("/sandbox/made"), EISDIR);
  CHECK(rmdir("/sandbox/made") == 0);
  CHECK(has_entry("/sandbox", "made") == 0);

  /* Many entries: fd_readdir across several buffers. */
  CHECK(mkdir("/sandbox/many", 0755) == 0);
  char name[64];
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "/sandbox/many/entry-with-a-longish-name-%03d", i);
    spit(name, "");
  }
  DIR *d = opendir("/sandbox/many");
  int count = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.') count++;
  if (d) closedir(d);
  CHECK(count == 300);

  CHECK(symlink("data.txt", "/sandbox/made_link") == 0);
  char t[64] = {0};
  CHECK(readlink("/sandbox/made_link", t, sizeof t) == 8 && !memcmp(t, "data.txt", 8));
  char *s = slurp("/sandbox/made_link");
  CHECK(s && !strcmp(s, "hello"));
  s = slurp("/sandbox/link_in");
  CHECK(s && !strcmp(s, "hello"));
  struct stat st;
  CHECK(lstat("/sandbox/made_link", &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(unlink("/sandbox/made_link") == 0);
  CHECK(link("/sandbox/data.txt", "/sandbox/hard.txt") == 0);
  s = slurp("/sandbox/hard.txt");
  CHECK(s && !strcmp(s, "hello"));
  CHECK(unlink("/sandbox/hard.txt") == 0);
  CHECK(chdir("/sandbox/subdir") == 0);
  CHECK(spit("rel.txt", "rel") == 0);
  s = slurp("/sandbox/subdir/rel.txt");
  CHECK(s && !strcmp(s, "rel"));
}

static void escapes(void) {
  char buf[64];
  FAILS_WITH(open("/sandbox/../outside/secret.txt", O_RDONLY), EPERM);
  FAILS_WITH(open("/sandbox/subdir/../../outside/secret.txt", O_RDONLY), EPERM);
  FAILS_WITH(open("/sandbox/link_out", O_RDONLY), EPERM);
  FAILS_WITH(open("/sandbox/link_abs", O_RDONLY), EPERM);
  FAILS_WITH(open("/sandbox/link_dir_out/outside/secret.txt", O_RDONLY), EPERM);
  FAILS_WITH(open("/sandbox/..", O_RDONLY | O_DIRECTORY), EPERM);
  FAILS_WITH(open("/sandbox/link_out", O_RDONLY | O_NOFOLLOW), ELOOP);
  /* Not under any preopen: wasi-libc itself refuses, the host never sees it. */
  FAILS_WITH(open("/etc/passwd", O_RDONLY), ENOTCAPABLE);
  FAILS_WITH(open("/sandbox/../outside/new.txt", O_WRONLY | O_CREAT, 0644), EPERM);
  FAILS_WITH(open("/sandbox/link_out", O_WRONLY | O_TRUNC), EPERM);
  struct stat st;
  FAILS_WITH(stat("/sandbox/link_out", &st), EPERM);
  FAILS_WITH(stat("/sandbox/../outside/secret.txt", &st), EPERM);
  CHECK(lstat("/sandbox/link_out", &st) == 0 && S_ISLNK(st.st_mode)); /* the link itself is inside */
  FAILS_WITH(mkdir("/sandbox/../outside/newdir", 0755), EPERM);
  FAILS_WITH(rmdir("/sandbox/../outside"), EPERM);
  FAILS_WITH(unlink("/sandbox/../outside/secret.txt"), EPERM);
  FAILS_WITH(unlink("/sandbox/link_dir_out/outside/secret.txt"), EPERM);
  CHECK(spit("/sandbox/movable.txt", "m") == 0);
  FAILS_WITH(rename("/sandbox/movable.txt", "/sandbox/../outside/stolen.txt"), EPERM);
  FAILS_WITH(rename("/sandbox/movable.txt", "/sandbox/link_dir_out/stolen.txt"), EPERM);
  FAILS_WITH(rename("/sandbox/../outside/secret.txt", "/sandbox/stolen.txt"), EPERM);
  FAILS_WITH(link("/sandbox/../outside/secret.txt", "/sandbox/hard_secret"), EPERM);
  FAILS_WITH(symlink("/etc/passwd", "/sandbox/abs_link"), EPERM);
  FAILS_WITH(symlink("x", "/sandbox/../outside/evil_link"), EPERM);
  FAILS_WITH(readlink("/sandbox/../outside/secret.txt", buf, sizeof buf), EPERM);
  FAILS_WITH(opendir("/sandbox/..") ? 0 : -1, EPERM);
  /* A link inside that points out is harmless until followed, and following is refused. */
  CHECK(symlink("../outside/secret.txt", "/sandbox/made_out") == 0);
  FAILS_WITH(open("/sandbox/made_out", O_RDONLY), EPERM);
  CHECK(unlink("/sandbox/made_out") == 0);
}

static void read_only(void) {
  char *s = slurp("/ro/ro.txt");
  CHECK(s && !strcmp(s, "read only"));
  FAILS_WITH(open("/ro/ro.txt", O_WRONLY), EPERM);
  FAILS_WITH(open("/ro/ro.txt", O_RDWR), EPERM);
  FAILS_WITH(open("/ro/new.txt", O_WRONLY | O_CREAT, 0644), EPERM);
  FAILS_WITH(open("/ro/ro.txt", O_RDONLY | O_TRUNC), EPERM);
  FAILS_WITH(mkdir("/ro/d", 0755), EPERM);
  FAILS_WITH(unlink("/ro/ro.txt"), EPERM);
  FAILS_WITH(rename("/ro/ro.txt", "/ro/moved.txt"), EPERM);
  FAILS_WITH(rename("/ro/ro.txt", "/sandbox/moved.txt"), EPERM);
  FAILS_WITH(symlink("ro.txt", "/ro/l"), EPERM);
  CHECK(has_entry("/ro", "ro.txt") == 1);
}

int main(void) {
  files();
  dirs();
  escapes();
  read_only();
  printf("fs: %d passed, %d failed\n", passed, failed);
  return failed;
}
