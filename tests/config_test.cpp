// The [chat] key table (app/settings.hpp) against what documents it: the shipped
// caf-application.conf and docs/configuration.md.
#define BOOST_TEST_MODULE config
#include "app/config.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/deep_to_string.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace chat;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot read " << path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every key of the table, with its value in `s` as CAF prints it.
std::map<std::string, std::string> values_of(chat_settings& s) {
  std::map<std::string, std::string> out;
  visit_chat_keys(
      s, [&](std::string_view name, auto& field, const key_rule&, std::string_view) {
        out[std::string{key_name(name)}] = caf::deep_to_string(field);
      });
  return out;
}

struct conf_key {
  bool commented = false; // a `;` comment line right above it
};

// The keys of the [chat] section of a CAF config file.
std::map<std::string, conf_key> chat_keys_of(const std::string& text) {
  std::map<std::string, conf_key> keys;
  std::istringstream in{text};
  std::string line, section;
  bool comment_above = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
    } else if (section == "chat" && !line.empty() && line[0] != ';') {
      auto eq = line.find('=');
      if (eq != std::string::npos)
        keys[line.substr(0, eq)] = conf_key{comment_above};
    }
    comment_above = !line.empty() && line[0] == ';';
  }
  return keys;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_shipped_file_documents_every_key_with_its_default) {
  auto path = std::string{CHAT_SOURCE_DIR} + "/caf-application.conf";
  auto in_file = chat_keys_of(read_file(path));
  chat_settings defaults;
  auto table = values_of(defaults);
  for (const auto& [key, value] : table) {
    BOOST_TEST_CONTEXT("chat." << key) {
      BOOST_TEST_REQUIRE(in_file.count(key) == 1u, "missing from caf-application.conf");
      BOOST_TEST(in_file[key].commented, "no comment line above it");
    }
  }
  for (const auto& [key, info] : in_file)
    BOOST_TEST(table.count(key) == 1u, "caf-application.conf sets unknown key " << key);
  // The file states the defaults that the code holds.
  chat_config cfg;
  BOOST_TEST_REQUIRE(!cfg.parse(caf::actor_system_config::string_list{}, path.c_str()));
  BOOST_TEST_REQUIRE(cfg.validate() == "");
  auto from_file = values_of(cfg.settings);
  for (const auto& [key, value] : table)
    BOOST_TEST(from_file[key] == value, "chat." << key << " in the file");
}

BOOST_AUTO_TEST_CASE(docs_configuration_lists_every_key) {
  auto doc = read_file(std::string{CHAT_SOURCE_DIR} + "/docs/configuration.md");
  chat_settings defaults;
  for (const auto& [key, value] : values_of(defaults))
    BOOST_TEST(doc.find("| `" + key + "` |") != std::string::npos,
               "docs/configuration.md has no row for chat." << key);
}

BOOST_AUTO_TEST_CASE(help_names_every_key_with_its_default) {
  chat_config cfg;
  auto help = cfg.help_text();
  chat_settings defaults;
  for (const auto& [key, value] : values_of(defaults))
    BOOST_TEST((help.find("--chat." + key + "\n") != std::string::npos ||
                help.find("--chat." + key + " (") != std::string::npos),
               key);
  BOOST_TEST(help.find("default 3000; 0..65535") != std::string::npos, help);
  BOOST_TEST(help.find("default 30s; 10ms..3600s") != std::string::npos, help);
}

BOOST_AUTO_TEST_CASE(command_line_errors_name_the_argument) {
  chat_config cfg;
  auto check = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "chatd");
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    return cfg.command_line_error(static_cast<int>(argv.size()), argv.data());
  };
  BOOST_TEST(check({"--chat.port=1", "-p", "2", "--chat.nope=1"}) ==
             "unknown option --chat.nope=1 (chatd --help lists the options)");
  BOOST_TEST(check({"-x"}) == "unknown option -x (chatd --help lists the options)");
  BOOST_TEST(check({"--config-file=a", "--config-file=b"}) ==
             "--config-file given more than once");
  BOOST_TEST(check({"--chat.port=1", "-p2", "--scheduler.max-threads=2",
                    "--config-file=x"}) == "");
}
