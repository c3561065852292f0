#include "trainer/report/progress_line.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace trn::native {
namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// Python's str(float): the shortest digits that read back as the same double.
std::string shortest(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e16) return fmt("%.1f", v);
  for (int p = 1; p <= 17; ++p) {
    const std::string s = fmt(("%." + std::to_string(p) + "g").c_str(), v);
    if (std::strtod(s.c_str(), nullptr) == v) return s;
  }
  return fmt("%.17g", v);
}

// tqdm's bar: 10 cells of eighths.
std::string bar(double frac) {
  static const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  frac = std::fmin(std::fmax(frac, 0.0), 1.0);
  const int full = static_cast<int>(frac * 10);
  std::string out;
  for (int i = 0; i < full; ++i) out += "█";
  int cells = full;
  if (full < 10) {
    const int part = static_cast<int>((frac * 10 - full) * 8);
    if (part > 0) out += kEighths[part], ++cells;
  }
  return out + std::string(10 - cells, ' ');
}

}  // namespace

std::string tqdm_number(double v) {
  std::string f = fmt("%.3g", v);
  for (const char* from : {"e+0", "e-0"}) {
    const size_t at = f.find(from);
    if (at != std::string::npos) f.erase(at + 2, 1);
  }
  const std::string n = shortest(v);
  return f.size() < n.size() ? f : n;
}

std::string tqdm_interval(double seconds) {
  const long long s = static_cast<long long>(seconds < 0 || !std::isfinite(seconds) ? 0 : seconds);
  char buf[48];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", s / 60, s % 60);
  return buf;
}

std::string progress_line(const StepMetrics& m) {
  const double frac = m.max_steps > 0 ? static_cast<double>(m.step) / m.max_steps : 0;
  const double remaining = (m.max_steps - m.step) * m.seconds_per_step;
  const std::string rate = m.seconds_per_step >= 1 || m.seconds_per_step <= 0
                               ? fmt("%5.2fs/it", m.seconds_per_step)
                               : fmt("%5.2fit/s", 1.0 / m.seconds_per_step);
  std::string s = "Epoch " + std::to_string(m.epoch) + ": " + fmt("%3.0f", frac * 100) + "%|" + bar(frac) + "| " +
                  std::to_string(m.step) + "/" + std::to_string(m.max_steps) + " [" + tqdm_interval(m.elapsed_s) +
                  "<" + tqdm_interval(remaining) + ", " + rate + ", loss=" + tqdm_number(m.loss) +
                  ", v_num=" + m.v_num + ", reduced_train_loss=" + fmt("%#.4g", m.reduced_train_loss);
  if (!std::isnan(m.val_loss)) s += ", val_loss=" + fmt("%#.4g", m.val_loss);
  s += ", lr=" + tqdm_number(m.lr) + ", parameter_norm=" + fmt("%.1f", m.parameter_norm) +
       ", global_step=" + fmt("%.3f", static_cast<double>(m.step)) +
       ", consumed_samples=" + fmt("%.1f", static_cast<double>(m.consumed_samples)) +
       ", throughput=" + fmt("%.3g", m.seq_per_s) + ", tokens_per_sec=" + fmt("%.0f", m.tokens_per_s) + "]";
  return s;
}

void ProgressPrinter::step(const StepMetrics& m, bool log_step) {
  if (terminal_) {
    std::printf("\r%s\033[K", progress_line(m).c_str());
    drawn_ = true;
  } else if (log_step) {
    std::printf("%s\n", progress_line(m).c_str());
  }
  std::fflush(stdout);
}

void ProgressPrinter::line(const std::string& text) {
  if (drawn_) std::printf("\n");
  drawn_ = false;
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

ProgressPrinter::~ProgressPrinter() {
  if (drawn_) std::printf("\n");
  std::fflush(stdout);
}

}  // namespace trn::native
