#include "common/ipv4.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace trn {

bool lookup_ipv4(const std::string& host, std::string* ip, std::string* why) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) {
    *why = rc != 0 ? gai_strerror(rc) : "no address";
    return false;
  }
  char buf[INET_ADDRSTRLEN] = {0};
  const bool ok = inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
  freeaddrinfo(res);
  if (!ok) {
    *why = "the address could not be formatted";
    return false;
  }
  *ip = buf;
  return true;
}

std::string this_host_fqdn() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* res = nullptr;
  std::string out = name;
  if (getaddrinfo(name, nullptr, &hints, &res) == 0 && res) {
    if (res->ai_canonname && *res->ai_canonname) out = res->ai_canonname;
    freeaddrinfo(res);
  }
  return out;
}

}  // namespace trn
