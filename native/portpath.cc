// portpath's native shim: Linux syscalls and their marshalling, nothing else. Packets, control messages and
// error-queue records cross into JavaScript as raw bytes; src/transport/ parses them. The JS interface is
// NativeBinding in src/transport/native.ts.
//
// Errors: every failed syscall throws an Error "<syscall>: <strerror>" with `code` ('EPERM'), `errno` (negative,
// as in Node's own errors and the poll callback's status) and `syscall`. Wrong argument types throw a TypeError.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include <climits>
#include <cmath>
#include <string>
#include <vector>

namespace {

constexpr size_t kDataSize = 65536;
constexpr size_t kControlSize = 1024;

// ---- errors ------------------------------------------------------------------------------------------------

// An N-API call of the shim itself failed: make sure JavaScript sees an exception, then unwind.
napi_value napi_failed(napi_env env) {
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  std::string message = info != nullptr && info->error_message != nullptr ? info->error_message : "N-API call failed";
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_PORTPATH_NATIVE", message.c_str());
  return nullptr;
}

#define CHECK(call)                                 \
  do {                                              \
    if ((call) != napi_ok) return napi_failed(env); \
  } while (0)

// The errno name ('EHOSTUNREACH'): libuv knows the common ones, glibc the rest.
std::string errno_name(int err) {
  char buffer[64];
  std::string name = uv_err_name_r(-err, buffer, sizeof buffer);
  if (name.rfind("Unknown", 0) == 0) {
    const char* glibc = strerrorname_np(err);
    if (glibc != nullptr) name = glibc;
  }
  return name;
}

// Throws Error("<syscall>: <strerror(err)>") with code, errno and syscall; err is a positive errno.
napi_value throw_errno(napi_env env, const char* syscall, int err) {
  char text[256];
  std::string message = std::string(syscall) + ": " + strerror_r(err, text, sizeof text);
  std::string name = errno_name(err);
  napi_value code, msg, error, number, call;
  CHECK(napi_create_string_utf8(env, name.c_str(), NAPI_AUTO_LENGTH, &code));
  CHECK(napi_create_string_utf8(env, message.c_str(), NAPI_AUTO_LENGTH, &msg));
  CHECK(napi_create_error(env, code, msg, &error));
  CHECK(napi_create_int32(env, -err, &number));
  CHECK(napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &call));
  CHECK(napi_set_named_property(env, error, "errno", number));
  CHECK(napi_set_named_property(env, error, "syscall", call));
  napi_throw(env, error);
  return nullptr;
}

bool throw_type(napi_env env, const char* what) {
  std::string message = std::string("The argument ") + what;
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message.c_str());
  return false;
}

// ---- arguments ---------------------------------------------------------------------------------------------

template <size_t N>
bool get_args(napi_env env, napi_callback_info info, napi_value (&argv)[N], napi_value* self = nullptr) {
  size_t argc = N;
  return napi_get_cb_info(env, info, &argc, argv, self, nullptr) == napi_ok;  // missing ones are undefined
}

napi_valuetype type_of(napi_env env, napi_value value) {
  napi_valuetype type = napi_undefined;
  napi_typeof(env, value, &type);
  return type;
}

// A whole 32-bit number, or a RangeError: napi_get_value_int32 alone would turn NaN into 0 (stdin, as an fd) and
// wrap values past 32 bits into some other descriptor or length.
bool get_int(napi_env env, napi_value value, const char* what, int32_t* out) {
  if (type_of(env, value) != napi_number) return throw_type(env, what);
  double number = 0;
  if (napi_get_value_double(env, value, &number) != napi_ok) return false;
  if (!std::isfinite(number) || std::trunc(number) != number || number < INT32_MIN || number > INT32_MAX) {
    std::string message = std::string("The argument ") + what + ", a whole 32-bit number; got " + std::to_string(number);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message.c_str());
    return false;
  }
  *out = static_cast<int32_t>(number);
  return true;
}

bool throw_range(napi_env env, const char* message) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
  return false;
}

bool get_family(napi_env env, napi_value value, int* out) {
  int32_t family = 0;
  if (!get_int(env, value, "family must be 4 or 6", &family)) return false;
  if (family != 4 && family != 6) return throw_type(env, "family must be 4 or 6");
  *out = family == 4 ? AF_INET : AF_INET6;
  return true;
}

