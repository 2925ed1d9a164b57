// Snapshot upload and restore over the stand-in repository.
#include "tree.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopia_standin {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr std::size_t kChunk = 4 * 1024 * 1024;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::string sys_error(const std::string& what, const fs::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

std::string mode_text(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode & 07777));
  return buf;
}

mode_t parse_mode(const json& entry) {
  if (!entry.contains("mode")) return 0;
  return static_cast<mode_t>(std::stoul(entry.at("mode").get<std::string>(), nullptr, 8));
}

// A read() that retries on EINTR and fills the buffer unless the file ends.
ssize_t read_full(int fd, char* buf, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, buf + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

std::string upload_file(Repository& repo, const fs::path& path) {
  Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) throw Error(sys_error("unable to open", path));
  std::vector<std::string> ids;
  std::vector<std::size_t> lengths;
  std::string buf(kChunk, '\0');
  for (;;) {
    const ssize_t n = read_full(in.fd, buf.data(), buf.size());
    if (n < 0) throw Error(sys_error("unable to read", path));
    if (n == 0 && !ids.empty()) break;
    ids.push_back(repo.put(std::string_view(buf.data(), static_cast<std::size_t>(n))));
    lengths.push_back(static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < buf.size()) break;
  }
  if (ids.size() == 1) return ids.front();
  json entries = json::array();
  std::size_t start = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    entries.push_back({{"s", start}, {"l", lengths[i]}, {"o", ids[i]}});
    start += lengths[i];
  }
  return "I" + repo.put(json{{"stream", "kopia:indirect"}, {"entries", entries}}.dump());
}

json base_entry(const std::string& name, const char* type, const struct stat& st) {
  json e = {{"name", name}, {"type", type}};
  if ((st.st_mode & 07777) != 0) e["mode"] = mode_text(st.st_mode);
  if (st.st_size != 0 && !S_ISDIR(st.st_mode)) e["size"] = static_cast<std::int64_t>(st.st_size);
  e["mtime"] = format_time(st.st_mtim);
  if (st.st_uid != 0) e["uid"] = st.st_uid;
  if (st.st_gid != 0) e["gid"] = st.st_gid;
  return e;
}

struct Summary {
  std::int64_t size = 0, files = 0, symlinks = 0, dirs = 1;
  timespec max_time{0, 0};
  void touch(const timespec& t) {
    if (t.tv_sec > max_time.tv_sec ||
        (t.tv_sec == max_time.tv_sec && t.tv_nsec > max_time.tv_nsec)) {
      max_time = t;
    }
  }
  json to_json() const {
    return {{"size", size},
            {"files", files},
            {"symlinks", symlinks},
            {"dirs", dirs},
            {"maxTime", format_time(max_time)},
            {"numFailed", 0}};
  }
};

json upload_dir(Repository& repo, const fs::path& dir, const struct stat& dir_st,
                UploadStats& stats) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) throw Error("unable to read directory " + dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  ++stats.dir_count;
  Summary summary;
  summary.touch(dir_st.st_mtim);
  json entries = json::array();
  for (const auto& name : names) {
    const fs::path child = dir / name;
    struct stat st {};
    if (::lstat(child.c_str(), &st) != 0) throw Error(sys_error("unable to stat", child));
    if (S_ISDIR(st.st_mode)) {
      json e = upload_dir(repo, child, st, stats);
      const json& s = e.at("summ");
      summary.size += s.at("size").get<std::int64_t>();
      summary.files += s.at("files").get<std::int64_t>();
      summary.symlinks += s.at("symlinks").get<std::int64_t>();
      summary.dirs += s.at("dirs").get<std::int64_t>();
      summary.touch(parse_time(s.at("maxTime").get<std::string>()));
      entries.push_back(std::move(e));
    } else if (S_ISREG(st.st_mode)) {
      json e = base_entry(name, "f", st);
      e["obj"] = upload_file(repo, child);
      summary.size += st.st_size;
      ++summary.files;
      summary.touch(st.st_mtim);
      stats.total_size += st.st_size;
      ++stats.file_count;
      entries.push_back(std::move(e));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      const ssize_t n = ::readlink(child.c_str(), target.data(), target.size());
      if (n < 0) throw Error(sys_error("unable to read link", child));
      target.resize(static_cast<std::size_t>(n));
      json e = base_entry(name, "s", st);
      e["obj"] = repo.put(target);
      ++summary.symlinks;
      entries.push_back(std::move(e));
    }
    // Sockets, FIFOs and devices are skipped, as kopia does.
  }
  const json object = {
      {"stream", "kopia:directory"}, {"entries", entries}, {"summary", summary.to_json()}};
  json e = base_entry(dir.filename().string(), "d", dir_st);
  e["obj"] = "k" + repo.put(object.dump());
  e["summ"] = summary.to_json();
  return e;
}

std::string object_content(const Repository& repo, const std::string& obj) {
  if (!obj.empty() && obj[0] == 'I') {
    const json index = json::parse(repo.get(obj.substr(1)));
    std::string out;
    for (const auto& part : index.at("entries")) out += repo.get(part.at("o").get<std::string>());
    return out;
  }
  return repo.get(obj);
}

