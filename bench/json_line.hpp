// A flat JSON object written in order, numbers in plain decimal ("0.125", never "1.25E-1"),
// so shell scripts can pick fields with grep as well as with jq. Shared by the load report
// and the soak report.
#pragma once

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

namespace bench {

class JsonLine {
public:
  void raw(const char* key, const std::string& value) {
    out_ += out_.empty() ? "{" : ",";
    out_ += boost::json::serialize(boost::json::string_view(key));
    out_ += ':';
    out_ += value;
  }
  void num(const char* key, double v) { raw(key, number(v)); }
  void num(const char* key, std::uint64_t v) { raw(key, std::to_string(v)); }
  void str(const char* key, const std::string& v) {
    raw(key, boost::json::serialize(boost::json::string_view(v)));
  }
  void boolean(const char* key, bool v) { raw(key, v ? "true" : "false"); }
  template <class T> void opt(const char* key, const std::optional<T>& v) {
    if (v)
      num(key, static_cast<double>(*v));
    else
      raw(key, "null");
  }
  void counts(const char* key, const std::map<std::string, std::uint64_t>& m) {
    boost::json::object o;
    for (const auto& [k, v] : m)
      o[k] = v;
    raw(key, boost::json::serialize(o));
  }
  std::string done() const { return out_.empty() ? "{}" : out_ + "}"; }

  static std::string number(double v) {
    if (!std::isfinite(v))
      return "null";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15)
      std::snprintf(buf, sizeof buf, "%.0f", v);
    else
      std::snprintf(buf, sizeof buf, "%.3f", v);
    std::string text = buf;
    if (text.find('.') != std::string::npos) {
      while (text.back() == '0')
        text.pop_back();
      if (text.back() == '.')
        text.pop_back();
      if (text == "-0")
        text = "0";
    }
    return text;
  }

private:
  std::string out_;
};

} // namespace bench