bool get_string(napi_env env, napi_value value, const char* what, std::string* out) {
  size_t length = 0;
  if (type_of(env, value) != napi_string) return throw_type(env, what);
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->assign(length, '\0');
  return napi_get_value_string_utf8(env, value, &(*out)[0], length + 1, &length) == napi_ok;
}

// Buffer or any Uint8Array; the bytes stay valid while the value is on the stack and no JavaScript runs (a getter
// could detach or shrink the memory), so callers take them after every property read. A detached buffer (its memory
// transferred away) is a TypeError, not a zero-length write.
bool get_bytes(napi_env env, napi_value value, const char* what, void** data, size_t* length) {
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return throw_type(env, what);
  bool is_typedarray = false, detached = false;
  if (napi_is_typedarray(env, value, &is_typedarray) == napi_ok && is_typedarray) {
    napi_value array_buffer;
    if (napi_get_typedarray_info(env, value, nullptr, nullptr, nullptr, &array_buffer, nullptr) != napi_ok ||
        napi_is_detached_arraybuffer(env, array_buffer, &detached) != napi_ok) {
      return false;
    }
  }
  if (detached) return throw_type(env, "the Buffer's memory is detached");
  return napi_get_buffer_info(env, value, data, length) == napi_ok;
}

// Text address + host-order port -> sockaddr. Bad text throws EINVAL from "inet_pton".
bool get_sockaddr(napi_env env, napi_value family_value, napi_value address_value, napi_value port_value,
                  sockaddr_storage* address, socklen_t* length) {
  int family = 0;
  int32_t port = 0;
  std::string text;
  if (!get_family(env, family_value, &family) || !get_string(env, address_value, "address must be a string", &text) ||
      !get_int(env, port_value, "port must be a number", &port)) {
    return false;
  }
  if (port < 0 || port > 65535) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "port must be 0..65535");
    return false;
  }
  *address = sockaddr_storage{};
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(address);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    *length = sizeof(sockaddr_in);
    if (inet_pton(AF_INET, text.c_str(), &in->sin_addr) == 1) return true;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(address);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    *length = sizeof(sockaddr_in6);
    if (inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) == 1) return true;
  }
  throw_errno(env, "inet_pton", EINVAL);
  return false;
}

// ---- results -----------------------------------------------------------------------------------------------

napi_value make_int(napi_env env, int64_t value) {
  napi_value result;
  CHECK(napi_create_int64(env, value, &result));
  return result;
}

napi_value undefined(napi_env env) {
  napi_value result;
  CHECK(napi_get_undefined(env, &result));
  return result;
}

napi_value null_value(napi_env env) {
  napi_value result;
  CHECK(napi_get_null(env, &result));
  return result;
}

int64_t realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// Sets obj.address and obj.port from a sockaddr ('' and 0 for none or a family other than IPv4/IPv6).
bool set_sockaddr(napi_env env, napi_value object, const sockaddr_storage* address, socklen_t length) {
  char text[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (address->ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    auto* in = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (address->ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  napi_value address_value, port_value;
  return napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address_value) == napi_ok &&
         napi_create_int32(env, port, &port_value) == napi_ok &&
         napi_set_named_property(env, object, "address", address_value) == napi_ok &&
         napi_set_named_property(env, object, "port", port_value) == napi_ok;
}

// ---- sockets -----------------------------------------------------------------------------------------------

napi_value Socket(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int family = 0;
  int32_t type = 0, protocol = 0;
  if (!get_args(env, info, argv) || !get_family(env, argv[0], &family) ||
      !get_int(env, argv[1], "type must be a number", &type) ||
      !get_int(env, argv[2], "protocol must be a number", &protocol)) {
    return nullptr;
  }
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return make_int(env, fd);
}

napi_value SetSockOpt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd = 0, level = 0, name = 0, number = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_int(env, argv[1], "level must be a number", &level) ||
      !get_int(env, argv[2], "name must be a number", &name)) {
    return nullptr;
  }
  const void* value = &number;
  size_t length = sizeof number;
  if (type_of(env, argv[3]) == napi_number) {
    CHECK(napi_get_value_int32(env, argv[3], &number));
  } else {
    void* bytes = nullptr;
    if (!get_bytes(env, argv[3], "value must be a number or a Buffer", &bytes, &length)) return nullptr;
    value = bytes;
  }
  if (setsockopt(fd, level, name, value, static_cast<socklen_t>(length)) < 0) {
    return throw_errno(env, "setsockopt", errno);
  }
  return undefined(env);
}

