#include "spank/efa_discovery.h"

#include <dlfcn.h>
#include <rdma/fabric.h>

#include <cstring>
#include <set>


namespace neuron {

int count_efa_libfabric(std::string* note) {
  using getinfo_f = int (*)(uint32_t, const char*, const char*, uint64_t, const struct fi_info*, struct fi_info**);
  using freeinfo_f = void (*)(struct fi_info*);
  using dupinfo_f = struct fi_info* (*)(const struct fi_info*);
  void* lib = dlopen("libfabric.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) {
    *note = "libfabric.so.1 not loadable";
    return 0;
  }
  auto getinfo = reinterpret_cast<getinfo_f>(dlsym(lib, "fi_getinfo"));
  auto freeinfo = reinterpret_cast<freeinfo_f>(dlsym(lib, "fi_freeinfo"));
  auto dupinfo = reinterpret_cast<dupinfo_f>(dlsym(lib, "fi_dupinfo"));
  int count = 0;
  if (!getinfo || !freeinfo || !dupinfo) {
    *note = "libfabric lacks fi_getinfo";
  } else if (struct fi_info* hints = dupinfo(nullptr)) {
    hints->fabric_attr->prov_name = strdup("efa");  // freed by fi_freeinfo
    hints->ep_attr->type = FI_EP_RDM;
    struct fi_info* info = nullptr;
    int rc = getinfo(FI_VERSION(1, 9), nullptr, nullptr, 0, hints, &info);
    if (rc == 0) {
      std::set<std::string> domains;
      for (struct fi_info* p = info; p; p = p->next)
        if (p->domain_attr && p->domain_attr->name) domains.insert(p->domain_attr->name);
      count = static_cast<int>(domains.size());
      freeinfo(info);
    } else {
      *note = "fi_getinfo(efa): no efa provider";
    }
    freeinfo(hints);
  }
  dlclose(lib);
  return count;
}

}  // namespace neuron
