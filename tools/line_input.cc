// Copyright 2026 The Wayback Authors.

#include "tools/line_input.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"

namespace wayback::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kReadSize = 1 << 20;

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::Status(
      errno == ENOENT ? absl::StatusCode::kNotFound
                      : absl::StatusCode::kInternal,
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

LineInput::LineInput(LineInput&& o) noexcept { *this = std::move(o); }

LineInput& LineInput::operator=(LineInput&& o) noexcept {
  if (this != &o) {
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    owns_fd_ = o.owns_fd_;
    follow_ = o.follow_;
    is_stdin_ = o.is_stdin_;
    device_ = o.device_;
    inode_ = o.inode_;
    buf_offset_ = o.buf_offset_;
    buf_ = std::move(o.buf_);
    start_ = o.start_;
    eof_ = o.eof_;
    draining_rotated_ = o.draining_rotated_;
    carry_ = std::move(o.carry_);
    carried_ = std::move(o.carried_);
    notes_ = std::move(o.notes_);
    o.fd_ = -1;
    o.owns_fd_ = false;
  }
  return *this;
}

LineInput::~LineInput() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

absl::StatusOr<LineInput> LineInput::Open(const std::string& path) {
  LineInput in;
  in.path_ = path;
  if (path == "-") {
    in.fd_ = STDIN_FILENO;
    in.is_stdin_ = true;
    return in;
  }
  in.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.fd_ < 0) return Errno("cannot open input file", path);
  in.owns_fd_ = true;
  return in;
}

absl::StatusOr<LineInput> LineInput::Follow(
    const std::string& path, const std::optional<InputPosition>& resume,
    std::string* note) {
  LineInput in;
  in.path_ = path;
  in.follow_ = true;
  auto open_at = [&](const std::string& p, uint64_t offset) -> absl::Status {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("cannot open input file", p);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return Errno("cannot stat input file", p);
    }
    if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
      ::close(fd);
      return Errno("cannot seek in input file", p);
    }
    in.fd_ = fd;
    in.owns_fd_ = true;
    in.device_ = st.st_dev;
    in.inode_ = st.st_ino;
    in.buf_offset_ = offset;
    return absl::OkStatus();
  };
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists) return Errno("cannot open input file", path);
  if (resume) {
    if (st.st_dev == resume->device && st.st_ino == resume->inode) {
      if (static_cast<uint64_t>(st.st_size) >= resume->offset) {
        absl::Status s = open_at(path, resume->offset);
        if (!s.ok()) return s;
        *note = absl::StrCat("resuming ", path, " at byte ", resume->offset);
        return in;
      }
      *note = absl::StrCat(path, " is shorter (", st.st_size,
                           " bytes) than the saved offset ", resume->offset,
                           ": it was truncated; reading it from the start");
      absl::Status s = open_at(path, 0);
      if (!s.ok()) return s;
      return in;
    }
    // Rotated away: look for the saved file beside the new one.
    std::error_code ec;
    const fs::path dir = fs::path(path).parent_path().empty()
                             ? fs::path(".")
                             : fs::path(path).parent_path();
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      struct stat es;
      if (::stat(entry.path().c_str(), &es) != 0) continue;
      if (es.st_dev == resume->device && es.st_ino == resume->inode &&
          static_cast<uint64_t>(es.st_size) >= resume->offset) {
        absl::Status s = open_at(entry.path().string(), resume->offset);
        if (!s.ok()) return s;
        in.draining_rotated_ = true;
        *note = absl::StrCat(path, " was rotated to ", entry.path().string(),
                             ": reading the rest of it from byte ",
                             resume->offset, ", then ", path);
        return in;
      }
    }
    *note = absl::StrCat(
        "the file read last (inode ", resume->inode, ") is gone; reading ",
        path,
        " from the start (lines already archived are recognised by position)");
  }
  absl::Status s = open_at(path, 0);
  if (!s.ok()) return s;
  return in;
}

InputPosition LineInput::position() const {
  return InputPosition{device_, inode_, buf_offset_ + start_};
}

std::string LineInput::TakeNotes() {
  std::string n = std::move(notes_);
  notes_.clear();
  return n;
}