// Attaches a classic BPF program (SO_ATTACH_FILTER): `program` holds struct sock_filter entries (8 bytes each,
// host byte order), assembled in TypeScript (src/packet/bpf.ts). The kernel checks the program itself.
napi_value AttachFilter(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd = 0;
  void* bytes = nullptr;
  size_t length = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_bytes(env, argv[1], "program must be a Buffer", &bytes, &length)) {
    return nullptr;
  }
  if (length == 0 || length % sizeof(sock_filter) != 0 || length / sizeof(sock_filter) > BPF_MAXINSNS) {
    return throw_errno(env, "setsockopt", EINVAL);
  }
  std::vector<sock_filter> program(length / sizeof(sock_filter));
  memcpy(program.data(), bytes, length);
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = program.data();
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) return throw_errno(env, "setsockopt", errno);
  return undefined(env);
}

// getsockopt() for structures (TCP_INFO, ...): returns the bytes the kernel filled in, at most maxLength.
napi_value GetSockOptBuffer(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd = 0, level = 0, name = 0, max_length = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_int(env, argv[1], "level must be a number", &level) ||
      !get_int(env, argv[2], "name must be a number", &name) ||
      !get_int(env, argv[3], "maxLength must be a number", &max_length)) {
    return nullptr;
  }
  if (max_length <= 0 || max_length > 4096) return throw_errno(env, "getsockopt", EINVAL);
  std::vector<char> buffer(static_cast<size_t>(max_length));
  socklen_t length = static_cast<socklen_t>(max_length);
  if (getsockopt(fd, level, name, buffer.data(), &length) < 0) return throw_errno(env, "getsockopt", errno);
  napi_value result;
  CHECK(napi_create_buffer_copy(env, length, buffer.data(), nullptr, &result));
  return result;
}

// Drops every capability (effective, permitted, inheritable, ambient): after the sockets are open, a binary given
// cap_net_raw by setcap keeps nothing it could misuse.
// PR_SET_NO_NEW_PRIVS: no exec from here on can grant privileges (setuid bits, file capabilities).
napi_value SetNoNewPrivs(napi_env env, napi_callback_info) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return throw_errno(env, "prctl", errno);
  return undefined(env);
}

napi_value ClearCapabilities(napi_env env, napi_callback_info) {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2]{};
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    return throw_errno(env, "prctl", errno);
  }
  if (syscall(SYS_capset, &header, data) < 0) return throw_errno(env, "capset", errno);
  return undefined(env);
}

napi_value GetSockOptInt(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd = 0, level = 0, name = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_int(env, argv[1], "level must be a number", &level) ||
      !get_int(env, argv[2], "name must be a number", &name)) {
    return nullptr;
  }
  int value = 0;
  socklen_t length = sizeof value;
  if (getsockopt(fd, level, name, &value, &length) < 0) return throw_errno(env, "getsockopt", errno);
  return make_int(env, value);
}

// (fd, family, address, port): the arguments bind() and connect() share.
bool get_fd_and_sockaddr(napi_env env, napi_callback_info info, int32_t* fd, sockaddr_storage* address, socklen_t* length) {
  napi_value argv[4];
  return get_args(env, info, argv) && get_int(env, argv[0], "fd must be a number", fd) &&
         get_sockaddr(env, argv[1], argv[2], argv[3], address, length);
}

napi_value Bind(napi_env env, napi_callback_info info) {
  int32_t fd = 0;
  sockaddr_storage address;
  socklen_t length = 0;
  if (!get_fd_and_sockaddr(env, info, &fd, &address, &length)) return nullptr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) < 0) return throw_errno(env, "bind", errno);
  return undefined(env);
}

napi_value Connect(napi_env env, napi_callback_info info) {
  int32_t fd = 0;
  sockaddr_storage address;
  socklen_t length = 0;
  if (!get_fd_and_sockaddr(env, info, &fd, &address, &length)) return nullptr;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), length) == 0) return make_int(env, 0);
  int err = errno;
  if (err != EINPROGRESS) return throw_errno(env, "connect", err);
  napi_value pending;
  CHECK(napi_create_string_utf8(env, "EINPROGRESS", NAPI_AUTO_LENGTH, &pending));
  return pending;
}

