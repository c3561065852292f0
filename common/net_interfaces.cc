#include "common/net_interfaces.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace trn {

std::optional<Ipv4Interface> choose_reachable_ipv4(const std::vector<Ipv4Interface>& interfaces) {
  auto usable = [](const Ipv4Interface& i) { return i.up && !i.loopback && !i.address.empty(); };
  for (const auto& i : interfaces)
    if (i.name == "eth0" && usable(i)) return i;
  for (const auto& i : interfaces)
    if (usable(i)) return i;
  return std::nullopt;
}

std::vector<Ipv4Interface> read_ipv4_interfaces() {
  std::vector<Ipv4Interface> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN] = {0};
    const in_addr addr = reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr;
    if (!::inet_ntop(AF_INET, &addr, buf, sizeof buf)) continue;
    const bool loop_net = (ntohl(addr.s_addr) >> 24) == 127;
    out.push_back({a->ifa_name ? a->ifa_name : "", buf, (a->ifa_flags & IFF_UP) != 0,
                   (a->ifa_flags & IFF_LOOPBACK) != 0 || loop_net});
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace trn
