#include "trainer/report/tensorboard_events.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

namespace trn::native {
namespace {

const std::array<uint32_t, 256> kTable = [] {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}();

void put_varint(uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>((v & 0x7f) | 0x80));
  out->push_back(static_cast<char>(v));
}
template <typename T>
void put_le(T v, std::string* out) {  // fixed32 / fixed64 / the record length: little endian
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
}
void put_bytes_field(int field, std::string_view bytes, std::string* out) {
  put_varint(static_cast<uint64_t>(field) << 3 | 2, out);  // wire type 2: length-delimited
  put_varint(bytes.size(), out);
  out->append(bytes);
}
void put_wall_time(double wall_time, std::string* out) {
  out->push_back(0x09);  // field 1, wire type 1 (64-bit)
  uint64_t bits;
  std::memcpy(&bits, &wall_time, sizeof bits);
  put_le(bits, out);
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t crc32c(std::string_view data) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : data) c = kTable[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t masked_crc32c(std::string_view data) {
  const uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string tfrecord(std::string_view data) {
  std::string len, out;
  put_le(static_cast<uint64_t>(data.size()), &len);
  out = len;
  put_le(masked_crc32c(len), &out);
  out.append(data);
  put_le(masked_crc32c(data), &out);
  return out;
}

std::string event_file_version(double wall_time) {
  std::string e;
  put_wall_time(wall_time, &e);
  put_bytes_field(3, "brain.Event:2", &e);
  return e;
}

std::string event_scalars(double wall_time, long long step, const Scalars& scalars) {
  std::string summary;
  for (const auto& [tag, value] : scalars) {
    std::string v;
    put_bytes_field(1, tag, &v);
    v.push_back(0x15);  // field 2, wire type 5 (32-bit)
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put_le(bits, &v);
    put_bytes_field(1, v, &summary);
  }
  std::string e;
  put_wall_time(wall_time, &e);
  e.push_back(0x10);  // field 2, wire type 0 (varint)
  put_varint(static_cast<uint64_t>(step), &e);
  put_bytes_field(5, summary, &e);
  return e;
}

std::string TensorBoardWriter::open(const std::string& dir) {
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const double now = now_seconds();
  const std::string path = dir + "/events.out.tfevents." + std::to_string(static_cast<long long>(now)) + "." + host;
  if (std::string error = file_.open(path); !error.empty()) return error;
  file_.append(tfrecord(event_file_version(now)), 0);
  return "";
}

void TensorBoardWriter::add(long long step, const Scalars& scalars) {
  if (file_.is_open()) file_.append(tfrecord(event_scalars(now_seconds(), step, scalars)), step);
}

}  // namespace trn::native