napi_value GetSockName(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd)) return nullptr;
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) {
    return throw_errno(env, "getsockname", errno);
  }
  CHECK(napi_create_object(env, &result));
  if (!set_sockaddr(env, result, &address, length)) return napi_failed(env);
  return result;
}

// The data is copied: reading the next element's properties can run JavaScript that frees an earlier Buffer.
struct OutgoingControl {
  int32_t level = 0;
  int32_t type = 0;
  std::vector<unsigned char> data;
};

// Reads the optional cmsgs array of {level, type, data}; returns false with an exception pending.
bool get_controls(napi_env env, napi_value value, std::vector<OutgoingControl>* out) {
  napi_valuetype type = type_of(env, value);
  if (type == napi_undefined || type == napi_null) return true;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, value, &is_array) != napi_ok || !is_array) {
    return throw_type(env, "cmsgs must be an array of { level, type, data }");
  }
  if (napi_get_array_length(env, value, &count) != napi_ok) return false;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item, level, kind, data;
    OutgoingControl control;
    void* bytes = nullptr;
    size_t length = 0;
    if (napi_get_element(env, value, i, &item) != napi_ok) return false;
    if (type_of(env, item) != napi_object) return throw_type(env, "cmsgs must be an array of { level, type, data }");
    if (napi_get_named_property(env, item, "level", &level) != napi_ok ||
        napi_get_named_property(env, item, "type", &kind) != napi_ok ||
        napi_get_named_property(env, item, "data", &data) != napi_ok ||
        !get_int(env, level, "cmsg level must be a number", &control.level) ||
        !get_int(env, kind, "cmsg type must be a number", &control.type) ||
        !get_bytes(env, data, "cmsg data must be a Buffer", &bytes, &length)) {
      return false;
    }
    if (length > 256) return throw_range(env, "cmsg data is longer than 256 bytes");
    control.data.assign(static_cast<unsigned char*>(bytes), static_cast<unsigned char*>(bytes) + length);
    out->push_back(std::move(control));
  }
  return true;
}

napi_value SendTo(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd = 0;
  void* data = nullptr;
  size_t data_length = 0;
  sockaddr_storage address;
  socklen_t address_length = 0;
  std::vector<OutgoingControl> controls;
  // The payload's pointer last: the other arguments' reads can run JavaScript.
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_sockaddr(env, argv[2], argv[3], argv[4], &address, &address_length) ||
      !get_controls(env, argv[5], &controls) ||
      !get_bytes(env, argv[1], "data must be a Buffer", &data, &data_length)) {
    return nullptr;
  }

  iovec iov{data, data_length};
  msghdr message{};
  message.msg_name = &address;
  message.msg_namelen = address_length;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;

  size_t control_length = 0;
  for (const OutgoingControl& control : controls) control_length += CMSG_SPACE(control.data.size());
  // uint64_t elements keep the buffer aligned for cmsghdr; value-initialised so padding is zero.
  std::vector<uint64_t> control_buffer((control_length + sizeof(uint64_t) - 1) / sizeof(uint64_t));
  if (control_length > 0) {
    message.msg_control = control_buffer.data();
    message.msg_controllen = control_length;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    for (const OutgoingControl& control : controls) {
      if (header == nullptr) break;  // cannot happen: the buffer is exactly the sum of CMSG_SPACE
      header->cmsg_level = control.level;
      header->cmsg_type = control.type;
      header->cmsg_len = CMSG_LEN(control.data.size());
      if (!control.data.empty()) memcpy(CMSG_DATA(header), control.data.data(), control.data.size());
      header = CMSG_NXTHDR(&message, header);
    }
  }

  int64_t sent_at = realtime_ns();  // the send timestamp: read right before the syscall, same clock as SO_TIMESTAMPNS
  if (sendmsg(fd, &message, MSG_NOSIGNAL) < 0) return throw_errno(env, "sendmsg", errno);
  napi_value result;
  CHECK(napi_create_bigint_int64(env, sent_at, &result));
  return result;
}

