// Choosing and running a connection's service by its local port.
#include "stack/app/service.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace shunt::app {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Service, PortsPickTheService) {
    ServicePorts ports;
    EXPECT_EQ(service_for_port(ports, 7), ServiceKind::echo);
    EXPECT_EQ(service_for_port(ports, 9), ServiceKind::discard);
    EXPECT_EQ(service_for_port(ports, 8080), std::nullopt);  // HTTP is off by default
    ports.http = 8080;
    EXPECT_EQ(service_for_port(ports, 8080), ServiceKind::http);
    ports.http = 7;  // an explicit HTTP port wins
    EXPECT_EQ(service_for_port(ports, 7), ServiceKind::http);
    ports.discard.reset();
    EXPECT_EQ(service_for_port(ports, 9), std::nullopt);
}

std::string exchange(ServiceSession& s, std::string_view in) {
    EXPECT_EQ(s.on_receive(bytes(in)), in.size());
    std::string out;
    std::vector<uint8_t> buf(512);
    while (size_t n = s.produce(buf)) out.append(reinterpret_cast<const char*>(buf.data()), n);
    return out;
}

TEST(Service, EachKindBehavesLikeItsSession) {
    ServiceSession echo{ServiceKind::echo};
    EXPECT_EQ(exchange(echo, "ping"), "ping");
    ServiceSession discard{ServiceKind::discard};
    EXPECT_EQ(exchange(discard, "ping"), "");
    discard.on_peer_closed();
    EXPECT_TRUE(discard.should_close());
    ServiceSession http{ServiceKind::http};
    EXPECT_EQ(exchange(http, "GET /bytes/3 HTTP/1.1\r\nHost: h\r\n\r\n"),
              std::string("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Length: 3\r\n\r\n\x00\x01\x02",
                          81));
    EXPECT_FALSE(http.has_output());
    EXPECT_FALSE(http.should_close());
    http.on_peer_closed();
    EXPECT_TRUE(http.should_close());
}

}  // namespace
}  // namespace shunt::app
