#include "app/config.hpp"

#include "base/age.hpp"
#include "bridge/amqp_link.hpp"
#include "messages/announce.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/pec.hpp>
#include <caf/sec.hpp>
#include <caf/settings.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sched.h>
#include <type_traits>
#include <unistd.h>

namespace chat {

namespace {

enum class kind { integer, duration, text, text_list, boolean };

template <class T> constexpr kind kind_of() {
  if constexpr (std::is_same_v<T, bool>)
    return kind::boolean;
  else if constexpr (std::is_same_v<T, std::string>)
    return kind::text;
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return kind::text_list;
  else if constexpr (std::is_same_v<T, std::chrono::nanoseconds>)
    return kind::duration;
  else {
    static_assert(std::is_integral_v<T>, "a [chat] key is a text, list, duration or int");
    return kind::integer;
  }
}

struct key_info {
  kind type;
  key_rule rule;
};

// Every [chat] key by name, from the table.
const std::map<std::string, key_info, std::less<>>& keys() {
  static const auto table = [] {
    std::map<std::string, key_info, std::less<>> xs;
    chat_settings defaults;
    visit_chat_keys(defaults, [&](std::string_view name, auto& field, key_rule rule,
                                  std::string_view) {
      using type = std::decay_t<decltype(field)>;
      xs.emplace(std::string{key_name(name)}, key_info{kind_of<type>(), std::move(rule)});
    });
    return xs;
  }();
  return table;
}

std::string duration_text(std::chrono::nanoseconds d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

template <class T> std::string value_text(const T& x) {
  if constexpr (std::is_same_v<T, std::string>)
    return "\"" + x + "\"";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    std::string out = "[";
    for (const auto& s : x)
      out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
    return out + "]";
  } else if constexpr (std::is_same_v<T, std::chrono::nanoseconds>)
    return duration_text(x);
  else
    return std::to_string(x);
}

std::string rule_text(kind type, const key_rule& r) {
  if (!r.choices.empty()) {
    std::string out;
    for (auto c : r.choices)
      out += (out.empty() ? "" : ", ") + std::string{c};
    return "one of " + out;
  }
  if (type == kind::integer)
    return std::to_string(r.min) + ".." + std::to_string(r.max);
  if (type == kind::duration)
    return duration_text(std::chrono::milliseconds(r.min)) + ".." +
           duration_text(std::chrono::milliseconds(r.max));
  return {};
}

std::string check(const std::string& key, const key_info& info,
                  const caf::config_value& v) {
  auto name = "chat." + key;
  // The bridge's URL may hold a password: never echoed.
  auto got = key == "amqp-url" ? std::string{"a value not shown (it may hold a password)"}
                               : caf::to_string(v);
  const auto& r = info.rule;
  std::int64_t n = 0;
  switch (info.type) {
  case kind::text:
    if (!caf::holds_alternative<std::string>(v))
      return name + " must be a quoted string, got " + got;
    if (!r.choices.empty()) {
      const auto& s = caf::get<std::string>(v);
      for (auto c : r.choices)
        if (s == c)
          return {};
      return name + " must be " + rule_text(info.type, r) + ", got " + got;
    }
    return {};
  case kind::text_list:
    if (!caf::holds_alternative<caf::config_value::list>(v))
      return name + " must be a list of quoted strings, got " + got;
    for (const auto& x : caf::get<caf::config_value::list>(v))
      if (!caf::holds_alternative<std::string>(x))
        return name + " must be a list of quoted strings, got " + got;
    return {};
  case kind::boolean:
    if (!caf::holds_alternative<bool>(v))
      return name + " must be true or false, got " + got;
    return {};
  case kind::integer:
    if (!caf::holds_alternative<caf::config_value::integer>(v))
      return name + " must be an integer, got " + got;
    n = caf::get<caf::config_value::integer>(v);
    break;
  case kind::duration:
    if (!caf::holds_alternative<caf::timespan>(v))
      return name + " must be a duration such as 500ms or 9s, got " + got;
    n = std::chrono::duration_cast<std::chrono::milliseconds>(caf::get<caf::timespan>(v))
            .count();
    break;
  }
  if (n < r.min || n > r.max)
    return name + " must be between " + std::to_string(r.min) + " and " +
           std::to_string(r.max) + (info.type == kind::duration ? " ms" : "") + ", got " +
           got;
  return {};
}

bool valid_ip(const std::string& text) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// The cores sched_getaffinity allows this process; 0 when it cannot tell.
int allowed_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return 0;
  return CPU_COUNT(&set);
}

} // namespace

