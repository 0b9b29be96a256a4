// Copyright 2026 The Wayback Authors.
//
// A repository in a local directory. Object names map to relative paths under
// the root (ValidateObjectName on every call keeps them inside it).
//
// fsync discipline, so that "durable" in storage.h holds across power loss:
//  - Create(): write "<name>.<random>.tmp", fsync it, move it into place
//    without overwriting (renameat2 RENAME_NOREPLACE, or link()+unlink() where
//    the file system lacks it), fsync the directory.
//  - Directories created on the way are fsynced into their parents.
//  - OpenAppendable(): O_APPEND; Sync() is fdatasync, plus an fsync of the
//    directory on the first Sync() after the file was created (a new file's
//    directory entry is not made durable by fdatasync of the file).
//  - Rename(): RENAME_NOREPLACE, then fsync of both directories.
//  - Lock(): flock() on a lock file, which excludes other open file
//    descriptions, i.e. other processes and other Lock() calls in this one.
//
// Temporaries: a writer holds an flock() on its "<name>.<random>.tmp" from
// creation to Close(), so RemoveStaleTemporaries() can tell the temporary of
// a writer that died (no lock, and not modified for min_age) from one still
// being written (locked), in this process or any other. Nothing removes them
// implicitly: a crashed writer's temporary stays (reported by the catalog as
// a stray object, ignored by readers) until the owner asks.

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "src/util/errors.h"
#include "wayback/status.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Closes a descriptor, retrying nothing: after EINTR the descriptor is gone on
// Linux, and a failed close after fsync loses no synced data.
void CloseFd(int fd) {
  if (fd >= 0) ::close(fd);
}

absl::Status FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY);
  if (fd < 0) return IoError("open directory", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  CloseFd(fd);
  if (rc != 0) return IoError("fsync directory", path, err);
  return absl::OkStatus();
}

// mkdir -p for `dir`, fsyncing each new directory into its parent.
absl::Status MakeDirs(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(dir, ": exists and is not a directory"));
  }
  if (errno != ENOENT) return IoError("stat", dir, errno);
  std::string parent = Dirname(dir);
  if (parent != dir) WAYBACK_RETURN_IF_ERROR(MakeDirs(parent));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("mkdir", dir, errno);
  }
  return FsyncPath(parent);
}

absl::Status WriteFully(int fd, std::string_view data,
                        const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Moves `from` to `to` atomically, failing with kAlreadyExists instead of
// replacing an existing `to`.
absl::Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(),
                  RENAME_NOREPLACE) == 0) {
    return absl::OkStatus();
  }
  int err = errno;
  if (err != EINVAL && err != ENOSYS && err != ENOTSUP) {
    return IoError(absl::StrCat("rename ", from, " to"), to, err);
  }
  // The file system has no RENAME_NOREPLACE: link() also refuses to replace.
  if (::link(from.c_str(), to.c_str()) != 0) {
    return IoError(absl::StrCat("link ", from, " to"), to, errno);
  }
  if (::unlink(from.c_str()) != 0) return IoError("unlink", from, errno);
  return absl::OkStatus();
}

class LocalReadable : public ReadableObject {
 public:
  LocalReadable(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~LocalReadable() override { CloseFd(fd_); }
  uint64_t size() const override { return size_; }
  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                          char* scratch) const override {
    if (offset >= size_) return std::string_view(scratch, 0);
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    size_t done = 0;
    while (done < want) {
      ssize_t got = ::pread(fd_, scratch + done, want - done,
                            static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return IoError(absl::StrCat("read at offset ", offset + done, " of"),
                       path_, errno);
      }
      if (got == 0) {
        // The file is shorter than when opened: never a silent short read.
        return absl::InternalError(absl::StrCat(path_, ": file shrank below ",
                                                size_, " bytes (end at ",
                                                offset + done, ")"));
      }
      done += static_cast<size_t>(got);
    }
    return std::string_view(scratch, want);
  }

 private:
  const std::string path_;
  const int fd_;
  const uint64_t size_;
};

