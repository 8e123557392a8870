// Beast and Asio names used across net/. Only net/*.cpp include this.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace chat::net {

namespace asio = boost::asio; // not `net`: that is this namespace, chat::net
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

} // namespace chat::net
