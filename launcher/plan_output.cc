#include "launcher/plan_output.h"

#include <cstdio>

namespace trn {

std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string plan_to_json(const Plan& p) {
  std::string j = "{";
  auto key = [&](const char* k) { j += (j.size() > 1 ? ",\n  " : "\n  ") + json_escape(k) + ": "; };
  auto str = [&](const char* k, const std::string& v) { key(k); j += json_escape(v); };
  auto num = [&](const char* k, long long v) { key(k); j += std::to_string(v); };
  auto list = [&](const char* k, const std::vector<std::string>& v) {
    key(k);
    j += "[";
    for (size_t i = 0; i < v.size(); ++i) j += (i ? ", " : "") + json_escape(v[i]);
    j += "]";
  };
  str("config", p.config_path);
  str("instance", p.instance);
  str("platform", p.platform);
  num("lnc", p.lnc);
  num("nodes", p.nodes);
  num("node_rank", p.node_rank);
  num("procs_per_node", p.procs_per_node);
  num("world_size", p.world_size);
  num("tp", p.tp);
  num("pp", p.pp);
  num("vpp", p.vpp);
  num("cp", p.cp);
  num("ep", p.ep);
  num("dp", p.dp);
  num("micro_batch_size", p.micro_batch_size);
  num("global_batch_size", p.global_batch_size);
  num("num_microbatches", p.num_microbatches);
  str("launch_kind", p.launch_kind);
  str("launch_pattern", p.launch_pattern);
  num("rank", p.task_rank);
  num("local_rank", p.local_rank);
  str("master_host", p.master_host);
  str("master_addr", p.master_addr);
  num("master_port", p.master_port);
  num("root_comm_port", p.root_comm_port);
  str("root_comm_source", p.root_comm_source);
  str("backend", p.backend);
  key("compile");
  j += p.compile ? "true" : "false";
  str("job_id", p.job_id);
  num("restart_count", p.restart_count);
  str("log_dir", p.log_dir);
  list("command", p.command);
  key("env");
  j += "{";
  bool first = true;
  for (const auto& [k, v] : p.env) {
    j += (first ? "\n    " : ",\n    ") + json_escape(k) + ": " + json_escape(v);
    first = false;
  }
  j += "\n  }";
  list("hosts", p.hosts.expand());
  return j + "\n}\n";
}

std::string plan_to_table(const Plan& p) {
  char buf[512];
  std::string t;
  auto row = [&](const char* k, const std::string& v) {
    std::snprintf(buf, sizeof buf, "%-18s %s\n", k, v.c_str());
    t += buf;
  };
  row("config", p.config_path);
  row("instance", p.instance + " (" + p.platform + ", LNC " + std::to_string(p.lnc) + ")");
  row("launch", p.launch_kind + ", " + p.launch_pattern);
  row("nodes", std::to_string(p.nodes) + " x " + std::to_string(p.procs_per_node) + " procs = world " +
                   std::to_string(p.world_size));
  row("this task", "node " + std::to_string(p.node_rank) + ", rank " + std::to_string(p.task_rank) + ", local " +
                       std::to_string(p.local_rank));
  row("parallelism", "TP " + std::to_string(p.tp) + "  PP " + std::to_string(p.pp) + "  CP " + std::to_string(p.cp) +
                         "  EP " + std::to_string(p.ep) + "  DP " + std::to_string(p.dp));
  row("batches", "MBS " + std::to_string(p.micro_batch_size) + "  GBS " + std::to_string(p.global_batch_size) +
                     "  microbatches " + std::to_string(p.num_microbatches));
  row("master", (p.master_addr.empty() ? std::string("(first node of the allocation)") : p.master_addr) +
                    (p.master_host.empty() || p.master_host == p.master_addr ? "" : " (" + p.master_host + ")") +
                    " port " + std::to_string(p.master_port));
  row("root comm port", std::to_string(p.root_comm_port) + " (" + p.root_comm_source + ")");
  row("job / restart", p.job_id + " / " + std::to_string(p.restart_count));
  row("log dir", p.log_dir);
  row("backend", p.backend + (p.compile ? " (COMPILE=1)" : " (COMPILE=0)"));
  std::string cmd;
  for (const auto& a : p.command) cmd += (cmd.empty() ? "" : " ") + a;
  row("command", cmd);
  t += "env\n";
  for (const auto& [k, v] : p.env) t += "  " + k + "=" + v + "\n";
  return t;
}

}  // namespace trn