class LocalWriter : public ObjectWriter {
 public:
  LocalWriter(std::string path, std::string tmp_path, int fd)
      : path_(std::move(path)), tmp_path_(std::move(tmp_path)), fd_(fd) {}
  ~LocalWriter() override {
    if (fd_ >= 0) {
      CloseFd(fd_);
      ::unlink(tmp_path_.c_str());
    }
  }
  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed();
    // Small appends are batched: writers emit many block-sized pieces.
    if (buffer_.size() + data.size() > kBufferSize) {
      WAYBACK_RETURN_IF_ERROR(Flush());
      if (data.size() >= kBufferSize) return WriteFully(fd_, data, tmp_path_);
    }
    buffer_.append(data);
    return absl::OkStatus();
  }
  absl::Status Close() override {
    if (fd_ < 0) return Closed();
    absl::Status s = Publish();
    CloseFd(fd_);
    fd_ = -1;
    if (!s.ok()) ::unlink(tmp_path_.c_str());
    return s;
  }

 private:
  static constexpr size_t kBufferSize = 1 << 20;
  absl::Status Closed() const {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": writer already closed"));
  }
  absl::Status Flush() {
    absl::Status s = WriteFully(fd_, buffer_, tmp_path_);
    buffer_.clear();
    return s;
  }
  absl::Status Publish() {
    WAYBACK_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return IoError("fsync", tmp_path_, errno);
    WAYBACK_RETURN_IF_ERROR(RenameNoReplace(tmp_path_, path_));
    return FsyncPath(Dirname(path_));
  }

  const std::string path_;
  const std::string tmp_path_;
  int fd_;
  std::string buffer_;
};

class LocalAppendable : public AppendableObject {
 public:
  LocalAppendable(std::string path, int fd, uint64_t size, bool created)
      : path_(std::move(path)),
        fd_(fd),
        size_(size),
        dir_sync_pending_(created) {}
  ~LocalAppendable() override { CloseFd(fd_); }
  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed();
    absl::Status s = WriteFully(fd_, data, path_);
    if (!s.ok()) {
      // Part of the data may have reached the file: learn the true size so
      // that size() does not lie.
      struct stat st;
      if (::fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
      return s;
    }
    size_ += data.size();
    return absl::OkStatus();
  }
  absl::Status Sync() override {
    if (fd_ < 0) return Closed();
    if (::fdatasync(fd_) != 0) return IoError("fdatasync", path_, errno);
    if (dir_sync_pending_) {
      WAYBACK_RETURN_IF_ERROR(FsyncPath(Dirname(path_)));
      dir_sync_pending_ = false;
    }
    return absl::OkStatus();
  }
  uint64_t size() const override { return size_; }
  absl::Status Close() override {
    if (fd_ < 0) return Closed();
    absl::Status s = Sync();
    CloseFd(fd_);
    fd_ = -1;
    return s;
  }

 private:
  absl::Status Closed() const {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": appendable object already closed"));
  }
  const std::string path_;
  int fd_;
  uint64_t size_;
  bool dir_sync_pending_;
};

class LocalLock : public StorageLock {
 public:
  explicit LocalLock(int fd) : fd_(fd) {}
  // Closing the descriptor releases the flock.
  ~LocalLock() override { CloseFd(fd_); }

 private:
  const int fd_;
};

class LocalStorage : public Storage {
 public:
  explicit LocalStorage(std::string root) : root_(std::move(root)) {}