absl::Status LineInput::Fill(absl::Duration wait, bool* got, bool* eof) {
  *got = false;
  *eof = false;
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_offset_ += start_;
    buf_.erase(0, start_);
    start_ = 0;
  }
  if (is_stdin_ || !follow_) {
    if (is_stdin_) {
      struct pollfd p = {fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait)));
      if (r < 0 && errno != EINTR) return Errno("cannot poll", path_);
      if (r <= 0) return absl::OkStatus();  // Nothing yet (or a signal).
    }
  }
  const size_t old = buf_.size();
  buf_.resize(old + kReadSize);
  ssize_t n;
  do {
    n = ::read(fd_, buf_.data() + old, kReadSize);
  } while (n < 0 && errno == EINTR && !is_stdin_);
  if (n < 0) {
    buf_.resize(old);
    if (errno == EINTR) return absl::OkStatus();
    return Errno("cannot read", path_);
  }
  buf_.resize(old + static_cast<size_t>(n));
  if (n > 0) {
    *got = true;
    return absl::OkStatus();
  }
  *eof = true;
  return absl::OkStatus();
}

absl::Status LineInput::CheckRotation(bool* switched) {
  *switched = false;
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();  // Between rename and create.
    return Errno("cannot stat input file", path_);
  }
  const uint64_t at = buf_offset_ + buf_.size();
  if (!draining_rotated_ && st.st_dev == device_ && st.st_ino == inode_) {
    if (static_cast<uint64_t>(st.st_size) < at) {
      // Truncated in place (copytruncate): start again from its beginning.
      absl::StrAppend(&notes_, path_, " was truncated to ", st.st_size,
                      " bytes; reading it from the start\n");
      if (::lseek(fd_, 0, SEEK_SET) < 0) return Errno("cannot seek", path_);
      buf_.clear();
      start_ = 0;
      buf_offset_ = 0;
      *switched = true;
    }
    return absl::OkStatus();
  }
  // A new file under the name: the old one has been read to its end (the
  // caller saw EOF), so a partial last line of it is complete as it stands.
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("cannot open input file", path_);
  }
  struct stat nst;
  if (::fstat(fd, &nst) != 0) {
    ::close(fd);
    return Errno("cannot stat input file", path_);
  }
  absl::StrAppend(&notes_,
                  draining_rotated_ ? "finished the rotated file; now reading "
                                    : "input rotated; now reading the new ",
                  path_, "\n");
  if (owns_fd_) ::close(fd_);
  fd_ = fd;
  owns_fd_ = true;
  device_ = nst.st_dev;
  inode_ = nst.st_ino;
  buf_offset_ = 0;
  // A partial last line of the old file is a line of its own (a producer
  // that died mid-line), never glued to the new file's first.
  if (start_ < buf_.size()) carry_ = buf_.substr(start_);
  buf_.clear();
  start_ = 0;
  draining_rotated_ = false;
  *switched = true;
  return absl::OkStatus();
}

absl::StatusOr<LineInput::Result> LineInput::Next(std::string_view* line,
                                                  absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  while (true) {
    if (carry_) {
      carried_ = std::move(*carry_);
      carry_.reset();
      if (!carried_.empty() && carried_.back() == '\r') carried_.pop_back();
      *line = carried_;
      return Result::kLine;
    }
    const size_t nl = buf_.find('\n', start_);
    if (nl != std::string::npos) {
      size_t end = nl;
      if (end > start_ && buf_[end - 1] == '\r') --end;
      *line = std::string_view(buf_).substr(start_, end - start_);
      start_ = nl + 1;
      return Result::kLine;
    }
    if (eof_) {
      if (start_ < buf_.size()) {
        // A last line without a newline.
        size_t end = buf_.size();
        if (buf_[end - 1] == '\r') --end;
        *line = std::string_view(buf_).substr(start_, end - start_);
        start_ = buf_.size();
        return Result::kLine;
      }
      return Result::kEnd;
    }
    bool got, eof;
    absl::Status s = Fill(deadline - absl::Now(), &got, &eof);
    if (!s.ok()) return s;
    if (got) continue;
    if (eof && !follow_) {
      eof_ = true;
      continue;
    }
    if (eof && follow_) {
      bool switched;
      s = CheckRotation(&switched);
      if (!s.ok()) return s;
      if (switched) continue;
    }
    if (absl::Now() >= deadline) return Result::kIdle;
    // Stdin polls with the wait itself; a followed file sleeps a little.
    if (follow_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(
          50, absl::ToInt64Milliseconds(deadline - absl::Now()) + 1)));
    } else if (!got && !eof) {
      return Result::kIdle;
    }
  }
}

}  // namespace wayback::cli