chat_config::chat_config() {
  config_file_path = "caf-application.conf";
  // Performance defaults live here, not in the shipped file, so that a config file with
  // only a [chat] section runs as fast as caf-application.conf (a file may still override
  // them). 'sharing': idle workers block on a condition variable; CAF's default
  // 'stealing' polls (about 118k context switches per second on an idle 2-core VM) and
  // cost a quarter more CPU per delivery here (docs/benchmarks.md).
  set("scheduler.policy", caf::atom("sharing"));
  // As many workers as cores this process may run on (taskset, a container's cpuset),
  // not as the machine has: CAF counts the machine's, and on a one-core allowance two
  // workers and the io thread took turns through futex wake-ups and context switches
  // (a third of the server's CPU in a connect storm; docs/benchmarks.md).
  if (auto cores = allowed_cores(); cores > 0)
    set("scheduler.max-threads", static_cast<std::size_t>(cores));
  // A peer node that stops answering (SIGSTOP, a cut cable) is declared dead within
  // about 2.5 s; CAF's defaults never detect it (no heartbeat).
  set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(500)});
  set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(2)});
  announce_message_types(*this);
  caf::config_option_adder chat_options{custom_options_, "chat"};
  visit_chat_keys(settings,
                  [&](std::string_view name, auto& field, const key_rule&,
                      std::string_view help) { chat_options.add(field, name, help); });
}

std::string chat_config::help_text() const {
  std::string out;
  chat_settings defaults;
  visit_chat_keys(defaults, [&](std::string_view name, auto& field, const key_rule& rule,
                                std::string_view help) {
    using type = std::decay_t<decltype(field)>;
    auto key = std::string{key_name(name)};
    out += "  --chat." + key;
    if (name.size() > key.size())
      out += " (-" + std::string{name.substr(key.size() + 1)} + ")";
    out += "\n      " + std::string{help} + "\n      default " + value_text(field);
    if (auto range = rule_text(kind_of<type>(), rule); !range.empty())
      out += "; " + range;
    out += "\n";
  });
  return out;
}

std::string chat_config::command_line_error(int argc, char** argv) const {
  auto unknown = [](std::string_view arg) {
    return "unknown option " + std::string{arg} + " (chatd --help lists the options)";
  };
  int config_files = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') { // -p 4000, -p4000
      if (custom_options_.cli_short_name_lookup(arg[1]) == nullptr)
        return unknown(arg);
      if (arg.size() == 2)
        ++i; // its value
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return unknown(arg);
    auto name = arg.substr(2, arg.find('=') - 2); // npos - 2 still means "to the end"
    if (name == "config-file") {
      if (++config_files > 1)
        return "--config-file given more than once";
      continue;
    }
    bool known = name.rfind("chat.", 0) == 0
                     ? keys().count(name.substr(5)) > 0
                     : custom_options_.cli_long_name_lookup(name) != nullptr;
    if (!known)
      return unknown(arg);
  }
  return {};
}

std::string chat_config::describe(const caf::error& err) const {
  if (err == caf::sec::cannot_open_file && err.context().match_element<std::string>(0))
    return "cannot read config file \"" + err.context().get_as<std::string>(0) + "\"";
  if (err.category() == caf::atom("parser") &&
      err.context().match_element<caf::settings>(0))
    if (auto arg =
            caf::get_if<std::string>(&err.context().get_as<caf::settings>(0), "argument"))
      return "cannot read " + *arg + ": " + to_string(static_cast<caf::pec>(err.code()));
  return render(err);
}

// CAF drops a value of the wrong type without a word, so the file is read a second time
// untyped; the merged content then catches ranges set on the command line.
std::string chat_config::validate() const {
  if (!std::ifstream{config_file_path})
    return "cannot read config file \"" + config_file_path + "\"";
  auto raw = parse_config_file(config_file_path.c_str());
  if (!raw)
    return "cannot parse config file \"" + config_file_path +
           "\": " + render(raw.error());
  const caf::settings* dicts[] = {&*raw, &content};
  for (const auto* dict : dicts) {
    auto section = dict->find("chat");
    if (section == dict->end())
      continue;
    if (!caf::holds_alternative<caf::settings>(section->second))
      return "chat must be a section";
    for (const auto& [key, value] : caf::get<caf::settings>(section->second)) {
      auto info = keys().find(key);
      if (info == keys().end())
        return "unknown setting chat." + key + " (see chatd --help)";
      if (auto err = check(key, info->second, value); !err.empty())
        return err;
    }
  }
  if (!parse_age(settings.history_max_age))
    return "chat.history-max-age must be 0 or a whole number with a unit s, min, h or d "
           "(e.g. \"30d\"), got \"" +
           settings.history_max_age + "\"";
  if (auto err = check_tls(); !err.empty())
    return err;
  if (auto err = check_amqp(); !err.empty())
    return err;
  return check_cluster();
}