  std::string uri() const override { return root_; }
  StorageCapabilities capabilities() const override {
    return {.append = true, .rename = true, .lock = true};
  }

  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override {
    WAYBACK_ASSIGN_OR_RETURN(std::string path, PathOf(name));
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return IoError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      CloseFd(fd);
      return IoError("fstat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
      CloseFd(fd);
      return absl::NotFoundError(absl::StrCat(path, ": not a regular file"));
    }
    return std::make_unique<LocalReadable>(std::move(path), fd,
                                           static_cast<uint64_t>(st.st_size));
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    WAYBACK_ASSIGN_OR_RETURN(std::string path, PathOf(name));
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return IoError("stat", path, errno);
    if (!S_ISREG(st.st_mode)) {
      return absl::NotFoundError(absl::StrCat(path, ": not a regular file"));
    }
    return ObjectInfo{std::string(name), static_cast<uint64_t>(st.st_size),
                      absl::TimeFromTimespec(st.st_mtim)};
  }

  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    // Walk only the directory the prefix names ("log/seg-" -> "log/").
    std::string dir_part;
    size_t slash = prefix.rfind('/');
    if (slash != std::string_view::npos) {
      dir_part = std::string(prefix.substr(0, slash));
      // A prefix whose directory part is not a valid name matches nothing
      // valid (and must not make us walk outside the root).
      if (!ValidateObjectName(dir_part).ok()) return std::vector<ObjectInfo>{};
    }
    std::vector<ObjectInfo> out;
    WAYBACK_RETURN_IF_ERROR(Walk(dir_part, prefix, &out));
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) {
                return a.name < b.name;
              });
    return out;
  }

  absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) override {
    WAYBACK_ASSIGN_OR_RETURN(std::string path, PathOf(name));
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("create ", path, ": exists"));
    }
    WAYBACK_RETURN_IF_ERROR(MakeDirs(Dirname(path)));
    uint64_t nonce;
    {
      absl::MutexLock lock(&rng_mu_);
      nonce = absl::Uniform<uint64_t>(bitgen_);
    }
    std::string tmp = absl::StrFormat("%s.%016x.tmp", path, nonce);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return IoError("create", tmp, errno);
    // Marks the temporary as in use until the descriptor closes (see the top
    // of this file). Cannot block: nobody else has opened this new file yet
    // except a RemoveStaleTemporaries() that will find it too young.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      CloseFd(fd);
      ::unlink(tmp.c_str());
      return IoError("flock", tmp, err);
    }
    return std::make_unique<LocalWriter>(std::move(path), std::move(tmp), fd);
  }

  absl::Status Delete(std::string_view name) override {
    WAYBACK_ASSIGN_OR_RETURN(std::string path, PathOf(name));
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return absl::OkStatus();
      return IoError("unlink", path, errno);
    }
    return FsyncPath(Dirname(path));
  }

  absl::StatusOr<std::unique_ptr<AppendableObject>> OpenAppendable(
      std::string_view name, const AppendableOptions& options) override {
    WAYBACK_ASSIGN_OR_RETURN(std::string path, PathOf(name));
    WAYBACK_RETURN_IF_ERROR(MakeDirs(Dirname(path)));
    bool created = true;
    int fd = ::open(
        path.c_str(),
        O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == EEXIST && !options.must_create) {
      created = false;
      fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) return IoError("open for append", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      CloseFd(fd);
      return IoError("fstat", path, err);
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (!created && options.truncate_to != UINT64_MAX) {
      if (options.truncate_to > size) {
        CloseFd(fd);
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": cannot truncate to ", options.truncate_to,
                         " bytes, the file has only ", size));
      }
      if (::ftruncate(fd, static_cast<off_t>(options.truncate_to)) != 0 ||
          ::fsync(fd) != 0) {
        int err = errno;
        CloseFd(fd);
        return IoError("truncate", path, err);
      }
      size = options.truncate_to;
    }
    return std::make_unique<LocalAppendable>(std::move(path), fd, size,
                                             created);
  }

  absl::Status Rename(std::string_view from, std::string_view to) override {
    WAYBACK_ASSIGN_OR_RETURN(std::string from_path, PathOf(from));
    WAYBACK_ASSIGN_OR_RETURN(std::string to_path, PathOf(to));
    WAYBACK_RETURN_IF_ERROR(MakeDirs(Dirname(to_path)));
    WAYBACK_RETURN_IF_ERROR(RenameNoReplace(from_path, to_path));
    WAYBACK_RETURN_IF_ERROR(FsyncPath(Dirname(to_path)));
    if (Dirname(from_path) != Dirname(to_path)) {
      WAYBACK_RETURN_IF_ERROR(FsyncPath(Dirname(from_path)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> RemoveStaleTemporaries(
      std::string_view prefix, absl::Duration min_age) override {
    WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed, List(prefix));
    const absl::Time now = absl::Now();
    std::vector<std::string> removed;
    for (const ObjectInfo& o : listed) {
      if (o.name.size() < 4 || o.name.compare(o.name.size() - 4, 4, ".tmp")) {
        continue;
      }
      WAYBACK_ASSIGN_OR_RETURN(std::string path, PathOf(o.name));
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) {
        if (errno == ENOENT) continue;  // Published or removed meanwhile.
        return IoError("open", path, errno);
      }
      std::unique_ptr<int, void (*)(int*)> closer(&fd,
                                                  [](int* f) { CloseFd(*f); });
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) continue;  // A live writer's.
        return IoError("flock", path, errno);
      }
      struct stat st;
      if (::fstat(fd, &st) != 0) return IoError("fstat", path, errno);
      const absl::Time modified = absl::TimeFromTimespec(st.st_mtim);
      if (now - modified < min_age) continue;
      // Still holding its lock, so no writer can be using it now; a writer
      // that published it since we opened it renamed it away (ENOENT).
      if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) continue;
        return IoError("unlink", path, errno);
      }
      WAYBACK_RETURN_IF_ERROR(FsyncPath(Dirname(path)));
      removed.push_back(o.name);
    }
    return removed;
  }

  absl::StatusOr<std::unique_ptr<StorageLock>> Lock(
      std::string_view name) override {
    WAYBACK_ASSIGN_OR_RETURN(std::string path, PathOf(name));
    WAYBACK_RETURN_IF_ERROR(MakeDirs(Dirname(path)));
    int fd =
        ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return IoError("open lock file", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      std::string holder(256, '\0');
      ssize_t n = ::pread(fd, holder.data(), holder.size(), 0);
      holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
      while (!holder.empty() && holder.back() == '\n') holder.pop_back();
      CloseFd(fd);
      if (err == EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat("lock ", path, " is held by another owner (",
                         holder.empty() ? "unknown" : holder, ")"));
      }
      return IoError("flock", path, err);
    }
    // Record the holder for the message a second owner gets. Best effort:
    // the flock, not the contents, is the lock.
    std::string me = absl::StrCat("pid ", ::getpid(), "\n");
    if (::ftruncate(fd, 0) == 0) {
      (void)!::pwrite(fd, me.data(), me.size(), 0);
    }
    return std::make_unique<LocalLock>(fd);
  }

 private:
  // The path of an object. Besides the name rules, refuses a name whose
  // path crosses a symbolic link inside the root: a repository holding a
  // link ("log" -> "/etc") must not make us read or write outside it. (The
  // final component is opened with O_NOFOLLOW for the same reason.)
  absl::StatusOr<std::string> PathOf(std::string_view name) const {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string path = absl::StrCat(root_, "/", AV(name));
    for (size_t slash = path.find('/', root_.size() + 1);
         slash != std::string::npos; slash = path.find('/', slash + 1)) {
      const std::string dir = path.substr(0, slash);
      struct stat st;
      if (::lstat(dir.c_str(), &st) != 0) break;  // Absent: nothing to follow.
      if (S_ISLNK(st.st_mode)) {
        return absl::InvalidArgumentError(absl::StrCat(
            dir, ": is a symbolic link; refusing to follow it out of ", root_));
      }
    }
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": is a symbolic link; refusing to follow it"));
    }
    return path;
  }

  // Appends every regular file under root_/rel whose object name starts with
  // `prefix`.
  absl::Status Walk(const std::string& rel, std::string_view prefix,
                    std::vector<ObjectInfo>* out) const {
    std::string dir = rel.empty() ? root_ : absl::StrCat(root_, "/", rel);
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
      return IoError("opendir", dir, errno);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> closer(d, &::closedir);
    while (true) {
      errno = 0;
      struct dirent* e = ::readdir(d);
      if (e == nullptr) {
        if (errno != 0) return IoError("readdir", dir, errno);
        break;
      }
      std::string_view base = e->d_name;
      if (base == "." || base == "..") continue;
      std::string name =
          rel.empty() ? std::string(base) : absl::StrCat(rel, "/", AV(base));
      std::string path = absl::StrCat(root_, "/", name);
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // Deleted while we listed.
        return IoError("stat", path, errno);
      }
      if (S_ISDIR(st.st_mode)) {
        // Descend only where names under this directory can match.
        std::string as_prefix = name + "/";
        size_t n = std::min(as_prefix.size(), prefix.size());
        if (as_prefix.compare(0, n, prefix.substr(0, n)) == 0) {
          WAYBACK_RETURN_IF_ERROR(Walk(name, prefix, out));
        }
      } else if (S_ISREG(st.st_mode) &&
                 std::string_view(name).substr(0, prefix.size()) == prefix) {
        out->push_back({std::move(name), static_cast<uint64_t>(st.st_size)});
      }
    }
    return absl::OkStatus();
  }

  const std::string root_;
  absl::Mutex rng_mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(rng_mu_);  // For temporary names.
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenLocalStorage(
    std::string_view root_dir, bool create) {
  if (root_dir.empty()) {
    return absl::InvalidArgumentError("local storage: empty directory name");
  }
  std::string root(root_dir);
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.front() != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof(cwd)) == nullptr) {
      return IoError("getcwd for", root, errno);
    }
    root = absl::StrCat(cwd, "/", root);
  }
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    if (errno != ENOENT) return IoError("stat", root, errno);
    if (!create) {
      return absl::NotFoundError(
          absl::StrCat(root, ": repository directory does not exist"));
    }
    WAYBACK_RETURN_IF_ERROR(MakeDirs(root));
  } else if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(root, ": not a directory"));
  }
  return std::make_unique<LocalStorage>(std::move(root));
}

}  // namespace wayback