void write_file_object(const Repository& repo, const std::string& obj, const fs::path& path,
                       RestoreStats& stats) {
  std::vector<std::string> chunks;
  if (!obj.empty() && obj[0] == 'I') {
    const json index = json::parse(repo.get(obj.substr(1)));
    for (const auto& part : index.at("entries")) {
      chunks.push_back(part.at("o").get<std::string>());
    }
  } else {
    chunks.push_back(obj);
  }
  Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (out.fd < 0) throw Error(sys_error("unable to create", path));
  for (const auto& id : chunks) {
    const std::string data = repo.get(id);
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(out.fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(sys_error("unable to write", path));
      done += static_cast<std::size_t>(n);
    }
    stats.bytes += static_cast<std::int64_t>(data.size());
  }
}

void apply_attributes(const json& entry, const fs::path& path, bool symlink) {
  if (::geteuid() == 0) {
    const uid_t uid = entry.value("uid", 0U);
    const gid_t gid = entry.value("gid", 0U);
    if (::lchown(path.c_str(), uid, gid) != 0) throw Error(sys_error("unable to chown", path));
  }
  if (!symlink && ::chmod(path.c_str(), parse_mode(entry)) != 0) {
    throw Error(sys_error("unable to chmod", path));
  }
  const timespec mtime = parse_time(entry.at("mtime").get<std::string>());
  const timespec times[2] = {mtime, mtime};
  if (::utimensat(AT_FDCWD, path.c_str(), times, symlink ? AT_SYMLINK_NOFOLLOW : 0) != 0) {
    throw Error(sys_error("unable to set times on", path));
  }
}

void restore_dir(const Repository& repo, const std::string& obj, const fs::path& target,
                 RestoreStats& stats) {
  const json dir = json::parse(repo.get(obj.substr(1)));
  for (const auto& entry : dir.at("entries")) {
    const std::string name = entry.at("name").get<std::string>();
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      throw Error("invalid entry name in snapshot: '" + name + "'");
    }
    const fs::path path = target / name;
    const std::string type = entry.at("type").get<std::string>();
    const std::string child = entry.at("obj").get<std::string>();
    std::error_code ec;
    if (type == "d") {
      if (!fs::is_directory(fs::symlink_status(path, ec))) {
        fs::remove_all(path, ec);
        if (::mkdir(path.c_str(), 0700) != 0) throw Error(sys_error("unable to create", path));
      }
      restore_dir(repo, child, path, stats);
      ++stats.dirs;
    } else if (type == "f") {
      if (fs::is_directory(fs::symlink_status(path, ec)) || fs::is_symlink(path, ec)) {
        fs::remove_all(path, ec);
      }
      write_file_object(repo, child, path, stats);
      ++stats.files;
    } else if (type == "s") {
      fs::remove_all(path, ec);
      if (::symlink(object_content(repo, child).c_str(), path.c_str()) != 0) {
        throw Error(sys_error("unable to create symlink", path));
      }
      ++stats.symlinks;
    } else {
      continue;
    }
    apply_attributes(entry, path, type == "s");
  }
}

}  // namespace

std::string format_time(const timespec& t) {
  std::tm tm{};
  gmtime_r(&t.tv_sec, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (t.tv_nsec != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09ld", static_cast<long>(t.tv_nsec));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

timespec parse_time(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) throw Error("invalid timestamp: " + text);
  timespec t{timegm(&tm), 0};
  if (*rest == '.') {
    ++rest;
    long nanos = 0;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (*rest - '0');
        ++digits;
      }
      ++rest;
    }
    while (digits++ < 9) nanos *= 10;
    t.tv_nsec = nanos;
  }
  if (std::string(rest) != "Z") throw Error("invalid timestamp: " + text);
  return t;
}

timespec now() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

json upload_tree(Repository& repo, const fs::path& dir, UploadStats& stats) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw Error(sys_error("unable to get local filesystem entry", dir));
  if (!S_ISDIR(st.st_mode)) throw Error("snapshot source must be a directory: " + dir.string());
  return upload_dir(repo, dir, st, stats);
}

void restore_tree(const Repository& repo, const json& root_entry, const fs::path& target,
                  RestoreStats& stats) {
  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) throw Error("unable to create " + target.string() + ": " + ec.message());
  const std::string obj = root_entry.at("obj").get<std::string>();
  if (obj.empty() || obj[0] != 'k') throw Error("snapshot root is not a directory: " + obj);
  restore_dir(repo, obj, target, stats);
  ++stats.dirs;
  apply_attributes(root_entry, target, false);
}

void collect_references(const Repository& repo, const std::string& obj,
                        std::set<std::string>& out) {
  if (obj.empty()) return;
  if (obj[0] == 'k') {
    const std::string id = obj.substr(1);
    if (!out.insert(id).second) return;          // shared subtree, already walked
    const json dir = json::parse(repo.get(id));  // named: a temporary would die before the loop
    for (const auto& entry : dir.at("entries")) {
      collect_references(repo, entry.at("obj").get<std::string>(), out);
    }
  } else if (obj[0] == 'I') {
    const std::string id = obj.substr(1);
    out.insert(id);
    const json index = json::parse(repo.get(id));
    for (const auto& part : index.at("entries")) {
      out.insert(part.at("o").get<std::string>());
    }
  } else {
    out.insert(obj);
  }
}

}  // namespace kopia_standin