// The port's TLS keys: both or neither, and readable. Whether they hold a PEM
// certificate and its key is found when main() loads them (net::load_tls_context).
std::string chat_config::check_tls() const {
  const auto& s = settings;
  if (s.tls_cert_file.empty() != s.tls_key_file.empty())
    return "chat.tls-cert-file and chat.tls-key-file go together: set both for TLS "
           "(https, wss), or neither (only chat." +
           std::string{s.tls_cert_file.empty() ? "tls-key-file" : "tls-cert-file"} +
           " is set)";
  if (!s.tls())
    return {};
  if (!std::ifstream{s.tls_cert_file})
    return "chat.tls-cert-file: cannot read \"" + s.tls_cert_file + "\"";
  if (!std::ifstream{s.tls_key_file})
    return "chat.tls-key-file: cannot read \"" + s.tls_key_file + "\"";
  return {};
}

// The bridge's URL (its message never shows the URL: it may hold a password) and the
// names it declares.
std::string chat_config::check_amqp() const {
  const auto& s = settings;
  if (!s.amqp())
    return {};
  std::string why;
  if (!parse_amqp_url(s.amqp_url, why))
    return "chat.amqp-url " + why + " (the value is not shown: it may hold a password)";
  // AMQP short strings; amq.* is the broker's own.
  auto bad_name = [](const std::string& n) {
    return n.empty() || n.size() > 255 || n.rfind("amq.", 0) == 0 ||
           n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789-_.:") != std::string::npos;
  };
  if (bad_name(s.amqp_exchange))
    return "chat.amqp-exchange must be 1..255 characters of A-Z a-z 0-9 - _ . : and not "
           "start with amq., got \"" +
           s.amqp_exchange + "\"";
  if (bad_name(s.amqp_inbound_queue))
    return "chat.amqp-inbound-queue must be 1..255 characters of A-Z a-z 0-9 - _ . : and "
           "not start with amq., got \"" +
           s.amqp_inbound_queue + "\"";
  return {};
}

// The [chat] cluster keys that only make sense together.
std::string chat_config::check_cluster() const {
  const auto& s = settings;
  if (!s.cluster_join.empty() && !s.clustered())
    return "chat.cluster-join needs chat.cluster-port: a node that joins listens too";
  for (const auto& a : s.cluster_join) {
    auto colon = a.rfind(':');
    auto port = colon == std::string::npos ? std::string{} : a.substr(colon + 1);
    if (colon == 0 || port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535)
      return "chat.cluster-join must list \"host:port\" entries, got \"" + a + "\"";
  }
  if (!s.clustered())
    return {};
  if (!valid_ip(s.cluster_host) || s.cluster_host == "0.0.0.0" || s.cluster_host == "::")
    return "chat.cluster-host must be the IP address the other nodes reach this node "
           "at, got \"" +
           s.cluster_host + "\"";
  const std::string* files[] = {&s.cluster_cert_file, &s.cluster_key_file,
                                &s.cluster_ca_file};
  const char* names[] = {"chat.cluster-cert-file", "chat.cluster-key-file",
                         "chat.cluster-ca-file"};
  auto set = std::count_if(std::begin(files), std::end(files),
                           [](const std::string* f) { return !f->empty(); });
  if (set != 0 && set != 3)
    return "chat.cluster-cert-file, chat.cluster-key-file and chat.cluster-ca-file "
           "go together: set all three for TLS between nodes, or none";
  for (int i = 0; i < 3 && set == 3; ++i)
    if (!std::ifstream{*files[i]})
      return std::string{names[i]} + ": cannot read \"" + *files[i] + "\"";
  return {};
}

void chat_config::load_modules() {
  if (!settings.clustered())
    return;
  load<caf::io::middleman>();
  if (settings.cluster_tls()) {
    openssl_certificate = settings.cluster_cert_file;
    openssl_key = settings.cluster_key_file;
    openssl_cafile = settings.cluster_ca_file;
    load<caf::openssl::manager>();
  }
}

std::string chat_config::node_name(unsigned short bound_port) const {
  if (!settings.node_name.empty())
    return settings.node_name;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
    return settings.host + ":" + std::to_string(bound_port);
  return std::string{host} + ":" + std::to_string(bound_port);
}

node_context chat_config::actor_context(unsigned short bound_port) const {
  node_context ctx;
  ctx.limits = settings.limits;
  ctx.limits.history_max_age = *parse_age(settings.history_max_age);
  ctx.node_name = node_name(bound_port);
  ctx.amqp_publish_direct = settings.amqp_publish_direct;
  return ctx;
}

net::net_settings chat_config::transport_settings() const {
  net::net_settings n;
  n.io_threads = static_cast<unsigned>(settings.io_threads);
  n.web_root = settings.web_root;
  n.allowed_origins = settings.allowed_origins;
  n.limits = settings.limits;
  return n;
}

} // namespace chat