napi_value RecvMsg(napi_env env, napi_callback_info info) {
  // One receive buffer per thread (worker threads may load the addon too); the data is copied out.
  alignas(cmsghdr) static thread_local unsigned char control[kControlSize];
  static thread_local unsigned char data[kDataSize];
  napi_value argv[2];
  int32_t fd = 0, flags = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_int(env, argv[1], "flags must be a number", &flags)) {
    return nullptr;
  }

  sockaddr_storage address{};
  iovec iov{data, sizeof data};
  msghdr message{};
  message.msg_name = &address;
  message.msg_namelen = sizeof address;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t received;
  do {
    received = recvmsg(fd, &message, flags | MSG_DONTWAIT);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return null_value(env);
    return throw_errno(env, "recvmsg", errno);
  }
  size_t length = static_cast<size_t>(received) < sizeof data ? static_cast<size_t>(received) : sizeof data;

  napi_value result, bytes, message_flags, cmsgs;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_buffer_copy(env, length, data, nullptr, &bytes));
  CHECK(napi_set_named_property(env, result, "data", bytes));
  if (!set_sockaddr(env, result, &address, message.msg_namelen)) return napi_failed(env);
  CHECK(napi_create_int32(env, message.msg_flags, &message_flags));
  CHECK(napi_set_named_property(env, result, "flags", message_flags));
  CHECK(napi_create_array(env, &cmsgs));
  uint32_t count = 0;
  const unsigned char* end = control + message.msg_controllen;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_len < CMSG_LEN(0)) break;
    size_t size = header->cmsg_len - CMSG_LEN(0);
    size_t room = static_cast<size_t>(end - CMSG_DATA(header));
    if (size > room) size = room;  // a control message cut short by MSG_CTRUNC
    napi_value item, level, type, payload;
    CHECK(napi_create_object(env, &item));
    CHECK(napi_create_int32(env, header->cmsg_level, &level));
    CHECK(napi_create_int32(env, header->cmsg_type, &type));
    CHECK(napi_create_buffer_copy(env, size, CMSG_DATA(header), nullptr, &payload));
    CHECK(napi_set_named_property(env, item, "level", level));
    CHECK(napi_set_named_property(env, item, "type", type));
    CHECK(napi_set_named_property(env, item, "data", payload));
    CHECK(napi_set_element(env, cmsgs, count++, item));
  }
  CHECK(napi_set_named_property(env, result, "cmsgs", cmsgs));
  return result;
}

// ---- plain file descriptors (TUN) --------------------------------------------------------------------------

napi_value Read(napi_env env, napi_callback_info info) {
  static thread_local std::vector<unsigned char> buffer;
  napi_value argv[2], result;
  int32_t fd = 0, max_length = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_int(env, argv[1], "maxLength must be a number", &max_length)) {
    return nullptr;
  }
  // A TUN frame is at most 64 KiB; a larger request is a caller's bug, not a reason to allocate gigabytes.
  if (max_length <= 0 || max_length > 65536) {
    throw_range(env, "maxLength must be between 1 and 65536");
    return nullptr;
  }
  if (buffer.size() < static_cast<size_t>(max_length)) buffer.resize(static_cast<size_t>(max_length));
  ssize_t count;
  do {
    count = read(fd, buffer.data(), static_cast<size_t>(max_length));
  } while (count < 0 && errno == EINTR);
  if (count < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return null_value(env);
    return throw_errno(env, "read", errno);
  }
  CHECK(napi_create_buffer_copy(env, static_cast<size_t>(count), buffer.data(), nullptr, &result));
  return result;
}

napi_value Write(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd = 0;
  void* data = nullptr;
  size_t length = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd) ||
      !get_bytes(env, argv[1], "data must be a Buffer", &data, &length)) {
    return nullptr;
  }
  ssize_t count;
  do {
    count = write(fd, data, length);
  } while (count < 0 && errno == EINTR);
  if (count < 0) return throw_errno(env, "write", errno);
  return make_int(env, count);
}

napi_value TunOpen(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  std::string name;
  if (!get_args(env, info, argv) || !get_string(env, argv[0], "name must be a string", &name)) return nullptr;
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    return throw_errno(env, "ioctl", EINVAL);
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open", errno);
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(request.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "ioctl", err);
  }
  return make_int(env, fd);
}

napi_value Close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd = 0;
  if (!get_args(env, info, argv) || !get_int(env, argv[0], "fd must be a number", &fd)) return nullptr;
  // On Linux the descriptor is released even when close() reports EINTR: never retry.
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return undefined(env);
}

