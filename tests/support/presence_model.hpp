// What a client knows of its room's users, as the protocol tells it (docs/protocol.md):
// room_changed lists them, presence_diff adds joins and removes leaves (set operations:
// a name already known is no change). Turns the diffs a test client reads into the
// changes they meant to it, one name at a time, so that tests can say "alice saw bob
// join" however the server grouped the names into frames.
#pragma once

#include <boost/json.hpp>
#include <deque>
#include <set>
#include <string>

namespace chat::test {

struct presence_event {
  std::string kind; // "joined" or "left"
  std::string room;
  std::string user;
};

class presence_model {
public:
  // Every event the client reads passes here.
  void observe(const boost::json::object& ev) {
    auto type = ev.at("type").as_string();
    auto p = ev.contains("payload") && ev.at("payload").is_object()
                 ? ev.at("payload").as_object()
                 : boost::json::object{};
    if (type == "welcome") {
      me_ = text(p, "user");
      room_ = text(p, "room");
      users_.clear();
      listed_ = false; // welcome lists nobody: a leave may name anyone
    } else if (type == "room_changed") {
      room_ = text(p, "name");
      users_.clear();
      for (const auto& u : p.at("users").as_array())
        users_.insert(std::string(u.as_string()));
      listed_ = true;
    } else if (type == "presence_diff" && text(p, "room") == room_) {
      // A client without a list learns of leaves of users it never heard of (they were
      // there before it); but not in the diff that announces its own arrival: those left
      // around the time it came, the same flush carried both.
      bool arriving = false;
      for (const auto& u : p.at("joins").as_array())
        arriving = arriving || u.as_string() == me_;
      // Leaves first: a rename reads as the old name leaving, then the new one joining.
      for (const auto& u : p.at("leaves").as_array()) {
        std::string name(u.as_string());
        bool known = users_.erase(name) > 0;
        if ((known || (!listed_ && !arriving)) && name != me_)
          changes_.push_back({"left", room_, name});
      }
      for (const auto& u : p.at("joins").as_array()) {
        std::string name(u.as_string());
        if (users_.insert(name).second && name != me_)
          changes_.push_back({"joined", room_, name});
      }
    }
  }

  std::deque<presence_event>& changes() { return changes_; }
  // The users of its room as it was told (after a room_changed: exactly).
  const std::set<std::string>& users() const { return users_; }

private:
  static std::string text(const boost::json::object& p, const char* key) {
    auto it = p.find(key);
    return it != p.end() && it->value().is_string() ? std::string(it->value().as_string())
                                                    : std::string{};
  }

  std::string me_, room_;
  std::set<std::string> users_;
  bool listed_ = false;
  std::deque<presence_event> changes_;
};

} // namespace chat::test