napi_value RealtimeNs(napi_env env, napi_callback_info) {
  napi_value result;
  CHECK(napi_create_bigint_int64(env, realtime_ns(), &result));
  return result;
}

// ---- poll: a uv_poll_t watcher -------------------------------------------------------------------------------
//
// Ownership: the memory is shared by libuv (until the close callback) and the JS object (until its finalizer);
// whichever ends last frees it. While started, the wrapper holds itself alive (its weak napi_wrap reference is
// counted up), so an active watcher is never collected; stopped or closed, it may be, and the finalizer closes it.

struct Poller {
  uv_poll_t handle{};
  napi_env env = nullptr;
  napi_ref callback = nullptr;  // strong until close
  napi_ref self = nullptr;      // from napi_wrap: weak, counted up while started
  napi_async_context async = nullptr;
  bool started = false;
  bool closing = false;
  bool handle_closed = false;
  bool object_gone = false;
};

void set_started(Poller* poller, bool started) {
  if (poller->started == started || poller->self == nullptr) return;
  uint32_t count = 0;
  if (started) {
    napi_reference_ref(poller->env, poller->self, &count);
  } else {
    napi_reference_unref(poller->env, poller->self, &count);
  }
  poller->started = started;
}

void on_handle_closed(uv_handle_t* handle) {
  Poller* poller = static_cast<Poller*>(handle->data);
  poller->handle_closed = true;
  if (poller->object_gone) delete poller;
}

void close_poller(Poller* poller) {
  if (poller->closing) return;
  poller->closing = true;
  uv_poll_stop(&poller->handle);
  set_started(poller, false);
  if (poller->callback != nullptr) napi_delete_reference(poller->env, poller->callback);
  poller->callback = nullptr;
  if (poller->async != nullptr) napi_async_destroy(poller->env, poller->async);
  poller->async = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&poller->handle), on_handle_closed);
}

void finalize_poller(napi_env env, void* data, void*) {
  Poller* poller = static_cast<Poller*>(data);
  poller->object_gone = true;
  close_poller(poller);
  if (poller->self != nullptr) napi_delete_reference(env, poller->self);
  poller->self = nullptr;
  if (poller->handle_closed) delete poller;
}

void on_poll(uv_poll_t* handle, int status, int events) {
  Poller* poller = static_cast<Poller*>(handle->data);
  if (poller->closing || poller->callback == nullptr) return;
  napi_env env = poller->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback = nullptr, receiver = nullptr, argv[2], result;
  if (poller->self != nullptr) napi_get_reference_value(env, poller->self, &receiver);
  if (receiver == nullptr) napi_get_global(env, &receiver);
  if (napi_get_reference_value(env, poller->callback, &callback) == napi_ok && callback != nullptr &&
      napi_create_int32(env, status, &argv[0]) == napi_ok && napi_create_int32(env, events, &argv[1]) == napi_ok) {
    // make_callback (not call_function): runs nextTicks and promise jobs afterwards, and async_hooks see it.
    napi_make_callback(env, poller->async, receiver, callback, 2, argv, &result);
  }
  // Nothing JavaScript is below us to catch an exception the callback threw: report it as uncaught.
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

// new Poller(fd, cb): only the binding's poll() calls it.
napi_value PollerNew(napi_env env, napi_callback_info info) {
  napi_value argv[2], self, target;
  int32_t fd = 0;
  if (!get_args(env, info, argv, &self)) return nullptr;
  CHECK(napi_get_new_target(env, info, &target));
  if (target == nullptr) {
    throw_type(env, "Poller must be constructed with new");
    return nullptr;
  }
  if (!get_int(env, argv[0], "fd must be a number", &fd)) return nullptr;
  if (type_of(env, argv[1]) != napi_function) {
    throw_type(env, "cb must be a function");
    return nullptr;
  }
  uv_loop_t* loop = nullptr;
  CHECK(napi_get_uv_event_loop(env, &loop));

  Poller* poller = new Poller();
  poller->env = env;
  int rc = uv_poll_init(loop, &poller->handle, fd);
  if (rc != 0) {
    delete poller;  // never became a handle: nothing to close
    return throw_errno(env, "uv_poll_init", -rc);
  }
  poller->handle.data = poller;
  napi_value name;
  if (napi_create_reference(env, argv[1], 1, &poller->callback) != napi_ok ||
      napi_create_string_utf8(env, "PortpathPoller", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, nullptr, name, &poller->async) != napi_ok ||
      napi_wrap(env, self, poller, finalize_poller, nullptr, &poller->self) != napi_ok) {
    napi_value error = napi_failed(env);
    poller->object_gone = true;  // no finalizer will come: the close callback frees it
    close_poller(poller);
    return error;
  }
  return self;
}

Poller* unwrap_poller(napi_env env, napi_callback_info info, napi_value* argv, size_t max) {
  size_t argc = max;
  napi_value self;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, argv, &self, nullptr) != napi_ok) return nullptr;
  if (napi_unwrap(env, self, &data) != napi_ok || data == nullptr) {
    throw_type(env, "this must be a Poller");
    return nullptr;
  }
  return static_cast<Poller*>(data);
}

napi_value PollerStart(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t events = 0;
  Poller* poller = unwrap_poller(env, info, argv, 1);
  if (poller == nullptr || !get_int(env, argv[0], "events must be a number", &events)) return nullptr;
  if (poller->closing) return throw_errno(env, "uv_poll_start", EBADF);
  events &= UV_READABLE | UV_WRITABLE;
  if (events == 0) {
    uv_poll_stop(&poller->handle);
    set_started(poller, false);
    return undefined(env);
  }
  int rc = uv_poll_start(&poller->handle, events, on_poll);
  if (rc != 0) return throw_errno(env, "uv_poll_start", -rc);
  set_started(poller, true);
  return undefined(env);
}

napi_value PollerStop(napi_env env, napi_callback_info info) {
  Poller* poller = unwrap_poller(env, info, nullptr, 0);
  if (poller == nullptr) return nullptr;
  if (!poller->closing) {
    uv_poll_stop(&poller->handle);
    set_started(poller, false);
  }
  return undefined(env);
}

napi_value PollerClose(napi_env env, napi_callback_info info) {
  Poller* poller = unwrap_poller(env, info, nullptr, 0);
  if (poller == nullptr) return nullptr;
  close_poller(poller);
  return undefined(env);
}

napi_value Poll(napi_env env, napi_callback_info info) {
  napi_value argv[2], constructor, result;
  napi_ref* reference = nullptr;
  if (!get_args(env, info, argv)) return nullptr;
  CHECK(napi_get_instance_data(env, reinterpret_cast<void**>(&reference)));
  CHECK(napi_get_reference_value(env, *reference, &constructor));
  if (napi_new_instance(env, constructor, 2, argv, &result) != napi_ok) return napi_failed(env);
  return result;
}

void finalize_instance(napi_env env, void* data, void*) {
  napi_ref* reference = static_cast<napi_ref*>(data);
  napi_delete_reference(env, *reference);
  delete reference;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"start", nullptr, PollerStart, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"stop", nullptr, PollerStop, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"close", nullptr, PollerClose, nullptr, nullptr, nullptr, napi_default_method, nullptr},
  };
  napi_value constructor;
  CHECK(napi_define_class(env, "Poller", NAPI_AUTO_LENGTH, PollerNew, nullptr, sizeof methods / sizeof methods[0],
                          methods, &constructor));
  napi_ref* reference = new napi_ref();
  if (napi_create_reference(env, constructor, 1, reference) != napi_ok ||
      napi_set_instance_data(env, reference, finalize_instance, nullptr) != napi_ok) {
    delete reference;
    return napi_failed(env);
  }

  napi_property_descriptor functions[] = {
      {"socket", nullptr, Socket, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setsockopt", nullptr, SetSockOpt, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"attachFilter", nullptr, AttachFilter, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"getsockoptInt", nullptr, GetSockOptInt, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"getsockoptBuffer", nullptr, GetSockOptBuffer, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"clearCapabilities", nullptr, ClearCapabilities, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setNoNewPrivs", nullptr, SetNoNewPrivs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"bind", nullptr, Bind, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"connect", nullptr, Connect, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"getsockname", nullptr, GetSockName, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sendto", nullptr, SendTo, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"recvmsg", nullptr, RecvMsg, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"read", nullptr, Read, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"write", nullptr, Write, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"tunOpen", nullptr, TunOpen, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"poll", nullptr, Poll, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"realtimeNs", nullptr, RealtimeNs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  CHECK(napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions));
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
